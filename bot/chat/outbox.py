"""The queue of sign-ups waiting for Gameball (PRODUCT §5 "Nothing lost").

A creation that failed because Gameball was unavailable can be queued. The queue lives in
SQLite; a repeating job sends due items with backoff, and tells the staff member once when the
profile exists (with its card) or why it finally failed. Items interrupted by a crash are sent
again — the upsert is idempotent — and a finished item is reported exactly once
(``mark_notified``).
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackContext

from bot.chat.audit import audit
from bot.chat.cards import code, onboarding_confirmation
from bot.chat.context import ChatContext, services_of
from bot.chat.replies import reply, send_new_customer_card
from bot.domain.identify import NewCustomer
from bot.gameball.errors import GameballError, Rejected
from bot.i18n import translator
from bot.services.container import Services
from bot.storage import OutboxItem

log = logging.getLogger(__name__)

#: How often the job looks for due items, and the backoff between attempts of one item.
POLL_INTERVAL = 15.0
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_GAP = timedelta(minutes=15)
#: After this long a queued sign-up is reported as failed rather than retried forever.
GIVE_UP_AFTER = timedelta(hours=24)
#: Each background attempt may take longer than an interactive one: nobody is waiting.
ATTEMPT_DEADLINE = 30.0


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
            payload=_payload_of(customer),
        )
        audit(context, update, "queue", "queued", customer.customer_id)
    text = "📥 " + t(
        "Queued. The profile for {customer_id} will be created as soon as Gameball answers, "
        "and I will tell you here.",
        customer_id=code(customer.customer_id),
    )
    await reply(update, text)


def _payload_of(customer: NewCustomer) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "mobile": customer.mobile,
        "email": customer.email,
    }


def _customer_of(item: OutboxItem) -> NewCustomer:
    data = item.payload
    return NewCustomer(
        customer_id=item.customer_id,
        name=data.get("name"),
        mobile=data.get("mobile"),
        email=data.get("email"),
    )


def next_attempt_at(item: OutboxItem, now: datetime) -> datetime:
    """Exponential backoff between attempts: 30 s, 1 min, 2 min … at most 15 min."""
    gap: timedelta = min(MAX_RETRY_GAP, FIRST_RETRY * (2 ** min(item.attempts, 10)))
    return now + gap


async def process_outbox(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """JobQueue callback: send every due item, then report what finished."""
    services = services_of(context.application)
    now = services.database.now()
    for item in services.database.outbox.claim_due(now):
        await _send(services, item, now)
    await notify_finished(context.application)


async def _send(services: Services, item: OutboxItem, now: datetime) -> None:
    outbox = services.database.outbox
    customer = _customer_of(item)
    try:
        await services.customers.upsert(customer, language=item.language, deadline=ATTEMPT_DEADLINE)
    except Rejected as exc:
        outbox.mark_failed(item.id, error=exc.message or "rejected")
        _audit(services, item, "failed")
    except GameballError as exc:
        if now - item.created_at >= GIVE_UP_AFTER:
            outbox.mark_failed(item.id, error=type(exc).__name__)
            _audit(services, item, "failed")
        else:
            outbox.mark_retry(
                item.id, error=type(exc).__name__, next_attempt_at=next_attempt_at(item, now)
            )
    else:
        outbox.mark_done(item.id)
        _audit(services, item, "created")


def _audit(services: Services, item: OutboxItem, result: str) -> None:
    services.record_audit(
        actor_id=item.user_id,
        actor_name=None,
        action="queue_send",
        result=result,
        customer_id=item.customer_id,
    )


async def notify_finished(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Tell staff about finished items not yet reported (also after a crash).

    An item is claimed before its first message goes out, so it is reported once. If that
    first message cannot be delivered because Telegram is unreachable, the claim is released
    and the next run tries again; once the staff member has been told, the customer's contact
    details are erased from the queue.
    """
    services = services_of(application)
    outbox = services.database.outbox
    for item in outbox.unnotified_finished():
        if not outbox.mark_notified(item.id):
            continue
        try:
            await _notify(application, services, item)
        except (NetworkError, RetryAfter) as exc:
            log.warning("Telegram unreachable; will report queued item %s later: %s", item.id, exc)
            outbox.release_notification(item.id)
            continue
        except TelegramError as exc:  # e.g. the staff member blocked the bot: nobody to tell
            log.warning("could not report queued item %s: %s", item.id, exc)
        outbox.erase_payload(item.id)


async def _notify(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services, item: OutboxItem
) -> None:
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
    await bot.send_html(item.chat_id, text)
    try:
        await send_new_customer_card(bot, item.chat_id, services, customer, t)
    except TelegramError as exc:
        log.warning("queued item %s: confirmation sent, card not: %s", item.id, exc)
