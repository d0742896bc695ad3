"""Integration manifests: the declarative YAML that adds a resource type.

``parse_manifest(text)`` returns a checked ``Manifest`` or raises ``ManifestInvalid``
naming every problem by its path and line. ``compile_manifest`` turns one into the
tools (with the scope dimensions that apply to each) that resources of its type offer.
"""

from __future__ import annotations

import hashlib
import json

from .checks import check_semantics, check_structure
from .compiled import CompiledManifest, CompiledTool, compile_manifest
from .limits import check_limits
from .model import Manifest
from .problems import ManifestInvalid, Problem, Problems
from .yamlsource import parse_yaml

__all__ = [
    "CompiledManifest",
    "CompiledTool",
    "Manifest",
    "ManifestInvalid",
    "Problem",
    "check_manifest_text",
    "compile_manifest",
    "manifest_digest",
    "parse_manifest",
]


def check_manifest_text(text: str) -> tuple[Manifest | None, list[Problem]]:
    """The manifest and no problems, or None and every problem found (sorted by line)."""
    problems = Problems()
    try:
        data = parse_yaml(text, problems)
        if data is None:
            return None, problems.sorted()
        if not isinstance(data, dict):
            problems.add((), "the manifest must be a YAML mapping (name: ..., version: ...)")
            return None, problems.sorted()
        if not check_limits(data, problems):
            return None, problems.sorted()
        check_structure(data, problems)
        check_semantics(data, problems)
    except RecursionError:
        problems.add((), "the manifest is nested too deeply")
    if problems:
        return None, problems.sorted()
    return Manifest.model_validate(data), []


def parse_manifest(text: str) -> Manifest:
    """A checked manifest; raises ``ManifestInvalid`` with every problem."""
    manifest, problems = check_manifest_text(text)
    if manifest is None:
        raise ManifestInvalid(problems)
    return manifest


def manifest_digest(manifest: Manifest) -> str:
    """A hash of the manifest's meaning (not its formatting or comments)."""
    data = manifest.model_dump(mode="json")
    # keys added after manifests were first stored hash as if absent when unset, so the
    # digest of a manifest that does not use them is what it always was
    for part in (data, *data.get("tools", [])):
        if part.get("mcp") is None:
            part.pop("mcp", None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
