"""Names on the command line: every ``BOT`` or ``RESOURCE`` argument takes an id or a name.

The rule itself lives in the client layer (``client.bots.resolve``), shared with the
dashboard; here it is only called, and ids are shown with their names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..client.errors import NotFoundError
from ..client.names import pick_named

if TYPE_CHECKING:
    from ..client import Client


def bot_id(client: Client, ref: str, *, history: bool = False) -> str:
    """The id of the bot ``ref`` names (exactly: an unknown name is an error).

    ``history``: looking up the past (audit, tasks), the id of a deleted bot still counts.
    """
    try:
        return client.bots.resolve(ref).id
    except NotFoundError:
        if history and ref.startswith("bot_"):
            return ref
        raise


def resource_id(client: Client, ref: str, *, history: bool = False) -> str:
    """The id of the resource ``ref`` names (exactly); ``history`` as for ``bot_id``."""
    try:
        return client.resources.resolve(ref).id
    except NotFoundError:
        if history and ref.startswith("res_"):
            return ref
        raise


def key_id(client: Client, ref: str) -> str:
    """The id of the API key ``ref`` names (its id or its exact name)."""
    if ref.startswith("key_"):
        return ref
    return pick_named(ref, ((k.id, k.name) for k in client.api_keys.list()), kind="API key")


def bot_names(client: Client, ids: Iterable[str]) -> dict[str, str]:
    """Names of these bots; a deleted bot keeps its id as its name."""
    names: dict[str, str] = {}
    for ident in dict.fromkeys(ids):
        try:
            names[ident] = client.bots.get(ident).name
        except NotFoundError:
            names[ident] = ident
    return names


def named(ident: str | None, names: dict[str, str]) -> str:
    """``name (id)``, or just the id when the name is not known."""
    if not ident:
        return ""
    name = names.get(ident)
    return f"{name} ({ident})" if name and name != ident else ident
