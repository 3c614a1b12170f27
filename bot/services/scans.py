"""What a scan leaves behind, in this process's memory only (PRODUCT §9).

A Gameball code's hash authorises a hold on the customer's points, so it is a credential: it
must not reach ``user_data`` (which the SQLite persistence saves), the audit log, a log line or
a message. The same goes for decoded texts that may contain one, while staff choose between
several codes or wait to retry a look-up. They all live here, per staff member, for
``ttl`` seconds (the conversation timeout), and a restart forgets them: the customer shows a
fresh code.

:meth:`ScanMemory.redemption_hash` is the one way to read a hash back, for the customer's
redemption hold (PRODUCT §8); a hash is single-use, so a hold that took it forgets it
(:meth:`ScanMemory.forget_hash`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.domain.scan import ScannedCode


@dataclass(frozen=True)
class _Hash:
    customer_id: str
    value: str = field(repr=False)
    expires: float


@dataclass(frozen=True)
class _Codes:
    key: str
    purpose: str
    codes: tuple[ScannedCode, ...]
    expires: float


_Kept = TypeVar("_Kept", _Hash, _Codes)


class ScanMemory:
    """Per staff member: the latest scanned hash, and the latest codes awaiting a decision."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._hashes: dict[int, _Hash] = {}
        self._codes: dict[int, _Codes] = {}

    def keep_codes(self, user_id: int, purpose: str, codes: Sequence[ScannedCode]) -> str:
        """Keep ``codes`` for ``user_id``, replacing any kept before; returns their short key."""
        key = secrets.token_urlsafe(6)
        self._codes[user_id] = _Codes(key, purpose, tuple(codes), self._clock() + self._ttl)
        return key

    def codes(self, user_id: int, purpose: str, key: str) -> tuple[ScannedCode, ...]:
        """The codes kept under ``key`` for this purpose; empty once replaced or expired."""
        kept = self._live(self._codes, user_id)
        if kept is None or kept.key != key or kept.purpose != purpose:
            return ()
        return kept.codes

    def remember_hash(self, user_id: int, customer_id: str, value: str) -> None:
        """The hash of the customer ``user_id`` just identified by their Gameball code."""
        self._hashes[user_id] = _Hash(customer_id, value, self._clock() + self._ttl)

    def redemption_hash(self, user_id: int, customer_id: str) -> str | None:
        """The hash ``user_id`` scanned for ``customer_id``, for that customer's redemption hold.

        ``None`` when this staff member scanned no code of this customer lately (another
        customer's hash never comes back, nor one older than the conversation timeout).
        """
        kept = self._live(self._hashes, user_id)
        if kept is None or kept.customer_id != customer_id:
            return None
        return kept.value

    def forget_hash(self, user_id: int) -> None:
        """The hash was used (or refused): it is never sent again; the next hold goes without."""
        self._hashes.pop(user_id, None)

    def _live(self, store: dict[int, _Kept], user_id: int) -> _Kept | None:
        """The user's entry in ``store``, dropped (and ``None``) once expired."""
        kept = store.get(user_id)
        if kept is not None and self._clock() > kept.expires:
            del store[user_id]
            return None
        return kept
