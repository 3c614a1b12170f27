"""One-time invite codes for enrolling staff through a ``/start <code>`` deep link.

Only the SHA-256 of a code is stored: whoever reads the database file (a backup, a support
bundle) still cannot enrol themselves. A plain hash is enough because the codes carry 192 random
bits, so there is nothing to brute-force and no need for a slow or salted hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.storage._sqlite import LockedConnection, to_db_time

INVITE_TTL = timedelta(hours=24)
#: 24 random bytes → 32 characters of [A-Za-z0-9_-]; deep-link payloads allow 64.
_CODE_BYTES = 24
#: Bad-code attempts older than this are deleted, so strangers cannot grow the table forever.
FAILURE_RETENTION = timedelta(days=7)

RedeemStatus = Literal["ok", "used", "expired", "unknown"]


@dataclass(frozen=True)
class RedeemResult:
    """What became of a redeem attempt; ``created_by`` is the inviting manager if known."""

    status: RedeemStatus
    created_by: int | None


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class InviteRepo:
    """Creating and redeeming invites, and counting failed attempts for throttling."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def create(self, created_by: int, *, ttl: timedelta = INVITE_TTL) -> tuple[str, datetime]:
        """A fresh code and when it expires; the code itself is never stored."""
        code = secrets.token_urlsafe(_CODE_BYTES)
        created_at = self._sqlite.now()
        expires_at = created_at + ttl
        with self._sqlite.transaction() as connection:
            connection.execute(
                "INSERT INTO invites (code_hash, created_by, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (_hash_code(code), created_by, to_db_time(created_at), to_db_time(expires_at)),
            )
        return code, expires_at

    def redeem(self, code: str, user_id: int) -> RedeemResult:
        """Uses the code up for ``user_id`` if it is valid.

        The check and the update share one write transaction, so of two simultaneous redeems
        (a double tap, two phones) exactly one gets ``"ok"`` and the other ``"used"``.
        """
        code_hash = _hash_code(code)
        now = self._sqlite.now_text()
        with self._sqlite.transaction() as connection:
            row = connection.execute(
                "SELECT created_by, expires_at, used_by FROM invites WHERE code_hash = ?",
                (code_hash,),
            ).fetchone()
            if row is None:
                return RedeemResult("unknown", None)
            if row["used_by"] is not None:
                return RedeemResult("used", row["created_by"])
            if row["expires_at"] <= now:
                return RedeemResult("expired", row["created_by"])
            connection.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE code_hash = ?",
                (user_id, now, code_hash),
            )
        return RedeemResult("ok", row["created_by"])

    def record_failure(self, user_id: int) -> None:
        """Notes a bad code from ``user_id`` (and forgets attempts past the retention)."""
        now = self._sqlite.now()
        with self._sqlite.transaction() as connection:
            connection.execute(
                "DELETE FROM invite_failures WHERE at < ?",
                (to_db_time(now - FAILURE_RETENTION),),
            )
            connection.execute(
                "INSERT INTO invite_failures (user_id, at) VALUES (?, ?)",
                (user_id, to_db_time(now)),
            )

    def recent_failures(self, user_id: int, within: timedelta) -> int:
        """Bad codes from ``user_id`` in the last ``within`` (at most :data:`FAILURE_RETENTION`)."""
        since = to_db_time(self._sqlite.now() - within)
        return self._sqlite.read_int(
            "SELECT count(*) FROM invite_failures WHERE user_id = ? AND at > ?", (user_id, since)
        )
