"""Gameball's request limits, and the pacing that keeps the bot's own traffic under them (§10).

Gameball counts requests per account and resource in two windows at once, per second and per
30 seconds, and answers 429 beyond either; the shop's website shares the account. So every
request the bot makes first passes its resource's :class:`Pacer`: a queue served in arrival
order (a cashier who asked first is answered first) in front of pyrate-limiter's sliding-window
log, which admits a request only when both windows have room and says how long to wait when
they have not. Each window is counted a little longer than Gameball's (``MARGIN``), so requests
that leave the bot at the edge of a window cannot arrive inside it after network jitter.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from pyrate_limiter import Decision, InMemoryBucket, Rate, RateItem

#: The resources of Gameball's "Rate Limiting" page that the bot calls (GAMEBALL.md §5).
CUSTOMER_READS = "customer reads"
CUSTOMER_WRITES = "customer writes"
ORDERS = "orders"
TRANSACTIONS = "transactions"

#: Added to every window: tolerates this much jitter between leaving the bot and reaching Gameball.
MARGIN = 0.05


@dataclass(frozen=True)
class Window:
    """At most ``limit`` requests in any ``seconds`` long stretch of time."""

    limit: int
    seconds: float


def _per_second_and_30_seconds(per_second: int, per_30_seconds: int) -> tuple[Window, ...]:
    return Window(per_second, 1.0), Window(per_30_seconds, 30.0)


#: Gameball's published limits, per resource.
DOCUMENTED: Mapping[str, tuple[Window, ...]] = {
    CUSTOMER_READS: _per_second_and_30_seconds(100, 1200),
    CUSTOMER_WRITES: _per_second_and_30_seconds(30, 360),
    ORDERS: _per_second_and_30_seconds(30, 360),
    TRANSACTIONS: _per_second_and_30_seconds(30, 360),
}


def account_limits(reads_per_second: float | None = None) -> dict[str, tuple[Window, ...]]:
    """The documented limits, or all of them scaled so customer reads get ``reads_per_second``.

    ``GAMEBALL_LIMITS`` names one number because accounts on other plans are told their customer
    read rate; the other resources keep their documented proportion to it.
    """
    if reads_per_second is None:
        return dict(DOCUMENTED)
    scale = reads_per_second / DOCUMENTED[CUSTOMER_READS][0].limit
    return {
        resource: tuple(Window(max(1, int(w.limit * scale)), w.seconds) for w in windows)
        for resource, windows in DOCUMENTED.items()
    }


def sliding_window_log(windows: Sequence[Window], margin: float = 0.0) -> InMemoryBucket:
    """pyrate-limiter's in-memory sliding-window log holding every window at once."""
    return InMemoryBucket([Rate(w.limit, round((w.seconds + margin) * 1000)) for w in windows])


class Pacer:
    """Admits one resource's requests under all its windows, first come, first served."""

    def __init__(
        self,
        windows: Sequence[Window],
        *,
        margin: float = MARGIN,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bucket = sliding_window_log(windows, margin)
        self._queue = asyncio.Lock()  # asyncio's locks wake their waiters in arrival order
        self._sleep = sleep
        self._held_until = 0.0

    @property
    def busy(self) -> bool:
        """Someone is waiting for room: there is none to spare."""
        return self._queue.locked()

    async def acquire(self) -> None:
        """Wait for this request's turn and for room in every window, then count it."""
        async with self._queue:
            held = self._held_until - time.monotonic()
            if held > 0:
                await self._sleep(held)
            while (wait := self._admit()) is not None:
                await self._sleep(wait)

    def try_acquire(self, *, spare: float) -> bool:
        """Count a request now if nobody waits and every window keeps ``spare`` of its room free.

        For requests the bot can do without (a card's tier line): they never delay one that is
        needed, in this window or the next. ``spare`` is a share of each window's limit.
        """
        if self.busy or self.seconds_until_free() > 0:
            return False
        if not self._fits(lambda rate: 1 + math.ceil(rate.limit * spare)):
            return False
        return self._admit() is None

    def has_room(self, count: int) -> bool:
        """Whether ``count`` more requests would fit in every window right now."""
        return self._fits(lambda _: count)

    def hold_off(self, seconds: float) -> None:
        """Gameball answered 429 anyway (the website shares the account): everyone waits."""
        self._held_until = max(self._held_until, time.monotonic() + seconds)

    def seconds_until_free(self) -> float:
        """How long a request arriving now would wait at least (a 429 being waited out)."""
        return max(0.0, self._held_until - time.monotonic())

    def _admit(self) -> float | None:
        """Count one request if every window has room; else the seconds until one would."""
        bucket = self._bucket
        now = self._now()
        bucket.leak(now)
        decision = cast(Decision, bucket.put_decision(RateItem("request", now)))  # sync bucket
        if decision.allowed:
            return None
        return max(decision.retry_after_ms or 0, 1) / 1000

    def _now(self) -> int:
        """The bucket's clock: monotonic milliseconds."""
        return cast(int, self._bucket.now())  # type: ignore[no-untyped-call]

    def _fits(self, needed: Callable[[Rate], int]) -> bool:
        """Whether each window has room for as many more requests as ``needed`` says for it."""
        now = self._now()
        for rate in self._bucket.rates:
            count = needed(rate)
            if count > rate.limit:
                return False
            # The request that would be the limit-th one in the window, counting the new ones.
            blocking = self._bucket.peek(rate.limit - count)
            if blocking is not None and blocking.timestamp >= now - rate.interval:
                return False
        return True


class Pacers:
    """One :class:`Pacer` per Gameball resource, shared by every caller in the process."""

    def __init__(
        self,
        limits: Mapping[str, Sequence[Window]] | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        chosen = DOCUMENTED if limits is None else limits
        self._pacers = {resource: Pacer(w, sleep=sleep) for resource, w in chosen.items()}

    def __getitem__(self, resource: str) -> Pacer:
        return self._pacers[resource]
