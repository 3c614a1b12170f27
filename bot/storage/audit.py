"""An append-only record of who did what, for managers' ``/activity``.

Paging is by id (keyset), not OFFSET: new entries arriving while a manager pages back do not
shift the pages, and each page is one index range scan however long the log grows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage._sqlite import LockedConnection, from_db_time, where

_ENTRY_COLUMNS = "id, at, actor_id, actor_name, action, customer_id, result, store, detail"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    id: int
    at: datetime
    actor_id: int
    actor_name: str | None
    action: str
    customer_id: str | None
    result: str
    store: str | None
    detail: str | None


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=from_db_time(row["at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        action=row["action"],
        customer_id=row["customer_id"],
        result=row["result"],
        store=row["store"],
        detail=row["detail"],
    )


def _filters(actor_id: int | None, store: str | None) -> tuple[list[str], list[Any]]:
    """The conditions for entries of one actor and/or one store (None: any)."""
    conditions: list[str] = []
    parameters: list[Any] = []
    if actor_id is not None:
        conditions.append("actor_id = ?")
        parameters.append(actor_id)
    if store is not None:
        conditions.append("store = ?")
        parameters.append(store)
    return conditions, parameters


class AuditRepo:
    """Writing and paging the audit log. Callers must not put contact details in ``detail``."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def record(
        self,
        *,
        actor_id: int,
        actor_name: str | None,
        action: str,
        result: str,
        customer_id: str | None = None,
        store: str | None = None,
        detail: str | None = None,
    ) -> int:
        """Appends an entry stamped with the current time; returns its id."""
        with self._sqlite.transaction() as connection:
            (entry_id,) = connection.execute(
                "INSERT INTO audit (at, actor_id, actor_name, action, customer_id, result, store,"
                " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    self._sqlite.now_text(),
                    actor_id,
                    actor_name,
                    action,
                    customer_id,
                    result,
                    store,
                    detail,
                ),
            ).fetchone()
        return int(entry_id)

    def latest(
        self,
        *,
        limit: int = 10,
        before_id: int | None = None,
        actor_id: int | None = None,
        store: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first, of one actor or store if given; the last entry's id as ``before_id``
        gives the next page."""
        conditions, parameters = _filters(actor_id, store)
        if before_id is not None:
            conditions.append("id < ?")
            parameters.append(before_id)
        rows = self._sqlite.read(
            f"SELECT {_ENTRY_COLUMNS} FROM audit{where(conditions)} ORDER BY id DESC LIMIT ?",
            [*parameters, limit],
        )
        return [_entry(row) for row in rows]

    def count(self, *, actor_id: int | None = None, store: str | None = None) -> int:
        """How many entries there are, in total or for one actor or store."""
        conditions, parameters = _filters(actor_id, store)
        return self._sqlite.read_int(f"SELECT count(*) FROM audit{where(conditions)}", parameters)
