"""``scripted``: runs the ``call TOOL {JSON}`` lines of the input, in order.

Offline and deterministic, for pipelines, demos and tests. ``call RESOURCE_ID/TOOL
{...}`` names the resource when two bindings offer the tool. Two more directives help
demos and tests: ``say TEXT`` emits a message, ``wait SECONDS`` pauses. Every other
line is ignored.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...calls import ToolOutcome
    from ..session import TaskSession

_CALL = re.compile(r"^\s*call\s+(?P<tool>[^\s{]+)\s*(?P<params>.*?)\s*$")
_SAY = re.compile(r"^\s*say\s+(?P<text>.+?)\s*$")
_WAIT = re.compile(r"^\s*wait\s+(?P<seconds>\d+(\.\d+)?)\s*$")
MAX_WAIT = 3600.0
#: lines end at CR, LF or CRLF only: str.splitlines() would also cut a line at U+2028,
#: U+0085 and the like, which a say text or a JSON string may hold
_LINE_END = re.compile("\r\n|\r|\n")
SUMMARY_WIDTH = 300


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 1] + "…"


def summarise(outcomes: list[ToolOutcome]) -> str:
    """The task output: one line per call and a count."""
    if not outcomes:
        return "no tool calls: the input has no 'call TOOL {JSON}' lines"
    ok = sum(o.status == "ok" for o in outcomes)
    denied = sum(o.status == "denied" for o in outcomes)
    failed = len(outcomes) - ok - denied
    lines = [f"{len(outcomes)} tool call(s): {ok} ok, {denied} denied, {failed} failed"]
    for i, o in enumerate(outcomes, 1):
        if o.status == "ok":
            lines.append(f"{i}. {o.tool_name}: ok: {_short(o.data)}")
        else:
            lines.append(f"{i}. {o.tool_name}: {o.status}: {_short(o.error or '')}")
    return "\n".join(lines)


def _parses(raw: str) -> bool:
    try:
        json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return False
    return True


class ScriptedModel:
    #: a run taken over by another server goes on after what it had done
    resumable = True

    async def run(self, session: TaskSession) -> str:
        outcomes: list[ToolOutcome] = []
        # what the server that stopped already did (its calls, its say lines) is skipped,
        # so nothing is said or called twice; lines after it run
        calls_done = session.resume_after.calls
        said = session.resume_after.messages
        for number, line in enumerate(_LINE_END.split(session.task.input), 1):
            if calls_done > 0 or said > 0:
                if (m := _CALL.match(line)) and _parses(m["params"]) and calls_done > 0:
                    calls_done -= 1
                elif _SAY.match(line) and said > 0:
                    said -= 1
                continue
            if m := _CALL.match(line):
                tool, raw = m["tool"], m["params"]
                try:
                    params = json.loads(raw) if raw else {}
                except (ValueError, RecursionError) as exc:  # bad JSON, a huge number, deep nesting
                    await session.problem(
                        f"line {number}: the params of 'call {tool}' are not valid JSON: {exc}",
                        tool_name=tool,
                    )
                    continue
                outcomes.append(await session.call_tool(tool, params))
            elif m := _SAY.match(line):
                session.begin_turn()  # each say line is a message of its own
                await session.message(m["text"])
            elif m := _WAIT.match(line):
                await session.pause(min(float(m["seconds"]), MAX_WAIT))
        summary = summarise(outcomes)
        if session.resume_after.calls or session.resume_after.messages:
            summary = (f"resumed after {session.resume_after.calls} call(s) decided by a "
                       f"server that stopped; since then: {summary}")
        return summary
