"""Telling every screen that an object changed, so lists and detail views stay current."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class DataChange:
    """``kind`` is the object type (``"bot"``...); ``value`` is the new object, None if deleted."""

    kind: str
    id: str
    value: BaseModel | None

    @property
    def deleted(self) -> bool:
        return self.value is None
