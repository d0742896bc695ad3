"""A manifest made ready for use: each tool with its executor and applicable dimensions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...client.models import Integration, ScopeDimension, Tool
from .model import Manifest, ScopeDimensionSpec, ToolSpec


def _first_segment(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def applicable_dimensions(manifest: Manifest, tool: ToolSpec) -> list[ScopeDimensionSpec]:
    """The dimensions that constrain a tool, each narrowed to the paths it has.

    A top-level dimension applies when one of its param_paths starts at a property of
    the tool's input_schema (only those paths are kept); a tool's own dimension
    replaces a top-level one with the same key.
    """
    props = tool.input_schema.get("properties")
    names = set(props) if isinstance(props, dict) else set()
    own = {d.key: d for d in tool.scope_dimensions}
    out: list[ScopeDimensionSpec] = []
    for dim in manifest.scope_dimensions:
        if dim.key in own:
            continue
        paths = [p for p in dim.param_paths if _first_segment(p) in names]
        if paths:
            out.append(dim.model_copy(update={"param_paths": paths}))
    out.extend(tool.scope_dimensions)
    return out


def executor_label(tool: ToolSpec) -> str | None:
    """A short description of how the tool runs: ``http GET /path``, ``filesystem.read``."""
    if tool.http is not None:
        return f"http {tool.http.method} {tool.http.path}"
    return tool.executor


@dataclass(frozen=True)
class CompiledTool:
    spec: ToolSpec
    #: the wire form: description, operation, input_schema, applicable dimensions
    wire: Tool
    dimensions: list[ScopeDimensionSpec]


@dataclass
class CompiledManifest:
    manifest: Manifest
    digest: str
    tools: dict[str, CompiledTool] = field(default_factory=dict)

    @property
    def type_id(self) -> str:
        return self.manifest.resource_type.id

    def dimension_keys(self) -> set[str]:
        """Every key a binding's scope_constraints may use for this type."""
        keys = {d.key for d in self.manifest.scope_dimensions}
        for tool in self.manifest.tools:
            keys.update(d.key for d in tool.scope_dimensions)
        return keys

    def dimension_modes(self) -> dict[str, set[str]]:
        """The match modes each dimension key is used with (regex values get compiled)."""
        modes: dict[str, set[str]] = {}
        for tool in self.tools.values():
            for dim in tool.dimensions:
                modes.setdefault(dim.key, set()).add(dim.match_mode)
        for dim in self.manifest.scope_dimensions:
            modes.setdefault(dim.key, set()).add(dim.match_mode)
        return modes

    def wire_tools(self) -> list[Tool]:
        return [t.wire for t in self.tools.values()]

    def integration(
        self, *, builtin: bool = False, installed_at: datetime | None = None, **extra: Any
    ) -> Integration:
        m = self.manifest
        return Integration(
            name=m.name,
            version=m.version,
            description=m.description,
            resource_type=m.resource_type.model_dump(),
            tools=self.wire_tools(),
            scope_dimensions=[_wire_dimension(d) for d in m.scope_dimensions],
            credential_schema=[f.model_dump(exclude_none=True) for f in m.credential_schema],
            config_schema=[f.model_dump(exclude_none=True) for f in m.config_schema],
            auth_methods=[a.model_dump(exclude_none=True) for a in m.auth_methods],
            mcp=m.mcp.model_dump(exclude_none=True) if m.mcp is not None else None,
            builtin=builtin,
            installed_at=installed_at,
            digest=self.digest,
            **extra,
        )


def _wire_dimension(dim: ScopeDimensionSpec) -> ScopeDimension:
    return ScopeDimension(
        key=dim.key,
        param_paths=list(dim.param_paths),
        match_mode=dim.match_mode,
        error_template=dim.error_template,
        description=dim.description,
    )


def compile_manifest(manifest: Manifest, digest: str) -> CompiledManifest:
    compiled = CompiledManifest(manifest=manifest, digest=digest)
    for spec in manifest.tools:
        dims = applicable_dimensions(manifest, spec)
        wire = Tool(
            name=spec.name,
            description=spec.description,
            operation=spec.operation,
            input_schema=spec.input_schema,
            scope_dimensions=[_wire_dimension(d) for d in dims],
            executor=executor_label(spec),
        )
        compiled.tools[spec.name] = CompiledTool(spec=spec, wire=wire, dimensions=dims)
    return compiled
