"""Which actions a key may take: write actions declare the scope they need, as data.

A screen (or widget) lists its write actions in ``WRITE_ACTIONS`` (action -> scope).
For a key without that scope the footer leaves them out, and pressing one says why
instead of doing nothing. The scope rule itself is the client's (``scope_grants``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ..client.models import scope_grants

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode


def required_scope(node: DOMNode, action: str) -> str | None:
    """The scope ``node``'s ``action`` needs, if it is a write action."""
    actions: dict[str, str] = getattr(node, "WRITE_ACTIONS", {}) or {}
    return actions.get(action)


def key_scopes(app: App[Any]) -> tuple[str, ...] | None:
    """The connected key's scopes (None before the first answer from the server)."""
    return cast("tuple[str, ...] | None", getattr(app, "key_scopes", None))


def missing_scope(app: App[Any], node: DOMNode, action: str) -> str | None:
    """The scope the key lacks for this action, or None when it may (or it is not known)."""
    scope = required_scope(node, action)
    scopes = key_scopes(app)
    if scope is None or scopes is None or scope_grants(scopes, scope):
        return None
    return scope


def refuse(node: DOMNode, action: str, what: str) -> bool:
    """True (and the user told why) if the key may not ``what``; call first in the action."""
    app = node.app
    scope = missing_scope(app, node, action)
    if scope is None:
        return False
    name = getattr(getattr(app, "connection", None), "key_name", "") or "this key"
    app.notify(f"{what} needs the {scope} scope; the key {name!r} does not have it "
               "(it is read-only here)", title="read-only key", severity="warning", timeout=5)
    return True
