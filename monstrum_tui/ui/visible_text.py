"""Text a bot's model wrote, as a person must read it: nothing hidden, nothing reordered.

Params (and the values quoted in a reason) come from a model that may be hostile. A
terminal draws what follows a right-to-left override (U+202E) reversed, a zero-width or
other format character as nothing, and may take a C1 control (U+0080-U+009F) as a
command. Where a person decides on such text (an approval), each of these characters
is shown as a ``\\uXXXX`` escape instead, so what is read is what will run.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

#: control, format (bidi controls, zero-width), line/paragraph separators, private use,
#: surrogates and unassigned: characters that do not draw as themselves
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every character that would not draw as itself escaped."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        _escape(char) if unicodedata.category(char) in _HIDDEN_CATEGORIES else char
        for char in text
    )


def visible_json(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as one line of JSON (non-ASCII letters kept) with nothing hidden."""
    return visible(json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, default=str))
