"""Wire models: the JSON shapes of the REST API, defined once.

The server uses these as its response models and the client parses responses
into them, so the two cannot drift apart. Models accept unknown fields so an
older client keeps working against a newer server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

BotStatus = Literal["active", "paused"]
TaskStatus = Literal["queued", "running", "completed", "failed", "cancelled"]
#: every task status, in lifecycle order (a new state is added to ``TaskStatus`` only)
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)
FINISHED_TASK_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
#: a task that has not ended yet: it may still be cancelled, and its counts still move
ACTIVE_TASK_STATUSES: frozenset[str] = frozenset(TASK_STATUSES) - FINISHED_TASK_STATUSES
EventType = Literal["started", "message", "tool_call", "result", "denied", "error", "complete"]
AuditStatus = Literal["success", "error", "denied"]

SCOPES: tuple[str, ...] = (
    "bots:read",
    "bots:write",
    "tasks:read",
    "tasks:write",
    "resources:read",
    "resources:write",
    "audit:read",
    "admin",
)


class WireModel(BaseModel):
    """Base of every wire model: tolerant of fields it does not know."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Page(WireModel, Generic[T]):
    """One page of a list endpoint."""

    data: list[T]
    next_cursor: str | None = None


# --- bots -------------------------------------------------------------------


class ResourceBinding(WireModel):
    """A bot's access to one resource: which tools, under which scope constraints."""

    resource_id: str
    allowed_tools: list[str] = Field(default_factory=list)
    scope_constraints: dict[str, list[str]] = Field(default_factory=dict)


class Bot(WireModel):
    id: str
    name: str
    description: str = ""
    model: str = "scripted"
    status: BotStatus = "active"
    allowed_operations: list[str] = Field(default_factory=list)
    resource_bindings: list[ResourceBinding] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class BotCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    model: str = Field(default="scripted", min_length=1, max_length=200)
    status: BotStatus = "active"
    allowed_operations: list[str] = Field(default_factory=list)
    resource_bindings: list[ResourceBinding] = Field(default_factory=list)


class BotUpdate(WireModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    model: str | None = Field(default=None, min_length=1, max_length=200)
    status: BotStatus | None = None
    allowed_operations: list[str] | None = None
    resource_bindings: list[ResourceBinding] | None = None


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
    name: str = Field(min_length=1, max_length=100)
    id: str | None = Field(default=None, pattern=r"^res_[a-z0-9][a-z0-9_-]{1,62}$")
    config: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] = Field(default_factory=dict)


class ResourceUpdate(WireModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    config: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None


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
    metadata: dict[str, Any] = Field(default_factory=dict)


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


class BotTools(WireModel):
    """``GET /v1/bots/{id}/tools``: every tool of the bot's bound resources, with access."""

    data: list[ToolAccess]


class AuthorizeRequest(WireModel):
    model_config = ConfigDict(extra="forbid")

    tool: str
    params: dict[str, Any] = Field(default_factory=dict)


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

    name: str = Field(min_length=1, max_length=100)
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
    """Whether the held scopes grant ``required``: admin grants all, :write grants :read."""
    if "admin" in held or required in held:
        return True
    if required.endswith(":read"):
        return required[: -len(":read")] + ":write" in held
    return False


def can_write(scopes: list[str]) -> bool:
    """Whether a key with these scopes can change anything (not read-only)."""
    return any(s == "admin" or s.endswith(":write") for s in scopes)
