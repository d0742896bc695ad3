"""A bot's resource bindings, edited as fields or as YAML: both edit the same value.

The fields: pick a resource, tick tools from its real tool list (or type globs), and fill
each scope dimension of its type, shown with its key, match mode, params and denial
text. A dimension left empty allows nothing, and the editor says so. The YAML view is
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

from ...client.models import BotToolsPreview, Resource, ScopeDimension
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
        it is not a list of bindings."""
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
        self.query_one("#binding-unbind").display = bool(binding)
        self.query_one("#binding-resource-fields").display = item is not None
        self.show_summary()

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
        if binding is None:
            if not tools and not scope:
                return  # browsing a resource binds nothing
            binding = {"resource_id": self.current}
            self.value.append(binding)
        before_tools = [str(p) for p in binding.get("allowed_tools") or []]
        if sorted(before_tools) != sorted(tools):  # the same ones, in any order, are no edit
            binding["allowed_tools"] = tools
        if scope or "scope_constraints" in binding:
            binding["scope_constraints"] = scope
        self.query_one("#binding-unbind").display = True
        if bindings_yaml(self.value) != self._text:
            self._changed()

    @on(SelectionList.SelectedChanged, "#binding-tools")
    def _tools_ticked(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        self._edited()

    @on(Input.Changed, "#binding-patterns, .binding-dimension")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._edited()

    @on(Button.Pressed, "#binding-unbind")
    async def _unbind(self, event: Button.Pressed) -> None:
        event.stop()
        if self.current is None:
            return
        self.value = [b for b in self.value if b.get("resource_id") != self.current]
        self._changed()
        await self.pick(self.current)
