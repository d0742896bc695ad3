"""What each executor's named actions need from a manifest, as data.

Kept apart from the executors so the manifest checks can read it without loading them
(and without an import cycle): each executor class takes its ``actions`` from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    """What a named action (``filesystem.read``) needs from the manifest."""

    #: properties the tool's input_schema must declare
    params: tuple[str, ...] = ()
    #: fields the manifest's config_schema must declare
    config: tuple[str, ...] = ()


#: executor kind -> its named actions; ``http`` has none (it runs a tool's http: block)
ACTIONS: dict[str, dict[str, ActionSpec]] = {
    "http": {},
    "filesystem": {
        "list": ActionSpec(params=(), config=("root",)),
        "read": ActionSpec(params=("path",), config=("root",)),
        "search": ActionSpec(params=("query",), config=("root",)),
    },
    "shell": {
        "run": ActionSpec(params=("command",), config=("allowed_commands",)),
    },
    # ``executor: mcp`` names no action: the tool's ``mcp:`` block names the server's tool
    "mcp": {},
}

#: ``KIND.ACTION`` -> what it needs (the names manifests may write as ``executor:``)
ACTION_SPECS: dict[str, ActionSpec] = {
    f"{kind}.{action}": spec
    for kind, actions in ACTIONS.items()
    for action, spec in actions.items()
}
