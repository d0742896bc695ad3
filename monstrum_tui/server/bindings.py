"""Checks a bot's resource bindings against the resources that exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..client.models import ResourceBinding
from .api.errors import Invalid
from .store import Store
from .store.schema import resources


def check_bindings(store: Store, bindings: list[ResourceBinding]) -> None:
    """Refuse (422, naming each) bindings to resources that do not exist."""
    problems: list[dict[str, Any]] = []
    wanted = {b.resource_id for b in bindings}
    if wanted:
        with store.read() as conn:
            found = {
                r.id for r in conn.execute(select(resources.c.id).where(resources.c.id.in_(wanted)))
            }
    else:
        found = set()
    seen: set[str] = set()
    for i, binding in enumerate(bindings):
        field = f"resource_bindings[{i}].resource_id"
        if binding.resource_id not in found:
            problems.append(
                {"field": field, "message": f"no resource '{binding.resource_id}'"}
            )
        elif binding.resource_id in seen:
            problems.append(
                {"field": field, "message": f"resource '{binding.resource_id}' is bound twice"}
            )
        seen.add(binding.resource_id)
        for key, values in binding.scope_constraints.items():
            if not values:
                problems.append(
                    {
                        "field": f"resource_bindings[{i}].scope_constraints.{key}",
                        "message": "an empty list allows nothing; leave the key out or list "
                        "patterns ('*' allows all)",
                    }
                )
    if problems:
        raise Invalid("; ".join(p["message"] for p in problems), fields=problems)
