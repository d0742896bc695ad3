"""The export dialog: where and as what to write the current filter's entries, with progress."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, Select
from textual.worker import Worker, WorkerState

from ...client.errors import APIConnectionError, MonstrumAPIError
from ...client.models import AuditEntry
from ..audit_export import FORMATS, ExportPathError, check_export_path, export_entries
from ..audit_query import AuditQuery
from ..widgets.typed_fields import FieldInput
from .base import MonstrumModal

EXPORT_PAGE_SIZE = 500
PROGRESS_STEPS = 1000


class AuditExportScreen(MonstrumModal):
    """Dismisses with the written path, or None."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["dialogs.tcss", "audit.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel / close", id="audit_export.cancel"),
    ]

    def __init__(self, query: AuditQuery, *, default_path: str = "audit-export.csv") -> None:
        super().__init__()
        self.audit_query = query
        self.default_path = default_path
        self.written: Path | None = None
        self.target: Path | None = None
        self.count = 0
        self._bounds: tuple[float | None, float | None] = (None, None)

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog"):
            yield Label("Export audit entries", id="export-title")
            yield Label(f"filter: {self.audit_query.summary()}", id="export-filter",
                        markup=False)
            with Horizontal(classes="export-row"):
                yield Label("path", classes="export-label")
                yield FieldInput(self.default_path, id="export-path", compact=True)
            with Horizontal(classes="export-row"):
                yield Label("format", classes="export-label")
                yield Select([(f, f) for f in FORMATS], value="csv", allow_blank=False,
                             compact=True, id="export-format")
            yield ProgressBar(total=None, show_eta=False, id="export-progress")
            yield Label("", id="export-status", markup=False)
            yield Label("", id="export-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export (enter)", variant="primary", id="export-start",
                             compact=True)
                yield Button("Cancel (esc)", id="export-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    # --- starting --------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(w.group == "audit-export" and w.is_running for w in self.workers)

    def show_error(self, message: str) -> None:
        label = self.query_one("#export-error", Label)
        label.update(message)
        label.set_class(bool(message), "-shown")

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#export-path", Input)
        stem, dot, ext = path.value.rpartition(".")
        if dot and ext in FORMATS and ext != event.value:
            path.value = f"{stem}.{event.value}"

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-start")
    def start(self) -> None:
        if self.written is not None:
            self.dismiss(self.written)
            return
        if self.running:
            return
        try:
            path = check_export_path(self.query_one("#export-path", Input).value)
        except ExportPathError as exc:
            self.show_error(str(exc))
            return
        self.show_error("")
        fmt = str(self.query_one("#export-format", Select).value)
        self.query_one("#export-start", Button).disabled = True
        self.query_one("#export-status", Label).update("starting…")
        self.target = path
        self.add_class("-started")
        self.export(path, fmt)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        if self.running:
            for worker in self.workers:
                if worker.group == "audit-export":
                    worker.cancel()
            return
        self.dismiss(self.written)

    # --- the work --------------------------------------------------------------

    @work(exclusive=True, group="audit-export", exit_on_error=False)
    async def export(self, path: Path, fmt: str) -> int:
        """Stream every matching entry, page by page, into ``path``."""
        client = await self.monstrum.wait_for_client()
        now = datetime.now(timezone.utc)
        params = self.audit_query.sdk_params(now)
        start, end = self.audit_query.time_bounds(now)
        self._bounds = (start.timestamp() if start else None,
                        (end or now).timestamp() if start else None)
        bar = self.query_one("#export-progress", ProgressBar)
        if start is not None:
            bar.update(total=PROGRESS_STEPS, progress=0)

        async def pages() -> AsyncIterator[list[AuditEntry]]:
            async for page in client.audit.list(**params, page_size=EXPORT_PAGE_SIZE).pages():
                if page.data:
                    yield page.data

        self.written = None
        return await export_entries(pages(), path, fmt, self._progress)

    def _progress(self, count: int, last: datetime | None) -> None:
        self.count = count
        self.query_one("#export-status", Label).update(f"{count:,} entries written…")
        low, high = self._bounds
        if low is not None and high is not None and last is not None and high > low:
            done = (high - last.timestamp()) / (high - low)
            self.query_one("#export-progress", ProgressBar).update(
                progress=max(0.0, min(1.0, done)) * PROGRESS_STEPS
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "audit-export":
            return
        status = self.query_one("#export-status", Label)
        bar = self.query_one("#export-progress", ProgressBar)
        start = self.query_one("#export-start", Button)
        if event.state == WorkerState.SUCCESS:
            count = int(event.worker.result or 0)
            path = self.target
            self.written = path
            bar.update(total=PROGRESS_STEPS, progress=PROGRESS_STEPS)
            status.update(f"wrote {count:,} entries to {path} (enter or esc to close)")
            start.label = "Close (enter)"
            start.disabled = False
        elif event.state == WorkerState.CANCELLED:
            status.update(f"cancelled after {self.count:,} entries; no file written")
            start.disabled = False
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, APIConnectionError):
                self.monstrum.connection_problem()
            # the server's or the connection's own words; other errors (a configuration
            # problem) carry no .message, and their text is the message
            message = (error.message if isinstance(error, (MonstrumAPIError, APIConnectionError))
                       else str(error))
            status.update("")
            self.show_error(f"export failed: {message}; no file written")
            start.disabled = False

