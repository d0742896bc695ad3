"""The one filter widget of every list: a ``/`` line with completion, shown as chips.

Closed, it is one line of chips for the query in force (nothing when there is none);
``open()`` turns it into the text line, with completions under it (``tab`` takes the
highlighted one, ``↓``/``↑`` move). A *live* line (lists filtered in memory) applies
as you type and ``esc`` clears it; otherwise ``enter`` applies and ``esc`` puts the
query in force back. A line that does not parse says why, in red, and applies nothing.

Keys are handled by the text line itself, in the order they arrive, so ``ops<Tab>`` typed
in one burst completes ``ops`` and not whatever came after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ..query import (
    Query,
    QueryKey,
    QueryProblem,
    QuerySyntax,
    Suggestion,
    current_token,
    parse_query,
    suggestions,
)
from .typed_fields import FieldInput

ValuesOf = Callable[[QueryKey], Sequence[tuple[str, str]]]


class QueryInput(FieldInput):
    """The text line; ``tab``, ``enter``, ``esc`` and the arrows are its own (in order)."""

    async def _on_key(self, event: events.Key) -> None:
        line = self.parent
        if isinstance(line, QueryLine) and line.take_key(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


class QueryLine(Vertical):
    """Holds the query in force (``query``); posts ``Changed`` when it changes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"query-line--chip", "query-line--key"}

    class Changed(Message):
        """A new query is in force (applied, typed in a live line, or cleared)."""

        def __init__(self, line: QueryLine, query: Query) -> None:
            super().__init__()
            self.line = line
            self.query = query

        @property
        def control(self) -> QueryLine:
            return self.line

    class Closed(Message):
        """The text line closed; the screen puts the focus back on its list."""

        def __init__(self, line: QueryLine) -> None:
            super().__init__()
            self.line = line

        @property
        def control(self) -> QueryLine:
            return self.line

    def __init__(
        self, syntax: QuerySyntax, *, live: bool = True, values_of: ValuesOf | None = None,
        id: str | None = None, classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.syntax = syntax
        self.live = live
        self.values_of: ValuesOf = values_of or (lambda _key: ())
        #: the query in force (not ``query``: that is Textual's DOM query on every widget)
        self.in_force = Query()
        #: how chips show a term's value (``res`` -> its name), set by the screen
        self.labels: dict[str, str] = {}
        self._suggested: list[Suggestion] = []

    def compose(self) -> ComposeResult:
        yield Label("", classes="query-chips")
        yield QueryInput(placeholder=self.syntax.placeholder(), compact=True,
                         classes="query-input")
        yield Label("", classes="query-problem", markup=False)
        yield OptionList(classes="query-suggestions")

    def on_mount(self) -> None:
        self._show()

    @property
    def input(self) -> QueryInput:
        return self.query_one(QueryInput)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    # --- the query in force ------------------------------------------------------

    def set_query(self, query: Query, labels: dict[str, str] | None = None, *,
                  announce: bool = False) -> None:
        """Show ``query`` as the one in force (e.g. set by a form or another screen)."""
        self.in_force = query
        self.labels = dict(labels or {})
        if self.is_open:
            with self.input.prevent(Input.Changed):
                self.input.value = query.to_text()
        self._show()
        if announce:
            self.post_message(self.Changed(self, query))

    def clear_state(self) -> bool:
        """``esc`` on the list: drop the query in force (True if there was one)."""
        if self.in_force.is_empty:
            return False
        self.set_query(Query(), announce=True)
        return True

    # --- opening and closing -----------------------------------------------------

    def open(self, text: str | None = None) -> None:
        """Show the text line with the query in force (or ``text``) and focus it."""
        with self.input.prevent(Input.Changed):
            self.input.value = self.in_force.to_text() if text is None else text
        self.input.cursor_position = len(self.input.value)
        self.add_class("-open")
        self._problem("")
        self._show()
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self._set_suggestions([])
        self._problem("")
        self._show()
        self.post_message(self.Closed(self))

    def _suggestions_now(self) -> list[Suggestion]:
        """Completions for the word at the cursor as the line is now (not as the last
        ``Changed`` saw it: in a burst those lag behind the keys)."""
        line = self.input.value
        start, end = current_token(line, min(self.input.cursor_position, len(line)))
        token = line[start:end]
        return suggestions(token, self.syntax, self.values_of) if token else []

    def take_key(self, key: str) -> bool:
        """A key typed in the text line; True when the line took it."""
        if key == "tab":
            found = self._suggestions_now()
            if not found:
                return False
            if found != self._suggested:
                self._set_suggestions(found)
            self.take_suggestion()
            return True
        if key in ("down", "up") and self._suggested:
            options = self.query_one(OptionList)
            count = options.option_count
            current = options.highlighted if options.highlighted is not None else 0
            options.highlighted = (current + (1 if key == "down" else -1)) % count
            return True
        if key == "enter":
            self.submit()
            return True
        if key == "escape":
            self.cancel()
            return True
        return False

    def show_problem(self, problem: str) -> None:
        """The screen could not use the line (a name no one has): say why, keep it open."""
        self._problem(problem)

    def submit(self) -> None:
        """Enter: apply the line (if it parses) and close it."""
        try:
            query = parse_query(self.input.value, self.syntax)
        except QueryProblem as problem:
            self._problem(str(problem))
            return
        changed = query != self.in_force
        self.in_force = query
        self.close()
        if changed or not self.live:
            self.post_message(self.Changed(self, query))

    def cancel(self) -> None:
        """Esc in the line: a live line is cleared; otherwise the query in force stays."""
        if self.live and not self.in_force.is_empty:
            self.in_force = Query()
            self.post_message(self.Changed(self, self.in_force))
        self.close()

    # --- typing ------------------------------------------------------------------

    @on(Input.Changed, ".query-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if not self.is_open:
            return
        line = event.value
        start, end = current_token(line, min(self.input.cursor_position, len(line)))
        token = line[start:end]
        self._set_suggestions(suggestions(token, self.syntax, self.values_of) if token else [])
        try:
            query = parse_query(line, self.syntax)
        except QueryProblem as problem:
            self._problem(str(problem))
            return
        self._problem("")
        if self.live and query != self.in_force:
            self.in_force = query
            self.post_message(self.Changed(self, query))

    @on(Input.Submitted, ".query-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()  # enter is taken in handle_key, in order; this is a paste's enter

    @on(OptionList.OptionSelected, ".query-suggestions")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one(OptionList).highlighted = event.option_index
        self.take_suggestion()
        self.input.focus()

    def take_suggestion(self) -> None:
        """Put the highlighted completion in place of the word at the cursor."""
        options = self.query_one(OptionList)
        index = options.highlighted if options.highlighted is not None else 0
        if not 0 <= index < len(self._suggested):
            return
        token = self._suggested[index].token
        line = self.input.value
        start, end = current_token(line, min(self.input.cursor_position, len(line)))
        tail = line[end:]
        spacer = "" if token.endswith(":") else " "
        new = line[:start] + token + (spacer if not tail.startswith(" ") else "")
        self.input.value = new + tail
        self.input.cursor_position = len(new)

    def _set_suggestions(self, found: list[Suggestion]) -> None:
        self._suggested = found
        options = self.query_one(OptionList)
        options.clear_options()
        for suggestion in found:
            label = Text(suggestion.label)
            if suggestion.detail:
                label.append(f"  {suggestion.detail}", style="dim")
            options.add_option(Option(label))
        if found:
            options.highlighted = 0
        self.set_class(bool(found), "-suggesting")

    def _problem(self, text: str) -> None:
        label = self.query_one(".query-problem", Label)
        label.update(text)
        label.set_class(bool(text), "-shown")

    # --- the chips ---------------------------------------------------------------

    def chips(self) -> Text:
        """The query in force as chips: ``bot:ops-runner``, ``res:Demo shell``, ``"deploy"``."""
        chip = self.get_component_rich_style("query-line--chip", partial=True)
        key_style = self.get_component_rich_style("query-line--key", partial=True)
        out = Text(no_wrap=True, overflow="ellipsis")
        for key, value in self.in_force.terms.items():
            out.append(f" {key}:", style=chip + key_style)
            out.append(f"{self.labels.get(key, value)} ", style=chip)
            out.append(" ")
        if self.in_force.words:
            out.append(" text:", style=chip + key_style)
            out.append(f"{self.in_force.text} ", style=chip)
        return out

    def _show(self) -> None:
        chips = self.query_one(".query-chips", Label)
        shown = not self.is_open and not self.in_force.is_empty
        chips.update(self.chips() if shown else "")
        self.set_class(shown, "-chips")
