"""A bot's resource bindings, edited as fields or as YAML: both edit the same value.

The fields: pick a resource, tick tools from its real tool list (or type globs), and fill
each scope dimension of its type, shown with its key, match mode, params and denial
text. A dimension left empty allows nothing, and the editor says so. Below them, the
binding's ``require_approval`` (tool globs and scope values whose calls pause the task
for a person, and the timeout after which such a call is rejected) and its ``enforce``
mode (``log_only``: shadow mode). A timeout that is not a number is shown under its
field, kept as typed, and refused (``bindings()`` raises) until it is fixed. The YAML view is
the same list as text; whichever view is shown, the YAML text is the value (the fields
rewrite it, and a change to it is read back into the fields), so switching views, or
saving from either, keeps every edit. YAML that does not parse stays as typed, and the
fields wait until it does.

Data comes down (``set_catalog``: the resources and their types' dimensions;
``show_preview``: the server's verdicts); ``BindingsChanged`` goes up when the value
changes, so the screen can ask the server what the bot could then call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from ...client.models import (
    ApprovalRule,
    BotToolsPreview,
    Resource,
    ResourceBinding,
    ScopeDimension,
)
from .typed_fields import FieldInput, FieldTextArea

#: shown under the YAML view: the shape of one binding (with a tool the Jira type has)
BINDINGS_HINT = (
    "# one item per resource, in YAML:\n"
    "# - resource_id: res_jira\n"
    "#   allowed_tools: [jira_list_issues]\n"
    "#   scope_constraints: {projects: [OPS]}"
)
#: the most verdicts the preview lists (the rest are counted)
PREVIEW_LINES = 40
#: what ``require_approval`` does, over its fields (their own meanings are the models')
APPROVAL_HEADING = ("Approval: a call that matches pauses its task until a person "
                    "approves or rejects it")
APPROVAL_TOOLS_HINT = ApprovalRule.model_fields["tools"].description or ""
APPROVAL_SCOPE_HINT = ("scope values, comma-separated: a call with one of them waits "
                       "(matched as its dimension matches)")
APPROVAL_TIMEOUT_HINT = ApprovalRule.model_fields["timeout_s"].description or ""
#: the server's default wait, shown in the empty timeout field
APPROVAL_TIMEOUT_DEFAULT = ApprovalRule.model_fields["timeout_s"].default
#: the binding's ``enforce`` modes, as the picker offers them
ENFORCE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("enforce: calls it does not allow are denied", "enforce"),
    ("log_only: shadow mode, they run and are audited", "log_only"),
)
ENFORCE_HINT = ResourceBinding.model_fields["enforce"].description or ""
#: the keys of ``require_approval`` the fields edit (others stay, for the server to name)
APPROVAL_KEYS = ("tools", "scope", "timeout_s")


class BindingsProblem(ValueError):
    """The YAML text is not a list of bindings; ``message`` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_bindings(text: str) -> list[dict[str, Any]]:
    """The bindings text (a YAML list) as request data; BindingsProblem names the fault."""
    if not text.strip():
        return []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise BindingsProblem(f"not valid YAML{where}") from exc
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise BindingsProblem("expected a list of mappings (- key: ...)")
    return data


def bindings_yaml(bindings: list[dict[str, Any]]) -> str:
    if not bindings:
        return ""
    return yaml.safe_dump(bindings, sort_keys=False, allow_unicode=True,
                          default_flow_style=None)


@dataclass(frozen=True)
class BindableResource:
    """A resource the bot can be bound to, with its type's scope dimensions."""

    resource: Resource
    dimensions: tuple[ScopeDimension, ...]

    @property
    def tool_names(self) -> list[str]:
        return [t.name for t in self.resource.tools]

    def tools_using(self, key: str) -> list[str]:
        return [t.name for t in self.resource.tools
                if any(d.key == key for d in t.scope_dimensions)]


def split_values(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def seconds_text(value: object) -> str:
    """A timeout as the field shows it: ``600`` rather than ``600.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


class TimeoutProblem(ValueError):
    """The approval timeout field holds something that is not a number of seconds."""


def parse_seconds(text: str) -> float | int | None:
    """The approval timeout field: None when empty (the server's default), else a number
    of seconds (the server checks its range); TimeoutProblem says what is wrong."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise TimeoutProblem(
            f"approval timeout: {text!r} is not a number of seconds (e.g. 600)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise TimeoutProblem(f"approval timeout: {text!r} is not a number of seconds")
    return int(value) if value.is_integer() else value


def empty_dimension_warning(key: str, tools: list[str]) -> str:
    who = ", ".join(tools) if tools else "the tools that use it"
    return f"empty: no {key} is allowed, so calls of {who} are refused ('*' allows all)"


def render_preview(preview: BotToolsPreview | None, error: str = "") -> RenderableType:
    """The server's verdicts for the bindings as edited: what the bot may call, and not."""
    if error:
        return Text(f"preview unavailable: {error}", style="yellow")
    if preview is None:
        return Text("asking the server…", style="dim")
    parts: list[RenderableType] = []
    for problem in preview.problems:
        parts.append(Text(f"✗ {problem.get('field', '')}: {problem.get('message', '')}",
                          style="red"))
    allowed = [a for a in preview.data if a.may_call]
    refused = [a for a in preview.data if not a.may_call]
    parts.append(Text(f"May call ({len(allowed)})", style="bold green"))
    if not allowed:
        parts.append(Text("nothing", style="dim"))
    shown = 0
    for access in allowed:
        if shown >= PREVIEW_LINES:
            break
        shown += 1
        line = Text("  ")
        line.append(access.call_name, style="green")
        line.append(f"  {access.resource_id}", style="dim")
        for key, values in access.scope_constraints.items():
            line.append(f"  {key}: ")
            line.append(", ".join(values) if values else "nothing allowed",
                        style="" if values else "red")
        parts.append(line)
    if refused:
        parts.append(Text(f"May not call ({len(refused)})", style="bold yellow"))
    for access in refused:
        if shown >= PREVIEW_LINES:
            break
        shown += 1
        line = Text("  ")
        line.append(access.tool_name, style="yellow")
        line.append(f": {access.reason}", style="dim")
        parts.append(line)
    rest = len(preview.data) - shown
    if rest > 0:
        parts.append(Text(f"… and {rest} more", style="dim"))
    return Group(*parts)


class BindingEditor(Vertical):
    """The bindings field of the bot form (see the module docstring)."""

    class BindingsChanged(Message):
        """The bindings as now edited (valid YAML); ``editor.value`` holds them."""

        def __init__(self, editor: BindingEditor) -> None:
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> BindingEditor:
            return self.editor

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.catalog: dict[str, BindableResource] = {}
        #: the server's verdicts last shown (None while asked for, or if it failed)
        self.preview: BotToolsPreview | None = None
        self._preview_error = ""
        self.current: str | None = None
        self._picking = False
        self.yaml_view = False
        self.problem = ""
        #: fields that hold what cannot go in the value, per resource id: (typed, message)
        self.field_problems: dict[str, tuple[str, str]] = {}
        try:
            self.value = parse_bindings(text)
        except BindingsProblem as exc:
            self.value, self.problem = [], exc.message
            self.yaml_view = True
        self._text = text

    def compose(self) -> ComposeResult:
        with Horizontal(classes="binding-bar"):
            yield Select([], id="binding-resource", compact=True,
                         prompt="loading resources…")
            yield Button("YAML (ctrl+t)", id="binding-view", compact=True)
        with Vertical(id="binding-fields"):
            yield Label("", id="binding-summary", markup=False)
            with Vertical(id="binding-resource-fields"):
                yield Label("Tools: tick them, or type globs below",
                            classes="binding-heading")
                yield SelectionList[str](id="binding-tools", compact=True)
                yield FieldInput("", id="binding-patterns",
                                 placeholder="more tools by glob: jira_*, *_files")
                yield Label("Scope", classes="binding-heading")
                yield Vertical(id="binding-dimensions")
                yield Label(APPROVAL_HEADING, id="binding-approval-heading",
                            classes="binding-heading", markup=False)
                yield Horizontal(
                    Label("tools", classes="binding-key"),
                    FieldInput("", id="binding-approval-tools",
                               placeholder="globs: jira_delete_*, run_command"),
                    classes="binding-dimension-row")
                yield Label(APPROVAL_TOOLS_HINT, classes="field-hint", markup=False)
                yield Vertical(id="binding-approval-dimensions")
                yield Label(APPROVAL_SCOPE_HINT, id="binding-approval-scope-hint",
                            classes="field-hint", markup=False)
                yield Horizontal(
                    Label("timeout (s)", classes="binding-key"),
                    FieldInput("", id="binding-approval-timeout",
                               placeholder=f"{seconds_text(APPROVAL_TIMEOUT_DEFAULT)} "
                               "(the default)"),
                    classes="binding-dimension-row")
                yield Label(APPROVAL_TIMEOUT_HINT, classes="field-hint", markup=False)
                yield Label("", id="binding-approval-timeout-error", classes="field-error",
                            markup=False)
                yield Label("Enforce, this binding (the bot has its own above)",
                            classes="binding-heading")
                yield Select(ENFORCE_OPTIONS, value="enforce", allow_blank=False,
                             id="binding-enforce", compact=True)
                yield Label(ENFORCE_HINT, classes="field-hint", markup=False)
                yield Button("Unbind this resource", id="binding-unbind", compact=True)
        area = FieldTextArea(self._text, id="field-resource_bindings", compact=True,
                             show_line_numbers=False, tab_behavior="focus")
        area.border_subtitle = "YAML"
        yield area
        yield Label("", id="binding-yaml-problem", classes="field-error", markup=False)
        yield Label(BINDINGS_HINT, id="bindings-hint", markup=False)
        yield Label("What the bot may then call (the server's dry run)",
                    classes="binding-heading")
        yield Static(render_preview(self.preview, self._preview_error), id="binding-preview")

    def on_mount(self) -> None:
        self.show_view()

    # --- data down --------------------------------------------------------------

    async def set_catalog(self, resources: list[BindableResource]) -> None:
        """The resources that can be bound (and their dimensions), from the server."""
        self.catalog = {r.resource.id: r for r in resources}
        self.fill_resources()
        bound = [b.get("resource_id") for b in self.value]
        first = next((str(r) for r in bound if r in self.catalog), None)
        await self.pick(first or next(iter(self.catalog), None))

    def show_preview(self, preview: BotToolsPreview | None, error: str = "") -> None:
        self.preview, self._preview_error = preview, error
        # the answer may come before the editor has composed (or after it closed): it is
        # kept and drawn by compose then
        for shown in self.query("#binding-preview").results(Static):
            shown.update(render_preview(preview, error))

    # --- the value --------------------------------------------------------------

    def binding_of(self, resource_id: str) -> dict[str, Any] | None:
        return next((b for b in self.value if b.get("resource_id") == resource_id), None)

    def text(self) -> str:
        return self.query_one("#field-resource_bindings", FieldTextArea).text

    def bindings(self) -> list[dict[str, Any]]:
        """The value to save (the YAML text, whichever view is shown); BindingsProblem if
        it is not a list of bindings, or a field holds what cannot go in it."""
        for resource_id, (_typed, message) in self.field_problems.items():
            item = self.catalog.get(resource_id)
            raise BindingsProblem(f"{item.resource.name if item else resource_id}: {message}")
        return parse_bindings(self.text())

    def _changed(self) -> None:
        """The fields changed the value: write it to the YAML and tell the screen."""
        text = bindings_yaml(self.value)
        area = self.query_one("#field-resource_bindings", FieldTextArea)
        if area.text != text:
            self._text = text
            area.text = text
        self.fill_resources()
        self.show_summary()
        self.post_message(self.BindingsChanged(self))

    @on(FieldTextArea.Changed, "#field-resource_bindings")
    async def _yaml_changed(self, event: FieldTextArea.Changed) -> None:
        event.stop()
        text = event.text_area.text
        if text == self._text:
            return  # written by the fields
        self._text = text
        try:
            value = parse_bindings(text)
        except BindingsProblem as exc:
            self.problem = exc.message
            self.show_problem()
            return
        self.problem = ""
        self.show_problem()
        if value != self.value:
            self.value = value
            self.fill_resources()
            if not self.yaml_view:  # set from outside the views: show it in the fields
                await self.pick(self.current)
            self.show_summary()
            self.post_message(self.BindingsChanged(self))

    # --- views ------------------------------------------------------------------

    async def toggle_view(self) -> None:
        """Switch between the fields and the YAML; refused (and said why) while the YAML
        does not parse, so nothing typed is lost."""
        if self.yaml_view and self.problem:
            self.show_problem(f"fix the YAML first: {self.problem}")
            return
        if not self.yaml_view and self.field_problems:
            message = next(iter(self.field_problems.values()))[1]
            self.show_problem(f"fix the field first: {message}")
            return
        self.yaml_view = not self.yaml_view
        self.show_view()
        if not self.yaml_view:
            await self.pick(self.current if self.current in self.catalog else
                      next((str(b.get("resource_id")) for b in self.value
                            if b.get("resource_id") in self.catalog), self.current))
            self.query_one("#binding-resource").focus()
        else:
            self.query_one("#field-resource_bindings").focus()

    def show_view(self) -> None:
        self.query_one("#binding-fields").display = not self.yaml_view
        self.query_one("#field-resource_bindings").display = self.yaml_view
        self.query_one("#binding-resource").display = not self.yaml_view
        self.query_one("#bindings-hint").display = self.yaml_view
        self.query_one("#binding-view", Button).label = (
            "Fields (ctrl+t)" if self.yaml_view else "YAML (ctrl+t)")
        self.show_problem()

    def show_problem(self, text: str | None = None) -> None:
        label = self.query_one("#binding-yaml-problem", Label)
        shown = text if text is not None else self.problem
        label.update(shown)
        label.set_class(bool(shown), "-shown")

    @on(Button.Pressed, "#binding-view")
    async def _view_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.toggle_view()

    # --- the fields -------------------------------------------------------------

    def fill_resources(self) -> None:
        select = self.query_one("#binding-resource", Select)
        options = []
        for rid, item in self.catalog.items():
            mark = "● " if self.binding_of(rid) is not None else "  "
            options.append((f"{mark}{item.resource.name} ({rid}, {item.resource.type})", rid))
        keep = self.current
        with select.prevent(Select.Changed):
            select.set_options(options)
            if keep in self.catalog:
                select.value = keep
        select.prompt = "pick a resource" if options else "no resources: create one first"

    def show_summary(self) -> None:
        names = [self.catalog[str(b.get("resource_id"))].resource.name
                 if b.get("resource_id") in self.catalog else str(b.get("resource_id"))
                 for b in self.value]
        text = ("bound to: " + ", ".join(names)) if names else (
            "no bindings yet: the bot can call no tool")
        if self.current is not None and self.binding_of(self.current) is None:
            text += " · this one is not bound: tick a tool to bind it"
        self.query_one("#binding-summary", Label).update(text)

    @on(Select.Changed, "#binding-resource")
    async def _resource_picked(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.current:
            await self.pick(event.value)

    async def pick(self, resource_id: str | None) -> None:
        """Show the fields of ``resource_id``'s binding (or an empty one to fill)."""
        self._picking = True  # the fields are being refilled: they are not edits
        try:
            await self._fill(resource_id)
        finally:
            self._picking = False

    async def _fill(self, resource_id: str | None) -> None:
        self.current = resource_id if resource_id in self.catalog else None
        select = self.query_one("#binding-resource", Select)
        if self.current is not None and select.value != self.current:
            with select.prevent(Select.Changed):
                select.value = self.current
        item = self.catalog.get(resource_id or "")
        binding = self.binding_of(resource_id or "") or {}
        allowed = [str(p) for p in binding.get("allowed_tools") or []]
        tools = self.query_one("#binding-tools", SelectionList)
        names = item.tool_names if item else []
        tools.clear_options()
        tools.add_options([Selection(n, n, n in allowed) for n in names])
        patterns = [p for p in allowed if p not in names]
        self.query_one("#binding-patterns", Input).value = ", ".join(patterns)
        holder = self.query_one("#binding-dimensions", Vertical)
        await holder.remove_children()
        scope = binding.get("scope_constraints") or {}
        rows: list[Widget] = []
        for dim in item.dimensions if item else ():
            assert item is not None  # for the checker: only an item has dimensions
            values = scope.get(dim.key) or []
            rows.append(self._dimension_row(item, dim, [str(v) for v in values]))
        if item is not None and not rows:
            rows.append(Label("the type has no scope dimensions", classes="field-hint"))
        await holder.mount_all(rows)
        enforce = self.query_one("#binding-enforce", Select)
        with enforce.prevent(Select.Changed):
            enforce.value = ("log_only" if binding.get("enforce") == "log_only"
                             else "enforce")
        await self._fill_approval(item, binding)
        self.query_one("#binding-unbind").display = bool(binding)
        self.query_one("#binding-resource-fields").display = item is not None
        self.show_summary()

    async def _fill_approval(self, item: BindableResource | None,
                             binding: dict[str, Any]) -> None:
        """The ``require_approval`` fields of the binding shown (a timeout typed wrong is
        shown as typed, with its error)."""
        rule = binding.get("require_approval")
        rule = rule if isinstance(rule, dict) else {}
        self.query_one("#binding-approval-tools", Input).value = ", ".join(
            str(t) for t in rule.get("tools") or [])
        typed, message = self.field_problems.get(self.current or "", (None, ""))
        self.query_one("#binding-approval-timeout", Input).value = (
            typed if typed is not None else seconds_text(rule.get("timeout_s")))
        self.show_timeout_problem(message)
        # its rows last: once they are there, every field of this binding is filled
        found_scope = rule.get("scope")
        waiting: dict[str, Any] = found_scope if isinstance(found_scope, dict) else {}
        holder = self.query_one("#binding-approval-dimensions", Vertical)
        await holder.remove_children()
        await holder.mount_all([
            Horizontal(
                Label(dim.key, classes="binding-key", markup=False),
                FieldInput(", ".join(str(v) for v in waiting.get(dim.key) or []),
                           id=f"binding-approval-dim-{dim.key}",
                           placeholder="values whose calls wait, comma-separated",
                           classes="binding-approval-dimension"),
                classes="binding-dimension-row")
            for dim in (item.dimensions if item else ())])
        self.query_one("#binding-approval-scope-hint").display = bool(item and item.dimensions)

    def show_timeout_problem(self, message: str) -> None:
        label = self.query_one("#binding-approval-timeout-error", Label)
        label.update(message)
        label.set_class(bool(message), "-shown")

    def _approval_of(self, item: BindableResource, before: object) -> dict[str, Any] | None:
        """The binding's ``require_approval`` as the fields now say (None: nothing waits);
        a timeout that is not a number keeps the one before and is put in
        ``field_problems``."""
        assert self.current is not None
        old: dict[str, Any] = dict(before) if isinstance(before, dict) else {}
        # keys the fields do not edit stay, for the server to name (typed in the YAML)
        rule: dict[str, Any] = {k: v for k, v in old.items() if k not in APPROVAL_KEYS}
        tools = split_values(self.query_one("#binding-approval-tools", Input).value)
        if tools or "tools" in old:
            rule["tools"] = tools
        found_scope = old.get("scope")
        old_scope: dict[str, Any] = found_scope if isinstance(found_scope, dict) else {}
        keys = {d.key for d in item.dimensions}
        scope: dict[str, Any] = {k: v for k, v in old_scope.items() if k not in keys}
        for dim in item.dimensions:
            found = self.query(f"#binding-approval-dim-{dim.key}")
            if not found:  # still being mounted: keep what it holds
                if old_scope.get(dim.key):
                    scope[dim.key] = old_scope[dim.key]
                continue
            values = split_values(found.first(Input).value)
            if values:
                scope[dim.key] = values
        if scope or "scope" in old:
            rule["scope"] = scope
        typed = self.query_one("#binding-approval-timeout", Input).value
        try:
            seconds = parse_seconds(typed)
        except TimeoutProblem as exc:
            self.field_problems[self.current] = (typed, str(exc))
            self.show_timeout_problem(str(exc))
            if "timeout_s" in old:
                rule["timeout_s"] = old["timeout_s"]
        else:
            self.field_problems.pop(self.current, None)
            self.show_timeout_problem("")
            if seconds is not None:
                # the same number (600 for 600.0) is no edit
                rule["timeout_s"] = old["timeout_s"] if old.get("timeout_s") == seconds \
                    else seconds
        nothing = not rule.get("tools") and not rule.get("scope") and "timeout_s" not in rule
        if nothing and all(k in APPROVAL_KEYS for k in rule):
            return None
        return rule

    def _dimension_row(
        self, item: BindableResource, dim: ScopeDimension, values: list[str]
    ) -> Vertical:
        field = FieldInput(", ".join(values), id=f"binding-dim-{dim.key}",
                           placeholder="values, comma-separated ('*' allows all)",
                           classes="binding-dimension")
        hint = (f"match {dim.match_mode} · params {', '.join(dim.param_paths)} · "
                f"denial “{dim.error_template}”")
        warning = Label(empty_dimension_warning(dim.key, item.tools_using(dim.key)),
                        id=f"binding-empty-{dim.key}", classes="binding-empty", markup=False)
        warning.display = not values
        return Vertical(
            Horizontal(Label(dim.key, classes="binding-key", markup=False), field,
                       classes="binding-dimension-row"),
            Label(hint, classes="field-hint", markup=False),
            warning,
            classes="binding-dimension-block",
        )

    def _edited(self) -> None:
        """Read the fields of the current resource into the value."""
        if self.yaml_view or self._picking or self.current is None:
            return
        item = self.catalog[self.current]
        problems_before = dict(self.field_problems)
        ticked = [str(v) for v in self.query_one("#binding-tools", SelectionList).selected]
        tools = [n for n in item.tool_names if n in ticked]
        tools += [p for p in split_values(self.query_one("#binding-patterns", Input).value)
                  if p not in tools]
        binding = self.binding_of(self.current)
        before: dict[str, Any] = dict((binding or {}).get("scope_constraints") or {})
        keys = {d.key for d in item.dimensions}
        # keys the type does not have stay for the server to name (typed in the YAML)
        scope: dict[str, Any] = {k: v for k, v in before.items() if k not in keys}
        for dim in item.dimensions:
            found = self.query(f"#binding-dim-{dim.key}")
            if not found:  # its row is still being mounted: keep what it holds
                if before.get(dim.key):
                    scope[dim.key] = before[dim.key]
                continue
            values = split_values(found.first(Input).value)
            # an empty list is refused by the server: leaving the key out allows nothing
            if values:
                scope[dim.key] = values
            for warning in self.query(f"#binding-empty-{dim.key}"):
                warning.display = not values
        approval = self._approval_of(item, (binding or {}).get("require_approval"))
        enforce = self.query_one("#binding-enforce", Select).value
        if binding is None:
            if not tools and not scope and approval is None and enforce != "log_only":
                if self.field_problems != problems_before:
                    self.post_message(self.BindingsChanged(self))
                return  # browsing a resource binds nothing
            binding = {"resource_id": self.current}
            self.value.append(binding)
        before_tools = [str(p) for p in binding.get("allowed_tools") or []]
        if sorted(before_tools) != sorted(tools):  # the same ones, in any order, are no edit
            binding["allowed_tools"] = tools
        if scope or "scope_constraints" in binding:
            binding["scope_constraints"] = scope
        if approval is not None or "require_approval" in binding:
            binding["require_approval"] = approval
        if enforce == "log_only" or "enforce" in binding:
            binding["enforce"] = enforce
        self.query_one("#binding-unbind").display = True
        if bindings_yaml(self.value) != self._text:
            self._changed()
        elif self.field_problems != problems_before:  # the value is (or is again) savable
            self.post_message(self.BindingsChanged(self))

    @on(SelectionList.SelectedChanged, "#binding-tools")
    def _tools_ticked(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        self._edited()

    @on(Input.Changed, "#binding-patterns, .binding-dimension, #binding-approval-tools, "
                       ".binding-approval-dimension, #binding-approval-timeout")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._edited()

    @on(Select.Changed, "#binding-enforce")
    def _enforce_picked(self, event: Select.Changed) -> None:
        event.stop()
        self._edited()

    @on(Button.Pressed, "#binding-unbind")
    async def _unbind(self, event: Button.Pressed) -> None:
        event.stop()
        if self.current is None:
            return
        self.value = [b for b in self.value if b.get("resource_id") != self.current]
        self.field_problems.pop(self.current, None)
        self._changed()
        await self.pick(self.current)
