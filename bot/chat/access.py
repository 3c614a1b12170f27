"""Role checks that run at the moment a handler runs (PRODUCT §3).

Every handler callback is wrapped by :func:`requires`, so a revoked staff member is cut off at
once — for commands, texts, contact cards and button presses on old messages alike — and nothing
said in a group ever reaches a handler that could call Gameball.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from telegram import Chat, ReplyKeyboardRemove, Update, User
from telegram.ext import ConversationHandler

from bot.chat.context import ChatContext
from bot.storage import StaffMember

log = logging.getLogger(__name__)

Role = Literal["manager", "staff"]
Handler = Callable[[Update, ChatContext], Coroutine[Any, Any, Any]]

_RANK: dict[str | None, int] = {None: 0, "staff": 1, "manager": 2}


def role_of(context: ChatContext, update: Update) -> Role | None:
    """The current role of the user behind ``update``, read from storage now."""
    member = _member_of(context, update)
    return None if member is None else member.role


def _member_of(context: ChatContext, update: Update) -> StaffMember | None:
    user = update.effective_user
    return None if user is None else context.services.database.staff.get(user.id)


def _keep_profile_current(context: ChatContext, member: StaffMember, user: User) -> None:
    """Store the member's Telegram name as it is now.

    Members enrolled by ``STAFF_IDS`` are known only by their ID until they use the bot, and
    people rename themselves; ``/staff`` and ``/activity`` should show today's name.
    """
    if (member.name, member.username) != (user.full_name, user.username):
        context.services.database.staff.update_profile(
            member.user_id, name=user.full_name, username=user.username
        )


def requires(role: Role, *, explain: bool = True) -> Callable[[Handler], Handler]:
    """Run the handler only for users holding ``role`` (managers hold every role), in private.

    Denied updates end any conversation they belonged to and get a short explanation, unless
    ``explain`` is off: for a handler that passes the update on to one that will explain.
    """

    def decorate(callback: Handler) -> Handler:
        @functools.wraps(callback)
        async def guarded(update: Update, context: ChatContext) -> object:
            chat = update.effective_chat
            if chat is not None and chat.type != Chat.PRIVATE:
                if explain:
                    await point_to_private_chat(update, context)
                return ConversationHandler.END
            member = _member_of(context, update)
            current = None if member is None else member.role
            if _RANK[current] < _RANK[role]:
                if explain:
                    await _refuse(update, context, current)
                return ConversationHandler.END
            if member is not None and update.effective_user is not None:
                _keep_profile_current(context, member, update.effective_user)
            return await callback(update, context)

        return guarded

    return decorate


def private_chat_pointer(update: Update, context: ChatContext) -> str:
    """The short pointer to a private chat that commands in groups get."""
    t = context.t(update)
    return t(
        "Customer data is only shown in a private chat. Message me directly: @{bot}",
        bot=context.bot.username,
    )


async def point_to_private_chat(update: Update, context: ChatContext) -> None:
    """In groups, commands get a pointer to a private chat; plain text never reaches here."""
    await _answer(update, private_chat_pointer(update, context))


async def _refuse(update: Update, context: ChatContext, current: Role | None) -> None:
    """Explain why nothing happened, without revealing any customer data."""
    t = context.t(update)
    user = update.effective_user
    log.info("denied %s to user %s", type(update).__name__, user.id if user else None)
    if current is None:
        text = t(
            "You don't have access to this bot. Your Telegram ID is {user_id}. "
            "Ask a manager for an invite link, or to add your ID.",
            user_id=user.id if user else "?",
        )
        # A revoked staff member's Scan button goes with their access.
        await _answer(update, text, ReplyKeyboardRemove())
        return
    await _answer(update, t("That is for managers only."))


async def _answer(update: Update, text: str, keyboard: ReplyKeyboardRemove | None = None) -> None:
    """A button press gets an alert, a message a reply: the user sees why nothing happened."""
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(text, reply_markup=keyboard)
