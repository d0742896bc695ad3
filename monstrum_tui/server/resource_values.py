"""Checking a resource's config and credentials against its type's schemas.

Messages about credentials never include the values, only the field names.
"""

from __future__ import annotations

from typing import Any

from .manifests.checks import FIELD_TYPE_WORDS, enum_problem, suggest, value_fits
from .manifests.model import Manifest, SchemaField


def _check_section(
    section: str, fields: list[SchemaField], values: dict[str, Any], *, secret: bool
) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    declared = {f.field: f for f in fields}
    for name in values:
        if name not in declared:
            schema = "credential_schema" if secret else "config_schema"
            names = ", ".join(declared) or "none"
            problems.append({
                "field": f"{section}.{name}",
                "message": f"unknown {section} field '{name}'{suggest(name, declared)} "
                f"(the type's {schema} declares: {names})",
            })
    for spec in fields:
        value = values.get(spec.field)
        where = f"{section}.{spec.field}"
        if value is None or value == "":
            if spec.required and spec.default is None:
                problems.append({"field": where, "message": f"{where} is required"})
            continue
        if not value_fits(value, spec.type):
            shown = "" if secret else f", got {value!r}"[:80]
            problems.append({
                "field": where,
                "message": f"{where} must be {FIELD_TYPE_WORDS[spec.type]}{shown}",
            })
            continue
        problem = enum_problem(value, spec.enum)
        if problem:
            problems.append({"field": where, "message": f"{where} {problem}"})
    return problems


def check_config(manifest: Manifest, config: dict[str, Any]) -> list[dict[str, Any]]:
    return _check_section("config", manifest.config_schema, config, secret=False)


def check_credentials(manifest: Manifest, credentials: dict[str, Any]) -> list[dict[str, Any]]:
    return _check_section("credentials", manifest.credential_schema, credentials, secret=True)


def with_defaults(manifest: Manifest, config: dict[str, Any]) -> dict[str, Any]:
    """Config with the schema's defaults filled in and empty values dropped."""
    out = {f.field: f.default for f in manifest.config_schema if f.default is not None}
    out.update({k: v for k, v in config.items() if v is not None})
    return out


def merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A PATCH of one level: given keys are set, keys given as null are removed."""
    out = dict(current)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
