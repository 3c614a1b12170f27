"""The one SQLite connection every repository shares, and how times are written into it.

Why synchronous ``sqlite3`` inside an async bot: every operation here is one short transaction
on a local file with an index behind it (well under a millisecond), so running it on the event
loop costs less than handing it to a worker thread would, and it keeps each repository method a
plain atomic function. WAL mode lets readers carry on while a write commits.

One connection serves the whole process (``check_same_thread=False``); a re-entrant lock keeps a
transaction begun by one thread from interleaving with statements from another.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

#: Returns "now"; tests inject a controllable one.
Clock = Callable[[], datetime]


class StorageError(Exception):
    """The database cannot be used as it is (for example, written by a newer version)."""


def utc_now() -> datetime:
    """The production clock."""
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Fixed-width ISO 8601 in UTC, so comparing the stored strings compares the times.

    Naive datetimes are refused: guessing their zone would silently shift expiry times.
    """
    if moment.utcoffset() is None:
        raise ValueError("storage needs timezone-aware datetimes, got a naive one")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    """Reads a time written by :func:`to_db_time` back as an aware UTC datetime."""
    return datetime.fromisoformat(text)


def update_one(
    connection: sqlite3.Connection, sql: str, parameters: Sequence[Any], failure: str
) -> None:
    """Run an UPDATE that must change exactly one row; anything else is a bug, reported loudly."""
    if connection.execute(sql, parameters).rowcount != 1:
        raise StorageError(failure)


def claim_due(
    connection: sqlite3.Connection,
    table: str,
    waiting: str,
    columns: str,
    now: datetime,
    limit: int,
    *,
    claimed: str = "sending",
    due: str = "next_attempt_at",
) -> list[sqlite3.Row]:
    """Move due rows of a queue from status ``waiting`` to ``claimed``; oldest due first.

    A row is due once its ``due`` time has come. Claiming in one statement means two workers
    can never take the same row.
    """
    rows = connection.execute(
        f"UPDATE {table} SET status = ? WHERE id IN (SELECT id FROM {table}"
        f" WHERE status = ? AND {due} <= ?"
        f" ORDER BY {due}, id LIMIT ?)"
        f" RETURNING {columns}",
        (claimed, waiting, to_db_time(now), limit),
    ).fetchall()
    # Times are stored fixed-width, so their text sorts as the times do.
    return sorted(rows, key=lambda row: (row[due], row["id"]))


def where(conditions: Sequence[str]) -> str:
    """`` WHERE a AND b`` for the conditions given, or nothing when there are none."""
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


class LockedConnection:
    """A connection in autocommit mode whose transactions are explicit and serialised."""

    def __init__(self, connection: sqlite3.Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock
        self._lock = threading.RLock()

    def now_text(self) -> str:
        """The current time as stored in the database."""
        return to_db_time(self._clock())

    def now(self) -> datetime:
        """The current time in UTC, exactly as it reads back from the database."""
        return from_db_time(self.now_text())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error.

        IMMEDIATE takes the write lock up front, so a read-then-write (such as redeeming an
        invite) cannot be raced by another connection between its read and its write.
        """
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
                self._connection.execute("COMMIT")
            except BaseException:
                self._connection.rollback()
                raise

    def read(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Runs one read-only statement; a single statement is atomic without a transaction."""
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    def read_one(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        """The first row of :meth:`read`, or None."""
        rows = self.read(sql, parameters)
        return rows[0] if rows else None

    def read_int(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """The one integer an aggregate such as ``SELECT count(*)`` yields."""
        (value,) = self.read(sql, parameters)[0]
        return int(value)

    def close(self) -> None:
        """Closes the connection; later calls fail with ``sqlite3.ProgrammingError``."""
        with self._lock:
            self._connection.close()
