"""The queue of sign-ups and purchases waiting for Gameball (PRODUCT §5, §8 "Nothing lost").

A creation that failed because Gameball was unavailable can be queued; a purchase Gameball did
not take is queued by itself. The queue lives in SQLite (``outbox`` and ``orders``); one
repeating job sends due items with backoff, and tells the staff member once when the profile
exists (with its card) or the purchase is recorded (with its receipt), or why it finally failed.
The same job gives back points holds nobody will use (``holds``): those of purchases abandoned
without a word (the flow expired, the bot restarted) and releases Gameball did not answer.
Items interrupted by a crash are sent again (the upsert is idempotent; an order is first looked
up in Gameball, see ``bot.services.orders``), and a finished item is reported exactly once
(``mark_notified``).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackContext

from bot.chat.audit import audit, hold_detail, order_detail
from bot.chat.cards import code, onboarding_confirmation
from bot.chat.context import ChatContext, services_of
from bot.chat.fading import Kind
from bot.chat.receipts import sale_text, send_receipt
from bot.chat.replies import reply, send_and_fade, send_new_customer_card
from bot.domain.identify import NewCustomer
from bot.gameball.errors import GameballError, Rejected
from bot.i18n import translator
from bot.services.container import Services
from bot.services.holds import ENDED, HoldEnd
from bot.services.orders import Outcome, Result
from bot.services.retries import ATTEMPT_DEADLINE, retry_at
from bot.storage import OrderRow, OutboxItem

log = logging.getLogger(__name__)

#: How often the job looks for due items (the backoff between attempts: ``services.retries``).
POLL_INTERVAL = 15.0
#: After this long a queued sign-up is reported as failed rather than retried forever.
GIVE_UP_AFTER = timedelta(hours=24)


async def enqueue_creation(update: Update, context: ChatContext, customer: NewCustomer) -> None:
    """Store the sign-up and tell the cashier it is safe to move on."""
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    t = context.t(update)
    existing = services.database.outbox.pending_for_customer(customer.customer_id)
    if existing is None:
        services.database.outbox.enqueue(
            chat_id=chat.id,
            user_id=user.id,
            language=context.language_for(update),
            customer_id=customer.customer_id,
            payload=_payload_of(customer, services.stores.of(user.id).store_name),
        )
        audit(context, update, "queue", "queued", customer.customer_id)
    text = "📥 " + t(
        "Queued. The profile for {customer_id} will be created as soon as Gameball answers, "
        "and I will tell you here.",
        customer_id=code(customer.customer_id),
    )
    await reply(update, text)


def _payload_of(customer: NewCustomer, store_name: str) -> dict[str, Any]:
    """The sign-up as queued, with the store it was made at (the staff member may move on)."""
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "mobile": customer.mobile,
        "email": customer.email,
        "store": store_name,
    }


def _store_of(services: Services, item: OutboxItem) -> str:
    """Where a queued sign-up was made (older queues did not say: where its author is now)."""
    stored = item.payload.get("store")
    return stored if isinstance(stored, str) else services.stores.of(item.user_id).store_name


def _customer_of(item: OutboxItem) -> NewCustomer:
    data = item.payload
    return NewCustomer(
        customer_id=item.customer_id,
        name=data.get("name"),
        mobile=data.get("mobile"),
        email=data.get("email"),
    )


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def process_outbox(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """JobQueue callback: send every due sign-up and purchase, give back abandoned holds, then
    report what finished."""
    services = services_of(context.application)
    now = services.database.now()
    for item in services.database.outbox.claim_due(now):
        await _send(services, item, now)
    for result in await services.orders.send_queued():
        _audit_order(services, result)
    for row, end in await services.holds.release_due():
        hold = row.hold
        detail = hold_detail(hold.order_id, hold.redemption, hold.currency)
        _audit_hold(services, row.cashier.user_id, hold.customer_id, detail, end)
    await notify_finished(context.application)


async def _send(services: Services, item: OutboxItem, now: datetime) -> None:
    outbox = services.database.outbox
    customer = _customer_of(item)
    try:
        await services.customers.upsert(
            customer,
            language=item.language,
            store_name=_store_of(services, item),
            deadline=ATTEMPT_DEADLINE,
        )
    except Rejected as exc:
        outbox.mark_failed(item.id, error=exc.message or "rejected")
        _audit(services, item, "failed")
    except GameballError as exc:
        if now - item.created_at >= GIVE_UP_AFTER:
            outbox.mark_failed(item.id, error=type(exc).__name__)
            _audit(services, item, "failed")
        else:
            outbox.mark_retry(
                item.id, error=type(exc).__name__, next_attempt_at=retry_at(item.attempts, now)
            )
    else:
        outbox.mark_done(item.id)
        _audit(services, item, "created")
        services.duplicates.remember(customer)


def _audit(services: Services, item: OutboxItem, result: str) -> None:
    services.record_audit(
        actor_id=item.user_id,
        actor_name=None,
        action="queue_send",
        result=result,
        customer_id=item.customer_id,
        store=_store_of(services, item),
    )


def _audit_order(services: Services, result: Result) -> None:
    """A queued purchase that ended: recorded, or refused for good (retries are not logged)."""
    order = result.order
    if order is None or result.outcome is Outcome.QUEUED:
        return
    sale = order.sale
    services.record_audit(
        actor_id=order.cashier.user_id,
        actor_name=None,
        action="order_queue",
        result="failed" if result.outcome is Outcome.REFUSED else "recorded",
        customer_id=sale.customer_id,
        detail=order_detail(sale.order_id, sale.amount, sale.currency, result.points),
        store=sale.store.store_name,
    )
    if sale.redemption is not None and result.hold is not None:
        detail = hold_detail(sale.order_id, sale.redemption, sale.currency)
        _audit_hold(services, order.cashier.user_id, sale.customer_id, detail, result.hold)


def _audit_hold(
    services: Services, actor_id: int, customer_id: str, detail: str, end: HoldEnd
) -> None:
    """How a hold ended with a queued order, or in the queue job."""
    if end in ENDED:
        services.record_audit(
            actor_id=actor_id,
            actor_name=None,
            action="hold",
            result=str(end),
            customer_id=customer_id,
            detail=detail,
        )


class _Finished(Protocol):
    @property
    def id(self) -> int: ...


_Item = TypeVar("_Item", bound=_Finished)


async def notify_finished(application: AnyApplication) -> None:
    """Tell staff about finished sign-ups and purchases not yet reported (also after a crash).

    Once the staff member has been told about a sign-up, the customer's contact details are
    erased from the queue.
    """
    services = services_of(application)
    outbox, orders = services.database.outbox, services.database.orders
    told = await _tell_once(
        outbox.unnotified_finished(),
        outbox.mark_notified,
        outbox.release_notification,
        lambda item: _notify(application, services, item),
    )
    for item in told:
        outbox.erase_payload(item.id)
    await _tell_once(
        orders.unnotified_finished(),
        orders.mark_notified,
        orders.release_notification,
        lambda order: _notify_order(application, services, order),
    )


async def _tell_once(
    items: Sequence[_Item],
    claim: Callable[[int], bool],
    release: Callable[[int], None],
    tell: Callable[[_Item], Awaitable[None]],
) -> list[_Item]:
    """Tell each item's staff member once; the items dealt with (told, or nobody to tell).

    An item is claimed before its first message goes out, so it is reported once. If that
    first message cannot be delivered because Telegram is unreachable, the claim is released
    and the next run tries again.
    """
    done = []
    for item in items:
        if not claim(item.id):
            continue
        try:
            await tell(item)
        except (NetworkError, RetryAfter) as exc:
            log.warning("Telegram unreachable; will report queued %s later: %s", item.id, exc)
            release(item.id)
            continue
        except TelegramError as exc:  # e.g. the staff member blocked the bot: nobody to tell
            log.warning("could not report queued %s: %s", item.id, exc)
        done.append(item)
    return done


async def _notify_order(application: AnyApplication, services: Services, order: OrderRow) -> None:
    """The report of a queued (or interrupted) purchase: its receipt, or why Gameball refused it."""
    t = translator(order.cashier.language)
    if order.status == "failed":
        text = "❌ " + t(
            "The purchase of {sale} could not be recorded: {reason}",
            sale=sale_text(order, t),
            reason=html.escape(order.last_error or ""),
        )
        await application.bot.send_html(order.cashier.chat_id, text)
        return
    heading = "📬 " + t("The purchase of {sale} went through.", sale=sale_text(order, t))
    await send_receipt(application.bot, services, order, order.points, t, heading)


async def _notify(application: AnyApplication, services: Services, item: OutboxItem) -> None:
    """The report: the reason for a failure, or the confirmation followed by the card.

    Only the first message may fail with Telegram unreachable and be retried; problems after
    it are logged, so the staff member is never told twice.
    """
    t = translator(item.language)
    bot = application.bot
    customer = _customer_of(item)
    if item.status == "failed":
        text = "❌ " + t(
            "The queued profile for {customer_id} could not be created: {reason}",
            customer_id=code(customer.customer_id),
            reason=html.escape(item.last_error or ""),
        )
        await bot.send_html(item.chat_id, text)
        return
    went_through = "📬 " + t(
        "The queued sign-up for {customer_id} went through.", customer_id=code(customer.customer_id)
    )
    text = went_through + "\n" + onboarding_confirmation(customer, t)
    await send_and_fade(
        bot,
        services,
        item.chat_id,
        text,
        None,
        customer_id=customer.customer_id,
        kind=Kind.SIGN_UP,
        language=item.language,
    )
    try:
        await send_new_customer_card(bot, item.chat_id, services, customer, t)
    except TelegramError as exc:
        log.warning("queued item %s: confirmation sent, card not: %s", item.id, exc)
