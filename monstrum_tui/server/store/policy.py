"""The policy of one bot as stored now, read for every one of its tool calls: the bot,
and each resource it is bound to with the digest of the integration providing its type.

Two driver statements (``DriverCursor``) instead of a repository read per row: a call
reads its policy fresh each time (a binding changed a moment ago applies to it), so
this read is on the path of every call.

What a row decodes to (the validated ``Bot``, a ``ResourceRecord``) is kept by the row's
exact content, as read by this very call (``RowMemo``): a row changed in any way, by
this process, another one or by hand in the database, is another key and is decoded
(and validated) again, so nothing kept can answer for a row that is not the one just
read; it only spares validating a row byte for byte the same as the last call's. A row
that does not decode is not kept. The decoded objects are shared between calls and
read only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ...client.models import Bot
from .bots import bot_of_fields
from .database import DriverColumns, driver_read, in_list, param
from .resources import ResourceRecord, record_of_row
from .row_memo import RowMemo
from .schema import bots, integrations, resources

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger("monstrum.store")

#: decoded rows kept per kind (bots, resources): each a few KB at most
DECODED_ROWS = 1024


@dataclass(frozen=True)
class BoundResource:
    record: ResourceRecord
    #: the digest of the manifest providing the resource's type (None: none installed)
    digest: str | None


@dataclass(frozen=True)
class BotPolicy:
    bot: Bot
    #: the bound resources that exist, by id
    resources: dict[str, BoundResource]


class PolicyReader:
    def __init__(self, store: Store) -> None:
        self._store = store
        dialect = store.engine.dialect
        self._dialect = dialect.name
        self._bot = DriverColumns(dialect, list(bots.columns))
        self._resource = DriverColumns(dialect, list(resources.columns))
        self._select_bot = (f"SELECT {self._bot.qualified('b')} FROM {bots.name} b "
                            f"WHERE b.id = {param(self._dialect, 'id')}")
        self._select_resources = (
            f"SELECT {self._resource.qualified('r')}, i.digest FROM {resources.name} r "
            f"LEFT JOIN {integrations.name} i ON i.type_id = r.type WHERE r.id IN "
        )
        self._bots: RowMemo[Bot] = RowMemo(self._decode_bot, DECODED_ROWS)
        self._records: RowMemo[ResourceRecord] = RowMemo(self._decode_record, DECODED_ROWS)

    def _decode_bot(self, raw: Sequence[Any]) -> Bot:
        return bot_of_fields(dict(zip(self._bot.names, self._bot.row(raw), strict=True)))

    def _decode_record(self, raw: Sequence[Any]) -> ResourceRecord:
        values = self._resource.row(raw)
        return record_of_row(SimpleNamespace(**dict(zip(self._resource.names, values,
                                                        strict=True))))

    def read(self, bot_id: str) -> BotPolicy | None:
        """The bot and its bound resources now; None when there is no such bot."""
        with driver_read(self._store.engine) as cur:
            row = cur.one(self._select_bot, {"id": bot_id})
            if row is None:
                return None
            bot = self._bots.of(row)
            ids = sorted({b.resource_id for b in bot.resource_bindings})
            found: dict[str, BoundResource] = {}
            if ids:
                placeholders, named = in_list(self._dialect, "r", ids)
                for raw in cur.all(self._select_resources + placeholders, named):
                    try:
                        record = self._records.of(raw[:-1])
                    except Exception as exc:  # fail closed: a row that cannot be read is
                        # not offered, so calls to it are denied (and audited as such)
                        log.warning("resource %s cannot be read: %s", raw[0], exc)
                        continue
                    found[record.id] = BoundResource(record, raw[-1])
        return BotPolicy(bot, found)

