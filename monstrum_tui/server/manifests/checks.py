"""Checking a manifest: its structure (pydantic) and what a schema cannot say.

Every problem is collected, none stops the others, so one upload names them all.
The semantic checks read the raw data defensively: a part with the wrong type was
already reported by the structural pass and is skipped here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for
from pydantic import ValidationError

from ..executors.actions import ACTION_SPECS
from ..governance.regex import regex_problem
from .model import (
    AUTH_KEYS,
    AuthMethod,
    HttpSpec,
    Manifest,
    McpServerSpec,
    McpToolSpec,
    ResourceTypeSpec,
    SchemaField,
    ScopeDimensionSpec,
    ToolSpec,
)
from .problems import Loc, Problems
from .semver import is_semver
from .templates import TemplateError, references, walk_strings

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
TOOL_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
OPERATION_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$")
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
HEADER_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
PARAM_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(?:\[\*\]|\.[A-Za-z_][A-Za-z0-9_-]*)*$")
_SEGMENT_RE = re.compile(r"\[\*\]|\.?([A-Za-z_][A-Za-z0-9_-]*)")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")

#: the keys each part of a manifest may have, by the part's place (list indices left out)
_KNOWN_KEYS: dict[tuple[str, ...], list[str]] = {
    (): list(Manifest.model_fields),
    ("resource_type",): list(ResourceTypeSpec.model_fields),
    ("credential_schema",): list(SchemaField.model_fields),
    ("config_schema",): list(SchemaField.model_fields),
    ("auth_methods",): list(AuthMethod.model_fields),
    ("tools",): list(ToolSpec.model_fields),
    ("tools", "http"): list(HttpSpec.model_fields),
    ("tools", "scope_dimensions"): list(ScopeDimensionSpec.model_fields),
    ("scope_dimensions",): list(ScopeDimensionSpec.model_fields),
    ("mcp",): list(McpServerSpec.model_fields),
    ("tools", "mcp"): list(McpToolSpec.model_fields),
}


def split_param_path(path: str) -> list[str]:
    """``items[*].name`` -> ``["items", "[*]", "name"]``."""
    return [m.group(1) or "[*]" for m in _SEGMENT_RE.finditer(path)]


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "text", list: "list",
            dict: "mapping"}.get(type(value), type(value).__name__)


# --- structure ----------------------------------------------------------------------


def check_structure(data: dict[str, Any], problems: Problems) -> None:
    """Types, required keys and unknown keys, via the pydantic model."""
    try:
        Manifest.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc: Loc = tuple(err["loc"])
            problems.add(loc, _structure_message(loc, err), key=err["type"] == "extra_forbidden")


def _structure_message(loc: Loc, err: Any) -> str:
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        place = tuple(p for p in loc[:-1] if isinstance(p, str))
        known = _KNOWN_KEYS.get(place, [])
        key = str(loc[-1])
        hint = suggest(key, known) or (f"; known keys: {', '.join(known)}" if known else "")
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"must be one of {expected} (got {_short(given)})"
    if kind == "too_short":
        if loc == ("tools",):
            return "a manifest needs at least one tool"
        return "list at least one entry"
    if loc == ("version",) and kind == "string_type":
        return f"must be text like \"1.0.0\" (quote it: YAML read {_short(given)} as a number)"
    msg = err["msg"]
    return f"{msg[0].lower()}{msg[1:]}, got {_type_name(given)} {_short(given)}"


# --- semantics ----------------------------------------------------------------------


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_TYPE_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "secret": lambda v: isinstance(v, str),
    "url": lambda v: isinstance(v, str) and re.match(r"^https?://[^/\s]+", v) is not None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "enum": lambda v: isinstance(v, str),  # and one of the field's values (enum_problem)
}

FIELD_TYPE_WORDS: dict[str, str] = {
    "string": "text",
    "secret": "text",
    "url": "an http(s) URL",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "list": "a list of text values",
    "enum": "one of the listed values",
}


def value_fits(value: Any, field_type: str) -> bool:
    """Whether a config/credential value has the field's declared type."""
    check = _TYPE_CHECKS.get(field_type)
    return bool(check and check(value))


class _Context:
    """What the checks of one manifest share: declared fields and the tools' schemas."""

    def __init__(self, data: dict[str, Any], problems: Problems) -> None:
        self.data = data
        self.problems = problems
        self.config_fields: set[str] = set()
        self.credential_fields: set[str] = set()
        #: (index, name, input_schema) of every tool whose schema is a mapping
        self.tool_schemas: list[tuple[int, str, dict[str, Any]]] = []

    def template(
        self, text: Any, loc: Loc, params: set[str] | None, *, auth: bool = False
    ) -> None:
        if not isinstance(text, str):
            return
        try:
            refs = references(text)
        except TemplateError as exc:
            self.problems.add(loc, str(exc))
            return
        for ref in refs:
            if ref.namespace == "params":
                if params is None:
                    where = "auth methods" if auth else "this place"
                    self.problems.add(
                        loc, f"{ref} cannot be used in {where}: only config and credentials"
                    )
                elif ref.name not in params:
                    self.problems.add(
                        loc,
                        f"template names {ref}, but '{ref.name}' is not a property of "
                        f"input_schema{suggest(ref.name, params)}",
                    )
            elif ref.namespace == "config" and ref.name not in self.config_fields:
                self.problems.add(
                    loc,
                    f"template names {ref}, but config_schema has no field "
                    f"'{ref.name}'{suggest(ref.name, self.config_fields)}",
                )
            elif ref.namespace == "credentials" and ref.name not in self.credential_fields:
                self.problems.add(
                    loc,
                    f"template names {ref}, but credential_schema has no field "
                    f"'{ref.name}'{suggest(ref.name, self.credential_fields)}",
                )


def check_semantics(data: dict[str, Any], problems: Problems) -> None:
    """Everything a type cannot say: names, uniqueness, references, templates, schemas."""
    ctx = _Context(data, problems)
    _check_identity(ctx)
    _check_field_schemas(ctx)
    _check_auth_methods(ctx)
    _check_tools(ctx)
    _check_dimensions(ctx, data.get("scope_dimensions"), ("scope_dimensions",), None)
    _check_mcp_server(ctx)


def _check_identity(ctx: _Context) -> None:
    name = _str(ctx.data.get("name"))
    if name is not None and not NAME_RE.match(name):
        ctx.problems.add(
            ("name",),
            f"'{name}' is not a valid integration name: lower-case letters, digits, '-' and "
            "'_', starting with a letter, at most 64 characters",
        )
    version = _str(ctx.data.get("version"))
    if version is not None and len(version) > 64:
        ctx.problems.add(("version",), "the version is longer than 64 characters")
    elif version is not None and not is_semver(version):
        ctx.problems.add(
            ("version",), f"'{version}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)"
        )
    rtype = ctx.data.get("resource_type")
    if isinstance(rtype, dict):
        type_id = _str(rtype.get("id"))
        if type_id is not None and not NAME_RE.match(type_id):
            ctx.problems.add(
                ("resource_type", "id"),
                f"'{type_id}' is not a valid resource type id: lower-case letters, digits, "
                "'-' and '_', starting with a letter",
            )
        type_name = _str(rtype.get("name"))
        if type_name is not None and not type_name.strip():
            ctx.problems.add(("resource_type", "name"), "the resource type needs a name")


def _check_field_schemas(ctx: _Context) -> None:
    for section, declared in (
        ("credential_schema", ctx.credential_fields),
        ("config_schema", ctx.config_fields),
    ):
        first: dict[str, int] = {}
        for i, spec in _dicts(ctx.data.get(section)):
            name = _str(spec.get("field"))
            if name is not None:
                if not FIELD_RE.match(name):
                    ctx.problems.add(
                        (section, i, "field"),
                        f"'{name}' is not a valid field name: letters, digits and '_', "
                        "not starting with a digit",
                    )
                elif name in first:
                    ctx.problems.add(
                        (section, i, "field"),
                        f"field '{name}' is declared twice (first at {section}[{first[name]}])",
                    )
                else:
                    first[name] = i
                declared.add(name)
            ftype = spec.get("type", "string")
            if section == "config_schema" and ftype == "secret":
                ctx.problems.add(
                    (section, i, "type"),
                    "secret fields belong in credential_schema: config is shown to anyone "
                    "who can read the resource",
                )
            default = spec.get("default")
            known_type = isinstance(ftype, str) and ftype in _TYPE_CHECKS
            if default is not None and known_type and not value_fits(default, ftype):
                ctx.problems.add(
                    (section, i, "default"),
                    f"default {_short(default)} is not {FIELD_TYPE_WORDS[ftype]}, "
                    f"as the field's type {ftype} requires",
                )
            _check_enum(ctx, section, i, spec, ftype)


def enum_problem(value: Any, values: list[str] | None) -> str | None:
    """Why ``value`` is not one of an enum field's ``values`` (None when it is)."""
    if values is None or value in values:
        return None
    return "must be one of " + ", ".join(values)


def _check_enum(
    ctx: _Context, section: str, i: int, spec: dict[str, Any], ftype: Any
) -> None:
    """``type: enum`` needs a non-empty ``enum`` list of text, and only it takes one."""
    values = spec.get("enum")
    if ftype != "enum":
        if values is not None:
            ctx.problems.add((section, i, "enum"),
                             f"enum values are for fields of type enum, not {ftype}")
        return
    if not isinstance(values, list) or not values or not all(
        isinstance(v, str) and v for v in values
    ):
        ctx.problems.add((section, i, "enum"),
                         "a field of type enum needs enum: a non-empty list of text values")
        return
    if len(set(values)) != len(values):
        ctx.problems.add((section, i, "enum"), "enum lists a value twice")
    default = spec.get("default")
    if isinstance(default, str) and enum_problem(default, values):
        ctx.problems.add((section, i, "default"),
                         f"default {_short(default)} is not one of the enum values")


def _check_auth_methods(ctx: _Context) -> None:
    every_key = {k for keys in AUTH_KEYS.values() for k in keys}
    for i, method in _dicts(ctx.data.get("auth_methods")):
        kind = method.get("type")
        if not isinstance(kind, str) or kind not in AUTH_KEYS:
            continue
        needed = AUTH_KEYS[kind]
        for key in needed:
            if method.get(key) is None:
                ctx.problems.add(("auth_methods", i), f"auth type {kind} needs '{key}'")
        for key in sorted(every_key - set(needed)):
            if method.get(key) is not None:
                ctx.problems.add(
                    ("auth_methods", i, key),
                    f"'{key}' does not apply to auth type {kind} (it takes "
                    f"{', '.join(needed)})",
                    key=True,
                )
        for key in needed:
            if kind == "header" and key == "name":
                header = _str(method.get("name"))
                if header is not None and not HEADER_RE.match(header):
                    ctx.problems.add(
                        ("auth_methods", i, "name"), f"'{header}' is not a valid HTTP header name"
                    )
                continue
            ctx.template(method.get(key), ("auth_methods", i, key), None, auth=True)


def _schema_properties(schema: dict[str, Any]) -> set[str]:
    props = schema.get("properties")
    return set(props) if isinstance(props, dict) else set()


def _check_tools(ctx: _Context) -> None:
    first: dict[str, int] = {}
    for i, tool in _dicts(ctx.data.get("tools")):
        loc: Loc = ("tools", i)
        name = _str(tool.get("name"))
        if name is not None:
            if not TOOL_NAME_RE.match(name):
                ctx.problems.add(
                    (*loc, "name"),
                    f"'{name}' is not a valid tool name: letters, digits, '-' and '_', "
                    "starting with a letter, at most 64 characters",
                )
            elif name in first:
                ctx.problems.add(
                    (*loc, "name"),
                    f"tool name '{name}' is already used by tools[{first[name]}]",
                )
            else:
                first[name] = i
        operation = _str(tool.get("operation"))
        if operation is not None and not OPERATION_RE.match(operation):
            ctx.problems.add(
                (*loc, "operation"),
                f"'{operation}' is not a valid operation: dotted names like issue.read",
            )
        schema = tool.get("input_schema", {"type": "object", "properties": {}})
        params: set[str] = set()
        if isinstance(schema, dict):
            _check_input_schema(ctx, schema, (*loc, "input_schema"))
            params = _schema_properties(schema)
            ctx.tool_schemas.append((i, name or f"tools[{i}]", schema))
        _check_executor(ctx, tool, loc, params)
    for i, tool in _dicts(ctx.data.get("tools")):
        schema = tool.get("input_schema", {"type": "object", "properties": {}})
        if isinstance(schema, dict):
            _check_dimensions(
                ctx, tool.get("scope_dimensions"), ("tools", i, "scope_dimensions"), schema
            )


def _check_input_schema(ctx: _Context, schema: dict[str, Any], loc: Loc) -> None:
    if schema.get("type") != "object":
        ctx.problems.add(
            (*loc, "type") if "type" in schema else loc,
            "input_schema must be a JSON Schema with type: object (tools take named parameters)",
        )
    dialect = schema.get("$schema")
    if dialect is not None and not isinstance(dialect, str):
        ctx.problems.add((*loc, "$schema"), "$schema must be the URI of a JSON Schema draft")
        cls: Any = Draft202012Validator
    else:
        cls = validator_for(schema, default=Draft202012Validator)
    meta = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
    schema_ok = True
    for err in sorted(meta.iter_errors(schema), key=lambda e: [str(p) for p in e.absolute_path]):
        schema_ok = False
        where = (*loc, *err.absolute_path)
        if err.validator == "format" and err.validator_value == "regex":
            try:
                re.compile(str(err.instance))
                reason = "not a valid regular expression"
            except re.error as rexc:
                reason = f"not a valid regular expression: {rexc}"
            ctx.problems.add(where, f"pattern {_short(err.instance)} is {reason}")
        elif err.absolute_path and err.absolute_path[-1] == "type" and err.validator == "anyOf":
            ctx.problems.add(
                where,
                f"not a valid JSON Schema: {_short(err.instance)} is not a JSON Schema type "
                f"(string, integer, number, boolean, array, object, null)"
                f"{suggest(str(err.instance), JSON_TYPES)}",
            )
        else:
            message = err.message if len(err.message) <= 160 else err.message[:157] + "..."
            ctx.problems.add(where, f"not a valid JSON Schema: {message}")
    if schema_ok:
        for path, pattern in _regexes(schema, loc):
            problem = regex_problem(pattern)
            if problem is not None:
                ctx.problems.add(path, f"pattern {problem}")
    for path, ref in _refs(schema, loc):
        if not ref.startswith("#"):
            ctx.problems.add(path, f"$ref '{ref}' points outside the schema; only local "
                             "references (#/...) are supported")
    props = schema.get("properties")
    required = schema.get("required")
    if isinstance(props, dict) and isinstance(required, list):
        for j, name in enumerate(required):
            if isinstance(name, str) and name not in props:
                ctx.problems.add(
                    (*loc, "required", j),
                    f"required names '{name}', which is not a property of input_schema"
                    f"{suggest(name, props)}",
                )
    if schema_ok and isinstance(props, dict):
        for pname, pschema in props.items():
            if isinstance(pschema, dict) and "default" in pschema:
                try:
                    error = next(iter(cls(pschema).iter_errors(pschema["default"])), None)
                except Exception:  # e.g. a $ref the property's own schema cannot resolve
                    continue
                if error is not None:
                    ctx.problems.add(
                        (*loc, "properties", pname, "default"),
                        f"default {_short(pschema['default'])} does not fit the property's "
                        f"own schema: {error.message}",
                    )


def _regexes(value: Any, loc: Loc) -> list[tuple[Loc, str]]:
    """Every regular expression in a schema (``pattern`` values, ``patternProperties``
    keys), which params will be matched against."""
    found: list[tuple[Loc, str]] = []
    stack: list[tuple[Any, Loc]] = [(value, loc)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "pattern" and isinstance(item, str):
                    found.append(((*where, key), item))
                elif key == "patternProperties" and isinstance(item, dict):
                    found.extend(((*where, key, k), k) for k in item if isinstance(k, str))
                    stack.extend((v, (*where, key, k)) for k, v in item.items())
                else:
                    stack.append((item, (*where, key)))
        elif isinstance(node, list):
            stack.extend((item, (*where, i)) for i, item in enumerate(node))
    return found


def _refs(value: Any, loc: Loc) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                found.append(((*loc, key), item))
            else:
                found.extend(_refs(item, (*loc, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(_refs(item, (*loc, i)))
    return found


def _check_executor(ctx: _Context, tool: dict[str, Any], loc: Loc, params: set[str]) -> None:
    http = tool.get("http")
    executor = tool.get("executor")
    if http is not None and executor is not None:
        ctx.problems.add(
            (*loc, "executor"),
            "a tool takes either an http block or a built-in executor, not both",
            key=True,
        )
    if executor == MCP_EXECUTOR:
        _check_mcp_tool(ctx, tool, loc)
    elif isinstance(executor, str):
        _check_builtin(ctx, executor, loc, params)
    if tool.get("mcp") is not None and executor != MCP_EXECUTOR:
        ctx.problems.add((*loc, "mcp"), "an mcp: block belongs to a tool with executor: mcp",
                         key=True)
    if isinstance(http, dict):
        _check_http(ctx, http, (*loc, "http"), params)


def _check_builtin(ctx: _Context, executor: str, loc: Loc, params: set[str]) -> None:
    spec = ACTION_SPECS.get(executor)
    if spec is None:
        names = sorted(ACTION_SPECS)
        if executor == "http":
            hint = "; for HTTP write an http: block (method, path, query, headers, body)"
        elif any(n.startswith(executor + ".") for n in names):
            actions = [n for n in names if n.startswith(executor + ".")]
            hint = f"; name the action: {', '.join(actions)}"
        else:
            hint = suggest(executor, names) or f"; built-in executors are {', '.join(names)}"
        ctx.problems.add((*loc, "executor"), f"unknown executor '{executor}'{hint}")
        return
    for param in spec.params:
        if param not in params:
            ctx.problems.add(
                (*loc, "input_schema"),
                f"executor {executor} reads the '{param}' parameter, but input_schema has no "
                f"property '{param}'",
            )
    for field in spec.config:
        if field not in ctx.config_fields:
            ctx.problems.add(
                (*loc, "executor"),
                f"executor {executor} needs config field '{field}', but config_schema does "
                "not declare it",
            )


def _check_http(ctx: _Context, http: dict[str, Any], loc: Loc, params: set[str]) -> None:
    if "api_base" not in ctx.config_fields:
        ctx.problems.add(
            loc,
            "http tools are sent to config.api_base, but config_schema declares no "
            "'api_base' field",
        )
    path = _str(http.get("path"))
    if path is not None:
        if not path.startswith("/") or "://" in path:
            ctx.problems.add(
                (*loc, "path"),
                f"path {_short(path)} must start with '/': requests go to config.api_base + path",
            )
        ctx.template(path, (*loc, "path"), params)
    for part in ("query", "body"):
        value = http.get(part)
        for sub, text in walk_strings(value):
            where: Loc = (*loc, part, *_loc_of(sub))
            ctx.template(text, where, params)
    headers = http.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(name, str) and not HEADER_RE.match(name):
                ctx.problems.add((*loc, "headers", name), f"'{name}' is not a valid HTTP header "
                                 "name", key=True)
            ctx.template(value, (*loc, "headers", name), params)


def _loc_of(dotted: str) -> Loc:
    """``a.b[2]`` (from ``walk_strings``) -> ``("a", "b", 2)``."""
    out: list[str | int] = []
    for match in re.finditer(r"\[(\d+)\]|\.?([^.\[]+)", dotted):
        out.append(int(match.group(1)) if match.group(1) is not None else match.group(2))
    return tuple(out)


def _resolve_path(schema: dict[str, Any], segments: list[str]) -> str | None:
    """Why a param path does not lead into the schema, or None if it does."""
    node: Any = schema
    where = "input_schema"
    for i, seg in enumerate(segments):
        if not isinstance(node, dict):
            return None  # an untyped corner of the schema: anything may be there
        declared = node.get("type")
        if seg == "[*]":
            if declared is not None and declared != "array" and not (
                isinstance(declared, list) and "array" in declared
            ):
                return f"{where} is {declared}, not an array, so [*] does not apply"
            node = node.get("items", {})
            where = f"{where}[*]" if where != "input_schema" else "[*]"
            continue
        props = node.get("properties")
        if isinstance(props, dict):
            if seg not in props:
                return f"'{seg}', which is not a property of {where}{suggest(seg, props)}"
        elif i == 0:
            return f"'{seg}', which is not a property of input_schema (it declares none)"
        elif declared is not None and declared != "object":
            return f"'{seg}' under {where}, which is {declared}, not an object"
        else:
            return None
        node = props[seg]
        where = seg if where == "input_schema" else f"{where}.{seg}"
    return None


def _check_dimensions(
    ctx: _Context, dims: Any, loc: Loc, tool_schema: dict[str, Any] | None
) -> None:
    """Top-level dimensions (``tool_schema`` None) must fit some tool; a tool's own, that tool."""
    first: dict[str, int] = {}
    for i, dim in _dicts(dims):
        dloc: Loc = (*loc, i)
        key = _str(dim.get("key"))
        if key is not None:
            if not KEY_RE.match(key):
                ctx.problems.add((*dloc, "key"), f"'{key}' is not a valid dimension key: "
                                 "letters, digits, '-' and '_'")
            elif key in first:
                ctx.problems.add(
                    (*dloc, "key"),
                    f"scope dimension key '{key}' is already used by {loc[-1]}[{first[key]}]",
                )
            else:
                first[key] = i
        template = _str(dim.get("error_template"))
        if template is not None:
            if "{value}" not in template:
                ctx.problems.add(
                    (*dloc, "error_template"),
                    "error_template must contain {value}, the value that was refused",
                )
            for name in _PLACEHOLDER_RE.findall(template):
                if name != "value":
                    ctx.problems.add(
                        (*dloc, "error_template"),
                        f"error_template names '{{{name}}}'; only {{value}} is filled in",
                    )
        paths = dim.get("param_paths")
        if not isinstance(paths, list):
            continue
        for j, path in enumerate(paths):
            if not isinstance(path, str):
                continue
            ploc: Loc = (*dloc, "param_paths", j)
            if not PARAM_PATH_RE.match(path):
                ctx.problems.add(
                    ploc,
                    f"'{path}' is not a param path: dotted property names, [*] for every item "
                    "of an array (e.g. labels[*] or issue.fields.project)",
                )
                continue
            _check_param_path(ctx, path, ploc, tool_schema)


def _check_param_path(
    ctx: _Context, path: str, loc: Loc, tool_schema: dict[str, Any] | None
) -> None:
    segments = split_param_path(path)
    schemas = [tool_schema] if tool_schema is not None else [s for _, _, s in ctx.tool_schemas]
    reasons = [_resolve_path(s, segments) for s in schemas]
    if not schemas or any(r is None for r in reasons):
        return
    head = segments[0]
    having = [r for s, r in zip(schemas, reasons, strict=False) if head in _schema_properties(s)]
    if having:
        ctx.problems.add(loc, f"param_paths names '{path}': {having[0]}")
    elif tool_schema is not None:
        ctx.problems.add(loc, f"param_paths names {reasons[0]}")
    else:
        every = set().union(*(_schema_properties(s) for s in schemas))
        ctx.problems.add(
            loc,
            f"param_paths names '{head}', which is not a property of input_schema in any tool"
            f"{suggest(head, every)}",
        )


MCP_EXECUTOR = "mcp"
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
#: variables that change what a program loads or runs: their values are written out, never
#: filled from a resource's config (whoever creates a resource would choose the code)
_LOADER_ENV = re.compile(
    r"^(LD_\w*|DYLD_\w*|PATH|PYTHON\w*|NODE_OPTIONS|NODE_PATH|PERL5\w*|RUBY\w*|BASH_ENV|ENV"
    r"|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|GIT_\w*)$"
)
_MCP_LIMITS = {"timeout_s": (0.1, 3600.0), "start_timeout_s": (0.1, 600.0),
               "listing_ttl_s": (0.0, 86_400.0),
               "max_message_bytes": (1024, 64 * 1024 * 1024)}


def _check_mcp_tool(ctx: _Context, tool: dict[str, Any], loc: Loc) -> None:
    if not isinstance(ctx.data.get("mcp"), dict):
        ctx.problems.add((*loc, "executor"), "executor: mcp needs the manifest's top-level "
                         "mcp: block (a command or a url)")
    spec = tool.get("mcp")
    if spec is None:
        ctx.problems.add(loc, "an executor: mcp tool needs mcp: {tool: NAME, schema_digest: "
                         "...}; monstrum integrations import-mcp writes it")
        return
    if not isinstance(spec, dict):
        return
    digest = _str(spec.get("schema_digest"))
    if digest is not None and not DIGEST_RE.match(digest):
        ctx.problems.add((*loc, "mcp", "schema_digest"), "schema_digest must be the 64 "
                         "hexadecimal characters import-mcp wrote for this tool")
    name = _str(spec.get("tool"))
    if name is not None and not (0 < len(name) <= 128):
        ctx.problems.add((*loc, "mcp", "tool"), "the MCP tool name must be 1-128 characters")


def _literal(ctx: _Context, value: Any, loc: Loc, what: str) -> None:
    if isinstance(value, str) and ("{" in value or "}" in value):
        ctx.problems.add(loc, f"{what} is run as written: templates are not allowed here "
                         "(put values from config or credentials in env)")
    if isinstance(value, str) and "\x00" in value:
        ctx.problems.add(loc, f"{what} contains a NUL character")


def _check_mcp_server(ctx: _Context) -> None:
    """The ``mcp:`` block: one transport, literal commands, templates only where a value
    reaches the server at call time (env values, the URL, header values)."""
    spec = ctx.data.get("mcp")
    if not isinstance(spec, dict):
        return
    loc: Loc = ("mcp",)
    command, url = spec.get("command"), spec.get("url")
    if (command is None) == (url is None):
        ctx.problems.add(loc, "mcp needs exactly one of command (a stdio server) or url (a "
                         "Streamable HTTP server)")
    if command is not None:
        _literal(ctx, command, (*loc, "command"), "command")
        if isinstance(command, str) and not command.strip():
            ctx.problems.add((*loc, "command"), "command is empty")
        for i, arg in enumerate(spec.get("args") or [] if isinstance(spec.get("args"), list)
                                else []):
            _literal(ctx, arg, (*loc, "args", i), "an argument")
        _literal(ctx, spec.get("cwd"), (*loc, "cwd"), "cwd")
        if spec.get("headers"):
            ctx.problems.add((*loc, "headers"), "headers apply to url servers; a stdio "
                             "server gets credentials through env", key=True)
    if url is not None:
        ctx.template(url, (*loc, "url"), None)
        if isinstance(url, str) and "credentials." in url:
            ctx.problems.add((*loc, "url"), "the url must not carry credentials (URLs end up "
                             "in logs): send them in headers")
        elif isinstance(url, str) and "{" not in url and not re.match(r"^https?://[^/\s]+", url):
            ctx.problems.add((*loc, "url"), f"{_short(url)} is not an http(s) URL")
        for key in ("args", "env", "cwd"):
            if spec.get(key):
                ctx.problems.add((*loc, key), f"{key} applies to command servers; a url "
                                 "server gets credentials through headers", key=True)
    env = spec.get("env")
    if isinstance(env, dict):
        for name, value in env.items():
            if isinstance(name, str) and not ENV_NAME_RE.match(name):
                ctx.problems.add((*loc, "env", name), f"'{name}' is not an environment "
                                 "variable name", key=True)
            elif isinstance(name, str) and _LOADER_ENV.match(name) and isinstance(value, str) \
                    and ("{" in value or "}" in value):
                ctx.problems.add((*loc, "env", name), f"{name} decides what the server loads "
                                 "and runs: write its value out, templates are not allowed")
                continue
            ctx.template(value, (*loc, "env", name), None)
    headers = spec.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(name, str) and not HEADER_RE.match(name):
                ctx.problems.add((*loc, "headers", name), f"'{name}' is not a valid HTTP "
                                 "header name", key=True)
            ctx.template(value, (*loc, "headers", name), None)
    for key, (low, high) in _MCP_LIMITS.items():
        value = spec.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not (
            low <= value <= high
        ):
            ctx.problems.add((*loc, key), f"{key} must be between {low:g} and {high:g}")
