"""Health and identity: ``/v1/health`` (no key) and ``/v1/whoami``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ... import __version__
from ...client.models import Health, WhoAmI
from ..auth import Principal
from .deps import PlatformDep, authenticate

router = APIRouter(tags=["meta"])


@router.get("/v1/health", response_model=Health)
def health(platform: PlatformDep) -> Health:
    """Up, its version, and whether the audit log can take new entries (if not, no call
    runs: fail closed)."""
    audit = platform.audit.health()
    return Health(version=__version__, audit_ok=audit.ok, audit_problem=audit.problem)


@router.get("/v1/whoami", response_model=WhoAmI)
def whoami(principal: Annotated[Principal, Depends(authenticate)]) -> WhoAmI:
    return WhoAmI(id=principal.key_id, name=principal.name, scopes=list(principal.scopes))
