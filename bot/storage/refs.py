"""Short keys for values too long for Telegram's 64-byte callback data (PRODUCT §5).

A customer ID may be up to 100 characters, so buttons carry a key and the value stays here.
Keys are random rather than derived from the value, so a key says nothing about the customer.
"""

from __future__ import annotations

import secrets

from bot.storage._sqlite import LockedConnection

#: 7 random bytes → 10 URL-safe characters (56 bits).
_KEY_BYTES = 7


class RefRepo:
    """Value ↔ short key, one key per distinct value, kept indefinitely (old buttons still work)."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def put(self, value: str) -> str:
        """The key for ``value``, creating one the first time it is seen."""
        with self._sqlite.transaction() as connection:
            while True:
                row = connection.execute(
                    "SELECT key FROM refs WHERE value = ?", (value,)
                ).fetchone()
                if row is not None:
                    return str(row["key"])
                # A key collision inserts nothing and the loop simply draws another key.
                connection.execute(
                    "INSERT INTO refs (key, value, created_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (key) DO NOTHING",
                    (secrets.token_urlsafe(_KEY_BYTES), value, self._sqlite.now_text()),
                )

    def get(self, key: str) -> str | None:
        """The value behind ``key``, or None for a key this bot never issued."""
        row = self._sqlite.read_one("SELECT value FROM refs WHERE key = ?", (key,))
        return None if row is None else str(row["value"])
