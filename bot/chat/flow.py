"""Flow drafts and the guard every flow step runs behind (identify and purchase alike).

A flow's draft lives in ``user_data`` (persisted, so a restart loses nothing): the customer being
created under ``"flow"``, the purchase being recorded under ``"purchase"``. Its short ``id`` is
in every button of the flow, so buttons on old messages cannot act on a newer flow.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.chat import keyboards as kb
from bot.chat.access import requires
from bot.chat.context import ChatContext
from bot.chat.replies import ask_id_text, reply
from bot.domain.identify import NewCustomer
from bot.i18n import N_

END = ConversationHandler.END
#: The conversation state in which the bot waits for a customer ID.
ASK_ID = 0
FLOW_KEY = "flow"

Step = Callable[[Update, ChatContext], Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class Drafts:
    """Where a flow keeps its draft, how its buttons start, and what it says when it expired."""

    key: str
    prefix: str
    expired: str


IDENTIFY = Drafts(
    FLOW_KEY,
    kb.IDENTIFY_FLOW,
    N_("This sign-up expired after a long pause. Send the customer's ID to start again."),
)


def draft_in(context: ChatContext, drafts: Drafts) -> dict[str, Any] | None:
    """The draft of that flow in progress for this user, if any."""
    draft = context.user_data.get(drafts.key) if context.user_data is not None else None
    return draft if isinstance(draft, dict) else None


def current_flow(context: ChatContext) -> dict[str, Any] | None:
    """The draft of the identify flow in progress for this user, if any."""
    return draft_in(context, IDENTIFY)


def start_flow(context: ChatContext, customer_id: str | None, mobile: str | None) -> dict[str, Any]:
    """Begin a new flow, replacing any earlier draft."""
    flow: dict[str, Any] = {
        "id": secrets.token_urlsafe(6),
        "customer_id": customer_id,
        "mobile": mobile,
        "name": None,
        "email": None,
        "editing": False,
        "touched": time.time(),
    }
    assert context.user_data is not None
    context.user_data[FLOW_KEY] = flow
    return flow


async def ask_for_id(update: Update, context: ChatContext) -> int:
    """Start an empty flow and ask for the customer's ID (or mobile, per the scheme)."""
    start_flow(context, None, None)
    t = context.t(update)
    markup = kb.scan_keyboard(context.services.settings.scanner_url, t)
    await reply(update, ask_id_text(context, t), reply_markup=markup)
    return ASK_ID


def end_flow(context: ChatContext) -> int:
    """Forget the draft and leave the conversation."""
    if context.user_data is not None:
        context.user_data.pop(FLOW_KEY, None)
    return END


def draft_of(flow: dict[str, Any]) -> NewCustomer:
    """The new customer as collected so far."""
    return NewCustomer(
        customer_id=flow["customer_id"],
        name=flow.get("name"),
        mobile=flow.get("mobile"),
        email=flow.get("email"),
    )


def persist(context: ChatContext, flow: dict[str, Any]) -> None:
    """Write a changed draft back so persistence notices it."""
    flow["touched"] = time.time()
    assert context.user_data is not None
    context.user_data[FLOW_KEY] = flow


# --- step decorators -------------------------------------------------------------------------


def guarded(drafts: Drafts, missing: Step) -> Callable[[Step], Step]:
    """Steps inside a flow: staff only, the draft must exist and must not have expired.

    The expiry check here makes ``CONVERSATION_TIMEOUT`` hold across restarts too (PTB's
    timeout jobs do not survive one). Button presses must carry the current draft's id; without
    a draft, ``missing`` answers.
    """

    def decorate(callback: Step) -> Step:
        @requires("staff")
        @functools.wraps(callback)
        async def step(update: Update, context: ChatContext) -> object:
            draft = draft_in(context, drafts)
            query = update.callback_query
            if query is not None:
                button = kb.parse_flow_data(query.data, drafts.prefix)
                if draft is None or button is None or button.flow_id != draft["id"]:
                    t = context.t(update)
                    await query.answer(t("That button belongs to an earlier customer."))
                    return None
            if draft is None:
                return await missing(update, context)
            timeout = context.services.settings.conversation_timeout
            if time.time() - float(draft.get("touched", 0)) > timeout:
                await say_expired(update, context, drafts)
                assert context.user_data is not None
                context.user_data.pop(drafts.key, None)
                return END
            draft["touched"] = time.time()
            return await callback(update, context)

        return step

    return decorate


#: A step of the identify flow; without a draft it asks for a customer ID.
flow_step = guarded(IDENTIFY, ask_for_id)


async def say_expired(update: Update, context: ChatContext, drafts: Drafts = IDENTIFY) -> None:
    """Tell the user their flow expired (after ``CONVERSATION_TIMEOUT`` of silence)."""
    t = context.t(update)
    if update.callback_query:
        await update.callback_query.answer()
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, t(drafts.expired))
