"""The SSE parser against the spec: lines end at CR, LF and CRLF only, in every field."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from monstrum_tui.client.sse_parser import (
    LineSplitter,
    ServerSentEvent,
    SSEDecoder,
    aiter_sse,
    iter_sse,
)

#: every character Python's str.splitlines() (and so httpx's aiter_lines()) breaks a line
#: at besides CR and LF, and the unit separator for good measure
LOOKALIKES = "\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"


def parse(text: str) -> list[ServerSentEvent]:
    return list(iter_sse([text]))


def parse_bytes(chunks: list[bytes]) -> list[ServerSentEvent]:
    async def collect() -> list[ServerSentEvent]:
        async def source():
            for chunk in chunks:
                yield chunk

        return [m async for m in aiter_sse(source())]

    return asyncio.run(collect())


def test_the_lookalikes_are_what_splitlines_breaks_at() -> None:
    """The premise: each of them does cut a line for splitlines()."""
    for ch in LOOKALIKES.replace("\x1f", ""):
        assert len(f"a{ch}b".splitlines()) == 2, repr(ch)


def test_lookalikes_stay_inside_every_field() -> None:
    for ch in LOOKALIKES:
        text = (
            f": keep{ch}alive\n"
            f"event: up{ch}date\n"
            f"id: 4{ch}2\n"
            f"data: {json.dumps({'path': f'a{ch}b'}, ensure_ascii=False)}\n"
            f"data: second{ch}line\n"
            "\n"
        )
        comment, message = parse(text)
        assert comment.comment and comment.data == f"keep{ch}alive"
        assert message.event == f"up{ch}date" and message.id == f"4{ch}2"
        first, second = message.data.split("\n")
        assert json.loads(first) == {"path": f"a{ch}b"} and second == f"second{ch}line"


def test_cr_lf_and_crlf_all_end_lines() -> None:
    for end in ("\n", "\r", "\r\n"):
        text = end.join(["event: e", "data: one", "data: two", "", "data: three", "", ""])
        assert [(m.event, m.data) for m in parse(text)] == [("e", "one\ntwo"), ("message", "three")]
    mixed = "data: a\rdata: b\r\ndata: c\n\r\n"
    assert [m.data for m in parse(mixed)] == ["a\nb\nc"]


def test_a_crlf_cut_between_two_chunks_is_one_line_end() -> None:
    splitter = LineSplitter()
    assert splitter.feed("data: a\r") == ["data: a"]
    assert splitter.feed("\ndata: b\r") == ["data: b"]  # the LF completes the CRLF
    assert splitter.feed("\r") == [""]  # a second CR is an empty line
    assert splitter.feed("x\n") == ["x"]
    assert [m.data for m in iter_sse(["data: a\r", "\n", "\r", "\n"])] == ["a"]


def test_field_rules() -> None:
    text = (
        "data\n"  # no colon: the field name is the line, the value empty
        "data:no-space\n"
        "data:  two spaces\n"  # only one leading space is removed
        "ignored: field\n"
        "\n"
    )
    assert parse(text)[0].data == "\nno-space\n two spaces"
    assert parse("event: only\n\n") == []  # no data, no event
    assert parse("data:\n\n")[0].data == ""  # an empty data line is still data
    assert parse("data: open, never closed") == []  # the stream ended inside the event


def test_id_carries_over_and_nul_ids_are_ignored() -> None:
    first, second, third = parse("id: 7\ndata: a\n\ndata: b\n\nid: 8\0\ndata: c\n\n")
    assert (first.id, second.id, third.id) == ("7", "7", "7")


def test_retry_takes_ascii_digits_only() -> None:
    assert parse("retry: 1500\ndata: x\n\n")[0].retry == 1500
    for bad in ("1.5", "²", "١٢", "-1", "", "10 "):
        assert parse(f"retry: {bad}\ndata: x\n\n")[0].retry is None, bad


def test_a_bom_is_dropped_only_at_the_start() -> None:
    assert parse("\ufeffdata: x\n\n")[0].data == "x"
    assert parse_bytes([b"\xef\xbb", b"\xbfdata: x\n\n"])[0].data == "x"
    assert parse("data: \ufeffx\n\n")[0].data == "\ufeffx"


def test_utf8_cut_anywhere_between_chunks() -> None:
    body = f"data: {LOOKALIKES}é中😀\r\n\r\n".encode()
    for cut in range(1, len(body)):
        messages = parse_bytes([body[:cut], body[cut:]])
        assert [m.data for m in messages] == [f"{LOOKALIKES}é中😀"], cut


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert parse_bytes([b"data: \xff\xfe\n\n"])[0].data == "\ufffd\ufffd"


_value = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from("abc" + LOOKALIKES), min_size=1, max_size=5),
            st.lists(_value, min_size=1, max_size=3),
        ),
        max_size=5,
    ),
    end=st.sampled_from(["\n", "\r", "\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_any_stream_cut_anywhere_parses_to_what_was_sent(events, end, cuts) -> None:
    text = "".join(
        f"event: {name}{end}" + "".join(f"data: {d}{end}" for d in data) + end
        for name, data in events
    )
    body = text.encode()
    points = sorted({c % (len(body) + 1) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    got = [(m.event, m.data) for m in parse_bytes(chunks)]
    assert got == [(name, "\n".join(data)) for name, data in events]


_line = st.one_of(
    st.just(""),
    st.builds(lambda name, sep, value: f"{name}{sep}{value}",
              st.sampled_from(["data", "event", "id", "retry", "x", ":", "", "dat"]),
              st.sampled_from([": ", ":", ":  ", " ", ""]),
              st.one_of(_value, st.sampled_from(["7", "\0", "a\0b", "²"]))),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_line, max_size=30), split=st.integers(min_value=0, max_value=30))
def test_many_lines_at_once_parse_as_one_at_a_time(lines, split) -> None:
    """A chunk's lines taken in one pass (``SSEDecoder.lines``) give exactly the messages,
    comments and last id that the one-line-at-a-time rules give."""
    one = SSEDecoder()
    expected = [m for line in lines if (m := one.line(line)) is not None]
    many = SSEDecoder()
    got = many.lines(lines[:split]) + many.lines(lines[split:])
    assert got == expected
    assert many.last_event_id == one.last_event_id
