"""The queue of profiles waiting for Gameball: claiming, retrying, finishing, crash recovery."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.storage import Database, OutboxItem, StorageError
from tests.storage.conftest import FakeClock

PAYLOAD = {
    "customerId": "C-100",
    "mobile": "+201001234567",
    "customerAttributes": {"displayName": "Nour Ali", "custom": {"store": "Pop-up"}},
}


def _enqueue(database: Database, customer_id: str = "C-100") -> OutboxItem:
    return database.outbox.enqueue(
        chat_id=700, user_id=7, language="ar", customer_id=customer_id, payload=PAYLOAD
    )


def test_enqueued_item_keeps_its_request_and_is_due_now(
    database: Database, clock: FakeClock
) -> None:
    item = _enqueue(database)

    assert (item.chat_id, item.user_id, item.language, item.customer_id) == (700, 7, "ar", "C-100")
    assert item.payload == PAYLOAD
    assert (item.status, item.attempts, item.last_error) == ("pending", 0, None)
    assert item.created_at == item.next_attempt_at == clock.now
    assert database.outbox.pending_count() == 1


def test_claim_takes_due_items_once_oldest_first_up_to_the_limit(
    database: Database, clock: FakeClock
) -> None:
    first = _enqueue(database, "C-1")
    clock.advance(timedelta(seconds=1))
    second = _enqueue(database, "C-2")
    clock.advance(timedelta(seconds=1))
    _enqueue(database, "C-3")

    claimed = database.outbox.claim_due(clock.now, limit=2)

    assert [item.id for item in claimed] == [first.id, second.id]
    assert {item.status for item in claimed} == {"sending"}
    assert [item.customer_id for item in database.outbox.claim_due(clock.now)] == ["C-3"]
    assert database.outbox.claim_due(clock.now) == []


def test_items_are_not_claimed_before_they_are_due(database: Database, clock: FakeClock) -> None:
    item = _enqueue(database)

    assert database.outbox.claim_due(clock.now - timedelta(seconds=1)) == []
    assert [claimed.id for claimed in database.outbox.claim_due(clock.now)] == [item.id]


def test_retry_returns_the_item_to_the_queue_at_the_given_time(
    database: Database, clock: FakeClock
) -> None:
    item = _enqueue(database)
    database.outbox.claim_due(clock.now)
    retry_at = clock.now + timedelta(minutes=2)

    database.outbox.mark_retry(
        item.id, error="Gameball unavailable (503)", next_attempt_at=retry_at
    )

    assert database.outbox.claim_due(retry_at - timedelta(seconds=1)) == []
    [again] = database.outbox.claim_due(retry_at)
    assert (again.id, again.attempts, again.last_error) == (
        item.id,
        1,
        "Gameball unavailable (503)",
    )
    assert again.next_attempt_at == retry_at


def test_done_item_leaves_the_queue_and_is_notified_exactly_once(
    database: Database, clock: FakeClock
) -> None:
    item = _enqueue(database)
    database.outbox.claim_due(clock.now)

    database.outbox.mark_done(item.id)

    assert database.outbox.pending_count() == 0
    assert database.outbox.pending_for_customer("C-100") is None
    [finished] = database.outbox.unnotified_finished()
    assert (finished.id, finished.status, finished.attempts) == (item.id, "done", 1)
    assert database.outbox.mark_notified(item.id) is True
    assert database.outbox.mark_notified(item.id) is False
    assert database.outbox.unnotified_finished() == []


def test_failed_item_keeps_the_reason_for_the_staff_member(
    database: Database, clock: FakeClock
) -> None:
    item = _enqueue(database)
    database.outbox.claim_due(clock.now)

    database.outbox.mark_failed(item.id, error="mobile is invalid")

    [finished] = database.outbox.unnotified_finished()
    assert (finished.status, finished.last_error) == ("failed", "mobile is invalid")
    assert database.outbox.claim_due(clock.now + timedelta(days=1)) == []


def test_only_claimed_items_can_be_settled(database: Database, clock: FakeClock) -> None:
    item = _enqueue(database)

    with pytest.raises(StorageError, match="not being sent"):
        database.outbox.mark_done(item.id)
    database.outbox.claim_due(clock.now)
    database.outbox.mark_done(item.id)
    with pytest.raises(StorageError, match="not being sent"):
        database.outbox.mark_failed(item.id, error="late")
    assert database.outbox.unnotified_finished()[0].status == "done"


def test_items_left_sending_by_a_crash_are_sent_again_after_restart(
    database: Database, db_path: Path, clock: FakeClock
) -> None:
    item = _enqueue(database)
    database.outbox.claim_due(clock.now)
    database.close()

    restarted = Database(db_path, clock=clock)
    try:
        assert restarted.outbox.claim_due(clock.now) == []
        assert restarted.outbox.recover_sending() == 1
        assert [again.id for again in restarted.outbox.claim_due(clock.now)] == [item.id]
    finally:
        restarted.close()


def test_pending_for_customer_finds_waiting_and_in_flight_items(
    database: Database, clock: FakeClock
) -> None:
    item = _enqueue(database, "C-7")
    _enqueue(database, "C-8")

    assert database.outbox.pending_for_customer("C-7") == item
    database.outbox.claim_due(clock.now)
    in_flight = database.outbox.pending_for_customer("C-7")
    assert in_flight is not None
    assert (in_flight.id, in_flight.status) == (item.id, "sending")
    assert database.outbox.pending_for_customer("C-9") is None
    assert database.outbox.pending_count() == 2


def test_a_reported_item_keeps_no_contact_data(database: Database, clock: FakeClock) -> None:
    item = _enqueue(database)
    database.outbox.claim_due(clock.now)
    database.outbox.mark_done(item.id)
    database.outbox.mark_notified(item.id)
    database.outbox.erase_payload(item.id)
    database.close()

    stored = b"".join(
        path.read_bytes() for path in database.path.parent.iterdir() if path.is_file()
    )
    assert b"+201001234567" not in stored
    assert b"Nour Ali" not in stored


def test_a_released_claim_can_be_taken_again(database: Database, clock: FakeClock) -> None:
    item = _enqueue(database)
    database.outbox.claim_due(clock.now)
    database.outbox.mark_done(item.id)
    assert database.outbox.mark_notified(item.id) is True

    database.outbox.release_notification(item.id)

    assert [i.id for i in database.outbox.unnotified_finished()] == [item.id]
    assert database.outbox.mark_notified(item.id) is True
