"""The one protocol every executor implements (DESIGN §3), and what a manifest asks of one.

An executor is registered once (``registry.py``) and has a ``kind``: ``http`` for a
tool's ``http:`` block, or the part before the dot of ``executor: KIND.ACTION``. The
platform asks it, in this order:

- at upload, what each named action needs from the manifest (``actions``);
- before a resource is saved, and before every call, whether the resource's config can
  be run safely (``config_problems``: e.g. a folder that would expose the data dir);
- for each allowed call, to ``run`` it: confinement (resolved paths, the final URL,
  every form of an argument) lives in ``run``, with the call's ``ScopeGuard`` for the
  values it derives, and any refusal raises ``ToolRefused``;
- ``start``/``stop`` with the platform (pools, sessions, child processes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

from .actions import ActionSpec
from .call import ExecutorCall
from .confinement import PrivateZone


@runtime_checkable
class ToolExecutor(Protocol):
    """Runs allowed tool calls of one kind; confinement is its job, done in ``run``."""

    kind: ClassVar[str]
    #: named actions, for ``executor: KIND.ACTION``; empty for ``http``
    actions: ClassVar[Mapping[str, ActionSpec]]

    def config_problems(self, config: Mapping[str, Any], private: PrivateZone) -> list[str]:
        """Why a resource with this config must not run (empty when it may)."""
        ...

    async def run(self, call: ExecutorCall) -> Any:
        """Run one allowed call: its JSON-ready result, or raise ``ToolFailure``/``ToolRefused``."""
        ...

    async def start(self) -> None:
        """Acquire what calls share (a connection pool...); called once at start-up."""
        ...

    async def stop(self) -> None:
        """Release it; called once at shut-down."""
        ...
