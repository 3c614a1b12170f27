"""Opening, migrating and reopening the database file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from bot.storage import DATABASE_FILENAME, Database, StorageError
from bot.storage import database as database_module
from tests.storage.conftest import FakeClock

# Release 1 schema written out literally, so later edits cannot hide an upgrade bug.
RELEASE_1_SCHEMA = """
CREATE TABLE staff (
    user_id INTEGER PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('manager', 'staff')),
    name TEXT, username TEXT,
    source TEXT NOT NULL CHECK (source IN ('config', 'invite')),
    enrolled_at TEXT NOT NULL, enrolled_by INTEGER, revoked_at TEXT
);
CREATE TABLE invites (
    code_hash TEXT PRIMARY KEY, created_by INTEGER NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, used_by INTEGER, used_at TEXT
);
CREATE TABLE invite_failures (user_id INTEGER NOT NULL, at TEXT NOT NULL);
CREATE INDEX invite_failures_by_user ON invite_failures (user_id, at);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor_id INTEGER NOT NULL,
    actor_name TEXT, action TEXT NOT NULL, customer_id TEXT, result TEXT NOT NULL,
    store TEXT, detail TEXT
);
CREATE INDEX audit_by_actor ON audit (actor_id, id);
INSERT INTO staff (user_id, role, name, source, enrolled_at, enrolled_by)
    VALUES (42, 'staff', 'Mona', 'invite', '2024-12-01T10:00:00.000000+00:00', 7);
INSERT INTO audit (at, actor_id, actor_name, action, customer_id, result)
    VALUES ('2024-12-01T10:05:00.000000+00:00', 42, 'Mona', 'identify', 'C-1', 'found');
PRAGMA user_version = 1;
"""


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Reads the file through a connection of its own, as another program would."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


def _write_by_hand(path: Path, script: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(script)


def _pragma(path: Path, name: str) -> object:
    return _query(path, f"PRAGMA {name}")[0][0]


def test_fresh_database_is_created_with_parent_dir_in_wal_mode(db_path: Path) -> None:
    database = Database(db_path)
    database.close()

    assert db_path.is_file()
    assert database.schema_version == len(database_module.MIGRATIONS)
    assert _pragma(db_path, "user_version") == database.schema_version
    assert _pragma(db_path, "journal_mode") == "wal"


def test_in_data_dir_uses_the_standard_file_name(tmp_path: Path) -> None:
    database = Database.in_data_dir(tmp_path / "state")
    database.close()

    assert database.path == tmp_path / "state" / DATABASE_FILENAME
    assert database.path.is_file()


def test_reopening_keeps_data(db_path: Path, clock: FakeClock) -> None:
    first = Database(db_path, clock=clock)
    first.staff.seed(managers=[1], staff=[])
    item = first.outbox.enqueue(
        chat_id=5, user_id=5, language="en", customer_id="C-9", payload={"customerId": "C-9"}
    )
    first.close()

    second = Database(db_path, clock=clock)
    try:
        assert second.staff.role_of(1) == "manager"
        assert second.outbox.pending_for_customer("C-9") == item
    finally:
        second.close()


def test_release_1_database_is_upgraded_and_keeps_its_rows(db_path: Path) -> None:
    _write_by_hand(db_path, RELEASE_1_SCHEMA)

    database = Database(db_path)
    try:
        assert database.schema_version == len(database_module.MIGRATIONS)
        assert database.staff.role_of(42) == "staff"
        [entry] = database.audit.latest()
        assert (entry.actor_name, entry.customer_id, entry.result) == ("Mona", "C-1", "found")
        # Tables added after release 1 work.
        database.outbox.enqueue(chat_id=1, user_id=42, language="ar", customer_id="C-2", payload={})
        assert database.outbox.pending_count() == 1
        assert database.refs.get(database.refs.put("C-2")) == "C-2"
        database.telegram_state.save_conversation("identify", (42, 42), 3)
        assert database.telegram_state.load_conversations("identify") == {(42, 42): 3}
    finally:
        database.close()
    assert _pragma(db_path, "user_version") == len(database_module.MIGRATIONS)


def test_failed_migration_leaves_the_previous_version_intact(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Database(db_path).close()
    released = database_module.MIGRATIONS
    broken = "CREATE TABLE half_done (x INTEGER); CREATE TABLE staff (x INTEGER);"
    monkeypatch.setattr(database_module, "MIGRATIONS", (*released, broken))

    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        Database(db_path)

    assert _pragma(db_path, "user_version") == len(released)
    assert ("half_done",) not in _query(db_path, "SELECT name FROM sqlite_master")


def test_database_from_a_newer_release_is_refused_untouched(db_path: Path) -> None:
    _write_by_hand(db_path, "PRAGMA user_version = 99;")

    with pytest.raises(StorageError, match="newer than this release"):
        Database(db_path)
    assert _pragma(db_path, "user_version") == 99


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        database.outbox.claim_due(datetime(2025, 1, 1))
