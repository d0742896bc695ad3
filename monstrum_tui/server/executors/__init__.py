"""Executors: what actually runs when a governed tool call is allowed (DESIGN §3).

Every executor implements ``protocol.ToolExecutor`` and is registered once, in
``registry.py``: ``http`` (a tool's declarative ``http:`` block), and built-ins named in
a manifest as ``executor: KIND.ACTION`` (``filesystem.list|read|search``,
``shell.run``). ``actions.py`` describes the named actions for the manifest checks.
"""

from __future__ import annotations

from .actions import ACTION_SPECS, ActionSpec

__all__ = ["ACTION_SPECS", "ActionSpec"]
