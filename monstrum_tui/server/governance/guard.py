"""``ScopeGuard``: the binding's scope, handed to the executor of an allowed call.

``decide`` checks the values the model wrote. An executor often touches something it
derives from them (the real file behind a symlink, each file a search finds); it asks
the guard whether that value is in scope too, under the same dimensions and match
rules, so confinement is judged by what is really touched.

The binding's ``require_approval`` scope values are judged the same way: a call that
did not wait for a person (the text the model wrote matched no rule) is refused when
the value it really touches would have needed one (``./secret/x.md``, or a link into
``secret/``, under a rule for ``secret/*``), and entries met on the way that would need
one are not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...client.models import Bot, Decision, ScopeDimension
from .approval import APPROVAL
from .decide import SCOPE, Offered, _deny, describe_value, split_tool_name
from .scope import ABSENT, ScopeMatcher, matcher_for


@dataclass(frozen=True)
class ScopeGuard:
    """The dimensions of one tool with the binding's patterns for each."""

    tool_name: str = ""
    resource_id: str | None = None
    operation: str | None = None
    checks: tuple[tuple[ScopeDimension, ScopeMatcher], ...] = ()
    #: the binding's require_approval values, for a call that did not wait for a person
    gated: tuple[tuple[ScopeDimension, ScopeMatcher], ...] = ()
    #: whose require_approval it is (for the message)
    rule_of: str = ""

    @classmethod
    def allow_all(cls) -> ScopeGuard:
        """No dimension constrains the tool."""
        return cls()

    def refusal(self, param_path: str, value: Any) -> Decision | None:
        """The denial if ``value``, standing for the param at ``param_path``, is out of
        scope in some dimension that reads that path, or would have needed an approval
        the call did not get; None if it may be touched."""
        return self.scope_refusal(param_path, value) or self.approval_refusal(
            param_path, value)

    def approval_refusal(self, param_path: str, value: Any) -> Decision | None:
        """The denial if ``value`` matches the binding's require_approval (and the call
        did not wait for a person)."""
        for dimension, matcher in self.gated:
            if param_path in dimension.param_paths and matcher.matches(value):
                return _deny(
                    APPROVAL,
                    f"{dimension.key} value {describe_value(value)} needs approval (the "
                    f"require_approval of the binding to {self.rule_of}: "
                    f"{', '.join(matcher.patterns)}); ask for it by that value, so that a "
                    "person can decide",
                    dimension=dimension.key, param_path=param_path,
                    value=None if value is ABSENT else value,
                    tool_name=self.tool_name, resource_id=self.resource_id,
                    operation=self.operation,
                )
        return None

    def scope_refusal(self, param_path: str, value: Any) -> Decision | None:
        """The denial if ``value`` is out of scope in some dimension that reads that path."""
        for dimension, matcher in self.checks:
            if param_path in dimension.param_paths and not matcher.matches(value):
                return _deny(
                    SCOPE,
                    dimension.error_template.replace("{value}", describe_value(value)),
                    dimension=dimension.key,
                    param_path=param_path,
                    value=None if value is ABSENT else value,
                    allowed_patterns=list(matcher.patterns),
                    tool_name=self.tool_name,
                    resource_id=self.resource_id,
                    operation=self.operation,
                )
        return None

    def allows(self, param_path: str, value: Any) -> bool:
        return self.refusal(param_path, value) is None

    def governs(self, param_path: str) -> bool:
        """Whether some dimension reads this param path (else every value is in scope)."""
        return any(param_path in d.param_paths for d, _ in self.checks)


def guard_for(
    bot: Bot, offered: Offered, decision: Decision, *, approved: bool = False
) -> ScopeGuard:
    """The guard of an allowed decision: its tool's dimensions and its binding's patterns,
    and (unless the call waits for a person: ``approved``) its require_approval values.

    Built from the same bot and offer the decision was made on. A decision that names
    no tool offered there cannot be guarded: ``LookupError``, and the call must not run.
    """
    _, bare = split_tool_name(decision.tool_name or "")
    binding = next(
        (b for b in bot.resource_bindings if b.resource_id == decision.resource_id), None
    )
    tool = next(
        (t.tool for t in offered.get(decision.resource_id or "", ()) if t.tool.name == bare),
        None,
    )
    if tool is None or binding is None:
        raise LookupError(f"no bound tool {decision.tool_name} on {decision.resource_id}")
    constraints = binding.scope_constraints
    rule = binding.require_approval
    gated = () if approved or rule is None else tuple(
        (dim, matcher_for(dim.match_mode, tuple(rule.scope[dim.key])))
        for dim in tool.scope_dimensions if rule.scope.get(dim.key)
    )
    return ScopeGuard(
        tool_name=tool.name,
        resource_id=decision.resource_id,
        operation=tool.operation,
        checks=tuple(
            (dim, matcher_for(dim.match_mode, tuple(constraints.get(dim.key) or ())))
            for dim in tool.scope_dimensions
        ),
        gated=gated,
        rule_of=binding.resource_id,
    )



@dataclass(frozen=True)
class ShadowGuard(ScopeGuard):
    """A guard in shadow mode: what it would refuse is noted (``noted``), not refused."""

    noted: list[Decision] = field(default_factory=list, compare=False)

    @classmethod
    def over(cls, guard: ScopeGuard) -> ShadowGuard:
        return cls(tool_name=guard.tool_name, resource_id=guard.resource_id,
                   operation=guard.operation, checks=guard.checks, gated=guard.gated,
                   rule_of=guard.rule_of)

    def scope_refusal(self, param_path: str, value: Any) -> Decision | None:
        # shadow mode runs what policy would deny; a person's approval still holds
        refused = super().scope_refusal(param_path, value)
        if refused is not None:
            self.noted.append(refused)
        return None
