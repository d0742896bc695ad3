"""Resources' credentials, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The key is ``MONSTRUM_SECRET_KEY`` if set, else ``DATA_DIR/secret.key`` (mode 0600,
created on first start). Credentials are decrypted only to run a tool.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from .datadir import write_private

SECRET_KEY_FILE = "secret.key"
SECRET_KEY_ENV = "MONSTRUM_SECRET_KEY"


class SecretKeyError(RuntimeError):
    """The encryption key is missing, malformed, or does not open the stored credentials."""


def _fernet(key: str, source: str) -> Fernet:
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise SecretKeyError(
            f"{source} is not a Fernet key (32 url-safe base64-encoded bytes); make one with: "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from exc


class CredentialCipher:
    """Encrypts a resource's credentials (a JSON object) into one opaque token."""

    def __init__(self, fernet: Fernet) -> None:
        self._fernet = fernet

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> CredentialCipher:
        """The key from the environment, or the data dir's key file (created if missing)."""
        env = os.environ.get(SECRET_KEY_ENV)
        if env:
            return cls(_fernet(env, SECRET_KEY_ENV))
        path = data_dir / SECRET_KEY_FILE
        if not path.exists():
            write_private(path, Fernet.generate_key().decode("ascii") + "\n")
        return cls(_fernet(path.read_text(encoding="ascii"), str(path)))

    def encrypt(self, values: dict[str, Any]) -> str:
        raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return self._fernet.encrypt(raw).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        if not token:
            return {}
        try:
            values = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken as exc:
            raise SecretKeyError(
                "the stored credentials cannot be decrypted with this secret key (was "
                f"{SECRET_KEY_ENV} or {SECRET_KEY_FILE} changed?)"
            ) from exc
        return values if isinstance(values, dict) else {}
