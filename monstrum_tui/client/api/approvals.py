"""``client.approvals``: tool calls waiting for a person, and deciding them."""

from __future__ import annotations

from ..models import Approval, ApprovalSummary
from ..namespace import Namespace, id_segment
from ..pagination import AsyncPager


class Approvals(Namespace):
    def list(
        self,
        *,
        status: str | None = None,
        task_id: str | None = None,
        bot_id: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Approval]:
        """Approvals, newest first; ``status="pending"`` for the calls waiting now."""
        return AsyncPager(
            self._fetch("/v1/approvals"), Approval,
            {"status": status, "task_id": task_id, "bot_id": bot_id}, limit=limit,
        )

    async def get(self, approval_id: str) -> Approval:
        path = f"/v1/approvals/{id_segment('approval_id', approval_id)}"
        data = await self._transport.request("GET", path)
        return Approval.model_validate(data)

    async def summary(self) -> ApprovalSummary:
        """How many calls wait for a person now."""
        data = await self._transport.request("GET", "/v1/approvals/summary")
        return ApprovalSummary.model_validate(data)

    async def approve(self, approval_id: str, *, reason: str = "") -> Approval:
        """Let the waiting call run (needs ``approvals:write``); the reason is audited."""
        path = f"/v1/approvals/{id_segment('approval_id', approval_id)}/approve"
        data = await self._transport.request(
            "POST", path, json={"reason": reason}, max_retries=0,
        )
        return Approval.model_validate(data)

    async def reject(self, approval_id: str, *, reason: str = "") -> Approval:
        """Refuse the waiting call: it does not run, and the model is told the reason."""
        path = f"/v1/approvals/{id_segment('approval_id', approval_id)}/reject"
        data = await self._transport.request(
            "POST", path, json={"reason": reason}, max_retries=0,
        )
        return Approval.model_validate(data)
