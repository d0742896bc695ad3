"""Answers written to JSON bytes once, by the wire model's own serializer.

A route that returns a model has FastAPI validate it against its ``response_model``
again (in another worker-thread hop for a sync route) and then serialize it. A hot
route instead serializes in its own hop with ``JsonAnswer.dump`` and returns the bytes
with ``JsonAnswer.response``: the same bytes FastAPI writes (pydantic's ``dump_json``,
by alias), sent as they are. The route keeps ``response_model=`` for the OpenAPI
document; FastAPI does not re-validate a ``Response`` a route returns.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Response
from pydantic import TypeAdapter

T = TypeVar("T")


class JsonAnswer(Generic[T]):
    """The serializer of one response model."""

    def __init__(self, model: type[T]) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(model)

    def dump(self, value: T) -> bytes:
        """``value`` as FastAPI would send it for a route with this ``response_model``."""
        return self._adapter.dump_json(value, by_alias=True)

    @staticmethod
    def response(body: bytes, status_code: int = 200) -> Response:
        return Response(content=body, status_code=status_code, media_type="application/json")
