"""The dashboard's settings in ``~/.monstrum/config.toml``: ``[keymap]`` and ``[dashboard]``.

``[dashboard]`` holds ``theme``, ``alerts`` (``["failed", "denied"]`` by default; ``false``
turns them off) and ``bell`` (ring the terminal bell with an alert).

Every action binding has an id (``bots.create``, ``app.help``...); the table maps
ids to keys, e.g. ``"bots.create" = "a"`` or ``"app.quit" = "q,ctrl+c"``. Textual
applies it to the bindings themselves (``App.set_keymap``), so the footer and
the help overlay show the remapped keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..client.config import config_path, load_config_file
from .alerts import AlertSettings, parse_alert_settings


@dataclass(frozen=True)
class DashboardConfig:
    """The dashboard's own settings from the config file, plus what was wrong with them."""

    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    alerts: AlertSettings = field(default_factory=AlertSettings)
    problems: tuple[str, ...] = ()


def parse_dashboard_config(data: dict[str, Any]) -> DashboardConfig:
    """Read ``[keymap]`` and ``[dashboard]`` from a parsed config file; never raises."""
    problems: list[str] = []
    keymap: dict[str, str] = {}
    raw_keymap = data.get("keymap", {})
    if not isinstance(raw_keymap, dict):
        problems.append("[keymap] must be a table of binding id = \"key\"")
        raw_keymap = {}
    for binding_id, keys in raw_keymap.items():
        if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
            keys = ",".join(keys)
        if not isinstance(keys, str) or not keys.strip():
            problems.append(f"[keymap] {binding_id}: expected a key such as \"a\" or \"ctrl+n\"")
            continue
        keymap[str(binding_id)] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    theme = None
    dashboard = data.get("dashboard", {})
    if not isinstance(dashboard, dict):
        problems.append("[dashboard] must be a table")
        dashboard = {}
    if isinstance(dashboard.get("theme"), str):
        theme = dashboard["theme"]
    alerts = parse_alert_settings(dashboard, problems)
    return DashboardConfig(keymap=keymap, theme=theme, alerts=alerts, problems=tuple(problems))


def load_dashboard_config() -> DashboardConfig:
    """The dashboard settings from the config file (a broken file is reported, not raised)."""
    try:
        data = load_config_file()
    except Exception as exc:  # a broken config must not stop the dashboard from starting
        return DashboardConfig(problems=(f"{config_path()}: {exc}",))
    return parse_dashboard_config(data)


def unknown_ids(keymap: dict[str, str], known: set[str]) -> list[str]:
    """Keymap ids that name no binding (typos the user should hear about)."""
    return sorted(set(keymap) - known)
