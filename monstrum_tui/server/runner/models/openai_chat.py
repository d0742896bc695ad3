"""OpenAI-compatible chat completions with tool calling, streamed, over httpx.

Works with OpenAI, vLLM, Ollama, LM Studio... (``OPENAI_BASE_URL``). Content deltas
become ``message`` events as they arrive; every tool call the model asks for goes
through the session (so through governance), and its outcome — a denial with its
reason included — goes back to the model as the tool's result. The loop ends when the
model answers without calling a tool (or the step / time limit ends the task).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from ....client.sse_parser import aiter_sse
from ...redaction import Redactor, register_process_secret, shorten

if TYPE_CHECKING:
    from ..session import CallableTool, TaskSession

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_FUNCTION_NAME = re.compile(r"[^a-zA-Z0-9_-]")
#: the longest provider error a task keeps (after the key is redacted from it)
ERROR_TEXT_CHARS = 600


class ProviderError(Exception):
    """The model provider failed or answered something we cannot use."""


def function_name(tool_name: str) -> str:
    """A function name the API accepts (``^[a-zA-Z0-9_-]{1,64}$``) for a tool name."""
    return _FUNCTION_NAME.sub("__", tool_name.replace("/", "__"))[:64]


def system_prompt(session: TaskSession) -> str:
    bot = session.bot
    about = f": {bot.description}" if bot.description else ""
    return (
        f"You are {bot.name}{about}. You act only through the tools you are given. The "
        "platform decides every tool call; a denied call comes back with the reason, so "
        "adjust or explain instead of retrying the same call. When you are done, answer "
        "with a short summary of what you did and found."
    )


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class _Turn:
    content: list[str] = field(default_factory=list)
    calls: dict[int, _PendingCall] = field(default_factory=dict)
    finish_reason: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.content)


class OpenAIChatModel:
    def __init__(self, *, model: str, api_key: str, base_url: str) -> None:
        self.model = model
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        register_process_secret(api_key)  # no log line of the process carries it
        self._redactor = Redactor([api_key])

    async def run(self, session: TaskSession) -> str:
        # whatever a provider echoes back (an error, a message, a tool call's params), the
        # key never reaches the task's events, audit entries or error, in any encoding
        session.add_secret(self.api_key)
        try:
            return await self._run(session)
        except ProviderError as exc:
            raise ProviderError(shorten(self._redactor.text(str(exc)), ERROR_TEXT_CHARS)
                                ) from None

    async def _run(self, session: TaskSession) -> str:
        tools = await session.callable_tools()
        by_function = {function_name(t.name): t for t in tools}
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_prompt(session)},
            {"role": "user", "content": session.task.input},
        ]
        timeout = httpx.Timeout(120.0, connect=10.0)
        async with httpx.AsyncClient(timeout=timeout) as http:
            while True:
                turn = await self._turn(http, session, messages, tools)
                calls = [turn.calls[i] for i in sorted(turn.calls)]
                if not calls:
                    return turn.text
                messages.append(
                    {
                        "role": "assistant",
                        "content": turn.text or None,
                        "tool_calls": [
                            {
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments or "{}"},
                            }
                            for c in calls
                        ],
                    }
                )
                for call in calls:
                    content = await self._call(session, by_function, call)
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    async def _call(
        self, session: TaskSession, by_function: dict[str, CallableTool], call: _PendingCall
    ) -> str:
        known = by_function.get(call.name)
        tool_name = known.name if known else call.name.replace("__", "/", 1)
        try:
            params = json.loads(call.arguments) if call.arguments.strip() else {}
        except (ValueError, RecursionError) as exc:  # bad JSON, a huge number, deep nesting
            message = f"the arguments of {tool_name} are not valid JSON: {exc}"
            await session.problem(message, tool_name=tool_name, call_id=call.id or None)
            return json.dumps({"ok": False, "error": message})
        outcome = await session.call_tool(tool_name, params)
        return outcome.for_model()

    def _request_body(
        self, messages: list[dict[str, Any]], tools: list[CallableTool]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True}
        if tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": function_name(t.name),
                        "description": t.tool.description or t.tool.operation,
                        "parameters": t.tool.input_schema,
                    },
                }
                for t in tools
            ]
        return body

    async def _turn(
        self,
        http: httpx.AsyncClient,
        session: TaskSession,
        messages: list[dict[str, Any]],
        tools: list[CallableTool],
    ) -> _Turn:
        turn = _Turn()
        session.begin_turn()  # the text streamed from here on is one message
        url = f"{self.base_url}/chat/completions"
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "text/event-stream"}
        try:
            async with http.stream(
                "POST", url, json=self._request_body(messages, tools), headers=headers
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise ProviderError(
                        f"the model provider at {self.base_url} answered "
                        f"{response.status_code}: {_error_text(response)}"
                    )
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    # a server that ignores stream=true answers with one JSON body
                    await response.aread()
                    await self._absorb_whole(session, turn, response)
                    return turn
                # the SSE spec's line ends only: a delta holding U+2028 is one line
                async for message in aiter_sse(response.aiter_bytes()):
                    if message.comment:
                        continue
                    data = message.data.strip(" \t\r\n")
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except json.JSONDecodeError as exc:
                        raise ProviderError(f"the model provider sent bad JSON: {exc}") from exc
                    await self._absorb_chunk(session, turn, chunk)
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"cannot reach the model provider at {self.base_url}: "
                f"{exc or type(exc).__name__}"
            ) from exc
        return turn

    async def _absorb_chunk(self, session: TaskSession, turn: _Turn, chunk: Any) -> None:
        if isinstance(chunk, dict) and isinstance(chunk.get("error"), dict):
            raise ProviderError(f"the model provider failed: {chunk['error'].get('message')}")
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                turn.content.append(text)
                await session.message(text)
            for part in delta.get("tool_calls") or []:
                pending = turn.calls.setdefault(int(part.get("index", 0)), _PendingCall())
                pending.id = part.get("id") or pending.id
                function = part.get("function") or {}
                pending.name += function.get("name") or ""
                pending.arguments += function.get("arguments") or ""
            if choice.get("finish_reason"):
                turn.finish_reason = choice["finish_reason"]

    async def _absorb_whole(
        self, session: TaskSession, turn: _Turn, response: httpx.Response
    ) -> None:
        try:
            body = response.json()
            message = body["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError("the model provider's answer has no choices[0].message") from exc
        if message.get("content"):
            turn.content.append(message["content"])
            await session.message(message["content"])
        for i, call in enumerate(message.get("tool_calls") or []):
            function = call.get("function") or {}
            turn.calls[i] = _PendingCall(
                id=call.get("id") or f"call_{i}",
                name=function.get("name") or "",
                arguments=function.get("arguments") or "",
            )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return str(body["error"].get("message"))
    except ValueError:
        pass
    # whole: ``run`` redacts the key first and only then shortens the text
    return response.text or response.reason_phrase
