"""How much of a drawn row must be sent again for the terminal to show a new one.

Textual sends a refreshed region of a line from the left edge of the widget's piece of
that line (a "chop") to the region's right end, so the one thing a widget can save is
the tail: ``changed_cells`` is how many cells from the left differ between the row the
terminal shows and the row that replaces it. Cells past that are the same in both (the
same character in the same style), so the terminal may keep them.
"""

from __future__ import annotations

from rich.cells import get_character_cell_size
from rich.style import Style
from textual.strip import Strip


def _cells(strip: Strip) -> tuple[str, list[Style | None]] | None:
    """The row's characters and each one's style, or None unless each is one cell wide."""
    text = strip.text
    if not text.isascii() and any(get_character_cell_size(c) != 1 for c in text):
        return None  # a wide or zero-width character: cells and characters part ways
    styles: list[Style | None] = []
    for segment in strip:
        styles.extend([segment.style] * len(segment.text))
    return text, styles


def changed_cells(old: Strip, new: Strip) -> int:
    """Cells from the left that must be repainted to turn ``old`` into ``new`` (0: none)."""
    if old is new or old == new:
        return 0
    width = max(old.cell_length, new.cell_length)
    if old.cell_length != new.cell_length:
        return width
    before, after = _cells(old), _cells(new)
    if before is None or after is None:
        return width
    (old_text, old_styles), (new_text, new_styles) = before, after
    for x in range(len(new_text) - 1, -1, -1):
        if old_text[x] != new_text[x] or old_styles[x] != new_styles[x]:
            return x + 1
    return 0
