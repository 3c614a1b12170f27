"""Points holds for redemptions at the till: placed, kept, used, or given back (PRODUCT §8).

A hold locks some of the customer's points in Gameball until an order uses it, someone
releases it, or it runs out (10 minutes by default). The bot must never leave one behind:

1. A hold request is sent once: Gameball keys a hold on nothing the bot chooses, so a resent
   request could hold the points twice. A hold whose answer was lost runs out by itself.
2. Every hold Gameball places is written to SQLite at once (:class:`HoldRepo`) with the time the
   bot gives it back unless a purchase uses it first: the flow's expiry, moved on while staff
   work. Cancel and leaving release it at once; whatever is left (the flow expired, the bot
   restarted, a release Gameball did not answer) is released by the queue job when due.
3. Before an order carries a hold, the hold is claimed here (the queue job leaves it alone
   from then on) and Gameball is asked whether it is still active, so an expired hold is
   explained before anything is recorded. What the order's outcome does to its hold is the
   order service's to say (:meth:`HoldService.mark_used`, :meth:`release` …).

Knows nothing of Telegram: the chat layer tells people what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from bot.domain.orders import PointsHold, gameball_time
from bot.gameball.client import GameballClient
from bot.gameball.errors import GameballError, HoldNotFound, Unavailable
from bot.gameball.models import HoldDetails, HoldPlaced, HoldRequest, OtpRequest
from bot.services.retries import ATTEMPT_DEADLINE, retry_at
from bot.storage import Cashier, HoldRepo, HoldRow

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
_T = TypeVar("_T")


class HoldEnd(StrEnum):
    """How a hold ended (the audit log's words), or why it has not yet."""

    USED = "used"  # an order redeemed its points
    RELEASED = "released"  # given back to the customer
    EXPIRED = "expired"  # Gameball no longer had it: it ran out first
    PENDING = "pending"  # Gameball did not answer the release: the queue job tries again
    NONE = "none"  # nothing to do: not held by the bot (any more)


#: The ends of a hold: what the audit log records (a release to retry is recorded once it ends).
ENDED = frozenset({HoldEnd.USED, HoldEnd.RELEASED, HoldEnd.EXPIRED})


@dataclass(frozen=True)
class HoldAsk:
    """What staff asked to hold: whole points, or the points a money amount is worth."""

    points: int | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.points is None) == (self.amount is None):
            raise ValueError("a hold asks for points or for an amount, not both")


class HoldService:
    """Places, keeps and releases holds; the clock is the database's."""

    def __init__(
        self,
        client: GameballClient,
        repo: HoldRepo,
        *,
        clock: Callable[[], datetime],
        keep_for: float,
    ) -> None:
        """``keep_for``: seconds a hold is kept without anyone working on its purchase."""
        self._client = client
        self._repo = repo
        self._clock = clock
        self._keep_for = timedelta(seconds=keep_for)

    async def send_otp(self, customer_id: str, ask: HoldAsk) -> None:
        """Gameball texts the customer a code for exactly this redemption."""
        await self._client.send_otp(otp_request(customer_id, ask))

    async def place(
        self,
        *,
        customer_id: str,
        order_id: str,
        ask: HoldAsk,
        currency: str | None,
        cashier: Cashier,
        scan_hash: str | None = None,
        otp: str | None = None,
    ) -> PointsHold:
        """Hold the points for the purchase ``order_id`` and keep the hold until it is done.

        Raises the client's typed errors: :class:`InsufficientPoints`, :class:`Busy`, a
        :class:`Rejected` code or hash, :class:`Unavailable` …
        """
        request = hold_request(customer_id, ask, self._clock(), scan_hash=scan_hash, otp=otp)
        placed = await self._client.hold_points(request)
        if not placed.hold_reference:
            raise Unavailable("Gameball's answer named no hold")
        details = await self._details(placed.hold_reference)
        hold = _hold_of(placed, details, ask, customer_id, order_id, currency)
        self._repo.add(hold, cashier, release_at=self._clock() + self._keep_for)
        return hold

    def keep(self, reference: str) -> None:
        """Staff are still working on the purchase: the hold is not abandoned yet."""
        self._repo.postpone(reference, self._clock() + self._keep_for)

    async def take_for_order(self, reference: str) -> bool:
        """Claim the hold for the order about to carry it; False when it is no longer usable.

        Gameball is asked whether the hold is still active; when it cannot say, the order goes
        ahead and Gameball's answer to it (9006) tells.
        """
        if not self._repo.claim_for_order(reference):
            return False
        try:
            details = await self._client.hold_details(reference)
        except HoldNotFound:
            details = HoldDetails(state="expired")
        except GameballError as exc:
            log.info("hold state unknown, the order will tell: %s", type(exc).__name__)
            return True
        state = (details.state or "active").lower()
        if state == "active":
            return True
        ended = HoldEnd.USED if state == HoldEnd.USED else HoldEnd.EXPIRED
        self._repo.finish(reference, ended, status="using")
        return False

    def mark_used(self, reference: str) -> HoldEnd:
        """An order that carried the hold is recorded: its points are redeemed."""
        return self._end(reference, HoldEnd.USED, "using")

    def mark_expired(self, reference: str) -> HoldEnd:
        """Gameball refused an order for its hold (9006): the hold had run out."""
        return self._end(reference, HoldEnd.EXPIRED, "using")

    async def release(self, reference: str, *, status: str = "active") -> HoldEnd:
        """Give the points back now (a hold in ``status``), or as soon as Gameball answers."""
        row = self._repo.claim_release(reference, status=status)
        if row is None:
            return HoldEnd.NONE
        return await self._give_back(row, deadline=None)

    async def release_due(self) -> list[tuple[HoldRow, HoldEnd]]:
        """The queue job's work: release abandoned holds and retry releases that failed."""
        due = self._repo.claim_due(self._clock())
        return [(row, await self._give_back(row, deadline=ATTEMPT_DEADLINE)) for row in due]

    def recover(self) -> int:
        """At start-up: releases a crash interrupted are due again; how many."""
        return self._repo.recover()

    async def _give_back(self, row: HoldRow, *, deadline: float | None) -> HoldEnd:
        reference, now = row.hold.reference, self._clock()
        try:
            await self._client.release_hold(reference, deadline=deadline)
        except HoldNotFound:
            return self._end(reference, HoldEnd.EXPIRED, "releasing")
        except GameballError as exc:
            expires = row.hold.expires_at
            if expires is not None and now > expires:  # Gameball has given the points back
                return self._end(reference, HoldEnd.EXPIRED, "releasing")
            log.info("hold release to retry: %s", type(exc).__name__)
            self._repo.retry_release(row.id, retry_at(row.attempts, now))
            return HoldEnd.PENDING
        return self._end(reference, HoldEnd.RELEASED, "releasing")

    def _end(self, reference: str, ended: HoldEnd, status: str) -> HoldEnd:
        return ended if self._repo.finish(reference, ended, status=status) else HoldEnd.NONE

    async def _details(self, reference: str) -> HoldDetails:
        """The new hold's expiry (and amounts); unknown when Gameball cannot say now."""
        try:
            return await self._client.hold_details(reference)
        except GameballError as exc:
            log.info("hold placed, its expiry unknown: %s", type(exc).__name__)
            return HoldDetails()


def _hold_of(
    placed: HoldPlaced,
    details: HoldDetails,
    ask: HoldAsk,
    customer_id: str,
    order_id: str,
    currency: str | None,
) -> PointsHold:
    """The hold as Gameball described it; what staff asked for where Gameball was silent."""
    assert placed.hold_reference is not None
    points = _first(placed.hold_equivalent_points, details.hold_equivalent_points, ask.points)
    amount = _first(placed.hold_amount, details.hold_amount, ask.amount)
    if points is None or amount is None:
        raise Unavailable("Gameball did not say what the hold is worth")
    return PointsHold(
        reference=placed.hold_reference,
        customer_id=customer_id,
        order_id=order_id,
        points=float(points),
        discount=Decimal(amount).quantize(CENT),
        currency=currency,
        expires_at=expiry_of(details.date_to_expire),
    )


def _first(*values: _T | None) -> _T | None:
    return next((value for value in values if value is not None), None)


def expiry_of(date_to_expire: str | None) -> datetime | None:
    """Gameball's ``dateToExpire`` as an aware time; it comes without a zone and is read as UTC."""
    if not date_to_expire:
        return None
    try:
        moment = datetime.fromisoformat(date_to_expire)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- request bodies ------------------------------------------------------------------------------


def hold_request(
    customer_id: str,
    ask: HoldAsk,
    now: datetime,
    *,
    scan_hash: str | None = None,
    otp: str | None = None,
) -> HoldRequest:
    """``POST /transactions/hold`` for what staff asked, with the scanned hash and code if any."""
    return HoldRequest(
        customer_id=customer_id,
        transaction_time=gameball_time(now),
        points_to_hold=ask.points,
        amount_to_hold=None if ask.amount is None else float(ask.amount),
        scan_hash=scan_hash,
        otp=otp,
    )


def otp_request(customer_id: str, ask: HoldAsk) -> OtpRequest:
    """``POST /transactions/otp`` for the same points or amount the hold will ask for."""
    return OtpRequest(
        customer_id=customer_id,
        points=ask.points,
        amount=None if ask.amount is None else float(ask.amount),
    )
