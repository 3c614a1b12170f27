"""The fading schedule of cards in staff chats (issue 18), as stored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.storage import Database, Fade
from tests.storage.conftest import FakeClock

CARD = Fade(chat_id=222, message_id=7, kind="card", label="demo-1001", language="ar")


def test_a_message_is_due_and_closed_from_its_time_on(database: Database, clock: FakeClock) -> None:
    database.fades.schedule(CARD, clock.now + timedelta(minutes=30))

    clock.advance(timedelta(minutes=29))
    assert database.fades.due(clock.now) == []
    assert database.fades.closed(222, 7, clock.now) is None
    clock.advance(timedelta(minutes=1))

    assert database.fades.due(clock.now) == [CARD]
    assert database.fades.closed(222, 7, clock.now) == CARD
    assert database.fades.closed(222, 8, clock.now) is None


def test_scheduling_again_moves_the_time_on(database: Database, clock: FakeClock) -> None:
    database.fades.schedule(CARD, clock.now + timedelta(minutes=30))
    database.fades.schedule(CARD, clock.now + timedelta(minutes=60))

    clock.advance(timedelta(minutes=45))

    assert database.fades.due(clock.now) == []


def test_a_stuck_message_is_no_longer_due_but_stays_closed(
    database: Database, clock: FakeClock
) -> None:
    database.fades.schedule(CARD, clock.now)
    database.fades.mark_stuck(222, 7)

    assert database.fades.due(clock.now + timedelta(days=3)) == []
    closed = database.fades.closed(222, 7, clock.now)
    assert closed is not None
    assert closed.stuck


def test_a_forgotten_message_is_neither_due_nor_closed(
    database: Database, clock: FakeClock
) -> None:
    database.fades.schedule(CARD, clock.now)

    database.fades.forget(222, 7)

    assert database.fades.due(clock.now) == []
    assert database.fades.closed(222, 7, clock.now) is None


def test_the_schedule_survives_a_restart(
    database: Database, db_path: Path, clock: FakeClock
) -> None:
    database.fades.schedule(CARD, clock.now)
    database.close()

    reopened = Database(db_path, clock=clock)
    try:
        assert reopened.fades.due(clock.now) == [CARD]
    finally:
        reopened.close()
