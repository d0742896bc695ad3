"""What an executor is given (``ExecutorCall``) and how it says a call failed (``ToolFailure``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..manifests.model import Manifest, ToolSpec


class ToolFailure(Exception):
    """The tool ran but did not succeed; ``data`` is what there is to show (status, body)."""

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


@dataclass
class ExecutorCall:
    manifest: Manifest
    tool: ToolSpec
    resource_id: str
    params: dict[str, Any]
    config: dict[str, Any]
    #: decrypted; handed to the executor only, never logged or returned
    credentials: dict[str, Any] = field(repr=False)
    timeout: float = 30.0
    #: values derived from credentials (an encoded basic-auth token...) to redact as well
    derived_secrets: list[str] = field(default_factory=list, repr=False)
