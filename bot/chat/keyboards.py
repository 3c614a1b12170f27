"""Inline keyboards and the callback data behind their buttons.

Callback data is at most 64 bytes (Telegram's limit). Flow buttons carry the flow's short id, so
a button on an old message cannot act on a newer flow; each flow has its own prefix (``f`` for
identify, ``p`` for a purchase and the redemption before it). Customer IDs that would not fit
are kept server-side (``refs``) and referred to by a short key (PRODUCT §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    WebAppInfo,
)

from bot.config import CheckoutAction
from bot.domain.contacts import InvalidInput, validate_customer_id
from bot.domain.scan import ScannedCode, code_label
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.services.container import Services
from bot.services.duplicates import MAX_MATCHES
from bot.storage import Database
from bot.webapp import scanner_page_url

MAX_CALLBACK_BYTES = 64

#: Prefixes of the two flows' buttons.
IDENTIFY_FLOW = "f"
PURCHASE_FLOW = "p"

# Identify flow actions (prefix "f"); CANCEL also ends a purchase.
CREATE_PROFILE = "new"
CANCEL = "cancel"
SKIP = "skip"
CREATE = "create"
EDIT = "edit"
EDIT_NAME = "e_name"
EDIT_MOBILE = "e_mobile"
EDIT_EMAIL = "e_email"
BACK = "back"
RETRY_LOOKUP = "r_lookup"
RETRY_CREATE = "r_create"
QUEUE = "queue"
#: One existing profile a sign-up may duplicate, by its place among those offered.
MATCHES = tuple(f"m{index}" for index in range(MAX_MATCHES))

# Purchase flow actions (prefix "p"), a redemption's among them.
CONFIRM_PURCHASE = "ok"
CHANGE_AMOUNT = "amount"
BY_POINTS = "pts"
BY_MONEY = "money"
REDEEM_ALL = "all"
NEW_CODE = "code"
PURCHASE_WITH_HOLD = "buy"
HOLD_AGAIN = "again"

#: A card's buttons: Refresh, Record purchase and Redeem points carry the customer, by value or
#: by a ref.
CARD_REFRESH = "c:r:"
RECORD_PURCHASE = "p:new:"
REDEEM_POINTS = "p:hold:"
CARD_REFRESH_PATTERN = rf"^{CARD_REFRESH}"
RECORD_PURCHASE_PATTERN = rf"^{RECORD_PURCHASE}"
REDEEM_POINTS_PATTERN = rf"^{REDEEM_POINTS}"
NEXT_CUSTOMER = "c:next"
LANGUAGE_PATTERN = r"^l:"
# A choice between the codes of one photo (prefix "s"): what it is for, a key, the code's index.
# The codes stay server-side (a Gameball code carries a hash that must never leave the bot).
IDENTIFY = "i"
BALANCE = "b"
IDENTIFY_CHOICE_PATTERN = rf"^s:{IDENTIFY}:"
BALANCE_CHOICE_PATTERN = rf"^s:{BALANCE}:"


@dataclass(frozen=True)
class FlowButton:
    """A decoded flow button press."""

    flow_id: str
    action: str


def flow_data(flow_id: str, action: str, prefix: str = IDENTIFY_FLOW) -> str:
    """Callback data for a button of the flow ``flow_id``."""
    return f"{prefix}:{flow_id}:{action}"


def parse_flow_data(data: str | None, prefix: str = IDENTIFY_FLOW) -> FlowButton | None:
    """Decode flow callback data; ``None`` for anything malformed."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != prefix or not parts[1] or not parts[2]:
        return None
    return FlowButton(parts[1], parts[2])


def flow_pattern(prefix: str, *actions: str) -> str:
    """The callback pattern of a flow's buttons with one of ``actions``."""
    return rf"^{prefix}:[\w-]+:(" + "|".join(actions) + r")$"


def flow_keyboard(
    flow_id: str, rows: Sequence[Sequence[tuple[str, str]]], prefix: str = IDENTIFY_FLOW
) -> InlineKeyboardMarkup:
    """A keyboard of ``(label, action)`` rows for one flow."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=flow_data(flow_id, action, prefix))
                for label, action in row
            ]
            for row in rows
        ]
    )


def customer_ref(customer_id: str, database: Database, prefix: str = CARD_REFRESH) -> str:
    """Callback data naming ``customer_id`` after ``prefix``, by value or by a stored key."""
    direct = f"{prefix}={customer_id}"
    if len(direct.encode()) <= MAX_CALLBACK_BYTES:
        return direct
    return f"{prefix}#{database.refs.put(customer_id)}"


def resolve_customer_ref(
    data: str | None, database: Database, prefix: str = CARD_REFRESH
) -> str | None:
    """The customer ID behind such callback data, ``None`` if unknown or malformed."""
    payload = (data or "").removeprefix(prefix)
    if payload.startswith("="):
        customer_id: str | None = payload[1:]
    elif payload.startswith("#"):
        customer_id = database.refs.get(payload[1:])
    else:
        return None
    return customer_id if customer_id and _is_valid_id(customer_id) else None


def _is_valid_id(customer_id: str) -> bool:
    """Button data comes from the client: only an ID the bot itself could have sent is used."""
    try:
        return validate_customer_id(customer_id) == customer_id
    except InvalidInput:
        return False


def card_keyboard(
    customer_id: str, t: Translator, services: Services, *, available: float = 0
) -> InlineKeyboardMarkup:
    """Buttons under a balance card: the till actions that are on above Refresh and Next customer.

    Redeem points only when the customer has ``available`` points to redeem.
    """
    database = services.database
    rows = [
        [
            InlineKeyboardButton(
                "🔄 " + t("Refresh"), callback_data=customer_ref(customer_id, database)
            ),
            next_customer_button(t),
        ]
    ]
    offers = services.settings.offers
    actions: list[InlineKeyboardButton] = []
    if offers(CheckoutAction.PURCHASE):
        data = customer_ref(customer_id, database, RECORD_PURCHASE)
        actions.append(InlineKeyboardButton("🛒 " + t("Record purchase"), callback_data=data))
    if offers(CheckoutAction.REDEEM) and available > 0:
        data = customer_ref(customer_id, database, REDEEM_POINTS)
        actions.append(InlineKeyboardButton("🎁 " + t("Redeem points"), callback_data=data))
    if actions:
        rows.insert(0, actions)
    return InlineKeyboardMarkup(rows)


def next_customer_button(t: Translator) -> InlineKeyboardButton:
    """Next customer: asks for the next ID (under cards and receipts)."""
    return InlineKeyboardButton("➡️ " + t("Next customer"), callback_data=NEXT_CUSTOMER)


def yes_no_keyboard(yes: str, yes_data: str, no: str, no_data: str) -> InlineKeyboardMarkup:
    """The two answers to "are you sure?", side by side."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=yes_data),
                InlineKeyboardButton(no, callback_data=no_data),
            ]
        ]
    )


@dataclass(frozen=True)
class CodeChoice:
    """A decoded press on one of several codes' buttons."""

    purpose: str
    key: str
    index: int


def code_choice_keyboard(
    purpose: str, key: str, codes: Sequence[ScannedCode]
) -> InlineKeyboardMarkup:
    """One button per code, labelled without any hash; the data names the code by position."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(code_label(code), callback_data=f"s:{purpose}:{key}:{index}")]
            for index, code in enumerate(codes)
        ]
    )


def parse_code_choice(data: str | None) -> CodeChoice | None:
    """Decode a code button's data; ``None`` for anything malformed."""
    parts = (data or "").split(":")
    if len(parts) != 4 or parts[0] != "s" or not parts[2] or not parts[3].isdigit():
        return None
    return CodeChoice(parts[1], parts[2], int(parts[3]))


def scan_keyboard(
    scanner_url: str | None, t: Translator
) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """The 📷 Scan button under the chat, or, without ``SCANNER_URL``, no keyboard at all.

    Sent with every request for a customer ID, so switching the scanner off takes the button
    away at the next one.
    """
    if not scanner_url:
        return ReplyKeyboardRemove()
    button = KeyboardButton("📷 " + t("Scan"), web_app=WebAppInfo(scanner_page_url(scanner_url, t)))
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, is_persistent=True)


def page_data(update: Update, default: tuple[str, str]) -> tuple[str, str]:
    """The two fields after a list's prefix in ``x:y:<older than>:<filter>`` button data."""
    data = update.callback_query.data if update.callback_query else None
    parts = (data or "").split(":")
    return (parts[2], parts[3]) if len(parts) == 4 else default


def pressed_number(update: Update) -> int | None:
    """The number ending the pressed button's data, such as ``m:rv:42`` (a person, an order)."""
    data = update.callback_query.data if update.callback_query else None
    tail = (data or "").rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def language_keyboard() -> InlineKeyboardMarkup:
    """One button per supported language, each named in its own language."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(name, callback_data=f"l:{code}")]
            for code, name in LANGUAGE_NAMES.items()
        ]
    )
