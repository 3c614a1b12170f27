"""Fixtures shared by the storage tests: a controllable clock and a fresh database file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Database


class FakeClock:
    """A clock that only moves when a test says so."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def database(db_path: Path, clock: FakeClock) -> Iterator[Database]:
    opened = Database(db_path, clock=clock)
    yield opened
    opened.close()
