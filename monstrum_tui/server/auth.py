"""API keys: generation, hashing and the scope rules."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from ..client.models import MCP_BOT_SCOPE_PREFIX, SCOPES, scope_grants

KEY_PREFIX = "mst_"


def generate_key() -> str:
    """A new secret API key: ``mst_`` and 43 URL-safe random characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(secret: str) -> str:
    """The stored form of a key. Keys are 256-bit random, so a plain SHA-256 is enough."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_matches(secret: str, stored_hash: str) -> bool:
    """Compare a presented key with a stored hash in constant time."""
    return hmac.compare_digest(hash_key(secret), stored_hash)


#: ``mcp:call:BOT_ID``: the key may act as that one bot over MCP
_MCP_BOT_SCOPE = re.compile(re.escape(MCP_BOT_SCOPE_PREFIX) + r"bot_[a-z0-9]{1,40}$")


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in SCOPES and not _MCP_BOT_SCOPE.match(s)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the API key's id, name and scopes."""

    key_id: str
    name: str
    scopes: tuple[str, ...]

    def allows(self, scope: str) -> bool:
        return scope_grants(self.scopes, scope)
