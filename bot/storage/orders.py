"""The orders the bot records, from the first send to their reversal (PRODUCT §8).

A row is written *before* the first request leaves, so that whatever happens next (a timeout, a
crash, Gameball down for an hour) the bot knows the order exists and sends it again with the
same ``orderId``. Life of an order:

``sending`` (one attempt in flight) → ``recorded`` | ``failed`` (Gameball refused it), or
``queued`` (Gameball unavailable, or the outcome unknown) → claimed again → ``sending`` … The
queue's background job asks Gameball whether a queued order exists before sending it again.

A recorded order can be reversed once: ``reversal`` goes ``NULL`` → ``sending`` → ``reversed``,
and back to ``NULL`` if the refund did not happen. The refund's own ID is kept from its first
attempt, so a repeated attempt is recognised by Gameball as the same refund.

``notified`` is 0 while the staff member waits to hear how a queued order ended; claiming it
(:meth:`OrderRepo.mark_notified`) makes sure they are told once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain.orders import Redemption, Sale, Store
from bot.storage._sqlite import (
    LockedConnection,
    claim_due,
    from_db_time,
    to_db_time,
    update_one,
    where,
)

_ROW_COLUMNS = (
    "id, order_id, customer_id, amount, currency, store, store_id, store_name, branch_id,"
    " branch_name, chat_id, user_id, language, order_date, status, attempts, next_attempt_at,"
    " last_error, points, finished_at, refund_id, reversal, reversed_at, reversed_by,"
    " points_reversed, hold_reference, points_redeemed, discount"
)


@dataclass(frozen=True)
class Cashier:
    """Who recorded an order: where to tell them how it ended, and in which language."""

    chat_id: int
    user_id: int
    language: str


@dataclass(frozen=True)
class OrderRow:
    """An order as the bot knows it."""

    id: int
    sale: Sale
    cashier: Cashier
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    points: float | None
    finished_at: datetime | None
    refund_id: str | None
    reversal: str | None
    reversed_at: datetime | None
    reversed_by: int | None
    points_reversed: float | None

    @property
    def reversible(self) -> bool:
        """Recorded in Gameball and not reversed (nor being reversed)."""
        return self.status == "recorded" and self.reversal is None


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def _redemption(row: sqlite3.Row) -> Redemption | None:
    if row["hold_reference"] is None:
        return None
    return Redemption(row["hold_reference"], row["points_redeemed"], Decimal(row["discount"]))


def _row(row: sqlite3.Row) -> OrderRow:
    store = Store(row["store_id"], row["store_name"], row["branch_id"], row["branch_name"])
    sale = Sale(
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        amount=Decimal(row["amount"]),
        currency=row["currency"],
        store=store,
        order_date=from_db_time(row["order_date"]),
        redemption=_redemption(row),
    )
    return OrderRow(
        id=row["id"],
        sale=sale,
        cashier=Cashier(row["chat_id"], row["user_id"], row["language"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=from_db_time(row["next_attempt_at"]),
        last_error=row["last_error"],
        points=row["points"],
        finished_at=_optional_time(row["finished_at"]),
        refund_id=row["refund_id"],
        reversal=row["reversal"],
        reversed_at=_optional_time(row["reversed_at"]),
        reversed_by=row["reversed_by"],
        points_reversed=row["points_reversed"],
    )


class OrderRepo:
    """Orders and their reversals. ``last_error`` is shown to staff: a short reason only."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    # --- recording ---------------------------------------------------------------------------

    def claim(self, sale: Sale, cashier: Cashier) -> OrderRow | None:
        """Write the order as ``sending`` before its first request; None if it exists already.

        The order ID is unique, so of two taps on Confirm (or two processes) only one gets the
        row, and only that one sends.
        """
        store, redemption = sale.store, sale.redemption
        values = {
            "order_id": sale.order_id,
            "customer_id": sale.customer_id,
            "amount": str(sale.amount),
            "currency": sale.currency,
            "store": store.label,
            "store_id": store.store_id,
            "store_name": store.store_name,
            "branch_id": store.branch_id,
            "branch_name": store.branch_name,
            "chat_id": cashier.chat_id,
            "user_id": cashier.user_id,
            "language": cashier.language,
            "order_date": to_db_time(sale.order_date),
            "next_attempt_at": to_db_time(sale.order_date),
            "hold_reference": redemption.hold_reference if redemption else None,
            "points_redeemed": redemption.points if redemption else None,
            "discount": str(redemption.discount) if redemption else None,
        }
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        with self._sqlite.transaction() as connection:
            row = connection.execute(
                f"INSERT INTO orders ({columns}, status) VALUES ({marks}, 'sending')"
                f" ON CONFLICT (order_id) DO NOTHING RETURNING {_ROW_COLUMNS}",
                list(values.values()),
            ).fetchone()
        return None if row is None else _row(row)

    def mark_recorded(self, order_key: int, points: float | None) -> None:
        """Gameball holds the order; ``points`` it earned, when known."""
        self._settle(order_key, "status = 'recorded', points = ?, finished_at = ?", [points])

    def mark_failed(self, order_key: int, *, error: str) -> None:
        """Gameball refused the order for good (the reason is shown to staff)."""
        self._settle(order_key, "status = 'failed', last_error = ?, finished_at = ?", [error])

    def mark_queued(self, order_key: int, *, error: str, next_attempt_at: datetime) -> None:
        """Not recorded yet (or not known to be): try again at ``next_attempt_at``.

        From now on the staff member waits to be told how it ends.
        """
        with self._sqlite.transaction() as connection:
            self._update_sending(
                connection,
                order_key,
                "status = 'queued', notified = 0, last_error = ?, next_attempt_at = ?",
                [error, to_db_time(next_attempt_at)],
            )

    def _settle(self, order_key: int, assignments: str, parameters: list[Any]) -> None:
        with self._sqlite.transaction() as connection:
            self._update_sending(
                connection, order_key, assignments, [*parameters, self._sqlite.now_text()]
            )

    @staticmethod
    def _update_sending(
        connection: sqlite3.Connection, order_key: int, assignments: str, parameters: list[Any]
    ) -> None:
        """Record an attempt's outcome; only an order being sent has one (else: a bug, loudly)."""
        update_one(
            connection,
            f"UPDATE orders SET {assignments}, attempts = attempts + 1"
            " WHERE id = ? AND status = 'sending'",
            [*parameters, order_key],
            f"order {order_key} is not being sent",
        )

    def claim_due(self, now: datetime, limit: int = 20) -> list[OrderRow]:
        """Moves due ``queued`` orders to ``sending`` and returns them, oldest due first."""
        with self._sqlite.transaction() as connection:
            rows = claim_due(connection, "orders", "queued", _ROW_COLUMNS, now, limit)
        return [_row(row) for row in rows]

    def recover(self) -> int:
        """At start-up: what a crash left in flight is queued, its staff member to be told.

        An order left ``sending`` may or may not have reached Gameball; the queue asks before
        sending it again. A reversal left ``sending`` is offered again (with the same refund ID).
        Returns how many orders were re-queued.
        """
        with self._sqlite.transaction() as connection:
            cursor = connection.execute(
                "UPDATE orders SET status = 'queued', notified = 0, next_attempt_at = ?"
                " WHERE status = 'sending'",
                (self._sqlite.now_text(),),
            )
            connection.execute("UPDATE orders SET reversal = NULL WHERE reversal = 'sending'")
        return cursor.rowcount

    # --- telling staff -----------------------------------------------------------------------

    def unnotified_finished(self) -> list[OrderRow]:
        """Queued orders that ended (recorded or failed) whose staff member was not told yet."""
        rows = self._sqlite.read(
            f"SELECT {_ROW_COLUMNS} FROM orders"
            " WHERE status IN ('recorded', 'failed') AND notified = 0 ORDER BY id"
        )
        return [_row(row) for row in rows]

    def mark_notified(self, order_key: int) -> bool:
        """Claims the right to tell the staff member; True only for the first caller."""
        return self._flip_notified(order_key, 0, 1)

    def release_notification(self, order_key: int) -> None:
        """Gives the claim back when the staff member could not be reached, to try again."""
        self._flip_notified(order_key, 1, 0)

    def _flip_notified(self, order_key: int, before: int, after: int) -> bool:
        with self._sqlite.transaction() as connection:
            cursor = connection.execute(
                "UPDATE orders SET notified = ? WHERE id = ? AND notified = ?",
                (after, order_key, before),
            )
        return cursor.rowcount == 1

    # --- reversing ---------------------------------------------------------------------------

    def claim_reversal(
        self, order_key: int, *, refund_id: str, manager_id: int
    ) -> tuple[OrderRow, bool] | None:
        """Start reversing a recorded order; None unless it is reversible right now.

        ``refund_id`` is used only for a first attempt; a repeated one keeps the ID it had.
        The flag is True when an earlier attempt may have reached Gameball.
        """
        with self._sqlite.transaction() as connection:
            before = connection.execute(
                "SELECT refund_id FROM orders WHERE id = ?", (order_key,)
            ).fetchone()
            row = connection.execute(
                "UPDATE orders SET reversal = 'sending', reversed_by = ?,"
                " refund_id = COALESCE(refund_id, ?)"
                " WHERE id = ? AND status = 'recorded' AND reversal IS NULL"
                f" RETURNING {_ROW_COLUMNS}",
                (manager_id, refund_id, order_key),
            ).fetchone()
        if row is None:
            return None
        return _row(row), before["refund_id"] is not None

    def mark_reversed(self, order_key: int, points: float | None) -> None:
        """Gameball reversed the order; ``points`` it took back, when known."""
        self._end_reversal(
            order_key,
            "reversal = 'reversed', points_reversed = ?, reversed_at = ?",
            [points, self._sqlite.now_text()],
        )

    def release_reversal(self, order_key: int) -> None:
        """The refund did not happen: the order can be reversed again (same refund ID)."""
        self._end_reversal(order_key, "reversal = NULL", [])

    def _end_reversal(self, order_key: int, assignments: str, parameters: list[Any]) -> None:
        with self._sqlite.transaction() as connection:
            update_one(
                connection,
                f"UPDATE orders SET {assignments} WHERE id = ? AND reversal = 'sending'",
                [*parameters, order_key],
                f"order {order_key} is not being reversed",
            )

    # --- reading -----------------------------------------------------------------------------

    def get(self, order_key: int) -> OrderRow | None:
        """One order by its row id (the short key its buttons carry)."""
        row = self._sqlite.read_one(f"SELECT {_ROW_COLUMNS} FROM orders WHERE id = ?", (order_key,))
        return None if row is None else _row(row)

    def latest(
        self, *, limit: int, before_id: int | None = None, store: str | None = None
    ) -> list[OrderRow]:
        """Newest first, optionally of one store (by label); page back with ``before_id``."""
        filters = {"id < ?": before_id, "store = ?": store}
        conditions = [condition for condition, value in filters.items() if value is not None]
        parameters = [value for value in filters.values() if value is not None]
        rows = self._sqlite.read(
            f"SELECT {_ROW_COLUMNS} FROM orders{where(conditions)} ORDER BY id DESC LIMIT ?",
            [*parameters, limit],
        )
        return [_row(row) for row in rows]

    def stores(self) -> list[str]:
        """Every store label orders were recorded under, most recent first."""
        rows = self._sqlite.read("SELECT store FROM orders GROUP BY store ORDER BY max(id) DESC")
        return [str(row["store"]) for row in rows]

    def queued_count(self) -> int:
        """Orders waiting for Gameball (queued or being sent from the queue)."""
        return self._sqlite.read_int("SELECT count(*) FROM orders WHERE status = 'queued'")
