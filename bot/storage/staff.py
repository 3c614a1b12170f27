"""Who may use the bot, and as what.

Rows come from two sources: ``config`` (``MANAGER_IDS``/``STAFF_IDS``, re-applied at every
start-up by :meth:`StaffRepo.seed`) and ``invite`` (a manager's one-time link). Revoking only
sets ``revoked_at`` (the row is replaced if the user is enrolled again), so every query that
grants access filters on ``revoked_at IS NULL``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.storage._sqlite import LockedConnection, from_db_time

Role = Literal["manager", "staff"]
ROLES: tuple[Role, ...] = ("manager", "staff")

_MEMBER_COLUMNS = "user_id, role, name, username, source, enrolled_at, enrolled_by"


@dataclass(frozen=True)
class StaffMember:
    """An active member of staff."""

    user_id: int
    role: Role
    name: str | None
    username: str | None
    source: str
    enrolled_at: datetime
    enrolled_by: int | None


def _role(value: str) -> Role:
    if value not in ROLES:
        raise ValueError(f"unknown role in database: {value!r}")
    return value


def _member(row: sqlite3.Row) -> StaffMember:
    return StaffMember(
        user_id=row["user_id"],
        role=_role(row["role"]),
        name=row["name"],
        username=row["username"],
        source=row["source"],
        enrolled_at=from_db_time(row["enrolled_at"]),
        enrolled_by=row["enrolled_by"],
    )


class StaffRepo:
    """Roles, enrolment and revocation."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def seed(self, managers: Iterable[int], staff: Iterable[int]) -> None:
        """Makes the configured roles the truth for config rows, in one transaction.

        A manager id listed under both wins as manager. Config rows no longer listed are
        deleted, so removing someone from the environment removes their access; invite rows are
        untouched. A configured user who had been revoked is reactivated, because the
        environment is the operator's explicit, current decision.
        """
        roles: dict[int, Role] = dict.fromkeys(staff, "staff")
        roles.update(dict.fromkeys(managers, "manager"))
        listed = json.dumps(sorted(roles))
        now = self._sqlite.now_text()
        with self._sqlite.transaction() as connection:
            connection.execute(
                "DELETE FROM staff WHERE source = 'config'"
                " AND user_id NOT IN (SELECT value FROM json_each(?))",
                (listed,),
            )
            connection.execute(
                "DELETE FROM staff WHERE revoked_at IS NOT NULL"
                " AND user_id IN (SELECT value FROM json_each(?))",
                (listed,),
            )
            connection.executemany(
                "INSERT INTO staff (user_id, role, source, enrolled_at)"
                " VALUES (?, ?, 'config', ?)"
                " ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, source = 'config'",
                [(user_id, role, now) for user_id, role in roles.items()],
            )

    def role_of(self, user_id: int) -> Role | None:
        """The user's role now, or None for strangers and revoked users."""
        member = self.get(user_id)
        return None if member is None else member.role

    def enrol(
        self, user_id: int, *, name: str | None, username: str | None, by: int
    ) -> StaffMember:
        """Makes the user staff after they redeemed an invite from ``by``.

        A revoked user starts afresh. An active member keeps their role and source (a manager
        opening an invite link must not demote themselves); only their profile is refreshed.
        """
        with self._sqlite.transaction() as connection:
            connection.execute(
                "DELETE FROM staff WHERE user_id = ? AND revoked_at IS NOT NULL", (user_id,)
            )
            row = connection.execute(
                "INSERT INTO staff (user_id, role, name, username, source, enrolled_at,"
                " enrolled_by) VALUES (?, 'staff', ?, ?, 'invite', ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE"
                " SET name = excluded.name, username = excluded.username"
                f" RETURNING {_MEMBER_COLUMNS}",
                (user_id, name, username, self._sqlite.now_text(), by),
            ).fetchone()
        return _member(row)

    def update_profile(self, user_id: int, *, name: str | None, username: str | None) -> None:
        """Keeps the display name and @username current (they change on Telegram's side)."""
        with self._sqlite.transaction() as connection:
            connection.execute(
                "UPDATE staff SET name = ?, username = ? WHERE user_id = ?",
                (name, username, user_id),
            )

    def revoke(self, user_id: int) -> bool:
        """Cuts the user off; False if unknown, already revoked, or a configured manager.

        Configured managers cannot be revoked from chat: the environment would restore them at
        the next start anyway, and a bot must never be left without a reachable manager.
        """
        with self._sqlite.transaction() as connection:
            cursor = connection.execute(
                "UPDATE staff SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
                " AND NOT (source = 'config' AND role = 'manager')",
                (self._sqlite.now_text(), user_id),
            )
        return cursor.rowcount == 1

    def list_active(self) -> list[StaffMember]:
        """Active members: managers first, then in order of enrolment."""
        rows = self._sqlite.read(
            f"SELECT {_MEMBER_COLUMNS} FROM staff WHERE revoked_at IS NULL"
            " ORDER BY role <> 'manager', enrolled_at, user_id"
        )
        return [_member(row) for row in rows]

    def get(self, user_id: int) -> StaffMember | None:
        """The active member with this id, or None (also for revoked users)."""
        row = self._sqlite.read_one(
            f"SELECT {_MEMBER_COLUMNS} FROM staff WHERE user_id = ? AND revoked_at IS NULL",
            (user_id,),
        )
        return None if row is None else _member(row)

    def managers(self) -> list[int]:
        """Ids of the active managers, e.g. to alert them."""
        rows = self._sqlite.read(
            "SELECT user_id FROM staff WHERE role = 'manager' AND revoked_at IS NULL"
            " ORDER BY user_id"
        )
        return [int(row["user_id"]) for row in rows]
