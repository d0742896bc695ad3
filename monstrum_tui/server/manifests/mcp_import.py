"""Turning an MCP server's tool listing into a manifest an author reviews.

``schema_digest`` is what a manifest pins for each ``executor: mcp`` tool: the SHA-256
of the canonical JSON of the tool's ``inputSchema`` and its ``readOnlyHint`` and
``destructiveHint``. A server whose listing no longer gives the same digest has changed
the tool since the manifest was made, and its calls are refused until someone
re-reviews it (the executor checks before every call).

``propose_manifest`` writes the YAML: every tool the server lists (with a name the
platform accepts and a usable object schema), its description and input schema as
listed, ``executor: mcp`` with the digest, and an ``operation`` from the hints
(``PREFIX.read`` for read-only, ``PREFIX.write`` for a tool that says it is not
destructive, ``PREFIX.destructive`` otherwise). Scope dimensions are the author's to
add; the YAML says where.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from .checks import NAME_RE, TOOL_NAME_RE

#: the most tools one proposal takes (a server listing more is cut, and says so)
MAX_PROPOSED_TOOLS = 200
#: the largest input schema taken as it is (JSON bytes)
MAX_SCHEMA_BYTES = 64 * 1024
_DESCRIPTION_CHARS = 1000


@dataclass(frozen=True)
class ListedTool:
    """One tool as an MCP server lists it (the fields a proposal reads)."""

    name: str
    description: str
    input_schema: Any
    read_only: bool | None
    destructive: bool | None

    @classmethod
    def of(cls, tool: Any) -> ListedTool:
        """From the SDK's ``mcp_types.Tool``."""
        hints = getattr(tool, "annotations", None)
        return cls(
            name=str(tool.name),
            description=str(getattr(tool, "description", None) or ""),
            input_schema=getattr(tool, "input_schema", None),
            read_only=getattr(hints, "read_only_hint", None) if hints else None,
            destructive=getattr(hints, "destructive_hint", None) if hints else None,
        )


def schema_digest(tool: ListedTool) -> str:
    """The digest a manifest pins: input schema and the two safety hints, canonical JSON."""
    body = {"inputSchema": tool.input_schema, "readOnlyHint": tool.read_only,
            "destructiveHint": tool.destructive}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def operation_for(tool: ListedTool, prefix: str) -> str:
    """``readOnlyHint`` -> ``PREFIX.read``; ``destructiveHint: false`` -> ``PREFIX.write``;
    otherwise ``PREFIX.destructive``: MCP's default for a tool that is not read-only is
    that it may destroy, so one that says nothing is taken at its word's worst."""
    if tool.read_only:
        return f"{prefix}.read"
    if tool.destructive is False:
        return f"{prefix}.write"
    return f"{prefix}.destructive"


@dataclass(frozen=True)
class Proposal:
    """The proposed manifest and what was left out of it, and why."""

    yaml_text: str
    tools: list[dict[str, Any]]
    skipped: list[str]


def _usable_schema(schema: Any) -> str | None:
    """Why a listed input schema cannot be taken as a tool's (None when it can)."""
    if not isinstance(schema, dict):
        return "its inputSchema is not a JSON object"
    if schema.get("type") != "object":
        return "its inputSchema is not of type object"
    try:
        size = len(json.dumps(schema, default=str))
    except (TypeError, ValueError, RecursionError):
        return "its inputSchema cannot be written as JSON"
    if size > MAX_SCHEMA_BYTES:
        return f"its inputSchema is larger than {MAX_SCHEMA_BYTES // 1024} KiB"
    return None


def propose_manifest(
    *, name: str, server: dict[str, Any], listed: list[ListedTool], version: str = "1.0.0",
    description: str = "", type_name: str | None = None, operation_prefix: str | None = None,
) -> Proposal:
    """The manifest YAML for ``listed``, ready for an author to add scope dimensions."""
    if not NAME_RE.match(name):
        raise ValueError(f"'{name}' is not a valid integration name: lower-case letters, "
                         "digits, '-' and '_', starting with a letter")
    prefix = operation_prefix or name.replace("-", "_")
    tools: list[dict[str, Any]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for tool in listed:
        why = None
        if not TOOL_NAME_RE.match(tool.name):
            why = "its name is not a valid tool name (letters, digits, '-' and '_')"
        elif tool.name in seen:
            why = "the server lists it twice"
        else:
            why = _usable_schema(tool.input_schema)
        if why is None and len(tools) >= MAX_PROPOSED_TOOLS:
            why = f"a manifest proposal takes at most {MAX_PROPOSED_TOOLS} tools"
        if why is not None:
            skipped.append(f"{tool.name[:80]}: {why}")
            continue
        seen.add(tool.name)
        tools.append({
            "name": tool.name,
            "description": tool.description[:_DESCRIPTION_CHARS],
            "operation": operation_for(tool, prefix),
            "executor": "mcp",
            "mcp": {"tool": tool.name, "schema_digest": schema_digest(tool)},
            "input_schema": tool.input_schema,
        })
    manifest: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": description or f"Tools of the MCP server {name}",
        "resource_type": {"id": name.replace("-", "_"), "name": type_name or name},
    }
    config_fields, credential_fields = server_references(server)
    if credential_fields:
        manifest["credential_schema"] = [
            {"field": f, "type": "secret", "required": True} for f in credential_fields
        ]
    if config_fields:
        manifest["config_schema"] = [
            {"field": f, "type": "string", "required": True} for f in config_fields
        ]
    manifest["mcp"] = server
    manifest["tools"] = tools
    header = (
        f"# Proposed from the tool listing of an MCP server ({len(tools)} tools).\n"
        "# Review every tool: remove the ones bots must not reach, check each operation\n"
        "# (from readOnlyHint/destructiveHint), and add scope_dimensions for the params\n"
        "# that say what a call touches, e.g.\n"
        "#   scope_dimensions:\n"
        "#     - key: titles\n"
        "#       param_paths: [title]\n"
        "#       error_template: \"note {value} is outside this bot's scope\"\n"
        "# A tool whose schema changes on the server is refused until this manifest is\n"
        "# made again (monstrum integrations import-mcp) and uploaded as a new version.\n"
    )
    if skipped:
        header += "# Left out:\n" + "".join(f"#   {_comment(s)}\n" for s in skipped)
    return Proposal(yaml_text=header + dump_manifest(manifest), tools=tools, skipped=skipped)


class _PlainDumper(yaml.SafeDumper):
    """Writes a value that appears twice out twice: manifests refuse anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_manifest(data: dict[str, Any]) -> str:
    """Manifest data as YAML that uploads (no aliases, keys in their order)."""
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)


def _comment(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text)


def listing_problems(manifest: Any, listed: list[ListedTool]) -> list[tuple[tuple[Any, ...], str]]:
    """Each ``executor: mcp`` tool of ``manifest`` that the server's listing does not back
    (missing, or a different digest): ``(location, message)``."""
    by_name = {t.name: t for t in listed}
    problems: list[tuple[tuple[Any, ...], str]] = []
    for i, tool in enumerate(manifest.tools):
        if tool.executor != "mcp" or tool.mcp is None:
            continue
        name = tool.mcp.tool or tool.name
        found = by_name.get(name)
        if found is None:
            close = ", ".join(sorted(by_name)[:10]) or "none"
            problems.append((("tools", i, "mcp", "tool"), f"the MCP server lists no tool "
                             f"'{name}' (it lists: {close})"))
            continue
        digest = schema_digest(found)
        if digest != tool.mcp.schema_digest:
            problems.append((("tools", i, "mcp", "schema_digest"), (
                f"the MCP server's '{name}' is not the one this manifest was made from (its "
                f"schema digest is now {digest}): re-run import-mcp and review it again")))
    return problems


def server_references(server: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The config and credential field names an ``mcp:`` block's templates name."""
    from .templates import TemplateError, references, walk_strings

    config: list[str] = []
    credentials: list[str] = []
    for _, text in walk_strings({k: server.get(k) for k in ("env", "url", "headers")}):
        try:
            refs = references(text)
        except TemplateError:
            continue
        for ref in refs:
            target = credentials if ref.namespace == "credentials" else config
            if ref.namespace != "params" and ref.name not in target:
                target.append(ref.name)
    return config, credentials
