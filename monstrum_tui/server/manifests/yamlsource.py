"""Reading a manifest's YAML: the data, plus the line every value starts on.

The text is composed into a node tree first (``yaml.compose``) so each location
(``tools[2].name``) can be mapped to the line it came from; then the same nodes are
constructed into plain data. Dates stay strings, and anchors/aliases are refused
(they would let a small file expand into a huge one).
"""

from __future__ import annotations

from typing import Any

import yaml

from .problems import LineMap, Loc, Problems

MAX_MANIFEST_BYTES = 512 * 1024
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _ManifestLoader(yaml.SafeLoader):
    """SafeLoader without timestamps: ``2024-01-01`` stays the string it was written as."""


_ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _map_nodes(root: yaml.Node, lines: LineMap, problems: Problems) -> bool:
    """Record every node's line; report aliases, duplicate and non-string keys."""
    ok = True
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            problems.add(
                loc, "YAML anchors and aliases are not supported; write the value out", key=True
            )
            ok = False
            continue
        seen.add(id(node))
        lines.values[loc] = _line(node)
        children: list[tuple[yaml.Node, Loc]] = []
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != \
                        "tag:yaml.org,2002:str":
                    problems.add(loc, f"keys must be plain text, not {key_node.tag}",
                                 line=_line(key_node))
                    ok = False
                    continue
                key = key_node.value
                lines.keys[(*loc, key)] = _line(key_node)
                if key in first_line:
                    problems.add(
                        (*loc, key),
                        f"duplicate key '{key}' (first at line {first_line[key]})",
                        line=_line(key_node),
                    )
                    ok = False
                    continue
                first_line[key] = _line(key_node)
                children.append((value_node, (*loc, key)))
        elif isinstance(node, yaml.SequenceNode):
            children.extend((item, (*loc, i)) for i, item in enumerate(node.value))
        # visit in document order, so an alias is reported where it is used, not defined
        stack.extend(reversed(children))
    return ok


def parse_yaml(text: str, problems: Problems) -> Any:
    """The manifest's data, filling ``problems.lines``; ``None`` (with problems) if unreadable."""
    if len(text.encode("utf-8", errors="replace")) > MAX_MANIFEST_BYTES:
        problems.add((), f"the manifest is larger than {MAX_MANIFEST_BYTES // 1024} KiB")
        return None
    try:
        loader = _ManifestLoader(text)
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[0])
        problems.add((), f"YAML error: {exc.reason} (character U+{char:04X})",
                     line=text.count("\n", 0, exc.position) + 1)
        return None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = exc.problem or exc.context or "cannot be parsed"
            problems.add((), f"YAML syntax error: {what}", line=line)
            return None
        except yaml.YAMLError as exc:
            problems.add((), f"YAML syntax error: {exc}")
            return None
        if node is None:
            problems.add((), "the manifest is empty")
            return None
        if not _map_nodes(node, problems.lines, problems):
            return None
        if not isinstance(node, yaml.MappingNode):
            problems.add((), "the manifest must be a YAML mapping (name: ..., version: ...)")
            return None
        try:
            return loader.construct_document(node)
        except ValueError as exc:  # an integer of more digits than Python converts
            problems.add((), f"a value in the manifest cannot be read: {exc}"
                         .replace("sys.set_int_max_str_digits()", "the limit"))
            return None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problems.add(
                (), f"YAML error: {exc.problem or exc.context}",
                line=mark.line + 1 if mark else None,
            )
            return None
    finally:
        loader.dispose()

