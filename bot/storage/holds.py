"""The points holds the bot placed, kept until each is used or released (PRODUCT §8).

A hold locks a customer's points in Gameball. The bot must never leave one behind, even across
a crash, so every hold it places is written here at once, with the time the bot gives it back
unless a purchase uses it first (``release_at``: the flow's expiry, moved on while staff work).
Life of a hold:

``active`` (held for a purchase being drafted) → ``using`` (an order carries it: in flight or
queued) → ``used``; or ``active`` → ``releasing`` (one release in flight) → ``released``, or
back to ``active``, due again later, when Gameball did not answer. ``expired``: Gameball no
longer has it (it ran out before it was used or released). An order Gameball refused gives its
hold back: ``using`` → ``releasing``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.domain.orders import PointsHold
from bot.storage._sqlite import LockedConnection, claim_due, from_db_time, to_db_time, update_one
from bot.storage.orders import Cashier

_ROW_COLUMNS = (
    "id, reference, customer_id, order_id, points, amount, currency, expires_at, chat_id,"
    " user_id, language, status, attempts, release_at"
)


@dataclass(frozen=True)
class HoldRow:
    """A hold as the bot knows it."""

    id: int
    hold: PointsHold
    cashier: Cashier
    status: str
    attempts: int
    release_at: datetime


def _row(row: sqlite3.Row) -> HoldRow:
    expires = row["expires_at"]
    hold = PointsHold(
        reference=row["reference"],
        customer_id=row["customer_id"],
        order_id=row["order_id"],
        points=row["points"],
        discount=Decimal(row["amount"]),
        currency=row["currency"],
        expires_at=None if expires is None else from_db_time(expires),
    )
    return HoldRow(
        id=row["id"],
        hold=hold,
        cashier=Cashier(row["chat_id"], row["user_id"], row["language"]),
        status=row["status"],
        attempts=row["attempts"],
        release_at=from_db_time(row["release_at"]),
    )


class HoldRepo:
    """Holds, from placed to used or released. Never a scanned hash or a code: Gameball's
    reference and what it reserved only."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def add(self, hold: PointsHold, cashier: Cashier, *, release_at: datetime) -> None:
        """Keep a hold Gameball just placed, to be released at ``release_at`` unless used."""
        values = {
            "reference": hold.reference,
            "customer_id": hold.customer_id,
            "order_id": hold.order_id,
            "points": hold.points,
            "amount": str(hold.discount),
            "currency": hold.currency,
            "expires_at": None if hold.expires_at is None else to_db_time(hold.expires_at),
            "chat_id": cashier.chat_id,
            "user_id": cashier.user_id,
            "language": cashier.language,
            "placed_at": self._sqlite.now_text(),
            "release_at": to_db_time(release_at),
        }
        columns, marks = ", ".join(values), ", ".join("?" * len(values))
        with self._sqlite.transaction() as connection:
            connection.execute(
                f"INSERT INTO holds ({columns}, status) VALUES ({marks}, 'active')",
                list(values.values()),
            )

    def get(self, reference: str) -> HoldRow | None:
        """One hold by Gameball's reference."""
        row = self._sqlite.read_one(
            f"SELECT {_ROW_COLUMNS} FROM holds WHERE reference = ?", (reference,)
        )
        return None if row is None else _row(row)

    def postpone(self, reference: str, release_at: datetime) -> None:
        """Staff are still at it: release the hold later, unless it is used by then."""
        with self._sqlite.transaction() as connection:
            connection.execute(
                "UPDATE holds SET release_at = ? WHERE reference = ? AND status = 'active'",
                (to_db_time(release_at), reference),
            )

    def claim_release(self, reference: str, *, status: str = "active") -> HoldRow | None:
        """Start releasing a hold in ``status``; None when it is not (any more)."""
        return self._move(reference, status, "releasing")

    def claim_for_order(self, reference: str) -> bool:
        """An order is about to carry the hold; False when it was released meanwhile."""
        return self._move(reference, "active", "using") is not None

    def claim_due(self, now: datetime, limit: int = 20) -> list[HoldRow]:
        """Start releasing the holds whose time has come (abandoned, or a release to retry)."""
        with self._sqlite.transaction() as connection:
            rows = claim_due(
                connection,
                "holds",
                "active",
                _ROW_COLUMNS,
                now,
                limit,
                claimed="releasing",
                due="release_at",
            )
        return [_row(row) for row in rows]

    def retry_release(self, hold_key: int, release_at: datetime) -> None:
        """Gameball did not answer the release: try again at ``release_at``."""
        with self._sqlite.transaction() as connection:
            update_one(
                connection,
                "UPDATE holds SET status = 'active', release_at = ?, attempts = attempts + 1"
                " WHERE id = ? AND status = 'releasing'",
                (to_db_time(release_at), hold_key),
                f"hold {hold_key} is not being released",
            )

    def finish(self, reference: str, ended: str, *, status: str) -> bool:
        """The hold ended ``used``, ``released`` or ``expired``; False unless in ``status``."""
        with self._sqlite.transaction() as connection:
            cursor = connection.execute(
                "UPDATE holds SET status = ?, finished_at = ? WHERE reference = ? AND status = ?",
                (ended, self._sqlite.now_text(), reference, status),
            )
        return cursor.rowcount == 1

    def recover(self) -> int:
        """At start-up: releases a crash interrupted are due again now; how many."""
        with self._sqlite.transaction() as connection:
            cursor = connection.execute(
                "UPDATE holds SET status = 'active', release_at = ? WHERE status = 'releasing'",
                (self._sqlite.now_text(),),
            )
        return cursor.rowcount

    def active(self) -> list[HoldRow]:
        """Holds the bot still has to use or release, oldest first."""
        rows = self._sqlite.read(
            f"SELECT {_ROW_COLUMNS} FROM holds WHERE status IN ('active', 'releasing', 'using')"
            " ORDER BY id"
        )
        return [_row(row) for row in rows]

    def _move(self, reference: str, before: str, after: str) -> HoldRow | None:
        with self._sqlite.transaction() as connection:
            row = connection.execute(
                f"UPDATE holds SET status = ? WHERE reference = ? AND status = ?"
                f" RETURNING {_ROW_COLUMNS}",
                (after, reference, before),
            ).fetchone()
        return None if row is None else _row(row)
