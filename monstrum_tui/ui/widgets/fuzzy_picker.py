"""A text field that picks one of a list of named things by fuzzy match (bots, resources).

Typing shows the best matches in a drop-down over the screen; ``down``/``up``
move through them and ``enter`` takes one. Text that names nothing known is kept
as typed (an id the list does not have, e.g. a deleted bot, still filters).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from .typed_fields import FieldInput

MAX_MATCHES = 8


def fuzzy_matches(query: str, choices: list[tuple[str, str]], limit: int = MAX_MATCHES
                  ) -> list[tuple[str, str]]:
    """The (id, name) choices best matching ``query`` on name or id, best first."""
    query = query.strip()
    if not query:
        return choices[:limit]
    matcher = Matcher(query)
    scored = []
    for ident, name in choices:
        score = max(matcher.match(name), matcher.match(ident))
        if score > 0:
            scored.append((score, name.lower(), ident, name))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(ident, name) for _score, _n, ident, name in scored[:limit]]


class PickerInput(FieldInput):
    """The picker's text field; arrow keys drive its drop-down."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", "Next match", id="picker.next", show=False),
        Binding("up", "move(-1)", "Previous match", id="picker.previous", show=False),
    ]

    def action_move(self, delta: int) -> None:
        picker = self.parent
        if isinstance(picker, FuzzyPicker):
            picker.move_highlight(delta)


class FuzzyPicker(Vertical):
    """Pick an id from (id, name) choices; ``value`` is the id (or the text as typed)."""

    class Picked(Message):
        """A choice was taken from the drop-down."""

        def __init__(self, picker: FuzzyPicker, ident: str | None) -> None:
            super().__init__()
            self.picker = picker
            self.ident = ident

        @property
        def control(self) -> FuzzyPicker:
            return self.picker

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.placeholder = placeholder
        self.choices: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield PickerInput(placeholder=self.placeholder, compact=True)
        yield OptionList(classes="picker-matches")

    @property
    def input(self) -> PickerInput:
        return self.query_one(PickerInput)

    @property
    def matches(self) -> OptionList:
        return self.query_one(OptionList)

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self.choices = sorted(choices, key=lambda c: c[1].lower())

    def name_of(self, ident: str | None) -> str | None:
        return next((name for i, name in self.choices if i == ident), None)

    @property
    def value(self) -> str | None:
        """The chosen id: a known id or name typed exactly, else the text as typed."""
        text = self.input.value.strip()
        if not text:
            return None
        for ident, name in self.choices:
            if text == ident or text.casefold() == name.casefold():
                return ident
        return text

    def set_value(self, ident: str | None) -> None:
        """Show ``ident`` (by its name when known) without opening the drop-down."""
        with self.input.prevent(Input.Changed):
            self.input.value = (self.name_of(ident) or ident or "") if ident else ""
        self.close()

    # --- the drop-down ---------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def close(self) -> None:
        self.remove_class("-open")

    def _fill(self, query: str) -> None:
        found = fuzzy_matches(query, self.choices)
        matcher = Matcher(query.strip()) if query.strip() else None
        options = []
        for ident, name in found:
            label = matcher.highlight(name) if matcher else Content(name)
            options.append(Option(Content.assemble(label, (f"  {ident}", "dim")), id=ident))
        matches = self.matches
        matches.clear_options()
        matches.add_options(options)
        self.set_class(bool(options), "-open")
        if options:
            matches.highlighted = 0

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self.input.has_focus and event.value.strip():
            self._fill(event.value)
        else:
            self.close()

    @on(Input.Blurred)
    def _left(self) -> None:
        self.close()

    def move_highlight(self, delta: int) -> None:
        if not self.is_open:
            self._fill(self.input.value)
            return
        matches = self.matches
        count = matches.option_count
        if count:
            current = matches.highlighted if matches.highlighted is not None else -delta
            matches.highlighted = (current + delta) % count

    def take_highlighted(self) -> bool:
        """Take the highlighted match if the drop-down is open (True if one was taken)."""
        if not self.is_open:
            return False
        matches = self.matches
        if matches.highlighted is None:
            self.close()
            return False
        option = matches.get_option_at_index(matches.highlighted)
        self.set_value(option.id)
        self.post_message(self.Picked(self, option.id))
        return True

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        # enter with the drop-down open takes a match; otherwise it applies the filters
        if self.take_highlighted():
            event.stop()

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.set_value(event.option.id)
        self.post_message(self.Picked(self, event.option.id))
        self.input.focus()
