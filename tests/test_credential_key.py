"""The credentials key: created 0600 in the data dir, or taken from MONSTRUM_SECRET_KEY."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from monstrum_tui.server.credentials import CredentialCipher, SecretKeyError


def test_the_key_file_is_created_once_and_private(tmp_path) -> None:
    cipher = CredentialCipher.for_data_dir(tmp_path)
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = cipher.encrypt({"token": "abc-123"})
    assert "abc-123" not in token
    again = CredentialCipher.for_data_dir(tmp_path)
    assert again.decrypt(token) == {"token": "abc-123"}


def test_the_environment_key_wins_and_no_file_is_written(tmp_path, monkeypatch) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("MONSTRUM_SECRET_KEY", key)
    token = CredentialCipher.for_data_dir(tmp_path).encrypt({"t": "v"})
    assert not (tmp_path / "secret.key").exists()
    assert Fernet(key.encode()).decrypt(token.encode()) == b'{"t":"v"}'


def test_a_malformed_environment_key_is_refused_saying_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MONSTRUM_SECRET_KEY", "not-a-key")
    with pytest.raises(SecretKeyError) as err:
        CredentialCipher.for_data_dir(tmp_path)
    assert str(err.value).startswith("MONSTRUM_SECRET_KEY is not a Fernet key")
    assert "Fernet.generate_key()" in str(err.value)


def test_credentials_under_another_key_cannot_be_opened(tmp_path) -> None:
    token = CredentialCipher(Fernet(Fernet.generate_key())).encrypt({"t": "v"})
    with pytest.raises(SecretKeyError) as err:
        CredentialCipher.for_data_dir(tmp_path).decrypt(token)
    assert "cannot be decrypted with this secret key" in str(err.value)
