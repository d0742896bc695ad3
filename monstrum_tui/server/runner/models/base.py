"""Choosing a provider for a bot's ``model`` string."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..session import TaskSession

SCRIPTED = "scripted"


class ProviderNotConfigured(Exception):
    """The bot's model needs a provider the server is not configured for."""


class ModelProvider(Protocol):
    async def run(self, session: TaskSession) -> str:
        """Run the task to its end; return its output."""
        ...


def provider_for(model: str, env: Mapping[str, str] | None = None) -> ModelProvider:
    """``scripted``, or an OpenAI-compatible chat-completions model named ``model``."""
    if model == SCRIPTED:
        from .scripted import ScriptedModel

        return ScriptedModel()
    env = os.environ if env is None else env
    api_key = env.get("OPENAI_API_KEY", "").strip()
    if not api_key:
        raise ProviderNotConfigured(
            f"model {model!r} needs an OpenAI-compatible provider, and none is configured: "
            "set OPENAI_API_KEY (and OPENAI_BASE_URL for a server other than OpenAI's) in "
            "the platform server's environment, or use model 'scripted'"
        )
    from .openai_chat import DEFAULT_BASE_URL, OpenAIChatModel

    base_url = env.get("OPENAI_BASE_URL", "").strip() or DEFAULT_BASE_URL
    return OpenAIChatModel(model=model, api_key=api_key, base_url=base_url)
