"""Inline keyboards and the callback data behind their buttons.

Callback data is at most 64 bytes (Telegram's limit). Flow buttons carry the flow's short id, so
a button on an old message cannot act on a newer flow. Customer IDs that would not fit are kept
server-side (``refs``) and referred to by a short key (PRODUCT §5).
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
    WebAppInfo,
)

from bot.domain.contacts import InvalidInput, validate_customer_id
from bot.domain.scan import ScannedCode, code_label
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.storage import Database
from bot.webapp import scanner_page_url

MAX_CALLBACK_BYTES = 64

# Flow actions (prefix "f").
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

CARD_REFRESH_PATTERN = r"^c:r:"
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


def flow_data(flow_id: str, action: str) -> str:
    """Callback data for a button of the flow ``flow_id``."""
    return f"f:{flow_id}:{action}"


def parse_flow_data(data: str | None) -> FlowButton | None:
    """Decode flow callback data; ``None`` for anything malformed."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != "f" or not parts[1] or not parts[2]:
        return None
    return FlowButton(parts[1], parts[2])


def flow_keyboard(flow_id: str, rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """A keyboard of ``(label, action)`` rows for one flow."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=flow_data(flow_id, action))
                for label, action in row
            ]
            for row in rows
        ]
    )


def customer_ref(customer_id: str, database: Database) -> str:
    """Callback data that refreshes ``customer_id``'s card, by value or by a stored key."""
    direct = f"c:r:={customer_id}"
    if len(direct.encode()) <= MAX_CALLBACK_BYTES:
        return direct
    return f"c:r:#{database.refs.put(customer_id)}"


def resolve_customer_ref(data: str | None, database: Database) -> str | None:
    """The customer ID behind refresh callback data, ``None`` if unknown or malformed."""
    payload = (data or "").removeprefix("c:r:")
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


def card_keyboard(customer_id: str, t: Translator, database: Database) -> InlineKeyboardMarkup:
    """Buttons under a balance card: Refresh and Next customer."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🔄 " + t("Refresh"), callback_data=customer_ref(customer_id, database)
                ),
                InlineKeyboardButton("➡️ " + t("Next customer"), callback_data=NEXT_CUSTOMER),
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


def language_keyboard() -> InlineKeyboardMarkup:
    """One button per supported language, each named in its own language."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(name, callback_data=f"l:{code}")]
            for code, name in LANGUAGE_NAMES.items()
        ]
    )
