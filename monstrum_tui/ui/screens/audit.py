"""The Audit screen: who called what, when, with which params, and why it was allowed or not.

Filters show as chips; ``/`` edits them as a query line with completion
(``bot:ops-runner res:shell status:denied since:1h deploy``: names are resolved by the
client layer, a name that is not there is said so), ``f`` as a form. The table is
virtual and pages from the server by cursor as it scrolls, holding only a window of
pages; ``d`` shows the whole entry under the cursor; ``t`` follows new entries; ``e``
exports the current filter; ``v`` verifies the hash chain; ``enter`` opens the entry's
task. Every request runs in a worker that posts a typed message back.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label

from ...client.errors import APIConnectionError, MonstrumError, NotFoundError, ValidationError
from ...client.models import AuditEntry, AuditVerification
from ...client.names import AmbiguousName, UnknownName
from ..audit_query import AuditQuery, BadFilter, BadTimeRange
from ..audit_window import PAGE_SIZE, PageRequest
from ..connection import ConnectionStatus
from ..messages import OpenTaskRequested, ShowAuditRequested
from ..query import Query
from ..widgets.audit_detail import AuditDetail
from ..widgets.audit_filter_bar import AuditFilterBar
from ..widgets.audit_table import AuditTable
from ..widgets.query_line import QueryLine
from .audit_export_dialog import AuditExportScreen
from .base import MonstrumScreen

#: seconds between live-tail polls
TAIL_INTERVAL = 1.0
#: bots/resources read for the pickers (names beyond this still filter by id)
NAMES_LIMIT = 5_000
TAIL_PAGE_SIZE = 500


class AuditPageLoaded(Message):
    def __init__(self, request: PageRequest, entries: list[AuditEntry],
                 next_cursor: str | None) -> None:
        super().__init__()
        self.request = request
        self.entries = entries
        self.next_cursor = next_cursor


class AuditLoadFailed(Message):
    """A page (or the tail) could not be read; ``error`` says why."""

    def __init__(self, request: PageRequest | None, error: str, *, connection: bool) -> None:
        super().__init__()
        self.request = request
        self.error = error
        self.connection = connection


class AuditTailArrived(Message):
    """New entries (newest first) for view ``generation``; ``overflow``: too many to add."""

    def __init__(self, generation: int, entries: list[AuditEntry], *, overflow: bool) -> None:
        super().__init__()
        self.generation = generation
        self.entries = entries
        self.overflow = overflow


class AuditNamesLoaded(Message):
    def __init__(self, bots: list[tuple[str, str]], resources: list[tuple[str, str]],
                 tools: list[str]) -> None:
        super().__init__()
        self.bots = bots
        self.resources = resources
        self.tools = tools


class QueryResolved(Message):
    """The query line's names resolved to ids (``query``), or why not (``problem``)."""

    def __init__(self, query: AuditQuery | None, problem: str = "", line: str = "") -> None:
        super().__init__()
        self.query = query
        self.problem = problem
        self.line = line


class AuditVerified(Message):
    def __init__(self, result: AuditVerification | None, error: str = "") -> None:
        super().__init__()
        self.result = result
        self.error = error


def verification_text(result: AuditVerification) -> str:
    """One line: ok with how many entries, or the first bad entry and why."""
    if result.ok:
        start = " from the last checkpoint" if result.from_checkpoint else ""
        sealed = "" if result.sealed else " (seals not checked: no audit key)"
        return f"chain verified: {result.checked:,} entries ok{start}{sealed}"
    return f"chain BROKEN at {result.first_bad_id}: {result.problem or 'does not verify'}"


class AuditScreen(MonstrumScreen):
    """The audit log: filter, scroll, inspect, follow, export, verify."""

    SCREEN_TITLE = "Audit"
    CSS_PATH = "audit.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "edit_query", "Filter", id="audit.query", key_display="/"),
        Binding("f", "edit_filters", "Form", id="audit.filter"),
        Binding("d", "toggle_detail", "Detail", id="audit.detail"),
        Binding("t", "toggle_tail", "Tail", id="audit.tail"),
        Binding("e", "export", "Export", id="audit.export"),
        Binding("v", "verify", "Verify", id="audit.verify"),
        Binding("enter", "open_task", "Open task", id="audit.open_task", show=False),
        Binding("c", "clear_filters", "Clear filters", id="audit.clear", show=False),
        Binding("ctrl+r", "reload", "Reload", id="audit.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.params: dict[str, Any] = {}
        self.tail_on = False
        self.load_error = ""
        self.verify_text = ""
        self.verify_ok = True
        self.names: dict[str, str] = {}

    def compose_body(self) -> ComposeResult:
        yield AuditFilterBar(id="audit-filters")
        yield Label("", id="audit-status", markup=False)
        with Vertical(id="audit-body"):
            yield AuditTable(id="audit-table")
            yield AuditDetail(id="audit-detail")

    @property
    def table(self) -> AuditTable:
        return self.query_one(AuditTable)

    @property
    def filter_bar(self) -> AuditFilterBar:
        return self.query_one(AuditFilterBar)

    @property
    def audit_query(self) -> AuditQuery:
        """The filters in force (remembered while the app runs: the screen is kept)."""
        return self.filter_bar.applied

    def on_mount(self) -> None:
        self.table.focus()
        self.watch(self.app, "connection", self.on_connection, init=False)
        self.load_names()
        self.start_view()

    # --- the view --------------------------------------------------------------

    def start_view(self) -> None:
        """Show the first page for the current filters (times made concrete now)."""
        try:
            self.params = self.audit_query.sdk_params(datetime.now(timezone.utc))
        except BadTimeRange as exc:
            self.params = {}
            self.load_error = str(exc)
            self.show_status()
            return
        self.load_error = ""
        query = self.audit_query
        self.table.set_hidden(frozenset(
            key for key, fixed in (("bot", query.bot_id), ("resource", query.resource_id),
                                   ("tool", query.tool_name)) if fixed))
        self.table.reset()
        self.show_status()

    @on(AuditTable.PagesWanted)
    def _pages_wanted(self, message: AuditTable.PagesWanted) -> None:
        for request in message.requests:
            self.fetch_page(request, dict(self.params))

    @work(group="audit-pages", exit_on_error=False)
    async def fetch_page(self, request: PageRequest, params: dict[str, Any]) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            page = await client.audit.list(**params, page_size=PAGE_SIZE).page(request.cursor)
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(AuditLoadFailed(request, exc.message, connection=True))
        except MonstrumError as exc:
            self.post_message(AuditLoadFailed(request, str(exc), connection=False))
        else:
            self.post_message(AuditPageLoaded(request, page.data, page.next_cursor))

    @on(AuditPageLoaded)
    def _page_loaded(self, message: AuditPageLoaded) -> None:
        if self.table.page_arrived(message.request, message.entries, message.next_cursor):
            self.load_error = ""
            self.show_status()

    @on(AuditLoadFailed)
    def _load_failed(self, message: AuditLoadFailed) -> None:
        if message.request is not None:
            if message.request.generation != self.table.window.generation:
                return
            self.table.window.page_failed(message.request)
        self.load_error = message.error
        self.show_status()

    def on_connection(self, status: ConnectionStatus) -> None:
        # a page that failed while the platform was away is asked for again
        if status.usable and self.load_error:
            self.load_error = ""
            self.table.ask_for_pages()
        self.show_status()

    def show_status(self) -> None:
        window = self.table.window
        parts: list[str] = []
        if not window.first_loaded:
            parts.append("loading…" if self.monstrum.connection.usable
                         else "waiting for the platform…")
        elif window.complete:
            count = window.row_count
            parts.append(f"{count:,} entr{'y' if count == 1 else 'ies'}")
        else:
            known = len(window.head) + (len(window.cursors) - 1) * window.page_size
            parts.append(f"more than {known:,} entries")
        if self.tail_on:
            parts.append("● live tail")
        if self.verify_text:
            parts.append(self.verify_text)
        if self.load_error:
            parts.append(f"load failed: {self.load_error}")
        label = self.query_one("#audit-status", Label)
        label.update(" · ".join(parts))
        label.set_class(bool(self.load_error) or not self.verify_ok, "-error")

    # --- names for the pickers and the table -----------------------------------

    @work(exclusive=True, group="audit-names", exit_on_error=False)
    async def load_names(self) -> None:
        client = await self.monstrum.wait_for_client()
        bots: list[tuple[str, str]] = []
        resources: list[tuple[str, str]] = []
        tools: list[str] = []
        try:
            async for bot in client.bots.list(limit=NAMES_LIMIT):
                bots.append((bot.id, bot.name))
            async for resource in client.resources.list(limit=NAMES_LIMIT):
                resources.append((resource.id, resource.name))
                tools.extend(tool.name for tool in resource.tools)
        except MonstrumError:
            pass  # the pickers then only take ids; the table shows ids
        self.post_message(AuditNamesLoaded(bots, resources, tools))

    @on(AuditNamesLoaded)
    def _names_loaded(self, message: AuditNamesLoaded) -> None:
        self.names = dict(message.bots) | dict(message.resources)
        self.filter_bar.set_choices(message.bots, message.resources, message.tools)
        self.table.set_names(self.names)
        detail = self.query_one(AuditDetail)
        detail.names = self.names
        # labels for an applied query that came with ids only
        query = self.audit_query
        labelled = query.with_changes(
            bot_label=query.bot_label or self.names.get(query.bot_id or ""),
            resource_label=query.resource_label or self.names.get(query.resource_id or ""),
        )
        if labelled != query:
            self.filter_bar.set_query(labelled)

    # --- filters ---------------------------------------------------------------

    def action_edit_filters(self) -> None:
        self.filter_bar.open()

    def action_edit_query(self) -> None:
        self.filter_bar.query_line.open()

    @on(AuditFilterBar.Applied)
    def _filters_applied(self, message: AuditFilterBar.Applied) -> None:
        self.start_view()

    @on(AuditFilterBar.Closed)
    def _filters_closed(self) -> None:
        self.table.focus()

    @on(QueryLine.Closed, "#audit-query")
    def _query_closed(self, message: QueryLine.Closed) -> None:
        message.stop()
        self.filter_bar.show_summary()  # the chips say what is in force, not what was typed
        if not self.filter_bar.is_editing:
            self.table.focus()

    @on(QueryLine.Changed, "#audit-query")
    def _query_changed(self, message: QueryLine.Changed) -> None:
        message.stop()
        self.resolve_query(message.query)

    @work(exclusive=True, group="audit-resolve", exit_on_error=False)
    async def resolve_query(self, line: Query) -> None:
        """Turn the line's names into ids (the client's one rule: a unique piece of a name
        will do for a lookup), then post the filters it means."""
        client = await self.monstrum.wait_for_client()
        terms = line.terms
        changes: dict[str, Any] = {}
        try:
            if terms.get("bot"):
                try:
                    bot = await client.bots.resolve(terms["bot"], partial=True)
                    changes.update(bot_id=bot.id, bot_label=bot.name)
                except NotFoundError:
                    if not terms["bot"].startswith("bot_"):
                        raise
                    changes.update(bot_id=terms["bot"])  # a deleted bot's id: its history
            if terms.get("res"):
                try:
                    resource = await client.resources.resolve(terms["res"], partial=True)
                    changes.update(resource_id=resource.id, resource_label=resource.name)
                except NotFoundError:
                    if not terms["res"].startswith("res_"):
                        raise
                    changes.update(resource_id=terms["res"])
        except (UnknownName, AmbiguousName) as exc:
            self.post_message(QueryResolved(None, str(exc), line.to_text()))
            return
        except MonstrumError as exc:
            self.post_message(QueryResolved(None, f"could not look the names up: {exc}",
                                            line.to_text()))
            return
        since = terms.get("since")
        start, end = terms.get("from", ""), terms.get("to", "")
        preset = "custom" if (start or end) else (since or "all")
        try:
            query = AuditQuery(
                tool_name=terms.get("tool"), status=terms.get("status"),
                task_id=terms.get("task"), time_preset=preset, start=start, end=end,
                q=line.text or None, **changes,
            ).checked()
        except BadFilter as exc:
            self.post_message(QueryResolved(None, str(exc), line.to_text()))
            return
        self.post_message(QueryResolved(query))

    @on(QueryResolved)
    def _query_resolved(self, message: QueryResolved) -> None:
        if message.query is None:
            line = self.filter_bar.query_line
            line.open(message.line)
            line.show_problem(message.problem)
            return
        self.filter_bar.set_query(message.query)
        self.start_view()

    def clear_state(self) -> bool:
        if self.has_class("-detail"):
            self.remove_class("-detail")
            return True
        if self.audit_query.is_empty:
            return False
        self.action_clear_filters()
        return True

    def action_clear_filters(self) -> None:
        self.filter_bar.set_query(AuditQuery())
        self.start_view()

    def action_reload(self) -> None:
        self.verify_text = ""  # a verification says what was true then: not after a reload
        self.verify_ok = True
        self.start_view()

    @on(ShowAuditRequested)
    def _show_requested(self, request: ShowAuditRequested) -> None:
        self.filter_bar.set_query(
            AuditQuery(
                task_id=request.task_id,
                bot_id=request.bot_id, bot_label=self.names.get(request.bot_id or ""),
                resource_id=request.resource_id,
                resource_label=self.names.get(request.resource_id or ""),
            )
        )
        self.start_view()
        self.table.focus()

    # --- detail and task -------------------------------------------------------

    def action_toggle_detail(self) -> None:
        self.toggle_class("-detail")
        if self.has_class("-detail"):
            self.show_detail(self.table.current_entry)

    @on(AuditTable.Highlighted)
    def _highlighted(self, message: AuditTable.Highlighted) -> None:
        if self.has_class("-detail"):
            self.show_detail(message.entry)

    def show_detail(self, entry: AuditEntry | None) -> None:
        detail = self.query_one(AuditDetail)
        detail.show(entry, self.names)
        if entry is not None and entry.hash is None:
            self.fetch_entry(entry.id)  # a list row without its chain fields: read it whole

    @work(exclusive=True, group="audit-entry", exit_on_error=False)
    async def fetch_entry(self, entry_id: str) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            entry = await client.audit.get(entry_id)
        except MonstrumError:
            return
        detail = self.query_one(AuditDetail)
        if detail.entry is not None and detail.entry.id == entry_id:
            detail.show(entry)

    def action_open_task(self) -> None:
        entry = self.table.current_entry
        if entry is None:
            return
        if not entry.task_id:
            self.notify("this entry belongs to no task", severity="warning", timeout=3)
            return
        self.post_message(OpenTaskRequested(entry.task_id,
                                            bot_name=self.names.get(entry.bot_id, "")))

    # --- live tail -------------------------------------------------------------

    def action_toggle_tail(self) -> None:
        self.tail_on = not self.tail_on
        if self.tail_on:
            self.follow_tail()
        else:
            self.workers.cancel_group(self, "audit-tail")
        self.show_status()

    @work(exclusive=True, group="audit-tail", exit_on_error=False)
    async def follow_tail(self) -> None:
        """Every second, fetch what is newer than the newest entry shown; post it as one batch."""
        client = await self.monstrum.wait_for_client()
        limit = self.table.window.head_limit
        while True:
            await asyncio.sleep(TAIL_INTERVAL)
            window = self.table.window
            if not window.first_loaded:
                continue
            generation, newest = window.generation, window.newest
            params = dict(self.params)
            entries: list[AuditEntry] = []
            overflow = False
            try:
                pager = client.audit.list(
                    **params, after_id=newest.id if newest else None, page_size=TAIL_PAGE_SIZE
                )
                async for page in pager.pages():
                    entries.extend(page.data)
                    if len(entries) > limit:
                        overflow = True
                        break
            except ValidationError:
                overflow = True  # the newest shown was pruned: start again from the top
            except APIConnectionError as exc:
                self.monstrum.connection_problem()
                self.post_message(AuditLoadFailed(None, exc.message, connection=True))
                continue
            except MonstrumError as exc:
                self.post_message(AuditLoadFailed(None, str(exc), connection=False))
                continue
            if entries or overflow:
                self.post_message(AuditTailArrived(generation, entries, overflow=overflow))

    @on(AuditTailArrived)
    def _tail_arrived(self, message: AuditTailArrived) -> None:
        if message.generation != self.table.window.generation:
            return
        if message.overflow or not self.table.prepend(message.entries):
            self.start_view()  # more arrived than the view keeps on top: show the newest
            return
        self.show_status()

    # --- export and verification -----------------------------------------------

    def action_export(self) -> None:
        self.app.push_screen(AuditExportScreen(self.audit_query), self._exported)

    def _exported(self, path: object) -> None:
        if path:
            self.notify(f"exported to {path}", title="audit export", timeout=5)

    def action_verify(self) -> None:
        self.verify_text = "verifying the chain…"
        self.verify_ok = True
        self.show_status()
        self.verify_chain()

    @work(exclusive=True, group="audit-verify", exit_on_error=False)
    async def verify_chain(self) -> None:
        client = await self.monstrum.wait_for_client()
        try:
            result = await client.audit.verify()
        except MonstrumError as exc:
            self.post_message(AuditVerified(None, str(exc)))
        else:
            self.post_message(AuditVerified(result))

    @on(AuditVerified)
    def _verified(self, message: AuditVerified) -> None:
        if message.result is None:
            self.verify_ok = False
            self.verify_text = f"verify failed: {message.error}"
            self.notify(self.verify_text, severity="error", timeout=6)
        else:
            self.verify_ok = message.result.ok
            self.verify_text = verification_text(message.result)
            self.notify(self.verify_text, title="audit chain",
                        severity="information" if message.result.ok else "error",
                        timeout=6 if message.result.ok else 15)
        self.show_status()
