"""The stores and events staff work at, kept by managers, and who works where (issue 18).

A pop-up brand runs several stands at once; each staff member picks theirs with ``/store`` at
the start of a shift, and the pick stays until they pick again (or the store is removed). Each
store may carry Gameball's merchant and branch IDs, as ``STORE_ID``/``BRANCH_ID``/``BRANCH_NAME``
do for the whole bot.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.storage._sqlite import LockedConnection

_COLUMNS = "id, name, store_id, branch_id, branch_name"


@dataclass(frozen=True)
class StoreRow:
    """One store in the list: its name, and the Gameball IDs sent with its orders."""

    id: int
    name: str
    store_id: str = ""
    branch_id: str = ""
    branch_name: str = ""


def _store(row: sqlite3.Row) -> StoreRow:
    return StoreRow(row["id"], row["name"], row["store_id"], row["branch_id"], row["branch_name"])


class StoreRepo:
    """The list of stores and each staff member's current one."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def add(self, store: StoreRow, *, by: int) -> StoreRow | None:
        """Add a store (its ``id`` is ignored); None when one of that name exists already."""
        with self._sqlite.transaction() as connection:
            row = connection.execute(
                "INSERT INTO stores (name, store_id, branch_id, branch_name, created_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING"
                f" RETURNING {_COLUMNS}",
                (
                    store.name,
                    store.store_id,
                    store.branch_id,
                    store.branch_name,
                    by,
                    self._sqlite.now_text(),
                ),
            ).fetchone()
        return None if row is None else _store(row)

    def remove(self, name: str) -> StoreRow | None:
        """Take the store off the list (whoever worked there goes back to the default)."""
        with self._sqlite.transaction() as connection:
            row = connection.execute(
                f"DELETE FROM stores WHERE name = ? RETURNING {_COLUMNS}", (name,)
            ).fetchone()
        return None if row is None else _store(row)

    def listed(self) -> list[StoreRow]:
        """Every store, by name."""
        rows = self._sqlite.read(f"SELECT {_COLUMNS} FROM stores ORDER BY name")
        return [_store(row) for row in rows]

    def get(self, store_key: int) -> StoreRow | None:
        """The store with this id, or None."""
        row = self._sqlite.read_one(f"SELECT {_COLUMNS} FROM stores WHERE id = ?", (store_key,))
        return None if row is None else _store(row)

    def choose(self, user_id: int, store_key: int | None) -> None:
        """``user_id`` works at that store from now on (None: at the bot's default one)."""
        with self._sqlite.transaction() as connection:
            connection.execute("DELETE FROM shifts WHERE user_id = ?", (user_id,))
            if store_key is not None:
                connection.execute(
                    "INSERT INTO shifts (user_id, store, chosen_at) VALUES (?, ?, ?)",
                    (user_id, store_key, self._sqlite.now_text()),
                )

    def of(self, user_id: int) -> StoreRow | None:
        """The store ``user_id`` picked, or None when they work at the default one."""
        row = self._sqlite.read_one(
            "SELECT s.id, s.name, s.store_id, s.branch_id, s.branch_name FROM shifts"
            " JOIN stores AS s ON s.id = shifts.store WHERE shifts.user_id = ?",
            (user_id,),
        )
        return None if row is None else _store(row)
