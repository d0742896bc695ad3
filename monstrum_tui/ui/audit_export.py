"""Writing audit entries to a CSV or JSON file as pages stream in.

The file is written under a temporary name next to the target and renamed at the
end, so a cancelled or failed export never leaves a half file under the chosen name.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

from ..client.models import AuditEntry

FORMATS = ("csv", "json")
CSV_FIELDS = (
    "id", "timestamp", "bot_id", "task_id", "resource_id", "tool_name", "operation",
    "status", "reason", "duration_ms", "result_size", "params", "decision", "seq", "hash",
    "prev_hash",
)

#: (entries written so far, timestamp of the last one written)
Progress = Callable[[int, datetime | None], None]


class ExportPathError(ValueError):
    """The chosen path cannot be written; the message says why."""


def check_export_path(raw: str) -> Path:
    """The target file for ``raw`` (``~`` expanded), or ExportPathError naming the problem."""
    text = raw.strip()
    if not text:
        raise ExportPathError("path: enter a file name, e.g. ~/audit.csv")
    path = Path(text).expanduser()
    if path.is_dir():
        raise ExportPathError(f"path: {path} is a directory; add a file name")
    if path.exists():
        raise ExportPathError(f"path: {path} already exists; choose another name")
    if not path.parent.is_dir():
        raise ExportPathError(f"path: directory {path.parent} does not exist")
    return path


def csv_row(entry: AuditEntry) -> list[str]:
    data = entry.model_dump(mode="json")
    for key in ("params", "decision"):
        if data.get(key) is not None:
            data[key] = json.dumps(data[key], ensure_ascii=False, sort_keys=True)
    return ["" if data.get(f) is None else str(data[f]) for f in CSV_FIELDS]


def _csv_chunk(entries: list[AuditEntry], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(CSV_FIELDS)
    writer.writerows(csv_row(e) for e in entries)
    return buffer.getvalue()


def _json_chunk(entries: list[AuditEntry], first: bool) -> str:
    parts = []
    for index, entry in enumerate(entries):
        lead = "\n  " if first and index == 0 else ",\n  "
        parts.append(lead + json.dumps(entry.model_dump(mode="json"), ensure_ascii=False))
    return "".join(parts)


async def export_entries(
    pages: AsyncIterator[list[AuditEntry]], path: Path, fmt: str, progress: Progress
) -> int:
    """Write every entry of ``pages`` to ``path`` as ``fmt``; returns how many.

    File writes run in a thread so a slow disk never stalls the dashboard; on
    cancellation or error the partial file is removed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    partial = path.with_name(f".{path.name}.partial")
    handle = await asyncio.to_thread(open, partial, "w", encoding="utf-8", newline="")
    count = 0
    done = False
    try:
        if fmt == "json":
            await asyncio.to_thread(handle.write, "[")
        async for entries in pages:
            if fmt == "csv":
                chunk = _csv_chunk(entries, header=count == 0)
            else:
                chunk = _json_chunk(entries, first=count == 0)
            await asyncio.to_thread(handle.write, chunk)
            count += len(entries)
            progress(count, entries[-1].timestamp if entries else None)
        if fmt == "csv" and count == 0:
            await asyncio.to_thread(handle.write, _csv_chunk([], header=True))
        if fmt == "json":
            await asyncio.to_thread(handle.write, "\n]\n" if count else "]\n")
        await asyncio.to_thread(handle.close)
        await asyncio.to_thread(os.replace, partial, path)
        done = True
    finally:
        if not done:
            handle.close()
            with contextlib.suppress(OSError):
                partial.unlink()
    return count
