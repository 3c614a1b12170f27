"""Roles from configuration and invites, and who can be revoked."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import Database
from tests.storage.conftest import FakeClock

MANAGER, CASHIER, FIELD_AGENT, STRANGER = 1, 2, 3, 99


def test_seed_grants_configured_roles_and_a_manager_id_wins(database: Database) -> None:
    database.staff.seed(managers=[MANAGER], staff=[CASHIER, MANAGER])

    assert database.staff.role_of(MANAGER) == "manager"
    assert database.staff.role_of(CASHIER) == "staff"
    assert database.staff.role_of(STRANGER) is None
    assert database.staff.managers() == [MANAGER]


def test_reseeding_removes_config_users_no_longer_listed_but_keeps_invited_staff(
    database: Database,
) -> None:
    database.staff.seed(managers=[MANAGER], staff=[CASHIER])
    database.staff.enrol(FIELD_AGENT, name="Omar", username="omar", by=MANAGER)

    database.staff.seed(managers=[], staff=[])

    assert database.staff.role_of(MANAGER) is None
    assert database.staff.role_of(CASHIER) is None
    assert database.staff.role_of(FIELD_AGENT) == "staff"


def test_reseeding_changes_roles_and_keeps_enrolment_time(
    database: Database, clock: FakeClock
) -> None:
    database.staff.seed(managers=[], staff=[CASHIER])
    enrolled_at = clock.now
    clock.advance(timedelta(days=3))

    database.staff.seed(managers=[CASHIER], staff=[])

    member = database.staff.get(CASHIER)
    assert member is not None
    assert (member.role, member.source, member.enrolled_at) == ("manager", "config", enrolled_at)


def test_reseeding_reactivates_a_revoked_config_user(database: Database) -> None:
    database.staff.seed(managers=[MANAGER], staff=[CASHIER])
    assert database.staff.revoke(CASHIER)
    assert database.staff.role_of(CASHIER) is None

    database.staff.seed(managers=[MANAGER], staff=[CASHIER])

    assert database.staff.role_of(CASHIER) == "staff"


def test_configured_managers_cannot_be_revoked(database: Database) -> None:
    database.staff.seed(managers=[MANAGER], staff=[])

    assert database.staff.revoke(MANAGER) is False
    assert database.staff.role_of(MANAGER) == "manager"


def test_revoked_staff_lose_access_at_once_and_only_once(database: Database) -> None:
    database.staff.enrol(FIELD_AGENT, name="Omar", username=None, by=MANAGER)

    assert database.staff.revoke(FIELD_AGENT) is True
    assert database.staff.role_of(FIELD_AGENT) is None
    assert database.staff.get(FIELD_AGENT) is None
    assert database.staff.revoke(FIELD_AGENT) is False
    assert database.staff.revoke(STRANGER) is False


def test_enrol_records_who_invited_and_when(database: Database, clock: FakeClock) -> None:
    member = database.staff.enrol(FIELD_AGENT, name="Omar", username="omar", by=MANAGER)

    assert member.user_id == FIELD_AGENT
    assert member.role == "staff"
    assert (member.name, member.username) == ("Omar", "omar")
    assert (member.source, member.enrolled_by, member.enrolled_at) == ("invite", MANAGER, clock.now)
    assert database.staff.get(FIELD_AGENT) == member


def test_re_enrolling_a_revoked_user_reactivates_them(database: Database, clock: FakeClock) -> None:
    database.staff.enrol(FIELD_AGENT, name="Omar", username=None, by=MANAGER)
    database.staff.revoke(FIELD_AGENT)
    clock.advance(timedelta(hours=2))

    member = database.staff.enrol(FIELD_AGENT, name="Omar A.", username=None, by=CASHIER)

    assert database.staff.role_of(FIELD_AGENT) == "staff"
    assert (member.name, member.enrolled_by, member.enrolled_at) == ("Omar A.", CASHIER, clock.now)


def test_a_manager_opening_an_invite_stays_manager(database: Database) -> None:
    database.staff.seed(managers=[MANAGER], staff=[])

    member = database.staff.enrol(MANAGER, name="Sara", username="sara", by=MANAGER)

    assert (member.role, member.source, member.name) == ("manager", "config", "Sara")


def test_update_profile_is_visible_in_the_staff_list(database: Database) -> None:
    database.staff.enrol(FIELD_AGENT, name="Omar", username="omar", by=MANAGER)

    database.staff.update_profile(FIELD_AGENT, name="Omar Adel", username=None)

    [member] = database.staff.list_active()
    assert (member.name, member.username) == ("Omar Adel", None)


def test_list_active_puts_managers_first_then_enrolment_order(
    database: Database, clock: FakeClock
) -> None:
    database.staff.enrol(FIELD_AGENT, name=None, username=None, by=MANAGER)
    clock.advance(timedelta(minutes=1))
    database.staff.enrol(CASHIER, name=None, username=None, by=MANAGER)
    clock.advance(timedelta(minutes=1))
    database.staff.enrol(STRANGER, name=None, username=None, by=MANAGER)
    database.staff.revoke(STRANGER)
    clock.advance(timedelta(minutes=1))
    database.staff.seed(managers=[MANAGER], staff=[])

    assert [member.user_id for member in database.staff.list_active()] == [
        MANAGER,
        FIELD_AGENT,
        CASHIER,
    ]
