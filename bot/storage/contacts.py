"""Which customer ID the bot signed a mobile or email up under, without keeping either (issue 18).

With ``CUSTOMER_ID_SCHEME=id`` the same person can be signed up twice under two IDs; the bot
points that out when a contact it signed up before comes again. Only a keyed hash of each
contact is stored: HMAC-SHA256 under a random key the bot makes the first time and keeps in this
database. A plain hash would not do: there are few enough mobile numbers to hash them all once
and look every digest up, in any bot's table. Under a key of its own each table must be attacked
on its own, and only by someone who also has the key: a leaked export of the table, a log line
or a query result gives nothing back. The key sits in the same file, so a copy of the whole file
(a backup) is to be kept as carefully as the bot's secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from bot.storage._sqlite import LockedConnection

_KEY_NAME = "contact_digest_key"
_KEY_BYTES = 32


class ContactIndexRepo:
    """Keyed digests of contact details → the customer IDs they were signed up under."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite
        self._key: bytes | None = None

    def remember(self, contacts: Sequence[str], customer_id: str) -> None:
        """Note that ``customer_id`` was signed up with each of ``contacts`` (normalised)."""
        now = self._sqlite.now_text()
        rows = [(self._digest(contact), customer_id, now) for contact in contacts]
        with self._sqlite.transaction() as connection:
            connection.executemany(
                "INSERT INTO contact_digests (digest, customer_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (digest, customer_id) DO NOTHING",
                rows,
            )

    def customers_with(self, contact: str) -> list[str]:
        """The customer IDs this bot signed ``contact`` up under, oldest first."""
        rows = self._sqlite.read(
            "SELECT customer_id FROM contact_digests WHERE digest = ? ORDER BY created_at",
            (self._digest(contact),),
        )
        return [str(row["customer_id"]) for row in rows]

    def _digest(self, contact: str) -> str:
        return hmac.new(self._secret(), contact.encode(), hashlib.sha256).hexdigest()

    def _secret(self) -> bytes:
        """The key, made once (the first writer wins) and then read from the database."""
        if self._key is None:
            fresh = secrets.token_hex(_KEY_BYTES)
            with self._sqlite.transaction() as connection:
                connection.execute(
                    "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    (_KEY_NAME, fresh),
                )
                (stored,) = connection.execute(
                    "SELECT value FROM secrets WHERE name = ?", (_KEY_NAME,)
                ).fetchone()
            self._key = bytes.fromhex(stored)
        return self._key
