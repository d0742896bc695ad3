"""``ScopeGuard``: the binding's scope, handed to the executor of an allowed call.

``decide`` checks the values the model wrote. An executor often touches something it
derives from them (the real file behind a symlink, each file a search finds); it asks
the guard whether that value is in scope too, under the same dimensions and match
rules, so confinement is judged by what is really touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...client.models import Bot, Decision, ScopeDimension
from .decide import SCOPE, Offered, _deny, describe_value, split_tool_name
from .scope import ABSENT, ScopeMatcher, matcher_for


@dataclass(frozen=True)
class ScopeGuard:
    """The dimensions of one tool with the binding's patterns for each."""

    tool_name: str = ""
    resource_id: str | None = None
    operation: str | None = None
    checks: tuple[tuple[ScopeDimension, ScopeMatcher], ...] = ()

    @classmethod
    def allow_all(cls) -> ScopeGuard:
        """No dimension constrains the tool."""
        return cls()

    def refusal(self, param_path: str, value: Any) -> Decision | None:
        """The denial if ``value``, standing for the param at ``param_path``, is out of
        scope in some dimension that reads that path; None if every such dimension allows
        it."""
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


def guard_for(bot: Bot, offered: Offered, decision: Decision) -> ScopeGuard:
    """The guard of an allowed decision: its tool's dimensions and its binding's patterns.

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
    return ScopeGuard(
        tool_name=tool.name,
        resource_id=decision.resource_id,
        operation=tool.operation,
        checks=tuple(
            (dim, matcher_for(dim.match_mode, tuple(constraints.get(dim.key) or ())))
            for dim in tool.scope_dimensions
        ),
    )



@dataclass(frozen=True)
class ShadowGuard(ScopeGuard):
    """A guard in shadow mode: what it would refuse is noted (``noted``), not refused."""

    noted: list[Decision] = field(default_factory=list, compare=False)

    @classmethod
    def over(cls, guard: ScopeGuard) -> ShadowGuard:
        return cls(tool_name=guard.tool_name, resource_id=guard.resource_id,
                   operation=guard.operation, checks=guard.checks)

    def refusal(self, param_path: str, value: Any) -> Decision | None:
        refused = super().refusal(param_path, value)
        if refused is not None:
            self.noted.append(refused)
        return None
