"""Wire models: the JSON shapes of the REST API, defined once.

The server uses these as its response models and the client parses responses
into them, so the two cannot drift apart. Models accept unknown fields so an
older client keeps working against a newer server.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")

BotStatus = Literal["active", "paused"]
#: ``waiting_approval``: a tool call of the task waits for a person to approve it
TaskStatus = Literal["queued", "running", "waiting_approval", "completed", "failed", "cancelled"]
#: every task status, in lifecycle order (a new state is added to ``TaskStatus`` only)
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)
FINISHED_TASK_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
#: a task that has not ended yet: it may still be cancelled, and its counts still move
UNFINISHED_TASK_STATUSES: tuple[str, ...] = tuple(
    s for s in TASK_STATUSES if s not in FINISHED_TASK_STATUSES
)
ACTIVE_TASK_STATUSES: frozenset[str] = frozenset(UNFINISHED_TASK_STATUSES)
EventType = Literal[
    "started", "message", "tool_call", "result", "denied", "error", "complete", "approval",
]
AuditStatus = Literal["success", "error", "denied", "pending", "unknown", "would_deny"]
#: every audit status, in the order filters offer them: ``pending`` is a call decided and
#: running (or waiting for approval), ``unknown`` one whose outcome the server never learned
#: (it stopped mid-call), ``would_deny`` a call that policy would deny but that ran because
#: its bot or binding is in shadow mode (``enforce: log_only``)
AUDIT_STATUSES: tuple[str, ...] = ("success", "error", "denied", "pending", "unknown", "would_deny")
#: how a bot or binding applies its policy: ``log_only`` runs calls that would be denied
#: and audits them as ``would_deny`` (shadow mode)
Enforcement = Literal["enforce", "log_only"]
ApprovalStatus = Literal["pending", "approved", "rejected", "expired", "cancelled"]
#: every approval status; ``pending`` waits for a person, the others are final
APPROVAL_STATUSES: tuple[str, ...] = ("pending", "approved", "rejected", "expired", "cancelled")

#: every scope a key may hold, with what it lets the key do: the SDK guide's scope table
#: ("API Key 权限范围"), plus the scopes it leaves out; the dashboard's scope picker explains
#: scopes from here. A ``:write`` scope also grants its ``:read`` (``scope_grants``).
SCOPE_MEANINGS: dict[str, str] = {
    "bots:read": "list and view bots",
    "bots:write": "create, update and delete bots",
    "tasks:read": "list tasks and follow their events",
    "tasks:write": "start and manage tasks",
    "resources:read": "list resources and their configuration",
    "resources:write": "create and configure resources",
    "audit:read": "query the audit log",
    "approvals:read": "list the calls waiting for a person",
    "approvals:write": "decide the calls waiting for a person",
    "mcp:call": "act as any bot over MCP",
    "admin": "full access, keys too (use with care)",
}
SCOPES: tuple[str, ...] = tuple(SCOPE_MEANINGS)
#: the prefix of a scope that lets a key reach one bot's MCP endpoint only
MCP_BOT_SCOPE_PREFIX = "mcp:call:"
#: what ``mcp:call:BOT_ID`` lets a key do (the scope picker says it beside each bot)
MCP_BOT_SCOPE_MEANING = "act as this bot only, over MCP"


def mcp_bot_scope(bot_id: str) -> str:
    """The scope that lets a key reach ``bot_id``'s MCP endpoint (``/v1/bots/{id}/mcp``)."""
    return MCP_BOT_SCOPE_PREFIX + bot_id


#: characters that reorder or hide text on screen (bidi controls)
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")


#: names of the control characters people meet (unicodedata has none for them)
_CONTROL_NAMES = {0: "NUL", 9: "TAB", 10: "LINE FEED", 13: "CARRIAGE RETURN", 27: "ESC",
                  127: "DEL"}


def _describe(char: str) -> str:
    name = _CONTROL_NAMES.get(ord(char)) or unicodedata.name(char, "a control character")
    return f"U+{ord(char):04X} ({name})"


def _plain_name(value: str) -> str:
    """A name shown in lists and logs: one line of visible text (no control, format or
    bidi characters, which could disguise one bot or resource as another)."""
    if not value.strip():
        raise ValueError("must not be blank")
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs"):
            raise ValueError(f"must be plain text on one line: it contains {_describe(char)}")
    return value


def _plain_text(value: str) -> str:
    """A description: lines of text (newlines and tabs allowed, no other control or bidi
    characters)."""
    for char in value:
        if char in "\n\t":
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"must be plain text: it contains {_describe(char)}")
    return value


def _one_line_token(value: str) -> str:
    """An id, tool pattern, operation, scope key or value: no control characters and no
    lone surrogates (text that cannot be stored, hashed or sent back as UTF-8)."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"must be plain text on one line: it contains {_describe(char)}")
    return value


Name = Annotated[str, AfterValidator(_plain_name)]
Description = Annotated[str, AfterValidator(_plain_text)]
#: what a binding or a bot's operations are made of (see ``_one_line_token``)
Token = Annotated[str, AfterValidator(_one_line_token)]

#: the deepest nesting of objects and arrays accepted in a free-form JSON value (metadata,
#: config, a tool call's params): more cannot be serialized back (pydantic stops at 255)
#: nor walked without recursion limits, and no real value needs it
MAX_JSON_DEPTH = 64


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise ValueError(f"nests objects and arrays more than {MAX_JSON_DEPTH} levels deep")
    return value


#: a free-form JSON object in a request, nested at most ``MAX_JSON_DEPTH`` deep
JsonObject = Annotated[dict[str, Any], AfterValidator(_shallow)]


class WireModel(BaseModel):
    """Base of every wire model: tolerant of fields it does not know.

    Each model builds its validator on first use, not at import (``defer_build``): a
    program that reads bots never pays for the fifty-odd models it does not touch, and
    the dashboard paints sooner."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class Page(WireModel, Generic[T]):
    """One page of a list endpoint."""

    data: list[T]
    next_cursor: str | None = None


# --- bots -------------------------------------------------------------------


class ApprovalRule(WireModel):
    """Which calls of a binding wait for a person's approval, and for how long."""

    model_config = ConfigDict(extra="forbid")

    tools: list[str] = Field(
        default_factory=list, description="tool names (globs): every call of these waits"
    )
    scope: dict[str, list[str]] = Field(
        default_factory=dict,
        description="scope dimension key -> values (matched as the dimension matches): a call "
        "with a value that matches one of them waits",
    )
    timeout_s: float = Field(
        default=600.0, gt=0, le=7 * 24 * 3600,
        description="seconds to wait for a decision; then the call is rejected",
    )


class ResourceBinding(WireModel):
    """A bot's access to one resource: which tools, under which scope constraints."""

    resource_id: Token
    allowed_tools: list[Token] = Field(default_factory=list)
    scope_constraints: dict[Token, list[Token]] = Field(default_factory=dict)
    require_approval: ApprovalRule | None = Field(
        default=None, description="calls that wait for a person's approval before they run"
    )
    enforce: Enforcement = Field(
        default="enforce",
        description="log_only: calls this binding would deny run and are audited as would_deny",
    )


class Bot(WireModel):
    id: str
    name: str
    description: str = ""
    model: str = "scripted"
    status: BotStatus = "active"
    allowed_operations: list[str] = Field(default_factory=list)
    resource_bindings: list[ResourceBinding] = Field(default_factory=list)
    enforce: Enforcement = Field(
        default="enforce",
        description="log_only (shadow mode): calls that would be denied run and are audited "
        "as would_deny",
    )
    created_at: datetime
    updated_at: datetime


class BotCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(min_length=1, max_length=100)
    description: Description = Field(default="", max_length=2000)
    model: str = Field(default="scripted", min_length=1, max_length=200)
    status: BotStatus = "active"
    allowed_operations: list[Token] = Field(default_factory=list)
    resource_bindings: list[ResourceBinding] = Field(default_factory=list)
    enforce: Enforcement = "enforce"


class BotUpdate(WireModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, min_length=1, max_length=100)
    description: Description | None = Field(default=None, max_length=2000)
    model: str | None = Field(default=None, min_length=1, max_length=200)
    status: BotStatus | None = None
    allowed_operations: list[Token] | None = None
    resource_bindings: list[ResourceBinding] | None = None
    enforce: Enforcement | None = None


# --- resources and integrations --------------------------------------------


class ScopeDimension(WireModel):
    key: str
    param_paths: list[str]
    match_mode: Literal["pattern", "exact", "prefix", "regex"] = "pattern"
    error_template: str = "{value} is outside the allowed scope"
    description: str = ""


class Tool(WireModel):
    name: str
    description: str = ""
    operation: str
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    scope_dimensions: list[ScopeDimension] = Field(default_factory=list)
    executor: str | None = Field(
        default=None, description="how it runs: 'http GET /path', 'filesystem.read'...; "
        "None when the manifest declares no executor"
    )


class ToolAccess(WireModel):
    """Whether a bot may call one tool of a resource it is bound to, before any params.

    The server's verdict on checks 1-4 of the decision (bot active, binding, allowed
    tools, allowed operations); each call is still decided on its params and scope.
    """

    bot_id: str
    resource_id: str
    tool_name: str
    call_name: str = Field(
        description="the name the bot calls it by: the bare name, or RESOURCE_ID/TOOL when "
        "several bound resources offer a tool of that name"
    )
    operation: str
    may_call: bool
    check: str | None = Field(default=None, description="the first check that fails")
    reason: str = Field(default="", description="why not, when it may not")
    scope_constraints: dict[str, list[str]] = Field(
        default_factory=dict,
        description="for each scope dimension of the tool, the binding's allowed values "
        "([] when the binding leaves the dimension out: nothing is allowed)",
    )
    tool: Tool | None = Field(default=None, description="the tool itself (schema, dimensions)")


class ResourceBindingInfo(WireModel):
    """A bot bound to a resource, with its binding and the tools that binding lets it call."""

    bot_id: str
    bot_name: str
    bot_status: BotStatus = "active"
    allowed_operations: list[str] = Field(default_factory=list)
    allowed_tools: list[str] = Field(default_factory=list)
    scope_constraints: dict[str, list[str]] = Field(default_factory=dict)
    tools: list[str] = Field(
        default_factory=list,
        description="this resource's tools matched by allowed_tools (``access`` says whether "
        "the bot may call each; governance still decides each call on its params and scope)",
    )
    access: list[ToolAccess] = Field(
        default_factory=list, description="the server's verdict for each tool of the resource"
    )


class Resource(WireModel):
    id: str
    type: str
    name: str
    config: dict[str, Any] = Field(default_factory=dict)
    credentials_set: list[str] = Field(
        default_factory=list, description="names of the credential fields that hold a value"
    )
    tools: list[Tool] = Field(default_factory=list)
    bound_bots: list[str] = Field(default_factory=list)
    bindings: list[ResourceBindingInfo] = Field(default_factory=list)
    type_name: str | None = None
    integration_version: str | None = None
    created_at: datetime
    updated_at: datetime


class ResourceCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    name: Name = Field(min_length=1, max_length=100)
    id: str | None = Field(default=None, pattern=r"^res_[a-z0-9][a-z0-9_-]{1,62}$")
    config: JsonObject = Field(default_factory=dict)
    credentials: JsonObject = Field(default_factory=dict)


class ResourceUpdate(WireModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, min_length=1, max_length=100)
    config: JsonObject | None = None
    credentials: JsonObject | None = None


class Integration(WireModel):
    """An installed integration manifest, summarised."""

    name: str
    version: str
    description: str = ""
    resource_type: dict[str, Any]
    tools: list[Tool] = Field(default_factory=list)
    scope_dimensions: list[ScopeDimension] = Field(default_factory=list)
    credential_schema: list[dict[str, Any]] = Field(default_factory=list)
    config_schema: list[dict[str, Any]] = Field(default_factory=list)
    auth_methods: list[dict[str, Any]] = Field(default_factory=list)
    builtin: bool = False
    installed_at: datetime | None = None
    updated_at: datetime | None = None
    digest: str | None = None
    outcome: Literal["created", "upgraded", "unchanged"] | None = Field(
        default=None, description="on upload: what the upload did"
    )
    mcp: dict[str, Any] | None = Field(
        default=None, description="the MCP server its executor: mcp tools run on"
    )
    notes: list[str] = Field(
        default_factory=list, description="on upload: what was checked, or could not be"
    )


class McpImportRequest(WireModel):
    """``POST /v1/integrations/import/mcp``: list an MCP server's tools as a manifest."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="the integration's name")
    version: str = "1.0.0"
    description: str = Field(default="", max_length=2000)
    operation_prefix: str | None = Field(
        default=None, max_length=64, description="operations are PREFIX.read/.write/"
        ".destructive (default: the name)",
    )
    server: dict[str, Any] = Field(
        description="the manifest's mcp: block: command/args/env, or url/headers"
    )
    config: dict[str, Any] = Field(
        default_factory=dict, description="values for {config.X} while listing"
    )
    credentials: dict[str, Any] = Field(
        default_factory=dict,
        description="values for {credentials.X} while listing; used once, never stored",
    )


class McpImportProposal(WireModel):
    """The proposed manifest (YAML text to review, then upload) and what it holds."""

    manifest: str
    tools: list[dict[str, Any]] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list, description="tools left out, and why")


# --- tasks ------------------------------------------------------------------


class Task(WireModel):
    id: str
    bot_id: str
    status: TaskStatus
    input: str = ""
    output: str | None = None
    error: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    tool_calls: int = 0
    denials: int = 0
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class TaskCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    bot_id: str
    input: str = Field(default="", max_length=200_000)
    metadata: JsonObject = Field(default_factory=dict)


class Approval(WireModel):
    """A tool call waiting for (or decided by) a person: approve it and it runs."""

    id: str
    status: ApprovalStatus
    bot_id: str
    task_id: str | None = Field(default=None, description="None for a call made over MCP")
    resource_id: str
    tool_name: str
    operation: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, description="secrets redacted")
    reason: str = Field(default="", description="why the call needs approval")
    audit_id: str | None = Field(default=None, description="the audit entry of the call")
    via: Literal["task", "mcp"] = "task"
    requested_by: str | None = Field(
        default=None, description="MCP calls: the key that made the call (it cannot approve it)"
    )
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = Field(default=None, description="the approver's API key id")
    decided_by_name: str | None = Field(default=None, description="the approver's key name")
    decision_reason: str = Field(default="", description="what the approver wrote")


class ApprovalDecision(WireModel):
    """``POST /v1/approvals/{id}/approve`` or ``/reject``: the approver's reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000)


class ApprovalSummary(WireModel):
    """``GET /v1/approvals/summary``: how many calls wait for a person now."""

    pending: int


class TaskEvent(WireModel):
    """One event of a task's stream; which fields are set depends on ``type``."""

    seq: int
    task_id: str
    type: EventType
    timestamp: datetime
    tool_name: str | None = None
    resource_id: str | None = None
    call_id: str | None = None
    params: dict[str, Any] | None = None
    data: Any = None
    text: str | None = None
    turn: int | None = Field(
        default=None,
        description="message events: the model turn (or scripted line) the text belongs to; "
        "consecutive chunks of one turn join into one message, a new turn starts a new one",
    )
    reason: dict[str, Any] | None = None
    error: str | None = None
    output: str | None = None
    duration_ms: float | None = None
    status: TaskStatus | None = None
    audit_id: str | None = Field(
        default=None, description="tool calls: the audit entry that records this call"
    )
    approval: Approval | None = Field(
        default=None,
        description="approval events: the call waiting for a person (status pending), then "
        "the decision (approved, rejected, expired, cancelled)",
    )

    @property
    def is_terminal(self) -> bool:
        """Whether this is the task's last event (it carries the final ``status``)."""
        return self.status in FINISHED_TASK_STATUSES


class Decision(WireModel):
    """The platform's answer for one tool call, with why."""

    allowed: bool
    check: str | None = Field(default=None, description="the check that failed, if any")
    message: str = ""
    tool_name: str | None = None
    resource_id: str | None = None
    operation: str | None = None
    dimension: str | None = None
    param_path: str | None = None
    value: Any = None
    allowed_patterns: list[str] | None = None
    approval_required: str | None = Field(
        default=None, description="allowed calls that wait for a person: why"
    )
    enforce: Enforcement | None = Field(
        default=None,
        description="log_only when the bot or binding is in shadow mode: a denied call with "
        "this runs anyway and is audited as would_deny",
    )


class BotTools(WireModel):
    """``GET /v1/bots/{id}/tools``: every tool of the bot's bound resources, with access."""

    data: list[ToolAccess]


class BotDraft(WireModel):
    """``POST /v1/bot-drafts/tools``: the parts of a bot that decide what it may call,
    as a form holds them before saving (``bot_id``: the bot being edited, if any)."""

    model_config = ConfigDict(extra="forbid")

    bot_id: str | None = None
    name: str = Field(default="", max_length=100, description="named in the reasons")
    status: BotStatus = "active"
    allowed_operations: list[Token] = Field(default_factory=list)
    resource_bindings: list[ResourceBinding] = Field(default_factory=list)
    enforce: Enforcement = "enforce"


class BotToolsPreview(WireModel):
    """What a bot drafted as ``BotDraft`` may call, and what saving it would refuse."""

    data: list[ToolAccess]
    problems: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the 422 fields a save of these bindings would get (none: it saves)",
    )


class AuthorizeRequest(WireModel):
    model_config = ConfigDict(extra="forbid")

    tool: str
    params: JsonObject = Field(default_factory=dict)


# --- audit ------------------------------------------------------------------


class AuditEntry(WireModel):
    id: str
    timestamp: datetime
    bot_id: str
    task_id: str | None = None
    resource_id: str | None = None
    tool_name: str
    operation: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    status: AuditStatus
    reason: str = ""
    decision: dict[str, Any] | None = None
    duration_ms: float | None = None
    result_size: int | None = None
    hash: str | None = None
    prev_hash: str | None = Field(default=None, description="the hash of the entry before")
    seq: int | None = Field(default=None, description="position in the hash chain")


class AuditVerification(WireModel):
    ok: bool
    checked: int
    first_bad_id: str | None = None
    problem: str | None = None
    from_checkpoint: str | None = None
    from_anchor: str | None = Field(
        default=None, description="the last pruned entry, when retention pruned the start"
    )
    head_id: str | None = Field(default=None, description="the newest entry verified")
    sealed: bool = Field(
        default=False,
        description="the head, checkpoints and anchor were checked against the audit key "
        "(false: only the keyless hash chain was checked)",
    )
    mode: Literal["full", "fast"] = Field(
        default="full",
        description="full: every entry from the start (or the pruning anchor); fast: from "
        "the newest checkpoint only, so edits before it are not seen",
    )
    witnessed: bool = Field(
        default=False,
        description="the chain's head was checked against the sealed witness kept outside "
        "the database (so a truncated or emptied log is caught)",
    )
    pending: int = Field(default=0, description="entries decided whose outcome is not recorded")


class TaskSummary(WireModel):
    """What a task table shows beyond the task itself: failed calls and the last event."""

    task_id: str
    errors: int = Field(default=0, description="tool calls of the task that ran and failed "
                        "(audit status error)")
    last_event_type: EventType | None = None
    last_event_at: datetime | None = None
    last_event_tool: str | None = Field(
        default=None, description="the tool the last event is about, if any"
    )


class Throughput(WireModel):
    """Decided tool calls per time bucket, oldest bucket first (from the audit log)."""

    start: datetime = Field(description="start of the first bucket")
    bucket_seconds: int
    calls: list[int] = Field(default_factory=list, description="every decided call")
    denials: list[int] = Field(default_factory=list)
    errors: list[int] = Field(default_factory=list)


class TaskStats(WireModel):
    """``GET /v1/task-stats``: the overview of many tasks."""

    generated_at: datetime
    counts: dict[str, int] = Field(
        description="tasks per status, every status listed (0 when none)"
    )
    recent_seconds: int = Field(description="the window of ``recent``")
    recent: dict[str, int] = Field(
        description="tasks that ended within the last ``recent_seconds``, per final status"
    )
    throughput: Throughput
    tasks: list[TaskSummary] = Field(
        default_factory=list, description="one summary per task_id asked for"
    )


# --- the server ---------------------------------------------------------------


class ServerLimits(WireModel):
    max_running_tasks: int
    max_running_per_bot: int
    max_steps: int = Field(description="tool calls per task")
    task_timeout_s: float
    rate_limit_per_s: float = Field(description="requests per second per key; 0: unlimited")
    audit_retention_days: int | None = Field(default=None, description="None: keep all")


class ServerQueue(WireModel):
    queued: int
    running: int


class ServerDatabase(WireModel):
    kind: str = Field(description="sqlite, postgresql...")
    size_bytes: int | None = Field(default=None, description="None when it cannot be told")


class VerificationRecord(WireModel):
    """The last walk of the audit chain this server made, and who asked for it."""

    at: datetime
    by: str = Field(description="the name of the API key that asked")
    ok: bool
    checked: int
    first_bad_id: str | None = None
    problem: str | None = None


class AuditChainState(WireModel):
    entries: int
    head_id: str | None = None
    head_at: datetime | None = None
    sealed: bool = Field(description="the server holds the audit key and seals the chain")
    last_verification: VerificationRecord | None = Field(
        default=None, description="None: not verified since this server started"
    )


class ServerInfo(WireModel):
    """``GET /v1/server``: the platform's state. Names no secret and no file path."""

    version: str
    started_at: datetime
    uptime_seconds: float
    limits: ServerLimits
    queue: ServerQueue
    database: ServerDatabase
    audit: AuditChainState


# --- keys -------------------------------------------------------------------


class ApiKey(WireModel):
    id: str
    name: str
    scopes: list[str]
    prefix: str = Field(description="the first characters of the secret, for recognising it")
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1)


class ApiKeyCreated(ApiKey):
    """Returned once, on creation: the only time the secret is shown."""

    secret: str


class WhoAmI(WireModel):
    id: str
    name: str
    scopes: list[str]


class Health(WireModel):
    status: Literal["ok"] = "ok"
    version: str
    audit_ok: bool = Field(
        default=True, description="false when the audit chain's head does not hold: the "
        "platform then refuses new entries, so no tool call runs until it is repaired"
    )
    audit_problem: str | None = Field(default=None, description="why, when audit_ok is false")


# --- errors -----------------------------------------------------------------


class FieldProblem(WireModel):
    """One failing input of a 422: where (``resource_bindings[0].resource_id``) and why."""

    field: str
    message: str


class ErrorDetail(WireModel):
    """What went wrong; extra members depend on ``type`` (``bots`` on some 409s)."""

    type: str = Field(
        description="authentication_error, permission_error, not_found, conflict, "
        "validation_error, rate_limit_error, invalid_request or api_error"
    )
    message: str
    request_id: str | None = Field(default=None, description="also in the X-Request-Id header")
    required_scope: str | None = Field(default=None, description="403: the scope the key lacks")
    retry_after: int | None = Field(default=None, description="429: seconds, as Retry-After")
    fields: list[FieldProblem] | None = Field(default=None, description="422: each bad input")


class ErrorResponse(WireModel):
    """The body of every error answer of the API."""

    error: ErrorDetail


def scope_grants(held: list[str] | set[str] | tuple[str, ...], required: str) -> bool:
    """Whether the held scopes grant ``required``: admin grants all, :write grants :read,
    ``mcp:call`` grants ``mcp:call:BOT_ID`` for every bot."""
    if "admin" in held or required in held:
        return True
    if required.startswith(MCP_BOT_SCOPE_PREFIX):
        return "mcp:call" in held
    if required.endswith(":read"):
        return required[: -len(":read")] + ":write" in held
    return False


def can_write(scopes: list[str]) -> bool:
    """Whether a key with these scopes can change anything (not read-only)."""
    return any(s == "admin" or s.endswith(":write") for s in scopes)
