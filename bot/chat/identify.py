"""The identify conversation (PRODUCT §4): look a customer up, or sign them up on the spot.

Read top to bottom, this is the flow a cashier experiences: send an ID (or mobile) → balance
card; unknown → Create profile → name → mobile → email → summary → Create → onboarding
confirmation and card. Every step is one small coroutine returning the next state; the draft
and the guard around each step are in ``bot.chat.flow``.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat import keyboards as kb
from bot.chat.access import requires
from bot.chat.alerts import alert_managers_about_credentials
from bot.chat.audit import audit, failure_result
from bot.chat.cards import code, onboarding_confirmation, summary
from bot.chat.context import ChatContext
from bot.chat.fading import Kind
from bot.chat.feedback import gameball_error_text, invalid_input_text
from bot.chat.flow import (
    ASK_ID,
    END,
    Step,
    ask_for_id,
    current_flow,
    draft_of,
    end_flow,
    flow_step,
    persist,
    say_expired,
    start_flow,
)
from bot.chat.outbox import enqueue_creation
from bot.chat.replies import (
    ask_id_text,
    close_buttons,
    reply,
    reply_and_fade,
    send_card,
    send_new_customer_card,
)
from bot.chat.scan import (
    BALANCE_CAPTION,
    SCAN,
    chosen_code,
    find_first,
    keep_for_retry,
    kept_code,
    offer_codes,
    read_codes,
)
from bot.domain.contacts import InvalidInput, clean_name, normalise_email, normalise_mobile
from bot.domain.identify import Identifier, resolve_identifier
from bot.domain.scan import Candidate, ScannedCode, scan_candidates
from bot.gameball.errors import GameballError, NotFound, Rejected, Unauthorized
from bot.i18n import Translator
from bot.services.duplicates import Match

# Conversation states, in the order a cashier meets them (ASK_ID, 0, is in bot.chat.flow).
NOT_FOUND, ASK_NAME, ASK_MOBILE, ASK_EMAIL, CONFIRM, EDIT_CHOICE = range(1, 7)
LOOKUP_FAILED, CREATE_FAILED = range(7, 9)

PRIVATE = filters.ChatType.PRIVATE
PLAIN_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND


# --- 1. ask for the customer ID --------------------------------------------------------------


@requires("staff")
async def identify_command(update: Update, context: ChatContext) -> int:
    """``/identify [id]``: look up straight away when the ID came with the command."""
    text = " ".join(context.args or [])
    if text.strip():
        return await lookup(update, context, text)
    return await ask_for_id(update, context)


@requires("staff")
async def identify_text(update: Update, context: ChatContext) -> int:
    """Plain text outside a conversation is ``/identify <text>``."""
    assert update.effective_message is not None
    return await lookup(update, context, update.effective_message.text or "")


@requires("staff")
async def identify_contact(update: Update, context: ChatContext) -> int:
    """With the ``mobile`` scheme, a shared contact card identifies its owner."""
    contact = update.effective_message.contact if update.effective_message else None
    if contact is None or not context.services.rules.by_mobile:
        return await ask_for_id(update, context)
    return await lookup(update, context, _contact_number(contact.phone_number))


@requires("staff")
async def next_customer(update: Update, context: ChatContext) -> int:
    """The card's Next customer button: ask for the next ID."""
    if update.callback_query:
        await update.callback_query.answer()
    return await ask_for_id(update, context)


@flow_step
async def id_answer(update: Update, context: ChatContext) -> int:
    """The answer to "Send the customer ID"."""
    message = update.effective_message
    assert message is not None
    text = _contact_number(message.contact.phone_number) if message.contact else message.text
    return await lookup(update, context, text or "")


@requires("staff")
async def identify_scan(update: Update, context: ChatContext) -> int:
    """A photo or image file of the customer's code, or the Scan button's text: read it, then
    look up what it names; several codes in the photo are offered to choose from."""
    codes = await read_codes(update, context)
    if len(codes) == 1:
        return await lookup_scanned(update, context, codes[0])
    if codes:
        await offer_codes(update, context, kb.IDENTIFY, codes)
    start_flow(context, None, None)
    return ASK_ID


@requires("staff")
async def pick_code(update: Update, context: ChatContext) -> int | None:
    """One of several codes from a photo was chosen: look it up."""
    code = await chosen_code(update, context, kb.IDENTIFY)
    return None if code is None else await lookup_scanned(update, context, code)


# --- 2. look up ------------------------------------------------------------------------------


async def lookup(update: Update, context: ChatContext, text: str) -> int:
    """Resolve the text to a customer ID and show the card, or offer to create the profile."""
    try:
        identifier = resolve_identifier(text, context.services.rules)
    except InvalidInput as exc:
        return await _ask_again(update, context, exc)
    flow = start_flow(context, identifier.customer_id, identifier.mobile)
    return await _lookup_flow(update, context, flow)


async def lookup_scanned(update: Update, context: ChatContext, code: ScannedCode) -> int:
    """Look up what a scanned code names: its Gameball reading, else its text as if typed."""
    try:
        first = scan_candidates(code, context.services.rules)[0].identifier
    except InvalidInput as exc:
        return await _ask_again(update, context, exc)
    flow = start_flow(context, first.customer_id, first.mobile)
    flow["scan"] = keep_for_retry(update, context, code)
    return await _lookup_flow(update, context, flow)


async def _ask_again(update: Update, context: ChatContext, exc: InvalidInput) -> int:
    """The text names no valid customer: say why, and wait for another."""
    t = context.t(update)
    start_flow(context, None, None)
    await reply(update, invalid_input_text(exc, t, context.services.settings.default_region))
    return ASK_ID


def _candidates(update: Update, context: ChatContext, flow: dict[str, Any]) -> list[Candidate]:
    """What to look up, in order: the readings of the scanned code, or the typed customer ID.

    A flow that outlived this process's memory (a restart) has only its first reading left.
    """
    code = kept_code(update, context, flow.get("scan"))
    if code is not None:
        with contextlib.suppress(InvalidInput):
            return scan_candidates(code, context.services.rules)
    return [Candidate(Identifier(flow["customer_id"], flow.get("mobile")))]


async def _lookup_flow(update: Update, context: ChatContext, flow: dict[str, Any]) -> int:
    customer_id = flow["customer_id"]
    try:
        card = await find_first(update, context, _candidates(update, context, flow))
    except NotFound:
        audit(context, update, "lookup", "not_found", customer_id)
        return await _offer_creation(update, context, flow)
    except GameballError as exc:
        audit(context, update, "lookup", failure_result(exc), customer_id)
        return await _lookup_failed(update, context, flow, exc)
    audit(context, update, "lookup", "found", card.customer_id)
    end_flow(context)
    await send_card(update, context, card)
    return END


async def _lookup_failed(
    update: Update, context: ChatContext, flow: dict[str, Any], exc: GameballError
) -> int:
    t = context.t(update)
    text = gameball_error_text(exc, t)
    if isinstance(exc, Unauthorized):
        await alert_managers_about_credentials(context)
    if isinstance(exc, Rejected):
        await reply(update, text + "\n\n" + ask_id_text(context, t))
        return ASK_ID
    markup = kb.flow_keyboard(
        flow["id"], [[(t("Retry"), kb.RETRY_LOOKUP), (t("Cancel"), kb.CANCEL)]]
    )
    await reply(update, text, reply_markup=markup)
    return LOOKUP_FAILED


@flow_step
async def retry_lookup(update: Update, context: ChatContext) -> int:
    """Retry button after Gameball did not answer a look-up."""
    await close_buttons(update)
    flow = current_flow(context)
    assert flow is not None
    return await _lookup_flow(update, context, flow)


# --- 3. not found: did you mean…?, or offer to create ---------------------------------------


async def _offer_creation(update: Update, context: ChatContext, flow: dict[str, Any]) -> int:
    """Unknown: offer the existing profiles of numbers one slip away (scheme ``mobile``), then
    Create profile; the message names the customer, so it fades like a card."""
    t = context.t(update)
    mobile = flow.get("mobile")
    by_mobile = context.services.rules.by_mobile
    matches = await context.services.duplicates.similar(mobile) if by_mobile and mobile else []
    _keep_matches(context, flow, matches)
    rows = [
        *_match_rows(matches),
        [(t("Create profile"), kb.CREATE_PROFILE), (t("Cancel"), kb.CANCEL)],
    ]
    text = _not_found_text(flow["customer_id"], matches, t)
    markup = kb.flow_keyboard(flow["id"], rows)
    await reply_and_fade(
        update, context, text, markup, customer_id=flow["customer_id"], kind=Kind.SIGN_UP
    )
    return NOT_FOUND


def _not_found_text(customer_id: str, matches: list[Match], t: Translator) -> str:
    if matches:
        return t(
            "No customer with ID {customer_id} yet, but these existing profiles are close. "
            "Is it one of them?",
            customer_id=code(customer_id),
        )
    return t(
        "No customer with ID {customer_id} yet. Create a loyalty profile?",
        customer_id=code(customer_id),
    )


def _keep_matches(context: ChatContext, flow: dict[str, Any], matches: list[Match]) -> None:
    """The offered profiles, by their buttons' places, for as long as the sign-up lasts."""
    flow["matches"] = [[match.customer_id, match.mobile] for match in matches]
    persist(context, flow)


def _match_rows(matches: list[Match]) -> list[list[tuple[str, str]]]:
    """A button per existing profile: its ID, and its name when Gameball gave one."""
    rows = []
    for action, match in zip(kb.MATCHES, matches, strict=False):
        name = f" · {match.name[:MATCH_NAME_LENGTH]}" if match.name else ""
        rows.append([(f"👤 {match.customer_id}{name}", action)])
    return rows


@flow_step
async def pick_match(update: Update, context: ChatContext) -> int | None:
    """One of the existing profiles was the customer: show their card, create nothing."""
    flow = current_flow(context)
    assert flow is not None
    assert update.callback_query is not None
    button = kb.parse_flow_data(update.callback_query.data)
    matches = flow.get("matches") or []
    index = kb.MATCHES.index(button.action) if button and button.action in kb.MATCHES else -1
    if not 0 <= index < len(matches):
        await update.callback_query.answer(context.t(update)("This button has expired."))
        return None
    await close_buttons(update)
    customer_id, mobile = matches[index]
    return await _lookup_flow(update, context, start_flow(context, customer_id, mobile))


@flow_step
async def create_profile(update: Update, context: ChatContext) -> int:
    """Create profile: start collecting the customer's details with the name."""
    await close_buttons(update)
    return await _ask(update, context, NAME)


# --- 4-6. name, mobile, email ---------------------------------------------------------------
#
# The three details are asked in this order (the mobile is skipped when it is the identifier).
# Each question records which field it asked for, so one answer handler and one Skip handler
# serve all three; an edit from the summary asks one field and returns to the summary.

NAME, MOBILE, EMAIL = "name", "mobile", "email"
#: How much of an existing customer's name a button shows.
MATCH_NAME_LENGTH = 32


def _fields(context: ChatContext) -> tuple[str, ...]:
    """The details to collect, in order, for the configured scheme."""
    return (NAME, EMAIL) if context.services.rules.by_mobile else (NAME, MOBILE, EMAIL)


async def _ask(update: Update, context: ChatContext, field: str) -> int:
    """Ask for one detail; Skip is offered unless it would leave no contact field."""
    t = context.t(update)
    flow = current_flow(context)
    assert flow is not None
    flow["asking"] = field
    persist(context, flow)
    skip = kb.flow_keyboard(flow["id"], [[(t("Skip"), kb.SKIP)]])
    if field == NAME:
        await reply(update, t("What is the customer's name?"), reply_markup=skip)
        return ASK_NAME
    if field == MOBILE:
        text = t("What is the customer's mobile number? You can also share their contact card.")
        await reply(update, text, reply_markup=skip)
        return ASK_MOBILE
    if flow.get("mobile"):
        await reply(update, t("What is the customer's email?"), reply_markup=skip)
    else:
        text = t("What is the customer's email? It is needed because there is no mobile.")
        await reply(update, text)
    return ASK_EMAIL


def _normalise(field: str, raw: str, region: str) -> str:
    """The typed detail in its stored form; raises ``InvalidInput`` with a reason."""
    if field == NAME:
        return clean_name(raw)
    if field == MOBILE:
        return normalise_mobile(raw, region)
    return normalise_email(raw)


@flow_step
async def detail_answer(update: Update, context: ChatContext) -> int:
    """The answer to the detail being asked: validated, or refused with a second chance."""
    t = context.t(update)
    message = update.effective_message
    flow = current_flow(context)
    assert message is not None
    assert flow is not None
    field = flow.get("asking", NAME)
    raw = _contact_number(message.contact.phone_number) if message.contact else message.text
    region = context.services.settings.default_region
    try:
        value = _normalise(field, raw or "", region)
    except InvalidInput as exc:
        await reply(update, invalid_input_text(exc, t, region))
        return await _ask(update, context, field)
    return await _after_detail(update, context, field, value)


@flow_step
async def skip_detail(update: Update, context: ChatContext) -> int:
    """Skip: the detail stays empty, except the email when there is no mobile."""
    flow = current_flow(context)
    assert flow is not None
    field = flow.get("asking", NAME)
    if field == EMAIL and not flow.get("mobile"):
        t = context.t(update)
        await close_buttons(update, t("An email is needed when there is no mobile."))
        return await _ask(update, context, EMAIL)
    await close_buttons(update)
    return await _after_detail(update, context, field, None)


async def _after_detail(update: Update, context: ChatContext, field: str, value: str | None) -> int:
    """Store the detail, then ask the next one — or, once done or editing, show the summary."""
    flow = current_flow(context)
    assert flow is not None
    flow[field] = value
    persist(context, flow)
    has_contact = bool(flow.get("mobile") or flow.get("email"))
    if flow["editing"]:
        return await (
            _show_summary(update, context) if has_contact else _ask(update, context, EMAIL)
        )
    fields = _fields(context)
    following = fields[fields.index(field) + 1 :]
    if following:
        return await _ask(update, context, following[0])
    return await _show_summary(update, context)


def _contact_number(phone_number: str) -> str:
    """Telegram sends contact numbers in international form, often without the ``+``."""
    digits = phone_number.strip()
    if digits.isdigit() and not digits.startswith("0"):
        return "+" + digits
    return digits


# --- 7. summary, edit, create ----------------------------------------------------------------


async def _show_summary(update: Update, context: ChatContext, note: str = "") -> int:
    """The details to confirm, and any profile this bot signed the same contacts up under."""
    t = context.t(update)
    flow = current_flow(context)
    assert flow is not None
    flow["editing"] = False
    customer = draft_of(flow)
    earlier = context.services.duplicates.signed_up_before(customer)
    _keep_matches(context, flow, earlier)
    lines = [note, summary(customer, t), *(_signed_up_before_text(match, t) for match in earlier)]
    choices = [(t("Create"), kb.CREATE), (t("Edit"), kb.EDIT), (t("Cancel"), kb.CANCEL)]
    markup = kb.flow_keyboard(flow["id"], [*_match_rows(earlier), choices])
    text = "\n\n".join(line for line in lines if line)
    await reply_and_fade(
        update, context, text, markup, customer_id=customer.customer_id, kind=Kind.SIGN_UP
    )
    return CONFIRM


def _signed_up_before_text(match: Match, t: Translator) -> str:
    """The warning under the summary: this contact already has a profile, made here."""
    customer_id = code(match.customer_id)
    if match.via == EMAIL:
        return "⚠️ " + t(
            "This email was signed up here before, as {customer_id}. Is it the same customer?",
            customer_id=customer_id,
        )
    return "⚠️ " + t(
        "This mobile was signed up here before, as {customer_id}. Is it the same customer?",
        customer_id=customer_id,
    )


@flow_step
async def edit_choice(update: Update, context: ChatContext) -> int:
    """Edit: choose which field to change."""
    t = context.t(update)
    await close_buttons(update)
    flow = current_flow(context)
    assert flow is not None
    fields = [(t("Name"), kb.EDIT_NAME), (t("Email"), kb.EDIT_EMAIL)]
    if not context.services.rules.by_mobile:
        fields.insert(1, (t("Mobile"), kb.EDIT_MOBILE))
    markup = kb.flow_keyboard(flow["id"], [fields, [(t("Back"), kb.BACK)]])
    await reply(update, t("What do you want to change?"), reply_markup=markup)
    return EDIT_CHOICE


@flow_step
async def edit_field(update: Update, context: ChatContext) -> int:
    """One of Name / Mobile / Email was chosen: ask for it again, then return to the summary."""
    await close_buttons(update)
    flow = current_flow(context)
    assert flow is not None
    assert update.callback_query is not None
    button = kb.parse_flow_data(update.callback_query.data)
    action = button.action if button else kb.BACK
    if action == kb.BACK:
        return await _show_summary(update, context)
    flow["editing"] = True
    persist(context, flow)
    fields = {kb.EDIT_NAME: NAME, kb.EDIT_MOBILE: MOBILE, kb.EDIT_EMAIL: EMAIL}
    return await _ask(update, context, fields[action])


@flow_step
async def create(update: Update, context: ChatContext) -> int:
    """Create: upsert the profile, then confirm and show its card. A second tap finds no flow."""
    await close_buttons(update)
    return await _create(update, context)


async def _create(update: Update, context: ChatContext) -> int:
    t = context.t(update)
    flow = current_flow(context)
    assert flow is not None
    customer = draft_of(flow)
    services = context.services
    assert update.effective_user is not None
    store = services.stores.of(update.effective_user.id)
    try:
        await services.customers.upsert(customer, language=t.language, store_name=store.store_name)
    except Rejected as exc:
        audit(context, update, "create", "rejected", customer.customer_id)
        return await _show_summary(update, context, note=gameball_error_text(exc, t))
    except GameballError as exc:
        audit(context, update, "create", failure_result(exc), customer.customer_id)
        return await _create_failed(update, context, flow, exc)
    audit(context, update, "create", "created", customer.customer_id)
    services.duplicates.remember(customer)
    end_flow(context)
    await reply_and_fade(
        update,
        context,
        onboarding_confirmation(customer, t),
        None,
        customer_id=customer.customer_id,
        kind=Kind.SIGN_UP,
    )
    assert update.effective_chat is not None
    await send_new_customer_card(context.bot, update.effective_chat.id, services, customer, t)
    return END


async def _create_failed(
    update: Update, context: ChatContext, flow: dict[str, Any], exc: GameballError
) -> int:
    t = context.t(update)
    if isinstance(exc, Unauthorized):
        await alert_managers_about_credentials(context)
    markup = kb.flow_keyboard(
        flow["id"],
        [[(t("Retry"), kb.RETRY_CREATE), (t("Queue it"), kb.QUEUE)], [(t("Cancel"), kb.CANCEL)]],
    )
    text = gameball_error_text(exc, t) + "\n" + t("Nothing is lost: retry now, or queue it.")
    await reply(update, text, reply_markup=markup)
    return CREATE_FAILED


@flow_step
async def retry_create(update: Update, context: ChatContext) -> int:
    """Retry button after Gameball did not answer the creation."""
    await close_buttons(update)
    return await _create(update, context)


@flow_step
async def queue_creation(update: Update, context: ChatContext) -> int:
    """Queue it: store the sign-up; the outbox job sends it when Gameball is back."""
    await close_buttons(update)
    flow = current_flow(context)
    assert flow is not None
    await enqueue_creation(update, context, draft_of(flow))
    return end_flow(context)


# --- leaving ---------------------------------------------------------------------------------


@flow_step
async def cancel_button(update: Update, context: ChatContext) -> int:
    """Cancel button at any step."""
    await close_buttons(update)
    t = context.t(update)
    await reply(update, t("Cancelled. Send the next customer's ID when ready."))
    return end_flow(context)


@requires("staff")
async def cancel_command(update: Update, context: ChatContext) -> int:
    """``/cancel`` at any step (and outside a flow, where it just confirms)."""
    t = context.t(update)
    had_flow = current_flow(context) is not None
    end_flow(context)
    text = (
        t("Cancelled. Send the next customer's ID when ready.")
        if had_flow
        else t("Nothing to cancel.")
    )
    await reply(update, text)
    return END


async def timed_out(update: object, context: ChatContext) -> int:
    """``CONVERSATION_TIMEOUT`` of silence: tell the cashier the flow expired."""
    if isinstance(update, Update) and current_flow(context) is not None:
        await say_expired(update, context)
    return end_flow(context)


def hint_for(state: int) -> MessageHandler[Any, Any]:
    """Stickers, photos, voice, or text where a button is expected: say what this step needs."""

    @flow_step
    async def hint(update: Update, context: ChatContext) -> None:
        t = context.t(update)
        hints = {
            ASK_ID: ask_id_text(context, t),
            ASK_NAME: t("Please type the customer's name, or tap Skip."),
            ASK_MOBILE: t("Please type the mobile number or share a contact card, or tap Skip."),
            ASK_EMAIL: t("Please type the customer's email address."),
        }
        await reply(update, hints.get(state, t("Please use the buttons above, or /cancel.")))

    return MessageHandler(PRIVATE & ~filters.COMMAND & ~BALANCE_CAPTION, hint)


# --- wiring ----------------------------------------------------------------------------------


def _button(callback: Step, *actions: str) -> CallbackQueryHandler[Any, Any]:
    """A handler for flow buttons with one of ``actions``."""
    return CallbackQueryHandler(callback, pattern=kb.flow_pattern(kb.IDENTIFY_FLOW, *actions))


def build_identify_conversation(timeout: float) -> ConversationHandler[Any]:
    """The identify flow as a persistent ``ConversationHandler``."""
    text_or_contact = PRIVATE & ((filters.TEXT & ~filters.COMMAND) | filters.CONTACT)
    cancel = _button(cancel_button, kb.CANCEL)
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        ASK_ID: [MessageHandler(text_or_contact, id_answer), *_scans()],
        NOT_FOUND: [
            _button(create_profile, kb.CREATE_PROFILE),
            _button(pick_match, *kb.MATCHES),
            cancel,
            MessageHandler(PLAIN_TEXT, identify_text),
            *_scans(),
        ],
        ASK_NAME: [MessageHandler(PLAIN_TEXT, detail_answer), _button(skip_detail, kb.SKIP)],
        ASK_MOBILE: [
            MessageHandler(text_or_contact, detail_answer),
            _button(skip_detail, kb.SKIP),
        ],
        ASK_EMAIL: [MessageHandler(PLAIN_TEXT, detail_answer), _button(skip_detail, kb.SKIP)],
        CONFIRM: [
            _button(create, kb.CREATE),
            _button(edit_choice, kb.EDIT),
            _button(pick_match, *kb.MATCHES),
            cancel,
        ],
        EDIT_CHOICE: [
            _button(edit_field, kb.EDIT_NAME, kb.EDIT_MOBILE, kb.EDIT_EMAIL, kb.BACK),
        ],
        LOOKUP_FAILED: [
            _button(retry_lookup, kb.RETRY_LOOKUP),
            cancel,
            MessageHandler(PLAIN_TEXT, identify_text),
            *_scans(),
        ],
        CREATE_FAILED: [
            _button(retry_create, kb.RETRY_CREATE),
            _button(queue_creation, kb.QUEUE),
            cancel,
        ],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    for state, handlers in states.items():
        if state != ConversationHandler.TIMEOUT:
            handlers.append(hint_for(int(state)))  # type: ignore[call-overload]
    # Buttons are tracked per chat on purpose (one flow per cashier, button data carries the
    # flow id), so PTB's per_message advice does not apply here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return _conversation(states, timeout)


def _scans() -> list[BaseHandler[Any, Any, Any]]:
    """Wherever a customer ID may be typed, a scan (and a choice between codes) may come."""
    return [
        MessageHandler(SCAN, identify_scan),
        CallbackQueryHandler(pick_code, pattern=kb.IDENTIFY_CHOICE_PATTERN),
    ]


def _conversation(
    states: dict[object, list[BaseHandler[Any, Any, Any]]], timeout: float
) -> ConversationHandler[Any]:
    return ConversationHandler(
        entry_points=[
            CommandHandler("identify", identify_command, filters=PRIVATE),
            MessageHandler(PLAIN_TEXT, identify_text),
            MessageHandler(PRIVATE & filters.CONTACT, identify_contact),
            CallbackQueryHandler(next_customer, pattern=f"^{kb.NEXT_CUSTOMER}$"),
            *_scans(),
        ],
        states=states,
        fallbacks=[
            CommandHandler("cancel", cancel_command),
            CommandHandler("identify", identify_command, filters=PRIVATE),
        ],
        name="identify",
        persistent=True,
        conversation_timeout=timeout,
    )
