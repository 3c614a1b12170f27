"""Short keys that stand in for long customer IDs inside Telegram button data."""

from __future__ import annotations

import re
from pathlib import Path

from bot.storage import Database

LONG_ID = "loyalty-" + "ع" * 40 + "-x" * 26  # 100 characters, far beyond 64 bytes of UTF-8


def test_long_value_round_trips_through_a_key_that_fits_callback_data(database: Database) -> None:
    key = database.refs.put(LONG_ID)

    assert database.refs.get(key) == LONG_ID
    assert re.fullmatch(r"[A-Za-z0-9_-]{10}", key)
    assert len(f"refresh:{key}".encode()) <= 64


def test_same_value_gets_the_same_key_and_different_values_do_not(database: Database) -> None:
    key = database.refs.put(LONG_ID)

    assert database.refs.put(LONG_ID) == key
    assert database.refs.put(LONG_ID + "1") != key


def test_unknown_key_gives_nothing(database: Database) -> None:
    database.refs.put(LONG_ID)

    assert database.refs.get("AAAAAAAAAA") is None


def test_keys_survive_a_restart(database: Database, db_path: Path) -> None:
    key = database.refs.put(LONG_ID)
    database.close()

    restarted = Database(db_path)
    try:
        assert restarted.refs.get(key) == LONG_ID
        assert restarted.refs.put(LONG_ID) == key
    finally:
        restarted.close()
