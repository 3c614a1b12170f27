"""Profiles waiting to be created while Gameball is unavailable ("nothing lost", PRODUCT §5).

Life of an item: ``pending`` → (claimed) ``sending`` → ``done`` | ``failed``, or back to
``pending`` for a retry. Re-sending after a crash is safe because Gameball's customer create is
an idempotent upsert; what must not repeat is telling the staff member, which is why
notification is claimed separately (:meth:`OutboxRepo.mark_notified`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage._sqlite import (
    LockedConnection,
    claim_due,
    from_db_time,
    to_db_time,
    update_one,
)

_ITEM_COLUMNS = (
    "id, created_at, chat_id, user_id, language, customer_id, payload, status, attempts,"
    " next_attempt_at, last_error"
)
#: Still to be created (``sending`` only lasts while one attempt is in flight).
_UNFINISHED = "status IN ('pending', 'sending')"


@dataclass(frozen=True)
class OutboxItem:
    """A queued customer creation and who to tell when it is settled."""

    id: int
    created_at: datetime
    chat_id: int
    user_id: int
    language: str
    customer_id: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        created_at=from_db_time(row["created_at"]),
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        language=row["language"],
        customer_id=row["customer_id"],
        payload=json.loads(row["payload"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=from_db_time(row["next_attempt_at"]),
        last_error=row["last_error"],
    )


class OutboxRepo:
    """The durable queue behind background profile creation.

    ``attempts`` counts settled attempts: each of :meth:`mark_done`, :meth:`mark_retry` and
    :meth:`mark_failed` adds one. ``last_error`` is shown to staff and kept on disk, so callers
    pass a short reason, never a request or anything holding keys.
    """

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def enqueue(
        self,
        *,
        chat_id: int,
        user_id: int,
        language: str,
        customer_id: str,
        payload: dict[str, Any],
    ) -> OutboxItem:
        """Queues a create request, due immediately."""
        now = self._sqlite.now_text()
        with self._sqlite.transaction() as connection:
            row = connection.execute(
                "INSERT INTO outbox (created_at, chat_id, user_id, language, customer_id, payload,"
                " status, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)"
                f" RETURNING {_ITEM_COLUMNS}",
                (now, chat_id, user_id, language, customer_id, json.dumps(payload), now),
            ).fetchone()
        return _item(row)

    def claim_due(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        """Moves due ``pending`` items to ``sending`` and returns them, oldest due first.

        Claiming in one statement means two workers can never take the same item.
        """
        with self._sqlite.transaction() as connection:
            rows = claim_due(connection, "outbox", "pending", _ITEM_COLUMNS, now, limit)
        return [_item(row) for row in rows]

    def mark_done(self, item_id: int) -> None:
        """The profile exists in Gameball."""
        self._settle(item_id, "status = 'done', finished_at = ?", [self._sqlite.now_text()])

    def mark_retry(self, item_id: int, *, error: str, next_attempt_at: datetime) -> None:
        """This attempt failed transiently; try again at ``next_attempt_at``."""
        self._settle(
            item_id,
            "status = 'pending', last_error = ?, next_attempt_at = ?",
            [error, to_db_time(next_attempt_at)],
        )

    def mark_failed(self, item_id: int, *, error: str) -> None:
        """Give up on this item for good (e.g. Gameball rejected the data)."""
        self._settle(
            item_id,
            "status = 'failed', last_error = ?, finished_at = ?",
            [error, self._sqlite.now_text()],
        )

    def _settle(self, item_id: int, assignments: str, parameters: list[Any]) -> None:
        """Records the outcome of an attempt on a claimed item.

        Only ``sending`` items can be settled; anything else is a worker bug, reported loudly
        rather than letting a finished item bounce back into the queue.
        """
        with self._sqlite.transaction() as connection:
            update_one(
                connection,
                f"UPDATE outbox SET {assignments}, attempts = attempts + 1"
                " WHERE id = ? AND status = 'sending'",
                [*parameters, item_id],
                f"outbox item {item_id} is not being sent",
            )

    def mark_notified(self, item_id: int) -> bool:
        """Claims the right to tell the staff member; True only for the first caller."""
        with self._sqlite.transaction() as connection:
            cursor = connection.execute(
                "UPDATE outbox SET notified = 1 WHERE id = ? AND notified = 0", (item_id,)
            )
        return cursor.rowcount == 1

    def release_notification(self, item_id: int) -> None:
        """Gives the claim back when the staff member could not be reached, to try again."""
        with self._sqlite.transaction() as connection:
            connection.execute(
                "UPDATE outbox SET notified = 0 WHERE id = ? AND notified = 1", (item_id,)
            )

    def erase_payload(self, item_id: int) -> None:
        """Forgets the customer's name, mobile and email once the item has been reported."""
        with self._sqlite.transaction() as connection:
            connection.execute("UPDATE outbox SET payload = '{}' WHERE id = ?", (item_id,))

    def unnotified_finished(self) -> list[OutboxItem]:
        """Settled items whose staff member has not been told yet (e.g. after a crash)."""
        rows = self._sqlite.read(
            f"SELECT {_ITEM_COLUMNS} FROM outbox"
            " WHERE status IN ('done', 'failed') AND notified = 0 ORDER BY id"
        )
        return [_item(row) for row in rows]

    def recover_sending(self) -> int:
        """At start-up: items a crash left in ``sending`` become ``pending`` again; how many."""
        with self._sqlite.transaction() as connection:
            cursor = connection.execute(
                "UPDATE outbox SET status = 'pending' WHERE status = 'sending'"
            )
        return cursor.rowcount

    def pending_count(self) -> int:
        """Items not yet settled (waiting or being sent)."""
        return self._sqlite.read_int(f"SELECT count(*) FROM outbox WHERE {_UNFINISHED}")

    def pending_for_customer(self, customer_id: str) -> OutboxItem | None:
        """The unsettled item for this customer, if any, so it is not queued twice."""
        row = self._sqlite.read_one(
            f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE customer_id = ? AND {_UNFINISHED}"
            " ORDER BY id LIMIT 1",
            (customer_id,),
        )
        return None if row is None else _item(row)
