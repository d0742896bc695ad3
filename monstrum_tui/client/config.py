"""Where the client finds its API key and server: argument > environment > config file."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import ConfigurationError

DEFAULT_API_BASE = "http://127.0.0.1:8400"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2


#: the keys a profile may set
SETTING_NAMES = ("api_key", "api_base", "timeout", "max_retries", "uds")


def config_path() -> Path:
    """The config file: ``MONSTRUM_CONFIG`` or ``~/.monstrum/config.toml``."""
    env = os.environ.get("MONSTRUM_CONFIG")
    return Path(env).expanduser() if env else Path.home() / ".monstrum" / "config.toml"


def load_config_file(path: Path | None = None) -> dict[str, Any]:
    """The parsed config file, or ``{}`` when there is none. A broken file is an error."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from exc


@dataclass(frozen=True)
class ClientSettings:
    """The resolved settings of one client."""

    api_key: str | None = field(repr=False)  # crash reports print locals' reprs
    api_base: str
    profile: str
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    #: a Unix socket to reach the server through (the embedded platform)
    uds: str | None = None

    def require_key(self) -> str:
        """The API key, or a ``ConfigurationError`` that says the three ways to set one."""
        if not self.api_key:
            raise ConfigurationError(missing_key_message(self.profile))
        return self.api_key


def missing_key_message(profile: str = "default") -> str:
    """What to do when no API key is configured: the three places one can come from."""
    return (
        "no API key. Set one in any of three ways: "
        "(1) pass it: api_key=\"mst_...\" (the CLI's --api-key); "
        "(2) the environment: export MONSTRUM_API_KEY=mst_...; "
        f"(3) the config file {config_path()}: api_key = \"mst_...\" under [{profile}]"
    )


def nothing_configured(
    *, api_key: str | None = None, api_base: str | None = None, profile: str | None = None,
) -> bool:
    """No flag, no ``MONSTRUM_API_BASE``/``_API_KEY``/``_PROFILE``, and no config-file
    ``[default]`` with an ``api_key``: the dashboard and the CLI then use the local
    platform of the data dir."""
    env = os.environ
    if api_base or api_key or profile or env.get("MONSTRUM_API_BASE") \
            or env.get("MONSTRUM_API_KEY") or env.get("MONSTRUM_PROFILE"):
        return False
    section = load_config_file().get("default")
    return not (isinstance(section, dict) and bool(section.get("api_key")))


def resolve_settings(
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    profile: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    uds: str | None = None,
    config_file: Path | None = None,
) -> ClientSettings:
    """Resolve settings with the precedence argument > environment > config file profile."""
    env = os.environ
    profile_name = profile or env.get("MONSTRUM_PROFILE") or "default"
    path = config_file or config_path()
    data = load_config_file(path)
    loose = sorted(k for k in SETTING_NAMES if k in data and not isinstance(data[k], dict))
    if loose:
        raise ConfigurationError(
            f"{path}: {', '.join(loose)} must be inside a profile table such as [default]"
        )
    section = data.get(profile_name)
    if section is None:
        if (profile or env.get("MONSTRUM_PROFILE")) and profile_name != "default":
            known = ", ".join(sorted(k for k, v in data.items() if isinstance(v, dict)))
            raise ConfigurationError(
                f"profile {profile_name!r} is not in {path}"
                + (f" (profiles there: {known})" if known else " (it defines no profiles)")
            )
        section = {}
    if not isinstance(section, dict):
        raise ConfigurationError(f"{path}: [{profile_name}] must be a table")
    for name in ("api_key", "api_base", "uds"):
        if section.get(name) is not None and not isinstance(section[name], str):
            raise ConfigurationError(f"{path}: [{profile_name}] {name} must be a string")

    def pick(arg: Any, env_name: str, key: str) -> Any:
        if arg is not None:
            return arg
        if env.get(env_name):
            return env[env_name]
        return section.get(key)

    key = pick(api_key, "MONSTRUM_API_KEY", "api_key")
    base = pick(api_base, "MONSTRUM_API_BASE", "api_base") or DEFAULT_API_BASE
    tmo = pick(timeout, "MONSTRUM_TIMEOUT", "timeout")
    retries = pick(max_retries, "MONSTRUM_MAX_RETRIES", "max_retries")
    try:
        tmo_f = float(tmo) if tmo is not None else DEFAULT_TIMEOUT
        retries_i = int(retries) if retries is not None else DEFAULT_MAX_RETRIES
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"bad timeout or max_retries setting: {exc}") from exc
    if tmo_f <= 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, not {tmo!r}")
    if not str(base).startswith(("http://", "https://")):
        raise ConfigurationError(
            f"api_base must be an http:// or https:// URL (e.g. {DEFAULT_API_BASE}), not {base!r}"
        )
    return ClientSettings(
        api_key=key,
        api_base=str(base).rstrip("/"),
        profile=profile_name,
        timeout=tmo_f,
        max_retries=max(0, retries_i),
        uds=uds or section.get("uds"),
    )


def profile_names(config_file: Path | None = None) -> list[str]:
    """The profiles defined in the config file."""
    return sorted(k for k, v in load_config_file(config_file).items() if isinstance(v, dict))
