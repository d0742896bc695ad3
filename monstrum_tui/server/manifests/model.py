"""The manifest of an integration, as a pydantic model (the structure; ``checks`` does the rest).

Executors (an extension to the guide's format) are declared per tool, with at most
one of:

- ``http:`` a request sent to the resource's ``config.api_base``::

      http:
        method: GET                      # GET POST PUT PATCH DELETE HEAD
        path: /rest/api/3/project/{params.project}/issues
        query: {status: "{params.status}", maxResults: "{params.max_results}"}
        headers: {Accept: application/json}
        body: {fields: {summary: "{params.summary}"}}   # any JSON value

  Strings are templates over ``{params.NAME}``, ``{config.NAME}`` and
  ``{credentials.NAME}``; a string that is exactly one reference keeps the value's
  type, and a query/body entry whose sole reference is an absent parameter is left
  out. Credentials are applied by the manifest's ``auth_methods``.
- ``executor: BUILTIN.ACTION``, a built-in Python executor: ``filesystem.list``,
  ``filesystem.read``, ``filesystem.search``, ``shell.run``.

- ``executor: mcp``, a tool of the MCP server the manifest's top-level ``mcp:`` block
  declares (``McpServerSpec``), with the tool's ``mcp:`` naming the server's tool and
  the digest of its input schema when the manifest was made::

      mcp:
        command: /usr/local/bin/notes-mcp      # stdio: a program and its arguments,
        args: [--stdio]                        #   literal (no templates)
        env: {NOTES_TOKEN: "{credentials.token}"}   # templates: config, credentials
        # or: url: "{config.mcp_url}"          # Streamable HTTP (a template over config)
        #     headers: {Authorization: "Bearer {credentials.token}"}
      tools:
        - name: read_note
          operation: notes.read
          executor: mcp
          mcp: {tool: read_note, schema_digest: 3f2a...}
          input_schema: {...}                  # as the server lists it (or tighter)

  ``monstrum integrations import-mcp`` writes these from the server's own listing.

A tool with none uploads fine and fails with a clear "no executor" error when called.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FieldType = Literal[
    "string", "secret", "url", "integer", "number", "boolean", "list", "enum"
]
MatchMode = Literal["pattern", "exact", "prefix", "regex"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
AuthType = Literal["basic", "bearer", "header"]

DEFAULT_ERROR_TEMPLATE = "{value} is outside the allowed scope"


class ManifestPart(BaseModel):
    """Strict and closed: wrong types and unknown keys are problems, not guesses."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SchemaField(ManifestPart):
    """One field of ``credential_schema`` or ``config_schema``."""

    field: str
    type: FieldType = "string"
    required: bool = False
    default: Any = None
    description: str = ""
    #: the values a field of type ``enum`` takes (one of them)
    enum: list[str] | None = None


class ResourceTypeSpec(ManifestPart):
    id: str
    name: str


class AuthMethod(ManifestPart):
    """How credentials go on a request (basic, bearer or header); values are templates."""

    type: AuthType
    username: str | None = None
    password: str | None = None
    token: str | None = None
    name: str | None = None
    value: str | None = None


AUTH_KEYS: dict[str, tuple[str, ...]] = {
    "basic": ("username", "password"),
    "bearer": ("token",),
    "header": ("name", "value"),
}


class HttpSpec(ManifestPart):
    method: HttpMethod = "GET"
    path: str
    query: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None


class ScopeDimensionSpec(ManifestPart):
    key: str
    param_paths: list[str] = Field(min_length=1)
    match_mode: MatchMode = "pattern"
    error_template: str = DEFAULT_ERROR_TEMPLATE
    description: str = ""


class McpServerSpec(ManifestPart):
    """The MCP server a manifest's ``executor: mcp`` tools run on (stdio or HTTP)."""

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    #: seconds for each call (and each tools/list)
    timeout_s: int | float = 30
    #: seconds for the server to start and answer the handshake
    start_timeout_s: int | float = 30
    #: seconds a tools/list answer is trusted before the schemas are checked again
    listing_ttl_s: int | float = 5
    #: the largest message (and so result) read from the server
    max_message_bytes: int = 4 * 1024 * 1024


class McpToolSpec(ManifestPart):
    """Which tool of the MCP server this is, and its input schema's digest at import."""

    tool: str | None = None
    schema_digest: str


class ToolSpec(ManifestPart):
    name: str
    description: str = ""
    operation: str
    input_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    #: dimensions of this tool only; one with a top-level dimension's key replaces it here
    scope_dimensions: list[ScopeDimensionSpec] = Field(default_factory=list)
    http: HttpSpec | None = None
    executor: str | None = None
    mcp: McpToolSpec | None = None


class Manifest(ManifestPart):
    name: str
    version: str
    description: str = ""
    resource_type: ResourceTypeSpec
    credential_schema: list[SchemaField] = Field(default_factory=list)
    config_schema: list[SchemaField] = Field(default_factory=list)
    auth_methods: list[AuthMethod] = Field(default_factory=list)
    tools: list[ToolSpec] = Field(min_length=1)
    scope_dimensions: list[ScopeDimensionSpec] = Field(default_factory=list)
    mcp: McpServerSpec | None = None
