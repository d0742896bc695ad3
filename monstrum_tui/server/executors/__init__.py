"""Executors: what actually runs when a governed tool call is allowed.

- ``http``: a declarative request from the tool's ``http`` block (``http.py``);
- built-in Python executors, named in a manifest as ``executor: BUILTIN.ACTION``
  (``filesystem.list|read|search``, ``shell.run``).

This module only describes the built-ins (so manifests can be checked without
loading them); ``registry.py`` maps names to the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinSpec:
    """What a built-in action needs from the manifest."""

    #: properties the tool's input_schema must declare
    params: tuple[str, ...]
    #: fields the manifest's config_schema must declare
    config: tuple[str, ...]


BUILTIN_ACTIONS: dict[str, BuiltinSpec] = {
    "filesystem.list": BuiltinSpec(params=(), config=("root",)),
    "filesystem.read": BuiltinSpec(params=("path",), config=("root",)),
    "filesystem.search": BuiltinSpec(params=("query",), config=("root",)),
    "shell.run": BuiltinSpec(params=("command",), config=("allowed_commands",)),
}
