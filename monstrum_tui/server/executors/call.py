"""What an executor is given (``ExecutorCall``) and how it says a call failed or was refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...client.models import Decision
from ..governance.guard import ScopeGuard
from ..manifests.model import Manifest, ToolSpec
from .confinement import PrivateZone


class ToolFailure(Exception):
    """The tool ran (or tried to) but did not succeed; ``data`` is what there is to show.

    Messages may carry what an upstream echoed, in full: the platform redacts secrets
    *before* it shortens them, so executors never cut text themselves.
    """

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class ToolRefused(Exception):
    """Confinement refused the call before anything was touched (a resolved path out of
    scope, a URL leaving ``api_base``...): it is a denial, audited as such."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.message)
        self.decision = decision


@dataclass
class ExecutorCall:
    manifest: Manifest
    tool: ToolSpec
    #: the named action (``read`` of ``filesystem.read``), None for http
    action: str | None
    resource_id: str
    params: dict[str, Any]
    config: dict[str, Any]
    #: decrypted; handed to the executor only, never logged or returned
    credentials: dict[str, Any] = field(repr=False)
    #: the binding's scope, for values the executor derives (a symlink's real target...)
    guard: ScopeGuard = field(default_factory=ScopeGuard.allow_all)
    #: places no resource may reach (the platform's data dir)
    private: PrivateZone = field(default_factory=PrivateZone.empty)
    timeout: float = 30.0
    #: values derived from credentials (an encoded basic-auth token...) to redact as well
    derived_secrets: list[str] = field(default_factory=list, repr=False)

    def refuse(self, message: str, *, check: str = "confinement", **fields: Any) -> ToolRefused:
        """A ``ToolRefused`` for this call, worded as a denial."""
        return ToolRefused(
            Decision(
                allowed=False, check=check, message=message, tool_name=self.tool.name,
                resource_id=self.resource_id, operation=self.tool.operation, **fields,
            )
        )
