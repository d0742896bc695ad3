"""Where the client's settings come from: argument > environment > config file profile."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import monstrum
from monstrum.exceptions import ConfigurationError
from monstrum_tui.client.config import (
    DEFAULT_API_BASE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    config_path,
    profile_names,
    resolve_settings,
)

CONFIG = """
[default]
api_key = "mst_from_file_default"
api_base = "http://file-default.example:8400"
timeout = 12.5
max_retries = 4

[team]
api_key = "mst_from_file_team"
api_base = "https://team.example"
"""


@pytest.fixture
def config_file() -> Path:
    """The config file the isolated environment points at (``MONSTRUM_CONFIG``)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_the_config_file_lives_where_the_guide_says(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MONSTRUM_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path() == tmp_path / ".monstrum" / "config.toml"


def test_nothing_configured_gives_defaults_and_no_key() -> None:
    s = resolve_settings()
    assert (s.api_key, s.api_base, s.profile) == (None, DEFAULT_API_BASE, "default")
    assert (s.timeout, s.max_retries) == (DEFAULT_TIMEOUT, DEFAULT_MAX_RETRIES)
    assert (DEFAULT_TIMEOUT, DEFAULT_MAX_RETRIES) == (30.0, 2)


def test_the_default_profile_of_the_file_is_used(config_file) -> None:
    s = resolve_settings()
    assert s.api_key == "mst_from_file_default"
    assert s.api_base == "http://file-default.example:8400"
    assert (s.timeout, s.max_retries) == (12.5, 4)


def test_environment_beats_the_file(config_file, monkeypatch) -> None:
    monkeypatch.setenv("MONSTRUM_API_KEY", "mst_from_env")
    monkeypatch.setenv("MONSTRUM_API_BASE", "http://env.example/")
    monkeypatch.setenv("MONSTRUM_TIMEOUT", "3")
    monkeypatch.setenv("MONSTRUM_MAX_RETRIES", "0")
    s = resolve_settings()
    assert s.api_key == "mst_from_env"
    assert s.api_base == "http://env.example"  # trailing slash dropped
    assert (s.timeout, s.max_retries) == (3.0, 0)


def test_arguments_beat_the_environment_and_the_file(config_file, monkeypatch) -> None:
    monkeypatch.setenv("MONSTRUM_API_KEY", "mst_from_env")
    monkeypatch.setenv("MONSTRUM_API_BASE", "http://env.example")
    monkeypatch.setenv("MONSTRUM_MAX_RETRIES", "7")
    s = resolve_settings(
        api_key="mst_from_arg", api_base="http://arg.example", timeout=1, max_retries=0
    )
    assert (s.api_key, s.api_base, s.timeout, s.max_retries) == (
        "mst_from_arg", "http://arg.example", 1.0, 0
    )


def test_each_setting_falls_back_on_its_own(config_file, monkeypatch) -> None:
    # the key from the environment, the server still from the file
    monkeypatch.setenv("MONSTRUM_API_KEY", "mst_from_env")
    s = resolve_settings()
    assert s.api_key == "mst_from_env"
    assert s.api_base == "http://file-default.example:8400"


def test_an_empty_environment_variable_does_not_count(config_file, monkeypatch) -> None:
    monkeypatch.setenv("MONSTRUM_API_KEY", "")
    assert resolve_settings().api_key == "mst_from_file_default"


def test_monstrum_profile_picks_the_profile(config_file, monkeypatch) -> None:
    monkeypatch.setenv("MONSTRUM_PROFILE", "team")
    s = resolve_settings()
    assert (s.profile, s.api_key, s.api_base) == ("team", "mst_from_file_team", "https://team.example")
    # a profile without timeout gets the default, not the [default] profile's
    assert s.timeout == DEFAULT_TIMEOUT


def test_profile_argument_beats_monstrum_profile(config_file, monkeypatch) -> None:
    monkeypatch.setenv("MONSTRUM_PROFILE", "nope")
    assert resolve_settings(profile="team").api_key == "mst_from_file_team"
    assert resolve_settings(profile="default").api_key == "mst_from_file_default"


def test_an_unknown_profile_is_an_error_that_lists_the_known_ones(config_file) -> None:
    with pytest.raises(ConfigurationError) as err:
        resolve_settings(profile="staging")
    message = str(err.value)
    assert "'staging'" in message and str(config_file) in message
    assert "default, team" in message


def test_an_unknown_profile_from_the_environment_is_an_error(config_file, monkeypatch) -> None:
    monkeypatch.setenv("MONSTRUM_PROFILE", "staging")
    with pytest.raises(ConfigurationError, match="staging"):
        monstrum.Client()


def test_an_unknown_profile_without_a_config_file_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="'team' is not in"):
        resolve_settings(profile="team")


def test_a_bad_toml_file_is_an_error_naming_the_file(monkeypatch) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[default]\napi_key = "mst_unterminated\n', encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        resolve_settings()
    assert str(path) in str(err.value) and "not valid TOML" in str(err.value)
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        monstrum.Client()


def test_settings_outside_a_profile_are_an_error(monkeypatch) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('api_key = "mst_loose"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"api_key must be inside a profile table"):
        resolve_settings()


@pytest.mark.parametrize(
    "body, match",
    [
        ("[default]\napi_key = 42\n", "api_key must be a string"),
        ("default = 3\n", r"\[default\] must be a table"),
        ('[default]\ntimeout = "soon"\n', "bad timeout"),
        ("[default]\ntimeout = 0\n", "timeout must be a positive"),
        ('[default]\napi_base = "127.0.0.1:8400"\n', "api_base must be an http"),
    ],
)
def test_bad_values_are_named(body: str, match: str) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=match):
        resolve_settings()


def test_a_missing_key_says_the_three_ways_to_set_one() -> None:
    with pytest.raises(ConfigurationError) as err:
        monstrum.Client()
    message = str(err.value)
    assert "api_key=" in message  # 1. an argument
    assert "MONSTRUM_API_KEY" in message  # 2. the environment
    assert str(config_path()) in message and "[default]" in message  # 3. the file


def test_a_missing_key_names_the_profile_in_use(config_file, monkeypatch) -> None:
    config_file.write_text('[ci]\napi_base = "http://ci.example"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"under \[ci\]"):
        monstrum.AsyncClient(profile="ci")


def test_a_failed_sync_client_leaves_no_thread_behind() -> None:
    def loops() -> int:
        return sum(t.name == "monstrum-client-loop" for t in threading.enumerate())

    before = loops()
    for _ in range(3):
        with pytest.raises(ConfigurationError):
            monstrum.Client()
    assert loops() == before


def test_profile_names() -> None:
    assert profile_names() == []
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG, encoding="utf-8")
    assert profile_names() == ["default", "team"]


# --- against the real server ---------------------------------------------------


def test_the_guides_config_file_reaches_the_server(server) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[default]\napi_key = "{server.admin_key}"\napi_base = "{server.url}"\n',
        encoding="utf-8",
    )
    with monstrum.Client() as client:
        assert client.whoami().scopes == ["admin"]
        assert client.api_base == server.url


async def test_a_named_profile_reaches_the_server_from_the_async_client(
    server, monkeypatch
) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[default]\napi_key = "mst_wrong"\napi_base = "http://127.0.0.1:9"\n'
        f'[team]\napi_key = "{server.admin_key}"\napi_base = "{server.url}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("MONSTRUM_PROFILE", "team")
    async with monstrum.AsyncClient() as client:
        assert (await client.whoami()).name == "admin"


def test_an_explicit_key_overrides_a_wrong_one_in_the_file(server) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[default]\napi_key = "mst_wrong"\napi_base = "{server.url}"\n', encoding="utf-8"
    )
    with monstrum.Client(api_key=server.admin_key) as client:
        assert client.whoami().scopes == ["admin"]
    with monstrum.Client() as client, pytest.raises(monstrum.exceptions.AuthenticationError):
        client.whoami()
