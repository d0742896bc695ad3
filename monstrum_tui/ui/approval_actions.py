"""Deciding a waiting call from any screen: ask for the reason, send it, say what happened.

The Approvals screen and the task pane both use this, so a decision reads the same
wherever it is made; the verdict (approved, or already decided by someone else) is the
server's.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from ..client.errors import ConflictError, MonstrumError, NotFoundError
from ..client.models import Approval
from .data_changes import DataChange
from .screens.approval_decision import ApprovalDecisionScreen


def ask_and_decide(screen: Screen[Any], approval: Approval, *, approve: bool) -> None:
    """Push the reason dialog; on confirm, decide in a worker of ``screen``."""

    def answered(reason: object) -> None:
        if isinstance(reason, str):
            screen.run_worker(_decide(screen, approval, approve, reason),
                              group="approval-decide", exit_on_error=False)

    screen.app.push_screen(ApprovalDecisionScreen(approval, approve=approve), answered)


async def _decide(screen: Screen[object], approval: Approval, approve: bool, reason: str) -> None:
    app = screen.app
    client = await app.wait_for_client()  # type: ignore[attr-defined]
    call = client.approvals.approve if approve else client.approvals.reject
    try:
        decided = await call(approval.id, reason=reason)
    except ConflictError as exc:
        app.notify(exc.message, title="approval", severity="warning", timeout=6)
        return
    except NotFoundError:
        app.notify(f"approval {approval.id} is gone", severity="warning", timeout=6)
        return
    except MonstrumError as exc:
        app.notify(f"could not decide {approval.id}: {exc}", severity="error", timeout=8)
        return
    app.notify(f"{decided.tool_name} of bot {decided.bot_id}: {decided.status}",
               title="approval", timeout=4)
    app.data_changed.publish(DataChange("approval", decided.id, decided))  # type: ignore[attr-defined]
