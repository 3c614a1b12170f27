"""The draft a purchase is built in, and the guard its steps run behind (PRODUCT §8).

Both halves of the checkout share it: the redemption (``redeem.py``: points held for the
purchase) and the purchase itself (``checkout.py``). It lives in ``user_data["purchase"]``,
persisted, so a restart loses nothing; its ``order_id`` is fixed when it is made, and a hold
placed for it is named here by Gameball's reference only (never the scanned hash or the code
the customer read out, which are not kept at all).
"""

from __future__ import annotations

import functools
import secrets
import time
from typing import Any, Literal, NotRequired, TypedDict, cast

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from bot.chat import keyboards as kb
from bot.chat.context import ChatContext
from bot.chat.flow import END, Drafts, Step, draft_in, guarded
from bot.chat.receipts import amount_example
from bot.chat.replies import reply
from bot.domain.orders import Store
from bot.i18n import N_
from bot.storage import Cashier

# Conversation states, in the order a cashier meets them (a redemption first, when there is one).
AMOUNT, CONFIRM, REDEEM_HOW, REDEEM_VALUE, OTP, HELD, HOLD_AGAIN = range(7)


class RedeemAsk(TypedDict):
    """What staff ask to redeem: points or money, and how many, once typed."""

    unit: Literal["points", "money"]
    value: str | None  # whole points, or a Decimal amount of money


class HeldPoints(TypedDict):
    """The points Gameball holds for this purchase."""

    reference: str  # Gameball's hold reference
    points: float
    discount: str  # a Decimal: the money the points take off the price
    expires_at: str | None  # ISO 8601, when Gameball said


class PurchaseDraft(TypedDict):
    """The purchase being recorded, as persisted in ``user_data["purchase"]``."""

    id: str  # the short id in this flow's buttons
    customer_id: str
    order_id: str  # fixed now: every attempt to record the sale sends this one
    amount: str | None  # a Decimal, once typed: the price before any discount
    currency: str | None  # the programme's, as the amount was shown in it
    touched: float
    available: NotRequired[float]  # points the customer could redeem when Redeem was tapped
    worth: NotRequired[str | None]  # their money value (a Decimal), when Gameball said
    redeem: NotRequired[RedeemAsk | None]
    hold: NotRequired[HeldPoints | None]


PURCHASES = Drafts(
    "purchase",
    kb.PURCHASE_FLOW,
    N_(
        "This purchase was not recorded: it expired after a long pause. Look the customer up again."
    ),
)


def new_draft(update: Update, context: ChatContext, customer_id: str) -> PurchaseDraft:
    """A purchase for ``customer_id`` with its order ID fixed now (not yet this cashier's)."""
    services = context.services
    return PurchaseDraft(
        id=secrets.token_urlsafe(6),
        customer_id=customer_id,
        order_id=services.orders.new_order_id(store_of(update, context)),
        amount=None,
        currency=services.customers.programme.currency,
        touched=time.time(),
    )


def current(context: ChatContext) -> PurchaseDraft:
    """The draft a guarded step runs with (the guard has checked that it exists)."""
    draft = draft_in(context, PURCHASES)
    assert draft is not None
    return cast(PurchaseDraft, draft)


def start(context: ChatContext, draft: PurchaseDraft) -> None:
    """Make ``draft`` this cashier's purchase (replacing any other: see ``checkout.leave``)."""
    assert context.user_data is not None
    context.user_data[PURCHASES.key] = draft


def drop(context: ChatContext) -> PurchaseDraft | None:
    """Forget the draft; return it, if there was one."""
    draft = context.user_data.pop(PURCHASES.key, None) if context.user_data is not None else None
    return cast(PurchaseDraft, draft) if isinstance(draft, dict) else None


def touch(draft: PurchaseDraft) -> None:
    """The draft changed now (its expiry counts from here)."""
    draft["touched"] = time.time()


def keyboard(draft: PurchaseDraft, rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """``(label, action)`` buttons of this purchase."""
    return kb.flow_keyboard(draft["id"], rows, kb.PURCHASE_FLOW)


def store_of(update: Update, context: ChatContext) -> Store:
    """Where the cashier works this shift: their sale is recorded there."""
    assert update.effective_user is not None
    return context.services.stores.of(update.effective_user.id)


def cashier_of(update: Update, context: ChatContext) -> Cashier:
    """Who is at the till: where to tell them how things end, and in which language."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    assert user is not None
    return Cashier(chat.id, user.id, context.language_for(update))


def consumed(step: Step) -> Step:
    """The update is this flow's: the identify flow (a later handler group) must not see it."""

    @functools.wraps(step)
    async def run(update: Update, context: ChatContext) -> object:
        raise ApplicationHandlerStop(await step(update, context))

    return run


async def _no_purchase(update: Update, context: ChatContext) -> int:
    t = context.t(update)
    await reply(update, t("No purchase is open. Tap Record purchase under a balance card."))
    return END


def _keeping_the_hold(step: Step) -> Step:
    """Staff are at work on this purchase: Gameball's hold for it is not abandoned."""

    @functools.wraps(step)
    async def run(update: Update, context: ChatContext) -> object:
        hold = current(context).get("hold")
        if hold is not None:
            context.services.holds.keep(hold["reference"])
        return await step(update, context)

    return run


def purchase_step(step: Step) -> Step:
    """A step of this flow: staff only, with a live draft, and the update stops here."""
    return consumed(guarded(PURCHASES, _no_purchase)(_keeping_the_hold(step)))


# --- wiring helpers ------------------------------------------------------------------------------

PRIVATE = filters.ChatType.PRIVATE
PLAIN_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND
#: The hint where a step expects a button.
USE_THE_BUTTONS = N_("Please use the buttons above, or /cancel.")


def button(callback: Step, *actions: str) -> CallbackQueryHandler[Any, Any]:
    """The handler of this flow's buttons with one of ``actions``."""
    return CallbackQueryHandler(callback, pattern=kb.flow_pattern(kb.PURCHASE_FLOW, *actions))


def hint(text: str) -> MessageHandler[Any, Any]:
    """Stickers, photos, or text where a button is expected: say what this step needs."""

    @purchase_step
    async def say(update: Update, context: ChatContext) -> None:
        t = context.t(update)
        await reply(update, t(text, example=amount_example(t)))

    return MessageHandler(PRIVATE & ~filters.COMMAND, say)
