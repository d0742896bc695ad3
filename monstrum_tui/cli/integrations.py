"""``monstrum integrations``: upload, validate (offline), list and show manifests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .output import CommandError, add_format_flag, make_client, print_json, print_table


def register(sub: Any) -> None:
    p = sub.add_parser("integrations", help="integration manifests (resource types)")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = s.add_parser("upload", help="install or upgrade a manifest from a YAML file")
    up.add_argument("file", type=Path)
    up.set_defaults(handler=upload)
    check = s.add_parser(
        "validate", help="check a manifest offline, with the same messages as an upload"
    )
    check.add_argument("file", type=Path)
    check.set_defaults(handler=validate)
    ls = s.add_parser("list", help="list installed integrations")
    add_format_flag(ls)
    ls.set_defaults(handler=list_integrations)
    get = s.add_parser("get", help="show one integration")
    get.add_argument("name")
    get.set_defaults(handler=get_integration)
    imp = s.add_parser(
        "import-mcp", help="list an MCP server's tools and write a manifest to review",
        description="Lists the tools of an MCP server (a stdio command, or a Streamable "
        "HTTP url) and writes a manifest proposal: each tool with its input schema, an "
        "operation from its hints, and the digest that pins it. Review it, add "
        "scope_dimensions, then `monstrum integrations upload` it.",
    )
    imp.add_argument("name", help="the integration's name, e.g. notes")
    where = imp.add_mutually_exclusive_group(required=True)
    where.add_argument("--command", help="the stdio server's program (runs on the platform)")
    where.add_argument("--url", help="the Streamable HTTP endpoint, e.g. https://x/mcp")
    imp.add_argument("--arg", action="append", default=[], dest="args",
                     help="an argument of --command (repeat)")
    imp.add_argument("--env", action="append", default=[], metavar="NAME=TEMPLATE",
                     help="env of --command, e.g. TOKEN={credentials.token} (repeat)")
    imp.add_argument("--header", action="append", default=[], metavar="NAME=TEMPLATE",
                     help="header for --url, e.g. 'Authorization=Bearer {credentials.token}'")
    imp.add_argument("--credential", action="append", default=[], metavar="NAME=VALUE",
                     help="a credential for this listing only (NAME=@FILE reads a file); "
                     "never stored")
    imp.add_argument("--version", default="1.0.0", dest="manifest_version")
    imp.add_argument("--operation-prefix", help="operations are PREFIX.read/.write/"
                     ".destructive (default: the name)")
    imp.add_argument("--output", "-o", type=Path, help="write the YAML here (default: stdout)")
    imp.set_defaults(handler=import_mcp)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text") from None


def _report(path: Path, problems: list[dict[str, Any]]) -> int:
    """Every problem on its own line (``FILE:LINE: PATH: MESSAGE``) on stderr; exit code 1."""
    for p in problems:
        where = f"{path}:{p['line']}" if p.get("line") else str(path)
        print(f"{where}: {p.get('field', 'manifest')}: {p.get('message', '')}", file=sys.stderr)
    count = len(problems)
    print(f"monstrum: error: {path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
    return 1


def validate(args: argparse.Namespace) -> int:
    from ..server.manifests import check_manifest_text

    manifest, problems = check_manifest_text(_read(args.file))
    if manifest is None:
        return _report(args.file, [p.as_field() for p in problems])
    print(
        f"{args.file}: ok: {manifest.name} {manifest.version}, resource type "
        f"{manifest.resource_type.id}, {len(manifest.tools)} tool(s)"
    )
    return 0


def upload(args: argparse.Namespace) -> int:
    from ..client.errors import ValidationError

    text = _read(args.file)
    with make_client(args) as client:
        try:
            integration = client.integrations.upload(manifest=text)
        except ValidationError as exc:
            fields = exc.fields or [{"field": "manifest", "message": exc.message}]
            return _report(args.file, fields)
    done = {"created": "installed", "upgraded": "upgraded", "unchanged": "already installed:"}
    verb = done.get(integration.outcome or "created", "installed")
    print(
        f"{verb} {integration.name} {integration.version} (resource type "
        f"{integration.resource_type.get('id')}, {len(integration.tools)} tool(s))"
    )
    return 0


def list_integrations(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        items = list(client.integrations.list())
    if args.format == "json":
        print_json(items)
    else:
        print_table(
            ["NAME", "VERSION", "TYPE", "TOOLS", "BUILTIN", "DESCRIPTION"],
            [[i.name, i.version, i.resource_type.get("id"), len(i.tools),
              "yes" if i.builtin else "", i.description] for i in items],
        )
    return 0


def get_integration(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        print_json(client.integrations.get(name=args.name))
    return 0


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CommandError(f"{what} must be NAME=VALUE, not {item!r}")
        if value.startswith("@"):
            value = _read(Path(value[1:])).strip()
        out[name] = value
    return out


def import_mcp(args: argparse.Namespace) -> int:
    server: dict[str, Any] = {}
    if args.command:
        server = {"command": args.command, "args": args.args}
        env = _pairs(args.env, "--env")
        if env:
            server["env"] = env
    else:
        server = {"url": args.url}
        headers = _pairs(args.header, "--header")
        if headers:
            server["headers"] = headers
    with make_client(args) as client:
        proposal = client.integrations.import_mcp(
            name=args.name, server=server, version=args.manifest_version,
            operation_prefix=args.operation_prefix,
            credentials=_pairs(args.credential, "--credential"),
        )
    if args.output:
        args.output.write_text(proposal.manifest, encoding="utf-8")
        print(f"wrote {args.output}: {len(proposal.tools)} tool(s); review it, add "
              f"scope_dimensions, then: monstrum integrations upload {args.output}",
              file=sys.stderr)
    else:
        print(proposal.manifest, end="")
    for skipped in proposal.skipped:
        print(f"left out {skipped}", file=sys.stderr)
    return 0
