"""The executors, registered once: which one runs a tool, and their start and stop."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ..manifests.model import ToolSpec
from .confinement import PrivateZone
from .filesystem import FilesystemExecutor
from .http import HttpExecutor
from .mcp import McpExecutor
from .protocol import ToolExecutor
from .shell import ShellExecutor

log = logging.getLogger("monstrum.executors")

#: the executor classes of the platform; a new kind is one more entry here
EXECUTOR_CLASSES: tuple[type[ToolExecutor], ...] = (
    HttpExecutor, FilesystemExecutor, ShellExecutor, McpExecutor,
)



def split_executor(name: str) -> tuple[str, str | None]:
    """``filesystem.read`` -> ``("filesystem", "read")``; ``mcp`` -> ``("mcp", None)``."""
    kind, _, action = name.partition(".")
    return kind, action or None


class ExecutorRegistry:
    """One instance of each executor kind for the platform's life."""

    def __init__(self, executors: Iterable[ToolExecutor]) -> None:
        self._by_kind: dict[str, ToolExecutor] = {}
        for executor in executors:
            if executor.kind in self._by_kind:
                raise ValueError(f"two executors of kind {executor.kind!r}")
            self._by_kind[executor.kind] = executor

    @classmethod
    def default(cls) -> ExecutorRegistry:
        return cls(factory() for factory in EXECUTOR_CLASSES)

    def get(self, kind: str) -> ToolExecutor | None:
        """The executor of a kind (``mcp``...), if registered."""
        return self._by_kind.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._by_kind)

    def for_tool(self, spec: ToolSpec) -> tuple[ToolExecutor, str | None] | None:
        """The executor of a tool and its action, or None when it declares none we run."""
        if spec.http is not None:
            found = self._by_kind.get(HttpExecutor.kind)
            return (found, None) if found is not None else None
        if spec.executor is None:
            return None
        kind, action = split_executor(spec.executor)
        executor = self._by_kind.get(kind)
        if executor is None:
            return None
        if executor.actions and action not in executor.actions:
            return None
        return executor, action

    def config_problems(
        self, tools: Iterable[ToolSpec], config: Mapping[str, Any], private: PrivateZone
    ) -> list[str]:
        """Why a resource with ``config`` must not run its tools' executors."""
        problems: list[str] = []
        seen: set[str] = set()
        for spec in tools:
            found = self.for_tool(spec)
            if found is None or found[0].kind in seen:
                continue
            seen.add(found[0].kind)
            problems.extend(found[0].config_problems(config, private))
        return problems

    async def start(self) -> None:
        for executor in self._by_kind.values():
            await executor.start()

    async def stop(self) -> None:
        for executor in self._by_kind.values():
            try:
                await executor.stop()
            except Exception:  # one executor failing to stop must not keep others running
                log.exception(
                    "executor %s did not stop cleanly", executor.kind
                )
