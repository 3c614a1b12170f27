"""The audit log managers page through with /activity."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import AuditEntry, Database
from tests.storage.conftest import FakeClock

CASHIER, MANAGER = 2, 1


def test_record_stores_every_field_with_the_current_time(
    database: Database, clock: FakeClock
) -> None:
    entry_id = database.audit.record(
        actor_id=CASHIER,
        actor_name="Mona",
        action="create",
        result="created",
        customer_id="C-17",
        store="Pop-up Zamalek",
        detail="welcome bonus 50",
    )

    assert database.audit.latest() == [
        AuditEntry(
            id=entry_id,
            at=clock.now,
            actor_id=CASHIER,
            actor_name="Mona",
            action="create",
            customer_id="C-17",
            result="created",
            store="Pop-up Zamalek",
            detail="welcome bonus 50",
        )
    ]


def test_optional_fields_stay_empty(database: Database) -> None:
    database.audit.record(actor_id=MANAGER, actor_name=None, action="invite", result="ok")

    [entry] = database.audit.latest()
    assert (entry.actor_name, entry.customer_id, entry.store, entry.detail) == (
        None,
        None,
        None,
        None,
    )


def _record_lookups(database: Database, clock: FakeClock, count: int) -> list[int]:
    ids = []
    for number in range(count):
        actor = MANAGER if number % 5 == 0 else CASHIER
        ids.append(
            database.audit.record(
                actor_id=actor,
                actor_name=None,
                action="lookup",
                result="found",
                customer_id=f"C-{number}",
            )
        )
        clock.advance(timedelta(seconds=1))
    return ids


def test_latest_pages_backwards_newest_first(database: Database, clock: FakeClock) -> None:
    ids = _record_lookups(database, clock, 25)

    pages: list[list[int]] = []
    before_id = None
    while page := database.audit.latest(limit=10, before_id=before_id):
        pages.append([entry.id for entry in page])
        before_id = page[-1].id

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [entry_id for page in pages for entry_id in page] == ids[::-1]


def test_new_entries_do_not_shift_older_pages(database: Database, clock: FakeClock) -> None:
    ids = _record_lookups(database, clock, 15)
    first_page = database.audit.latest(limit=10)

    _record_lookups(database, clock, 3)

    second_page = database.audit.latest(limit=10, before_id=first_page[-1].id)
    assert [entry.id for entry in second_page] == ids[:5][::-1]


def test_actor_filter_applies_to_pages_and_counts(database: Database, clock: FakeClock) -> None:
    ids = _record_lookups(database, clock, 25)
    manager_ids = ids[::5]

    first = database.audit.latest(limit=3, actor_id=MANAGER)
    rest = database.audit.latest(limit=3, actor_id=MANAGER, before_id=first[-1].id)

    assert [entry.id for entry in first + rest] == manager_ids[::-1]
    assert {entry.actor_id for entry in first + rest} == {MANAGER}
    assert database.audit.count(actor_id=MANAGER) == 5
    assert database.audit.count(actor_id=CASHIER) == 20
    assert database.audit.count() == 25
