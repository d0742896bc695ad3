"""Who may use the web console: the login token, and the sessions it opens.

textual-serve has no authentication, so the console puts this in front of it:
a browser proves it knows the token once, gets an opaque session cookie, and
only a request with a live session may open the websocket that starts an app.
Nothing here ever holds the platform's API key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...client.config import config_path, load_config_file
from ...client.errors import ConfigurationError

TOKEN_ENV = "MONSTRUM_WEB_TOKEN"
#: a configured token shorter than this is refused: it could be guessed
MIN_TOKEN_LENGTH = 16
#: a login lasts this long (seconds), then the browser must enter the token again
SESSION_LIFETIME = 12 * 3600.0
#: the most logins kept at once; the oldest is forgotten first
MAX_LOGINS = 256
COOKIE_NAME = "monstrum_console"


@dataclass(frozen=True)
class ConsoleToken:
    """The token a browser must enter, and where it came from (for the start-up message)."""

    value: str = field(repr=False)
    source: str  # "generated", or the env var / config file that set it

    @property
    def generated(self) -> bool:
        return self.source == "generated"

    def matches(self, candidate: str) -> bool:
        """Constant-time comparison (of digests, so the length does not leak either)."""
        return hmac.compare_digest(_digest(candidate), _digest(self.value))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def resolve_token(environ: Mapping[str, str] | None = None) -> ConsoleToken:
    """``MONSTRUM_WEB_TOKEN``, else ``[web] token`` in the config file, else a fresh random one.

    Raises ``ConfigurationError`` for a configured token that is too short or not a string.
    """
    env = os.environ if environ is None else environ
    if env.get(TOKEN_ENV):
        return ConsoleToken(_checked(env[TOKEN_ENV].strip(), TOKEN_ENV), TOKEN_ENV)
    section = load_config_file().get("web")
    if isinstance(section, dict) and "token" in section:
        where = f"[web] token in {config_path()}"
        value = section["token"]
        if not isinstance(value, str):
            raise ConfigurationError(f"{where} must be a string")
        return ConsoleToken(_checked(value.strip(), where), where)
    return ConsoleToken(secrets.token_urlsafe(24), "generated")


def _checked(value: str, where: str) -> str:
    if len(value) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            f"{where} is too short to keep the console safe: use at least "
            f"{MIN_TOKEN_LENGTH} characters (or unset it and a random token is printed at start)"
        )
    return value


class LoginSessions:
    """The session cookies handed out after a correct token; kept hashed, in memory only."""

    def __init__(
        self,
        *,
        lifetime: float = SESSION_LIFETIME,
        limit: int = MAX_LOGINS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime = lifetime
        self.limit = limit
        self._clock = clock
        self._expiry: dict[bytes, float] = {}

    def open(self) -> str:
        """A new session id for a cookie (the caller has checked the token)."""
        self._forget_expired()
        while len(self._expiry) >= self.limit:
            oldest = min(self._expiry, key=self._expiry.__getitem__)
            del self._expiry[oldest]
        session_id = secrets.token_urlsafe(32)
        self._expiry[_digest(session_id)] = self._clock() + self.lifetime
        return session_id

    def valid(self, session_id: str | None) -> bool:
        if not session_id:
            return False
        expiry = self._expiry.get(_digest(session_id))
        if expiry is None:
            return False
        if expiry <= self._clock():
            del self._expiry[_digest(session_id)]
            return False
        return True

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._expiry.pop(_digest(session_id), None)

    def __len__(self) -> int:
        self._forget_expired()
        return len(self._expiry)

    def _forget_expired(self) -> None:
        now = self._clock()
        for key in [k for k, expiry in self._expiry.items() if expiry <= now]:
            del self._expiry[key]


def is_loopback(host: str) -> bool:
    """Whether a host name or address only ever means this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def hostname(host: str) -> str:
    """The name in a Host header, without its port (and brackets, for IPv6)."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def cookie_attributes(*, secure: bool) -> dict[str, Any]:
    """How the session cookie is set: out of reach of scripts, never sent cross-site."""
    return {"httponly": True, "samesite": "Strict", "path": "/", "secure": secure}
