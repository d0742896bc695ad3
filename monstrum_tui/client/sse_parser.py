"""Server-Sent Events as the spec reads them (HTML Living Standard, "event stream parsing").

Lines end at CR, LF or CRLF and nowhere else: ``str.splitlines()`` and httpx's
``aiter_lines()`` also break at U+2028, U+2029, U+0085, VT, FF and the file/group/record
separators, which cuts a JSON ``data:`` payload holding one of them in two. The stream is
UTF-8 whatever the headers say; a leading BOM is dropped; an event still open when the
stream ends is discarded (the connection broke in the middle of it).

One home for this rule: the client's task event stream and the server's OpenAI-compatible
provider both parse with it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

_LINE_END = re.compile("\r\n|\r|\n")
_BOM = "\ufeff"


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched SSE message; ``comment`` marks a ``:`` line (a keep-alive)."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None
    comment: bool = False


class LineSplitter:
    """Cuts text arriving in arbitrary chunks into lines, at CR, LF and CRLF only.

    A CR at the end of one chunk may be the first half of a CRLF: the LF that may open
    the next chunk is then not a second, empty line.
    """

    def __init__(self) -> None:
        self._partial = ""
        self._after_cr = False

    def feed(self, text: str) -> list[str]:
        """The lines completed by ``text``, without their line ends."""
        if not text:
            return []
        if self._after_cr:
            self._after_cr = False
            if text[0] == "\n":
                text = text[1:]
        buffer = self._partial + text
        # str.split is several times faster than the regex, and LF-only is the common case
        lines = _LINE_END.split(buffer) if "\r" in buffer else buffer.split("\n")
        self._partial = lines.pop()
        self._after_cr = buffer.endswith("\r")
        return lines


class SSEDecoder:
    """Assembles lines into messages by the spec's field rules."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._last_id: str | None = None
        self._retry: int | None = None

    @property
    def last_event_id(self) -> str | None:
        """The id in force (it carries over from one message to the next)."""
        return self._last_id

    def line(self, line: str) -> ServerSentEvent | None:
        """Take one line; the message it completes, a comment, or None."""
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return ServerSentEvent(event="", data=line[1:].strip(" "), comment=True)
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            # ASCII digits only: str.isdigit() alone also accepts "²" and other scripts' digits
            self._retry = int(value)
        return None  # any other field name is ignored, as the spec says

    def lines(self, lines: list[str]) -> list[ServerSentEvent]:
        """Take many lines at once (a chunk's): the messages and comments they complete.

        The same rules as ``line``, in one pass: a busy stream brings hundreds of
        messages per chunk, and a method call per line was most of the parsing."""
        out: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if line.startswith("data: "):  # the common field first, as the server sends it
                data.append(line[6:])
            elif line.startswith("id: ") and "\0" not in line:
                self._last_id = line[4:]
            elif line.startswith("event: "):
                self._event = line[7:]
            else:
                message = self.line(line)
                if message is not None:
                    out.append(message)
                data = self._data  # a dispatch starts a new data list
        return out

    def _dispatch(self) -> ServerSentEvent | None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry = [], "", None
        if not data:
            return None  # the spec: no data, no event (the event type is dropped too)
        return ServerSentEvent(event or "message", "\n".join(data), self._last_id, retry)


def iter_sse(chunks: Iterable[str]) -> Iterator[ServerSentEvent]:
    """The messages (and comments) in a stream given as text chunks."""
    splitter, decoder = LineSplitter(), SSEDecoder()
    first = True
    for chunk in chunks:
        if first and chunk:
            first = False
            chunk = chunk.removeprefix(_BOM)
        yield from decoder.lines(splitter.feed(chunk))


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """The messages (and comments) in a byte stream, e.g. ``response.aiter_bytes()``."""
    decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
    splitter, decoder = LineSplitter(), SSEDecoder()
    first = True
    async for chunk in chunks:
        text = decode(chunk)
        if first and text:
            first = False
            text = text.removeprefix(_BOM)
        for message in decoder.lines(splitter.feed(text)):
            yield message  # (an async generator has no ``yield from``)
