"""Uploading an integration manifest: a path typed or picked, then the server's verdict.

A manifest the server refuses (422) is shown as a list of its problems, each
with its YAML line and path, so the file can be fixed and uploaded again from
the same dialog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from ...client.errors import (
    APIConnectionError,
    ConflictError,
    MonstrumError,
    ValidationError,
)
from ...client.models import Integration
from ..widgets.typed_fields import FieldInput
from .base import MonstrumModal

#: what the picker offers besides folders (JSON is YAML too)
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
#: a manifest file larger than this is not read (the server refuses far smaller ones anyway)
MAX_READ_BYTES = 4 * 1024 * 1024


class UploadFailed(Message):
    """The upload did not install anything; ``report`` says why (a renderable)."""

    def __init__(self, report: RenderableType) -> None:
        super().__init__()
        self.report = report


class UploadSucceeded(Message):
    def __init__(self, integration: Integration) -> None:
        super().__init__()
        self.integration = integration


def shown_cwd() -> str:
    """The current directory, with the home directory written as ``~``."""
    cwd = Path.cwd()
    try:
        return "~/" + str(cwd.relative_to(Path.home()))
    except ValueError:
        return str(cwd)


def resolve_path(typed: str) -> Path:
    """The typed path with ``~`` expanded, relative to the current directory."""
    return Path(typed.strip()).expanduser()


def read_manifest(path: Path) -> str:
    """The file's text; raises ``ValueError`` with a message a user can act on."""
    if not path.exists():
        raise ValueError(f"no file at {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give a manifest file (.yaml)")
    if path.stat().st_size > MAX_READ_BYTES:
        raise ValueError(f"{path} is larger than {MAX_READ_BYTES // (1024 * 1024)} MiB")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None


def render_problems(path: str, error: ValidationError) -> RenderableType:
    """A refused manifest: a headline, then each problem as ``line N  path`` and its message."""
    problems = error.fields
    count = len(problems)
    head = Text(
        f"{path}: refused, {count} problem{'s' if count != 1 else ''}"
        if count else f"{path}: refused: {error.message}",
        style="bold red",
    )
    parts: list[RenderableType] = [head]
    ordered = sorted(problems, key=lambda p: (p.get("line") or 0, str(p.get("field", ""))))
    for problem in ordered:
        where = Text()
        line = problem.get("line")
        where.append(f"line {line}" if line else "—", style="bold yellow")
        where.append("  ")
        where.append(str(problem.get("field") or "manifest"), style="cyan")
        parts += [where, Padding(Text(str(problem.get("message", ""))), (0, 0, 0, 2))]
    return Group(*parts)


def render_refusal(path: str, message: str) -> RenderableType:
    return Group(Text(f"{path}: not installed", style="bold red"), Text(message))


class ManifestUploadScreen(MonstrumModal):
    """Dismisses with the installed ``Integration``, or None when cancelled."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["dialogs.tcss", "resources.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "browse", "Browse files", id="upload.browse"),
        Binding("ctrl+s", "upload", "Upload", id="upload.submit"),
        Binding("escape", "cancel", "Cancel", id="upload.cancel"),
    ]

    def __init__(self, initial_path: str = "") -> None:
        super().__init__()
        self.initial_path = initial_path
        #: the path of the last upload attempt (the caller offers it again next time)
        self.last_path = initial_path
        self.uploading = False

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="upload-dialog", classes="dialog"):
            yield Label("Upload an integration manifest", id="upload-title")
            yield Label("manifest file (YAML), absolute or relative to "
                        f"{shown_cwd()}:", id="upload-where", markup=False)
            yield FieldInput(self.initial_path, placeholder="path, e.g. integrations/jira.yaml",
                        id="upload-path", compact=True)
            yield Label("enter uploads · ctrl+o browses · esc cancels", id="upload-hint")
            with VerticalScroll(id="upload-result"):
                yield Static("", id="upload-report")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Browse… (^o)", id="upload-browse", compact=True)
                yield Button("Upload", variant="primary", id="upload-submit", compact=True)
                yield Button("Cancel (esc)", id="upload-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#upload-path", Input).focus()

    @property
    def typed_path(self) -> str:
        return self.query_one("#upload-path", Input).value.strip()

    def show_report(self, report: RenderableType, *, error: bool) -> None:
        box = self.query_one("#upload-result")
        box.add_class("-shown")
        box.set_class(error, "-error")
        self.query_one("#upload-report", Static).update(report)
        box.scroll_home(animate=False)

    # --- uploading ----------------------------------------------------------

    def action_upload(self) -> None:
        if self.uploading:
            return
        if not self.typed_path:
            self.show_report(Text("type the path of a manifest file first"), error=True)
            return
        self.uploading = True
        self.last_path = self.typed_path
        self.query_one("#upload-submit", Button).disabled = True
        self.show_report(Text(f"uploading {self.typed_path}…", style="dim"), error=False)
        self.upload(self.typed_path)

    @work(exclusive=True, group="manifest-upload")
    async def upload(self, typed: str) -> None:
        try:
            text = await asyncio.to_thread(read_manifest, resolve_path(typed))
        except ValueError as exc:
            self.post_message(UploadFailed(render_refusal(typed, str(exc))))
            return
        client = await self.monstrum.wait_for_client()
        try:
            integration = await client.integrations.upload(manifest=text)
        except ValidationError as exc:
            self.post_message(UploadFailed(render_problems(typed, exc)))
        except ConflictError as exc:
            self.post_message(UploadFailed(render_refusal(typed, exc.message)))
        except APIConnectionError as exc:
            self.monstrum.connection_problem()
            self.post_message(UploadFailed(render_refusal(typed, exc.message)))
        except MonstrumError as exc:
            self.post_message(UploadFailed(render_refusal(typed, str(exc))))
        else:
            self.post_message(UploadSucceeded(integration))

    @on(UploadFailed)
    def _failed(self, message: UploadFailed) -> None:
        self.uploading = False
        self.query_one("#upload-submit", Button).disabled = False
        self.show_report(message.report, error=True)

    @on(UploadSucceeded)
    def _succeeded(self, message: UploadSucceeded) -> None:
        self.uploading = False
        self.dismiss(message.integration)

    # --- other actions ------------------------------------------------------

    @on(Input.Submitted, "#upload-path")
    def _path_submitted(self) -> None:
        self.action_upload()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        actions = {
            "upload-submit": self.action_upload,
            "upload-browse": self.action_browse,
            "upload-cancel": self.action_cancel,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    def action_browse(self) -> None:
        typed = resolve_path(self.typed_path) if self.typed_path else Path.cwd()
        start = typed if typed.is_dir() else typed.parent
        if not start.is_dir():
            start = Path.cwd()

        def picked(path: object) -> None:
            if isinstance(path, str):
                box = self.query_one("#upload-path", Input)
                box.value = path
                box.cursor_position = len(path)
                box.focus()

        self.app.push_screen(DirectoryPickerScreen(start), picked)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ManifestTree(DirectoryTree):
    """Folders and manifest files; hidden entries left out."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            p for p in paths
            if not p.name.startswith(".")
            and (p.suffix.lower() in MANIFEST_SUFFIXES or _is_dir(p))
        ]


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


class DirectoryPickerScreen(MonstrumModal):
    """Pick a manifest file; dismisses with its path as text, or None."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["dialogs.tcss", "resources.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("backspace", "parent", "Up a folder", id="picker.parent"),
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
    ]

    def __init__(self, start: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = start.resolve()

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog"):
            yield Label("Pick a manifest", id="picker-title")
            yield Label(str(self.start), id="picker-where", markup=False)
            yield ManifestTree(self.start, id="picker-tree")
            yield Label("enter opens or picks · backspace: up a folder · esc cancels",
                        id="picker-hint")

    def on_mount(self) -> None:
        self.query_one(ManifestTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(str(event.path))

    def action_parent(self) -> None:
        tree = self.query_one(ManifestTree)
        current = Path(tree.path).resolve()
        if current.parent != current:
            tree.path = current.parent
            self.query_one("#picker-where", Label).update(str(current.parent))

    def action_cancel(self) -> None:
        self.dismiss(None)
