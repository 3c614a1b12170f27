"""Recording purchases in Gameball and reversing them: never twice, never lost (PRODUCT §8).

The rules that make a sale count exactly once, whatever the network or the cashier does:

1. The order is written to SQLite with its ``orderId`` *before* its first request
   (:meth:`OrderRepo.claim`). A second tap, a second process or a retry finds it and sends
   nothing; a restart finds it in flight and hands it to the queue.
2. A request whose answer was lost (a timeout, a dropped connection, a 5xx) is never simply
   sent again: Gameball is asked for the order's transactions first, and an order it already
   holds counts as recorded. The queue asks the same before every attempt.
3. "This ID exists already" (code 9004) means recorded; for a refund, 9001 ("already
   cancelled") means reversed.
4. While Gameball is unavailable the order waits in the queue, with the same ``orderId``,
   until Gameball takes it or refuses it.
5. An order that redeems points carries its hold (``redemption.pointsHoldReference``) on every
   attempt. Once the order is recorded the hold is used; once Gameball refuses it the hold is
   released (or, refused for the hold itself, 9006, known to have run out): never left behind.

The same rules hold for a reversal, whose ``refundTransactionId`` is kept from its first
attempt. This service knows nothing of Telegram; the chat layer tells people what happened.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.domain.orders import (
    Redemption,
    Sale,
    Store,
    gameball_time,
    new_order_id,
    new_refund_id,
)
from bot.gameball.client import GameballClient
from bot.gameball.errors import (
    AlreadyRecorded,
    AlreadyReversed,
    GameballError,
    HoldNotFound,
    NotFound,
    Unauthorized,
    Unavailable,
)
from bot.gameball.models import (
    Branch,
    Merchant,
    OrderRedemption,
    OrderRequest,
    OrderTransaction,
    RefundRequest,
    RewardPreviewRequest,
)
from bot.services.holds import HoldEnd, HoldService
from bot.services.retries import ATTEMPT_DEADLINE, retry_at
from bot.storage import Cashier, OrderRepo, OrderRow

log = logging.getLogger(__name__)

#: Transaction types by which Gameball shows that an order was reversed.
REVERSAL_TYPES = frozenset({"Cancel", "Refund", "PartialRefund"})
#: The transaction type of the points an order earned.
REWARD_TYPE = "PaymentReward"


class Outcome(StrEnum):
    """How an attempt to record (or reverse) ended."""

    DONE = "done"  # recorded (reversed) now
    EARLIER = "earlier"  # Gameball already had it: a lost answer, or someone else did it
    QUEUED = "queued"  # not yet: the queue sends it when Gameball answers
    REFUSED = "refused"  # Gameball refused it for good (``error`` says why)
    UNAVAILABLE = "unavailable"  # a reversal Gameball did not answer: nothing changed
    CLOSED = "closed"  # nothing to do: the order exists already, or is not reversible now


@dataclass(frozen=True)
class Result:
    """What happened to one order; ``points`` earned (or taken back), when Gameball said.

    ``hold``: how the points hold the order carried ended with it, if it did.
    """

    outcome: Outcome
    order: OrderRow | None
    points: float | None = None
    error: GameballError | None = None
    hold: HoldEnd | None = None


@dataclass(frozen=True)
class _Applied:
    """Gameball holds the write; ``earlier`` when it had it before this attempt."""

    points: float | None
    earlier: bool = False  # Gameball said it had it already (a duplicate)


class OrderService:
    """Previews, records, queues and reverses orders; the clock is the database's.

    Each sale names the store its cashier works at (``bot.services.stores``).
    """

    def __init__(
        self,
        client: GameballClient,
        repo: OrderRepo,
        holds: HoldService,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._repo = repo
        self._holds = holds
        self._clock = clock

    def new_order_id(self, store: Store) -> str:
        """The ``orderId`` of a purchase about to be drafted at ``store``."""
        return new_order_id(store, self._clock())

    async def preview(
        self, customer_id: str, amount: Decimal, store: Store, discount: Decimal = Decimal(0)
    ) -> float | None:
        """The points the purchase would earn at ``store`` (Gameball records nothing); None if
        unknown. ``discount``: what redeemed points take off ``amount`` (points are earned on the
        rest).
        """
        request = preview_request(customer_id, amount, store, discount)
        return (await self._client.preview_order(request)).points

    async def record(
        self,
        *,
        order_id: str,
        customer_id: str,
        amount: Decimal,
        currency: str | None,
        store: Store,
        cashier: Cashier,
        redemption: Redemption | None = None,
    ) -> Result:
        """Record a confirmed purchase at ``store`` once; queue it when Gameball cannot take it.

        ``amount`` is the price before the ``redemption``'s discount, if points pay part of it.
        """
        sale = Sale(order_id, customer_id, amount, currency, store, self._clock(), redemption)
        order = self._repo.claim(sale, cashier)
        if order is None:
            return Result(Outcome.CLOSED, None)
        return await self._attempt(order, check_first=False, deadline=None)

    async def send_queued(self) -> list[Result]:
        """The queue's work: every due order, asked about first, then sent if Gameball lacks it."""
        due = self._repo.claim_due(self._clock())
        return [
            await self._attempt(order, check_first=True, deadline=ATTEMPT_DEADLINE) for order in due
        ]

    def recover(self) -> int:
        """At start-up: orders a crash left in flight go to the queue; how many."""
        return self._repo.recover()

    async def _attempt(
        self, order: OrderRow, *, check_first: bool, deadline: float | None
    ) -> Result:
        """One attempt to record the order, and what its outcome does to the hold it carries."""
        result = await self._send(order, check_first=check_first, deadline=deadline)
        redemption = order.sale.redemption
        if redemption is None or result.outcome is Outcome.QUEUED:
            return result
        reference = redemption.hold_reference
        if result.outcome in (Outcome.DONE, Outcome.EARLIER):
            end = self._holds.mark_used(reference)
        elif isinstance(result.error, HoldNotFound):
            end = self._holds.mark_expired(reference)
        else:
            end = await self._holds.release(reference, status="using")
        return dataclasses.replace(result, hold=end)

    async def _send(self, order: OrderRow, *, check_first: bool, deadline: float | None) -> Result:
        sale = order.sale
        try:
            applied = await self._exactly_once(
                send=lambda: self._send_order(sale, deadline),
                ask=lambda: self._recorded(sale.order_id, deadline),
                duplicates=(AlreadyRecorded,),
                check_first=check_first,
            )
        except (Unavailable, Unauthorized) as exc:  # may work later (keys can be fixed)
            self._repo.mark_queued(
                order.id,
                error=type(exc).__name__,
                next_attempt_at=retry_at(order.attempts, self._clock()),
            )
            return Result(Outcome.QUEUED, order, error=exc)
        except GameballError as exc:
            self._repo.mark_failed(order.id, error=exc.message or type(exc).__name__)
            return Result(Outcome.REFUSED, order, error=exc)
        self._repo.mark_recorded(order.id, applied.points)
        outcome = Outcome.EARLIER if applied.earlier else Outcome.DONE
        return Result(outcome, order, points=applied.points)

    async def _send_order(self, sale: Sale, deadline: float | None) -> float | None:
        answer = await self._client.track_order(order_request(sale), deadline=deadline)
        return answer.rewarded_points

    async def _recorded(self, order_id: str, deadline: float | None) -> _Applied | None:
        """Whether Gameball holds the order, and the points it earned."""
        transactions = await self._transactions(order_id, deadline)
        kept = [t for t in transactions if t.transaction_type not in REVERSAL_TYPES]
        if not kept:
            return None
        earned = sum(t.equivalent_points or 0 for t in kept if t.transaction_type == REWARD_TYPE)
        return _Applied(earned)

    # --- reversal ----------------------------------------------------------------------------

    async def reverse(self, order_key: int, *, manager_id: int) -> Result:
        """Reverse a recorded order in full, at most once; a failure leaves it reversible."""
        order = self._repo.get(order_key)
        if order is None or not order.reversible:
            return Result(Outcome.CLOSED, order)
        claimed = self._repo.claim_reversal(
            order_key, refund_id=new_refund_id(order.sale.order_id), manager_id=manager_id
        )
        if claimed is None:
            return Result(Outcome.CLOSED, self._repo.get(order_key))
        order, tried_before = claimed
        try:
            applied = await self._exactly_once(
                send=lambda: self._send_refund(order),
                ask=lambda: self._reversed(order.sale.order_id),
                duplicates=(AlreadyReversed, AlreadyRecorded),
                check_first=tried_before,
            )
        except GameballError as exc:
            self._repo.release_reversal(order.id)
            outcome = Outcome.UNAVAILABLE if isinstance(exc, Unavailable) else Outcome.REFUSED
            return Result(outcome, order, error=exc)
        self._repo.mark_reversed(order.id, applied.points)
        outcome = Outcome.EARLIER if applied.earlier else Outcome.DONE
        return Result(outcome, self._repo.get(order_key), points=applied.points)

    async def _send_refund(self, order: OrderRow) -> float | None:
        assert order.refund_id is not None, "claim_reversal gives every reversal its refund ID"
        request = refund_request(order.sale, order.refund_id, self._clock())
        answer = await self._client.refund(request)
        return answer.refund_equivalent_points

    async def _reversed(self, order_id: str) -> _Applied | None:
        """Whether Gameball shows the order reversed, and the points it took back."""
        transactions = await self._transactions(order_id, None)
        reversals = [t for t in transactions if t.transaction_type in REVERSAL_TYPES]
        if not reversals:
            return None
        return _Applied(sum(abs(t.equivalent_points or 0) for t in reversals))

    # --- exactly once ------------------------------------------------------------------------

    async def _exactly_once(
        self,
        *,
        send: Callable[[], Awaitable[float | None]],
        ask: Callable[[], Awaitable[_Applied | None]],
        duplicates: tuple[type[GameballError], ...],
        check_first: bool,
    ) -> _Applied:
        """Apply a write Gameball must see once, or raise what stopped it.

        ``check_first`` when an earlier attempt may have reached Gameball (found: it did). A
        duplicate answer means Gameball had it before; after a lost answer Gameball is asked
        before anything is sent again.
        """
        if check_first and (found := await ask()) is not None:
            return found
        try:
            return _Applied(await send())
        except duplicates:
            found = await _quietly(ask)
            return _Applied(found.points if found else None, earlier=True)
        except Unavailable:
            found = await ask()
            if found is None:
                raise
            return found

    async def _transactions(self, order_id: str, deadline: float | None) -> list[OrderTransaction]:
        try:
            answer = await self._client.order_transactions(order_id, deadline=deadline)
        except NotFound:
            return []
        return answer.transactions or []


async def _quietly(ask: Callable[[], Awaitable[_Applied | None]]) -> _Applied | None:
    """Only the points are missing when this fails: the write itself is known to be done."""
    try:
        return await ask()
    except GameballError as exc:
        log.info("points of a duplicate unknown: %s", type(exc).__name__)
        return None


# --- request bodies ------------------------------------------------------------------------------


def merchant_of(store: Store) -> Merchant | None:
    """``merchant`` with the parts of the store that are set; None when none are."""
    branch = None
    if store.branch_id or store.branch_name:
        branch = Branch(unique_id=store.branch_id or None, name=store.branch_name or None)
    if not (store.store_id or store.store_name or branch):
        return None
    return Merchant(unique_id=store.store_id or None, name=store.store_name or None, branch=branch)


def preview_request(
    customer_id: str, amount: Decimal, store: Store, discount: Decimal = Decimal(0)
) -> RewardPreviewRequest:
    """``POST /orders/reward-preview`` for the purchase being drafted (price less discount paid)."""
    return RewardPreviewRequest(
        customer_id=customer_id,
        total_paid=float(amount - discount),
        total_price=float(amount),
        channel="pos",
        merchant=merchant_of(store),
    )


def order_request(sale: Sale) -> OrderRequest:
    """``POST /orders``: ``totalPrice`` before the points' discount, ``totalPaid`` after it."""
    redemption = sale.redemption
    return OrderRequest(
        customer_id=sale.customer_id,
        order_id=sale.order_id,
        order_date=gameball_time(sale.order_date),
        total_paid=float(sale.paid),
        total_price=float(sale.amount),
        channel="pos",
        merchant=merchant_of(sale.store),
        redemption=(
            OrderRedemption(points_hold_reference=redemption.hold_reference) if redemption else None
        ),
    )


def refund_request(sale: Sale, refund_id: str, now: datetime) -> RefundRequest:
    """``POST /transactions/refund`` reversing the whole sale (no ``refundAmount``), now.

    Gameball's refund schema requires ``branch.uniqueId`` within ``merchant``, so the merchant
    is sent only when the sale's branch has an ID.
    """
    merchant = merchant_of(sale.store)
    if merchant is not None and (merchant.branch is None or not merchant.branch.unique_id):
        merchant = None
    return RefundRequest(
        customer_id=sale.customer_id,
        refund_transaction_id=refund_id,
        reverse_transaction_id=sale.order_id,
        transaction_time=gameball_time(now),
        merchant=merchant,
    )
