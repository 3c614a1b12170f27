"""The orders the bot records: claimed once, queued, recovered, told once, reversed once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.orders import Sale, Store
from bot.storage import Cashier, Database, OrderRow, StorageError
from tests.storage.conftest import FakeClock

CASHIER = Cashier(chat_id=700, user_id=7, language="ar")
STORE = Store("POP1", "City Stars", "B2", "")


def sale(clock: FakeClock, order_id: str = "POP1-B2-20250301-AAAA", store: Store = STORE) -> Sale:
    return Sale(order_id, "demo-1001", Decimal("1250.50"), "EGP", store, clock.now)


def claimed(
    database: Database, clock: FakeClock, order_id: str = "POP1-B2-20250301-AAAA"
) -> OrderRow:
    order = database.orders.claim(sale(clock, order_id), CASHIER)
    assert order is not None
    return order


def test_a_claimed_order_keeps_the_sale_exactly(database: Database, clock: FakeClock) -> None:
    order = claimed(database, clock)

    assert order.sale == sale(clock)
    assert order.cashier == CASHIER
    assert (order.status, order.attempts, order.reversal) == ("sending", 0, None)
    assert database.orders.get(order.id) == order


def test_an_order_id_is_claimed_once(database: Database, clock: FakeClock) -> None:
    claimed(database, clock)

    assert database.orders.claim(sale(clock), CASHIER) is None


def test_recording_settles_the_attempt_and_keeps_the_points(
    database: Database, clock: FakeClock
) -> None:
    order = claimed(database, clock)

    database.orders.mark_recorded(order.id, 125.0)

    recorded = database.orders.get(order.id)
    assert recorded is not None
    assert (recorded.status, recorded.points, recorded.attempts) == ("recorded", 125.0, 1)
    assert recorded.reversible
    assert database.orders.unnotified_finished() == []  # the cashier saw the receipt
    with pytest.raises(StorageError):
        database.orders.mark_recorded(order.id, 125.0)  # not being sent any more


def test_a_queued_order_waits_its_turn_and_its_cashier_is_told_once(
    database: Database, clock: FakeClock
) -> None:
    order = claimed(database, clock)
    database.orders.mark_queued(
        order.id, error="Unavailable", next_attempt_at=clock.now + timedelta(seconds=30)
    )

    assert database.orders.queued_count() == 1
    assert database.orders.claim_due(clock.now) == []
    clock.advance(timedelta(seconds=30))
    (due,) = database.orders.claim_due(clock.now)
    assert (due.id, due.status, due.attempts) == (order.id, "sending", 1)
    assert database.orders.claim_due(clock.now) == []
    database.orders.mark_recorded(order.id, None)

    (finished,) = database.orders.unnotified_finished()
    assert finished.id == order.id
    assert database.orders.mark_notified(order.id)
    assert not database.orders.mark_notified(order.id)
    database.orders.release_notification(order.id)
    assert database.orders.mark_notified(order.id)
    assert database.orders.unnotified_finished() == []


def test_a_refused_order_is_failed_with_its_reason(database: Database, clock: FakeClock) -> None:
    order = claimed(database, clock)

    database.orders.mark_failed(order.id, error="Customer is inactive")

    failed = database.orders.get(order.id)
    assert failed is not None
    assert (failed.status, failed.last_error, failed.reversible) == (
        "failed",
        "Customer is inactive",
        False,
    )


def test_recovery_queues_what_a_crash_left_in_flight(db_path: Path, clock: FakeClock) -> None:
    first = Database(db_path, clock=clock)
    order = claimed(first, clock)
    done = claimed(first, clock, "POP1-B2-20250301-BBBB")
    first.orders.mark_recorded(done.id, 10.0)
    first.orders.claim_reversal(done.id, refund_id="R1", manager_id=1)
    first.close()  # the process dies with one order and one reversal in flight

    second = Database(db_path, clock=clock)
    assert second.orders.recover() == 1
    (due,) = second.orders.claim_due(clock.now)
    assert due.id == order.id
    after = second.orders.get(done.id)
    assert after is not None
    assert (after.reversal, after.refund_id, after.reversible) == (None, "R1", True)
    second.close()


def test_an_order_is_reversed_once_and_keeps_its_refund_id(
    database: Database, clock: FakeClock
) -> None:
    order = claimed(database, clock)
    database.orders.mark_recorded(order.id, 125.0)

    first = database.orders.claim_reversal(order.id, refund_id="R1", manager_id=1)
    assert first is not None
    assert (first[0].refund_id, first[0].reversal, first[1]) == ("R1", "sending", False)
    assert database.orders.claim_reversal(order.id, refund_id="R2", manager_id=1) is None
    database.orders.release_reversal(order.id)  # Gameball did not answer
    retry = database.orders.claim_reversal(order.id, refund_id="R3", manager_id=1)
    assert retry is not None
    assert (retry[0].refund_id, retry[1]) == ("R1", True)  # the same refund, maybe seen before
    database.orders.mark_reversed(order.id, 125.0)

    reversed_ = database.orders.get(order.id)
    assert reversed_ is not None
    assert (reversed_.reversal, reversed_.points_reversed, reversed_.reversed_by) == (
        "reversed",
        125.0,
        1,
    )
    assert reversed_.reversed_at == clock.now
    assert database.orders.claim_reversal(order.id, refund_id="R4", manager_id=1) is None


def test_only_recorded_orders_can_be_reversed(database: Database, clock: FakeClock) -> None:
    order = claimed(database, clock)

    assert database.orders.claim_reversal(order.id, refund_id="R1", manager_id=1) is None
    assert database.orders.claim_reversal(999, refund_id="R1", manager_id=1) is None
    with pytest.raises(StorageError):
        database.orders.mark_reversed(order.id, None)


def test_orders_are_listed_newest_first_per_store_and_paged(
    database: Database, clock: FakeClock
) -> None:
    other = Store(store_name="Mall kiosk")
    ids = []
    for number in range(5):
        store = other if number % 2 else STORE
        order = database.orders.claim(sale(clock, f"O-{number}", store), CASHIER)
        assert order is not None
        ids.append(order.id)

    newest = database.orders.latest(limit=2)
    older = database.orders.latest(limit=2, before_id=newest[-1].id)
    mall = database.orders.latest(limit=10, store="Mall kiosk")

    assert [o.id for o in newest] == [ids[4], ids[3]]
    assert [o.id for o in older] == [ids[2], ids[1]]
    assert [o.id for o in mall] == [ids[3], ids[1]]
    assert database.orders.stores() == ["City Stars · B2", "Mall kiosk"]
