"""Installed integrations: one manifest per name, upgraded in place by higher versions."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, insert, select, update

from ...client.models import Integration
from ..manifests import CompiledManifest, Manifest, compile_manifest
from ..manifests.semver import Version
from .columns import utcnow
from .cursor import keyset_page
from .schema import integrations, resources

if TYPE_CHECKING:
    from .store import Store

Outcome = Literal["created", "upgraded", "unchanged"]


class IntegrationConflict(Exception):
    """The manifest cannot be installed over what is there; the message says why."""


@dataclass(frozen=True)
class InstalledIntegration:
    compiled: CompiledManifest
    builtin: bool
    installed_at: datetime
    updated_at: datetime

    def wire(self) -> Integration:
        return self.compiled.integration(
            builtin=self.builtin, installed_at=self.installed_at, updated_at=self.updated_at
        )


class IntegrationRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        # compiled manifests by digest: a digest names one exact content, so entries never
        # go stale, and other server processes' upgrades are seen on the next lookup
        self._compiled: dict[str, CompiledManifest] = {}
        self._lock = threading.Lock()

    def _compile(self, digest: str, manifest_json: Any) -> CompiledManifest:
        with self._lock:
            hit = self._compiled.get(digest)
        if hit is not None:
            return hit
        compiled = compile_manifest(Manifest.model_validate(manifest_json), digest)
        with self._lock:
            if len(self._compiled) > 1000:
                self._compiled.clear()
            self._compiled[digest] = compiled
        return compiled

    def _installed(self, row: Any) -> InstalledIntegration:
        return InstalledIntegration(
            compiled=self._compile(row.digest, row.manifest),
            builtin=bool(row.builtin),
            installed_at=row.installed_at,
            updated_at=row.updated_at,
        )

    def install(
        self, manifest: Manifest, source: str, digest: str, *, builtin: bool = False
    ) -> tuple[InstalledIntegration, Outcome]:
        """Install, upgrade (higher version) or confirm (same content) a manifest.

        Raises ``IntegrationConflict`` for other content under an installed version, a
        lower version, or a resource type that another integration provides. A built-in
        manifest shipped with the code replaces the same version (the file is the truth).
        """
        now = utcnow()
        type_id = manifest.resource_type.id
        values = {
            "version": manifest.version,
            "type_id": type_id,
            "manifest": manifest.model_dump(mode="json"),
            "source": source,
            "digest": digest,
            "builtin": 1 if builtin else 0,
            "updated_at": now,
        }
        with self._store.write() as conn:
            row = conn.execute(
                select(integrations).where(integrations.c.name == manifest.name)
            ).first()
            self._check_type_free(conn, type_id, manifest.name)
            if row is None:
                conn.execute(
                    insert(integrations).values(name=manifest.name, installed_at=now, **values)
                )
                outcome: Outcome = "created"
            else:
                outcome = self._upgrade_outcome(conn, row, manifest, digest, builtin)
                if outcome != "unchanged":
                    conn.execute(
                        update(integrations)
                        .where(integrations.c.name == manifest.name)
                        .values(**values)
                    )
            final = conn.execute(
                select(integrations).where(integrations.c.name == manifest.name)
            ).one()
        return self._installed(final), outcome

    def _check_type_free(self, conn: Connection, type_id: str, name: str) -> None:
        other = conn.execute(
            select(integrations.c.name).where(
                integrations.c.type_id == type_id, integrations.c.name != name
            )
        ).first()
        if other is not None:
            raise IntegrationConflict(
                f"resource type '{type_id}' is already provided by integration '{other.name}'"
            )

    def _upgrade_outcome(
        self, conn: Connection, row: Any, manifest: Manifest, digest: str, builtin: bool
    ) -> Outcome:
        new, old = Version(manifest.version), Version(row.version)
        if new == old:
            if digest == row.digest:
                return "unchanged"
            if builtin:
                return "upgraded"
            raise IntegrationConflict(
                f"{manifest.name} {row.version} is already installed with other content; "
                "give the changed manifest a higher version"
            )
        if new < old:
            raise IntegrationConflict(
                f"{manifest.name} {row.version} is installed and {manifest.version} is older; "
                "an upload can only upgrade"
            )
        if manifest.resource_type.id != row.type_id:
            used = conn.execute(
                select(resources.c.id).where(resources.c.type == row.type_id).limit(5)
            ).all()
            if used:
                raise IntegrationConflict(
                    f"{manifest.name} {manifest.version} changes the resource type from "
                    f"'{row.type_id}' to '{manifest.resource_type.id}', but resources of type "
                    f"'{row.type_id}' exist: {', '.join(r.id for r in used)}"
                )
        return "upgraded"

    def get(self, name: str) -> InstalledIntegration | None:
        with self._store.read() as conn:
            row = conn.execute(select(integrations).where(integrations.c.name == name)).first()
        return self._installed(row) if row else None

    def version_of(self, name: str) -> str | None:
        with self._store.read() as conn:
            return conn.execute(
                select(integrations.c.version).where(integrations.c.name == name)
            ).scalar_one_or_none()

    def for_type(self, type_id: str) -> CompiledManifest | None:
        """The compiled manifest providing a resource type (one indexed lookup when cached)."""
        with self._store.read() as conn:
            row = conn.execute(
                select(integrations.c.digest).where(integrations.c.type_id == type_id)
            ).first()
            if row is None:
                return None
            with self._lock:
                hit = self._compiled.get(row.digest)
            if hit is not None:
                return hit
            full = conn.execute(
                select(integrations.c.digest, integrations.c.manifest).where(
                    integrations.c.type_id == type_id
                )
            ).first()
        return self._compile(full.digest, full.manifest) if full else None

    def compiled(self, type_id: str, digest: str) -> CompiledManifest | None:
        """The compiled manifest of this digest (read with the resource, by the policy
        read): from the cache, else loaded for the type."""
        with self._lock:
            hit = self._compiled.get(digest)
        if hit is not None:
            return hit
        return self.for_type(type_id)

    def for_resource(self, resource_id: str) -> tuple[str, CompiledManifest] | None:
        """A resource's type and its compiled manifest: one joined lookup when cached."""
        query = (
            select(resources.c.type, integrations.c.digest)
            .join(integrations, integrations.c.type_id == resources.c.type)
            .where(resources.c.id == resource_id)
        )
        with self._store.read() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            with self._lock:
                hit = self._compiled.get(row.digest)
            if hit is not None:
                return row.type, hit
            full = conn.execute(
                select(integrations.c.digest, integrations.c.manifest).where(
                    integrations.c.type_id == row.type
                )
            ).first()
        if full is None:
            return None
        return row.type, self._compile(full.digest, full.manifest)

    def type_ids(self) -> list[str]:
        with self._store.read() as conn:
            return [r.type_id for r in conn.execute(
                select(integrations.c.type_id).order_by(integrations.c.type_id)
            )]

    def list(self, limit: int, cursor: str | None) -> tuple[list[InstalledIntegration], str | None]:
        with self._store.read() as conn:
            rows, next_cursor = keyset_page(
                conn, select(integrations), integrations.c.name, limit, cursor
            )
        return [self._installed(r) for r in rows], next_cursor
