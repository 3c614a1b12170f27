"""Redeem points at the till (PRODUCT §8): points held for the purchase, with consent.

Read top to bottom, this is what a cashier does (``checkout.mmd`` draws it): tap Redeem points on
the card → points or a money amount → how many (or All) → with ``REDEEM_OTP``, the code Gameball
texts the customer, as they read it out → the points are held: the discount and when the hold
runs out are shown → Record purchase, which ``checkout.py`` takes on (the price before the
discount, Confirm, the receipt with the points redeemed).

A hold locks the customer's points in Gameball, so none is left behind: leaving the purchase in
any way releases it (:func:`abandon`), and what cannot be released at once is released by the
queue job (``bot.services.holds``). The customer's scanned hash goes with one hold only, and
neither it nor the code they read out is ever kept in the draft, logged or shown.
"""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_timedelta
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler

from bot.chat import keyboards as kb
from bot.chat.access import requires
from bot.chat.alerts import alert_managers_about_credentials
from bot.chat.audit import asked_detail, audit, hold_detail, hold_failure
from bot.chat.cards import code, money, points_text, worth_text
from bot.chat.context import ChatContext
from bot.chat.feedback import gameball_error_text, invalid_redemption_text
from bot.chat.flow import END
from bot.chat.purchase_draft import (
    HELD,
    HOLD_AGAIN,
    OTP,
    PLAIN_TEXT,
    REDEEM_HOW,
    REDEEM_VALUE,
    USE_THE_BUTTONS,
    HeldPoints,
    PurchaseDraft,
    RedeemAsk,
    button,
    cashier_of,
    consumed,
    current,
    drop,
    hint,
    keyboard,
    new_draft,
    purchase_step,
    start,
)
from bot.chat.receipts import amount_example
from bot.chat.replies import close_buttons, reply
from bot.config import CheckoutAction
from bot.domain.contacts import InvalidInput, ascii_digits
from bot.domain.money import parse_discount, parse_points
from bot.domain.orders import Redemption
from bot.gameball.errors import (
    GameballError,
    InsufficientPoints,
    Rejected,
    Unauthorized,
    Unavailable,
)
from bot.i18n import N_, Translator
from bot.services.holds import ENDED, HoldAsk, HoldEnd

#: What a customer reads out from Gameball's text: digits only.
_CODE = re.compile(r"[0-9]{3,10}")
_NO_TIME = timedelta(0)


# --- 1. Redeem points: what the customer has, then points or money -------------------------------


@consumed
@requires("staff")
async def redeem_points(update: Update, context: ChatContext) -> int:
    """Redeem points under a card: a fresh balance (the till's first step), then a choice."""
    query = update.callback_query
    assert query is not None
    t, services = context.t(update), context.services
    customer_id = kb.resolve_customer_ref(query.data, services.database, kb.REDEEM_POINTS)
    if customer_id is None or not services.settings.offers(CheckoutAction.REDEEM):
        await query.answer(t("This button has expired."))
        return END
    await query.answer()
    await abandon(update, context)
    try:
        balance = await services.customers.balance(customer_id)
    except GameballError as exc:
        await _say_trouble(update, context, exc)
        return END
    available = math.floor(balance.available_points_balance or 0)
    if available < 1:
        text = t("{customer_id} has no points to redeem right now.", customer_id=code(customer_id))
        await reply(update, text)
        return END
    draft = new_draft(update, context, customer_id)
    value = balance.available_points_value
    draft["available"] = available
    draft["worth"] = None if value is None else str(Decimal(str(value)))
    start(context, draft)
    return await _ask_how(update, context, draft)


async def _ask_how(update: Update, context: ChatContext, draft: PurchaseDraft) -> int:
    t = context.t(update)
    available = draft.get("available", 0)
    worth = draft.get("worth")
    text = "🎁 " + t(
        "Redeem points for {customer_id}: {points} available{worth}. "
        "Does the customer redeem a number of points, or a money amount?",
        customer_id=code(draft["customer_id"]),
        points=f"<b>{_points(available, context, t)}</b>",
        worth=worth_text(None if worth is None else float(worth), draft["currency"], t),
    )
    units = [("⭐ " + t("Points"), kb.BY_POINTS)]
    if worth is not None:
        units.append(("💵 " + t("Money amount"), kb.BY_MONEY))
    await reply(update, text, keyboard(draft, [units, [(t("Cancel"), kb.CANCEL)]]))
    return REDEEM_HOW


@purchase_step
async def choose_unit(update: Update, context: ChatContext) -> int:
    """Points or Money amount: ask how many, up to what the customer has."""
    await close_buttons(update)
    draft = current(context)
    pressed = kb.parse_flow_data(
        update.callback_query.data if update.callback_query else None, kb.PURCHASE_FLOW
    )
    by_money = pressed is not None and pressed.action == kb.BY_MONEY
    draft["redeem"] = RedeemAsk(unit="money" if by_money else "points", value=None)
    return await _ask_value(update, context, draft)


async def _ask_value(update: Update, context: ChatContext, draft: PurchaseDraft) -> int:
    t = context.t(update)
    limit = _limit(draft, context, t)
    if _unit(draft) == "points":
        text = "⭐ " + t("How many points does the customer redeem? Up to {limit}.", limit=limit)
    else:
        text = "💵 " + t("How much of the price do the points pay? Up to {limit}.", limit=limit)
    rows = [[(t("All: {limit}", limit=limit), kb.REDEEM_ALL)], [(t("Cancel"), kb.CANCEL)]]
    await reply(update, text, keyboard(draft, rows))
    return REDEEM_VALUE


# --- 2. how many: typed, or All ------------------------------------------------------------------


@purchase_step
async def value_answer(update: Update, context: ChatContext) -> int:
    """The points or money typed: whole points or an amount, at most what the customer has."""
    t = context.t(update)
    draft = current(context)
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    try:
        value = _read_value(text, draft)
    except InvalidInput as exc:
        example = amount_example(t) if _unit(draft) == "money" else None
        refusal = invalid_redemption_text(
            exc, t, currency=draft["currency"], limit=_limit(draft, context, t), example=example
        )
        await reply(update, refusal)
        return REDEEM_VALUE
    _ask(draft)["value"] = str(value)
    return await _hold_or_ask_for_code(update, context, draft)


def _read_value(text: str, draft: PurchaseDraft) -> int | Decimal:
    if _unit(draft) == "points":
        return parse_points(text, available=int(draft.get("available", 0)))
    return parse_discount(text, currency=draft["currency"], worth=Decimal(draft.get("worth") or 0))


@purchase_step
async def redeem_all(update: Update, context: ChatContext) -> int:
    """All: every point the customer has (or all they are worth)."""
    await close_buttons(update)
    draft = current(context)
    everything = draft.get("available", 0) if _unit(draft) == "points" else draft.get("worth")
    _ask(draft)["value"] = str(everything)
    return await _hold_or_ask_for_code(update, context, draft)


async def _hold_or_ask_for_code(update: Update, context: ChatContext, draft: PurchaseDraft) -> int:
    if context.services.settings.redeem_otp:
        return await _send_code(update, context, draft, again=False)
    return await _place(update, context, draft, otp=None)


# --- 3. with REDEEM_OTP: the code Gameball texts the customer ------------------------------------


async def _send_code(
    update: Update, context: ChatContext, draft: PurchaseDraft, *, again: bool
) -> int:
    t = context.t(update)
    try:
        await context.services.holds.send_otp(draft["customer_id"], _hold_ask(draft))
    except GameballError as exc:
        return await _not_held(update, context, draft, exc, scanned=False, coded=False)
    if again:
        text = "📱 " + t("A new code is on its way to the customer. Type it when they read it out.")
    else:
        text = "📱 " + t(
            "Gameball has texted the customer a code. Type the code they read out to you."
        )
    await reply(update, text, _code_keyboard(draft, t))
    return OTP


def _code_keyboard(draft: PurchaseDraft, t: Translator) -> InlineKeyboardMarkup:
    return keyboard(draft, [[(t("Send a new code"), kb.NEW_CODE)], [(t("Cancel"), kb.CANCEL)]])


@purchase_step
async def code_answer(update: Update, context: ChatContext) -> int:
    """The code the customer read out: the hold is placed with it (it is not kept anywhere)."""
    assert update.effective_message is not None
    typed = "".join(ascii_digits(update.effective_message.text or "").split())
    if not _CODE.fullmatch(typed):
        t = context.t(update)
        await reply(update, "⚠️ " + t("Type the digits of the code the customer reads out."))
        return OTP
    return await _place(update, context, current(context), otp=typed)


@purchase_step
async def new_code(update: Update, context: ChatContext) -> int:
    """Send a new code: the customer did not get one, or it was refused."""
    await close_buttons(update)
    return await _send_code(update, context, current(context), again=True)


# --- 4. the hold ---------------------------------------------------------------------------------


async def _place(
    update: Update, context: ChatContext, draft: PurchaseDraft, *, otp: str | None
) -> int:
    """Hold the points (with the scanned hash, if this customer's code was scanned just now)."""
    t, services = context.t(update), context.services
    cashier = cashier_of(update, context)
    customer_id = draft["customer_id"]
    scan_hash = services.scans.redemption_hash(cashier.user_id, customer_id)
    try:
        hold = await services.holds.place(
            customer_id=customer_id,
            order_id=draft["order_id"],
            ask=_hold_ask(draft),
            currency=draft["currency"],
            cashier=cashier,
            scan_hash=scan_hash,
            otp=otp,
        )
    except GameballError as exc:
        coded = otp is not None
        return await _not_held(
            update, context, draft, exc, scanned=scan_hash is not None, coded=coded
        )
    services.scans.forget_hash(cashier.user_id)  # single-use: the next hold goes without
    draft["hold"] = HeldPoints(
        reference=hold.reference,
        points=hold.points,
        discount=str(hold.discount),
        expires_at=None if hold.expires_at is None else hold.expires_at.isoformat(),
    )
    detail = hold_detail(draft["order_id"], hold.redemption, draft["currency"])
    audit(context, update, "hold", "placed", customer_id, detail)
    rows = [[("🛒 " + t("Record purchase"), kb.PURCHASE_WITH_HOLD)], [(t("Cancel"), kb.CANCEL)]]
    await reply(update, _held_text(draft, context, t), keyboard(draft, rows))
    return HELD


def _held_text(draft: PurchaseDraft, context: ChatContext, t: Translator) -> str:
    """What is held, what it takes off, and until when: the customer can still change their mind."""
    held = _held(draft)
    lines = [
        "🎁 <b>"
        + t(
            "{points} held for {customer_id}",
            points=_points(held["points"], context, t),
            customer_id=code(draft["customer_id"]),
        )
        + "</b>",
        "💸 " + t("{discount} off the purchase.", discount=_discount(draft, t)),
    ]
    expires_at = held["expires_at"]
    if expires_at is not None:
        left = max(datetime.fromisoformat(expires_at) - datetime.now(UTC), _NO_TIME)
        duration = format_timedelta(left, locale=t.locale)
        lines.append("⌛ " + t("The hold runs out in {duration}.", duration=duration))
    return "\n".join(lines)


async def _not_held(
    update: Update,
    context: ChatContext,
    draft: PurchaseDraft,
    exc: GameballError,
    *,
    scanned: bool,
    coded: bool,
) -> int:
    """Gameball did not hold the points: why, and what staff can do next."""
    t = context.t(update)
    ask = _hold_ask(draft)
    detail = asked_detail(
        draft["order_id"], draft["currency"], points=ask.points, amount=ask.amount
    )
    audit(context, update, "hold", hold_failure(exc), draft["customer_id"], detail)
    text = gameball_error_text(exc, t)
    if isinstance(exc, InsufficientPoints):
        await reply(update, text + " " + t("Choose fewer."))
        return await _ask_value(update, context, draft)
    if isinstance(exc, Unavailable | Unauthorized):
        if isinstance(exc, Unauthorized):
            await alert_managers_about_credentials(context)
        retry = [[("🔁 " + t("Try again"), kb.HOLD_AGAIN)], [(t("Cancel"), kb.CANCEL)]]
        await reply(update, text + "\n" + t("Nothing is held yet."), keyboard(draft, retry))
        return HOLD_AGAIN
    if coded and isinstance(exc, Rejected):
        refused = "❌ " + t(
            "Gameball refused the code: {reason} Ask the customer to read it out again and type "
            "it, or send a new code.",
            reason=_reason(exc, t),
        )
        await reply(update, refused, _code_keyboard(draft, t))
        return OTP
    drop(context)
    if scanned and isinstance(exc, Rejected):
        context.services.scans.forget_hash(cashier_of(update, context).user_id)
        text = "❌ " + t(
            "Gameball refused the customer's scanned code: {reason} Ask the customer to refresh "
            "their QR code and scan it again.",
            reason=_reason(exc, t),
        )
    await reply(update, text + "\n" + t("Nothing is held."))
    return END


def _reason(exc: GameballError, t: Translator) -> str:
    """Gameball's own words for a refusal, ending the sentence."""
    reason = html.escape(exc.message) if exc.message else t("no reason given")
    return reason if reason.endswith(".") else reason + "."


@purchase_step
async def hold_again(update: Update, context: ChatContext) -> int:
    """Try again / Hold again: the same points, held anew (with a new code when codes are on)."""
    await close_buttons(update)
    return await _hold_or_ask_for_code(update, context, current(context))


# --- leaving: the points go back -----------------------------------------------------------------


async def abandon(update: Update, context: ChatContext) -> None:
    """Drop this cashier's purchase, if any: nothing is recorded, held points go back."""
    draft = drop(context)
    if draft is None:
        return
    t = context.t(update)
    lines = [
        t(
            "The purchase for {customer_id} was not recorded.",
            customer_id=code(draft["customer_id"]),
        )
    ]
    released = await release_hold(update, context, draft)
    if released is not None:
        lines.append(released)
    await reply(update, "\n".join(lines))


async def release_hold(update: Update, context: ChatContext, draft: PurchaseDraft) -> str | None:
    """Give the draft's held points back; the sentence that says so, if there was a hold."""
    held = draft.get("hold")
    if held is None:
        return None
    end = await context.services.holds.release(held["reference"])
    if end in ENDED:
        detail = hold_detail(draft["order_id"], redemption_of(held), draft["currency"])
        audit(context, update, "hold", end, draft["customer_id"], detail)
    return hold_end_text(end, held["points"], context, context.t(update))


def hold_end_text(end: HoldEnd, points: float, context: ChatContext, t: Translator) -> str:
    """What became of held points that were not redeemed."""
    shown = _points(points, context, t)
    if end is HoldEnd.PENDING:
        return "⏳ " + t(
            "The {points} held go back to the customer as soon as Gameball answers.", points=shown
        )
    return "↩️ " + t("The {points} held are back with the customer.", points=shown)


async def hold_is_usable(update: Update, context: ChatContext, draft: PurchaseDraft) -> bool:
    """Just before the order: is the hold still Gameball's? If not, say so and offer a new one.

    The draft (without its lapsed hold) is this cashier's again, for Hold again.
    """
    held = draft.get("hold")
    if held is None or await context.services.holds.take_for_order(held["reference"]):
        return True
    t = context.t(update)
    detail = hold_detail(draft["order_id"], redemption_of(held), draft["currency"])
    audit(context, update, "hold", HoldEnd.EXPIRED, draft["customer_id"], detail)
    draft["hold"] = None
    start(context, draft)
    text = "⌛ " + t(
        "The points held for {customer_id} ran out before the purchase was recorded. "
        "Nothing was recorded. Hold the points again?",
        customer_id=code(draft["customer_id"]),
    )
    rows = [[("🔁 " + t("Hold again"), kb.HOLD_AGAIN)], [(t("Cancel"), kb.CANCEL)]]
    await reply(update, text, keyboard(draft, rows))
    return False


# --- what the purchase shows of the redemption ---------------------------------------------------


def redemption_of(held: HeldPoints) -> Redemption:
    """The held points as the order redeems them."""
    return Redemption(held["reference"], held["points"], Decimal(held["discount"]))


def discount_line(draft: PurchaseDraft, context: ChatContext, t: Translator) -> str:
    """``🎁 200 Stars redeemed: EGP20.00 off``."""
    points = _points(_held(draft)["points"], context, t)
    return "🎁 " + t(
        "{points} redeemed: {discount} off", points=points, discount=_discount(draft, t)
    )


def _discount(draft: PurchaseDraft, t: Translator) -> str:
    return money(Decimal(_held(draft)["discount"]), draft["currency"], t)


def _held(draft: PurchaseDraft) -> HeldPoints:
    held = draft.get("hold")
    assert held is not None, "only a purchase with held points shows them"
    return held


def _ask(draft: PurchaseDraft) -> RedeemAsk:
    ask = draft.get("redeem")
    assert ask is not None, "the unit is chosen before anything is typed or held"
    return ask


def _unit(draft: PurchaseDraft) -> str:
    return _ask(draft)["unit"]


def _hold_ask(draft: PurchaseDraft) -> HoldAsk:
    value = _ask(draft)["value"]
    assert value is not None
    if _unit(draft) == "points":
        return HoldAsk(points=int(Decimal(value)))
    return HoldAsk(amount=Decimal(value))


def _limit(draft: PurchaseDraft, context: ChatContext, t: Translator) -> str:
    """The most the customer can redeem, in the unit chosen."""
    if _unit(draft) == "points":
        return _points(draft.get("available", 0), context, t)
    return money(Decimal(draft.get("worth") or 0), draft["currency"], t)


def _points(value: float, context: ChatContext, t: Translator) -> str:
    return points_text(value, context.services.customers.programme.points_name, t)


async def _say_trouble(update: Update, context: ChatContext, exc: GameballError) -> None:
    if isinstance(exc, Unauthorized):
        await alert_managers_about_credentials(context)
    t = context.t(update)
    await reply(update, gameball_error_text(exc, t) + " " + t("Please try again in a moment."))


# --- wiring --------------------------------------------------------------------------------------

ENTRY = CallbackQueryHandler(redeem_points, pattern=kb.REDEEM_POINTS_PATTERN)


def redeem_states(
    cancel: BaseHandler[Any, Any, Any],
) -> dict[object, list[BaseHandler[Any, Any, Any]]]:
    """The redemption's states for the purchase conversation (``cancel`` gives the points back)."""
    buttons = hint(USE_THE_BUTTONS)
    return {
        REDEEM_HOW: [button(choose_unit, kb.BY_POINTS, kb.BY_MONEY), cancel, buttons],
        REDEEM_VALUE: [
            MessageHandler(PLAIN_TEXT, value_answer),
            button(redeem_all, kb.REDEEM_ALL),
            cancel,
            hint(N_("Please type how many, or use the buttons above.")),
        ],
        OTP: [
            MessageHandler(PLAIN_TEXT, code_answer),
            button(new_code, kb.NEW_CODE),
            cancel,
            hint(N_("Please type the code the customer reads out, or /cancel.")),
        ],
        HELD: [cancel, buttons],
        HOLD_AGAIN: [button(hold_again, kb.HOLD_AGAIN), cancel, buttons],
    }
