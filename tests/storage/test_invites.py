"""One-time invite codes: format, expiry, single use under concurrency, and hashing at rest."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from datetime import timedelta
from pathlib import Path

from bot.storage import Database, RedeemResult
from tests.storage.conftest import FakeClock

MANAGER, NEWCOMER, SOMEONE_ELSE = 1, 50, 51


def test_code_is_url_safe_short_enough_for_a_deep_link_and_has_128_bits(
    database: Database,
) -> None:
    code, _ = database.invites.create(MANAGER)

    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)
    random_bytes = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    assert len(random_bytes) * 8 >= 128
    assert database.invites.create(MANAGER)[0] != code


def test_invite_expires_after_24_hours_by_default(database: Database, clock: FakeClock) -> None:
    _, expires_at = database.invites.create(MANAGER)

    assert expires_at == clock.now + timedelta(hours=24)


def test_redeem_succeeds_once_and_names_the_inviting_manager(database: Database) -> None:
    code, _ = database.invites.create(MANAGER)

    assert database.invites.redeem(code, NEWCOMER) == RedeemResult("ok", MANAGER)
    assert database.invites.redeem(code, NEWCOMER).status == "used"
    assert database.invites.redeem(code, SOMEONE_ELSE).status == "used"


def test_redeem_after_expiry_is_refused(database: Database, clock: FakeClock) -> None:
    code, _ = database.invites.create(MANAGER, ttl=timedelta(hours=1))
    clock.advance(timedelta(minutes=59))
    still_valid, _ = database.invites.create(MANAGER, ttl=timedelta(hours=1))
    clock.advance(timedelta(minutes=1))

    assert database.invites.redeem(code, NEWCOMER).status == "expired"
    assert database.invites.redeem(still_valid, NEWCOMER).status == "ok"


def test_unknown_code_is_reported_as_unknown(database: Database) -> None:
    database.invites.create(MANAGER)

    assert database.invites.redeem("not-a-real-code", NEWCOMER) == RedeemResult("unknown", None)
    assert database.invites.redeem("", NEWCOMER).status == "unknown"


def test_plain_code_never_reaches_the_database_files(database: Database, db_path: Path) -> None:
    code, _ = database.invites.create(MANAGER)
    database.invites.redeem(code, NEWCOMER)

    stored = b"".join(path.read_bytes() for path in db_path.parent.iterdir())
    assert hashlib.sha256(code.encode()).hexdigest().encode() in stored
    assert code.encode() not in stored


def _redeem_simultaneously(databases: list[Database], code: str) -> list[str]:
    start = threading.Barrier(len(databases))
    statuses: list[str] = []

    def redeem(database: Database, user_id: int) -> None:
        start.wait()
        statuses.append(database.invites.redeem(code, user_id).status)

    threads = [
        threading.Thread(target=redeem, args=(database, NEWCOMER + index))
        for index, database in enumerate(databases)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_simultaneous_redeems_through_one_connection_let_exactly_one_win(
    database: Database,
) -> None:
    for _ in range(20):
        code, _ = database.invites.create(MANAGER)
        assert _redeem_simultaneously([database, database], code) == ["ok", "used"]


def test_simultaneous_redeems_from_two_processes_let_exactly_one_win(
    database: Database, db_path: Path, clock: FakeClock
) -> None:
    other_process = Database(db_path, clock=clock)
    try:
        for _ in range(20):
            code, _ = database.invites.create(MANAGER)
            assert _redeem_simultaneously([database, other_process], code) == ["ok", "used"]
    finally:
        other_process.close()


def test_failures_are_counted_per_user_within_the_window(
    database: Database, clock: FakeClock
) -> None:
    for _ in range(3):
        database.invites.record_failure(NEWCOMER)
        clock.advance(timedelta(minutes=10))
    database.invites.record_failure(SOMEONE_ELSE)

    assert database.invites.recent_failures(NEWCOMER, within=timedelta(hours=1)) == 3
    assert database.invites.recent_failures(NEWCOMER, within=timedelta(minutes=25)) == 2
    assert database.invites.recent_failures(SOMEONE_ELSE, within=timedelta(hours=1)) == 1
    clock.advance(timedelta(hours=2))
    assert database.invites.recent_failures(NEWCOMER, within=timedelta(hours=1)) == 0
