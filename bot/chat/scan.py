"""Scans in the chat (PRODUCT §9): the code in a photo, an image file or the Scan button's text.

Staff send what the customer shows instead of typing it. This module turns such a message into
codes (downloading the image into memory and decoding it off the event loop), lets staff pick
one when a photo holds several, and looks the readings of a code up in order. The identify flow
and ``/balance`` use it exactly where they accept typed text; what the code names is validated
exactly like typed text (``bot.domain.scan``).

A Gameball code's hash stays in :class:`~bot.services.scans.ScanMemory`: never in ``user_data``,
a log line, the audit log, a button or a message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from telegram import Document, Message, PhotoSize, Update
from telegram.ext import filters

from bot.chat import keyboards as kb
from bot.chat.context import ChatContext
from bot.chat.replies import close_buttons, reply
from bot.domain.scan import Candidate, ScannedCode
from bot.gameball.errors import NotFound
from bot.i18n import Translator
from bot.logs import hide_in_logs
from bot.services.codes import MAX_IMAGE_BYTES, NOT_AN_IMAGE, TOO_LARGE, ImageRefused
from bot.services.customers import CustomerCard

PRIVATE = filters.ChatType.PRIVATE
IMAGE_OR_FILE = filters.PHOTO | filters.Document.ALL
#: A photo sent with the caption ``/balance``: a read-only look-up, like the command.
BALANCE_CAPTION = filters.CaptionRegex(r"^/balance(?:@\w+)?(?:\s|$)")
#: What the identify flow reads as a scan. Groups never get here: nothing said there is read.
SCAN = PRIVATE & ((IMAGE_OR_FILE & ~BALANCE_CAPTION) | filters.StatusUpdate.WEB_APP_DATA)
BALANCE_SCAN = PRIVATE & IMAGE_OR_FILE & BALANCE_CAPTION
#: Most codes offered from one photo: a shelf of products is not a customer.
MAX_CHOICES = 8


async def read_codes(update: Update, context: ChatContext) -> list[ScannedCode]:
    """The codes a scan message holds; none after telling the user why there is nothing."""
    message = update.effective_message
    assert message is not None
    if message.web_app_data is not None:
        return [ScannedCode(message.web_app_data.data)]  # Telegram's scanner reads QR codes
    t = context.t(update)
    try:
        codes = await context.services.code_reader.read(await _download_image(message))
    except ImageRefused as exc:
        await reply(update, _refusal_text(exc, t))
        return []
    if not codes:
        await reply(update, t("No code found. Try again closer, flat and in focus."))
    return codes[:MAX_CHOICES]


async def _download_image(message: Message) -> bytes:
    """The image's bytes, in memory; refused before downloading when it cannot be read."""
    media = _image_of(message)
    if media is None:
        raise ImageRefused(NOT_AN_IMAGE)
    if (media.file_size or 0) > MAX_IMAGE_BYTES:
        raise ImageRefused(TOO_LARGE)
    file = await media.get_file()
    if (file.file_size or 0) > MAX_IMAGE_BYTES:
        raise ImageRefused(TOO_LARGE)
    data = await file.download_as_bytearray()
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused(TOO_LARGE)
    return bytes(data)


def _image_of(message: Message) -> PhotoSize | Document | None:
    """The largest size of a photo, or a file whose type is an image."""
    if message.photo:
        return max(message.photo, key=lambda size: size.width * size.height)
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return document
    return None


def _refusal_text(exc: ImageRefused, t: Translator) -> str:
    if exc.reason == TOO_LARGE:
        return t("That image is too large to read. Send it as a photo rather than as a file.")
    return t("I can't read that file as an image. Send a photo of the customer's code.")


# --- several codes in one photo ---------------------------------------------------------------


async def offer_codes(
    update: Update, context: ChatContext, purpose: str, codes: Sequence[ScannedCode]
) -> None:
    """Ask which code is the customer's; the codes stay here, the buttons carry a key."""
    assert update.effective_user is not None
    key = context.services.scans.keep_codes(update.effective_user.id, purpose, codes)
    t = context.t(update)
    text = t("I found several codes in this photo. Which one is the customer's?")
    await reply(update, text, reply_markup=kb.code_choice_keyboard(purpose, key, codes))


async def chosen_code(update: Update, context: ChatContext, purpose: str) -> ScannedCode | None:
    """The code behind a pressed choice, its buttons taken away; ``None`` once it expired."""
    query, user = update.callback_query, update.effective_user
    assert query is not None
    assert user is not None
    choice = kb.parse_code_choice(query.data)
    codes = context.services.scans.codes(user.id, purpose, choice.key) if choice else ()
    if choice is None or choice.index >= len(codes):
        await query.answer(context.t(update)("This button has expired."))
        return None
    await close_buttons(update)
    return codes[choice.index]


def keep_for_retry(update: Update, context: ChatContext, code: ScannedCode) -> str:
    """Keep the code a look-up started from, so that Retry tries all its readings again."""
    assert update.effective_user is not None
    return context.services.scans.keep_codes(update.effective_user.id, kb.IDENTIFY, [code])


def kept_code(update: Update, context: ChatContext, key: object) -> ScannedCode | None:
    """The code kept under ``key`` by :func:`keep_for_retry`, if this process still has it."""
    user = update.effective_user
    if user is None or not isinstance(key, str):
        return None
    codes = context.services.scans.codes(user.id, kb.IDENTIFY, key)
    return codes[0] if len(codes) == 1 else None


# --- looking up ---------------------------------------------------------------------------------


async def find_first(
    update: Update, context: ChatContext, candidates: Sequence[Candidate]
) -> CustomerCard:
    """The card of the first candidate Gameball knows; ``NotFound`` when it knows none.

    When that is a Gameball code's customer, the hash is kept for their redemption hold. Any
    hash is hidden from the logs first: if its ID is unknown, the whole code is tried as an ID,
    and the request's URL, which HTTP clients log at DEBUG, then holds it.
    """
    for candidate in candidates:
        if candidate.hash:
            hide_in_logs(candidate.hash, context.services.settings.conversation_timeout)
    *earlier, last = candidates
    for candidate in earlier:
        with contextlib.suppress(NotFound):
            return await _card_of(update, context, candidate)
    return await _card_of(update, context, last)


async def _card_of(update: Update, context: ChatContext, candidate: Candidate) -> CustomerCard:
    language = context.language_for(update)
    card = await context.services.customers.lookup(candidate.customer_id, language=language)
    user = update.effective_user
    if candidate.hash and user is not None:
        context.services.scans.remember_hash(user.id, candidate.customer_id, candidate.hash)
    return card
