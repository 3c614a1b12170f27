"""Manager commands (PRODUCT §3): ``/invite``, ``/staff`` with Revoke, ``/queue``.

(``/activity`` is in ``bot.chat.activity``; ``/orders`` and reversals in ``bot.chat.orders``.)

A manager runs the team from their phone: invite a pop-up worker with a one-time link, see
what each person did, and cut someone off at once. Every handler checks the manager role when
it runs, including button presses on old lists.
"""

from __future__ import annotations

import html
from typing import Any

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.chat import keyboards as kb
from bot.chat.access import requires
from bot.chat.audit import audit
from bot.chat.cards import code, list_text
from bot.chat.context import ChatContext
from bot.chat.replies import reply
from bot.i18n import Translator
from bot.storage import Database, StaffMember

REVOKE_ASK, REVOKE_YES, REVOKE_NO = "m:rv", "m:rvy", "m:rvn"
#: Telegram user IDs in button data: ASCII digits that fit SQLite's INTEGER.
NUMBER = "[0-9]{1,15}"


@requires("manager")
async def invite(update: Update, context: ChatContext) -> None:
    """``/invite``: a one-time deep link, valid 24 h, that makes whoever opens it staff."""
    user = update.effective_user
    assert user is not None
    t = context.t(update)
    invite_code, expires_at = context.services.database.invites.create(user.id)
    link = f"https://t.me/{context.bot.username}?start={invite_code}"
    audit(context, update, "invite", "created")
    when = format_datetime(expires_at, format="short", locale=t.locale)
    text = "\n".join(
        [
            "🔗 "
            + t(
                "Send this link to the new staff member. It works once, until {when} (UTC).",
                when=when,
            ),
            "",
            html.escape(link),
        ]
    )
    await reply(update, text, link_preview=False)


def _staff_line(member: StaffMember, t: Translator) -> str:
    name = html.escape(member.name or (f"@{member.username}" if member.username else "—"))
    role = t("manager") if member.role == "manager" else t("staff")
    since = format_datetime(member.enrolled_at, format="d MMM y", locale=t.locale)
    details = [f"<b>{name}</b> ({role})", code(str(member.user_id)), t("since {date}", date=since)]
    return "• " + list_text(details, t)


def shown_name(member: StaffMember) -> str:
    """How buttons and headings name a member: their Telegram name, else their ID."""
    return member.name or str(member.user_id)


def _revocable(member: StaffMember) -> bool:
    """Managers configured by MANAGER_IDS cannot be revoked from the chat."""
    return not (member.role == "manager" and member.source == "config")


@requires("manager")
async def staff(update: Update, context: ChatContext) -> None:
    """``/staff``: everyone with access, with a Revoke button for each revocable member."""
    t = context.t(update)
    members = context.services.database.staff.list_active()
    lines = ["<b>" + t("Team ({count})", count=len(members)) + "</b>"]
    lines += [_staff_line(member, t) for member in members]
    buttons = [
        [
            InlineKeyboardButton(
                "🚫 " + t("Revoke {name}", name=shown_name(member)),
                callback_data=f"{REVOKE_ASK}:{member.user_id}",
            )
        ]
        for member in members
        if _revocable(member) and member.user_id != _user_id(update)
    ]
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


@requires("manager")
async def revoke_ask(update: Update, context: ChatContext) -> None:
    """Revoke button: ask for confirmation first (a mistaken tap costs a worker their shift)."""
    query = update.callback_query
    assert query is not None
    t = context.t(update)
    target = kb.pressed_number(update)
    member = context.services.database.staff.get(target) if target else None
    await query.answer()
    if member is None:
        await reply(update, t("That person no longer has access."))
        return
    name = html.escape(shown_name(member))
    markup = kb.yes_no_keyboard(
        t("Yes, revoke"), f"{REVOKE_YES}:{member.user_id}", t("No"), f"{REVOKE_NO}:{member.user_id}"
    )
    await reply(update, t("Revoke access for {name}?", name=f"<b>{name}</b>"), reply_markup=markup)


@requires("manager")
async def revoke_answer(update: Update, context: ChatContext) -> None:
    """Yes / No on the confirmation: revoke at once, or leave things as they are."""
    query = update.callback_query
    assert query is not None
    t = context.t(update)
    await query.answer()
    target = kb.pressed_number(update)
    if target is None or (query.data or "").startswith(REVOKE_NO + ":"):
        await query.edit_message_text(t("Nothing changed."))
        return
    revoked = context.services.database.staff.revoke(target)
    audit(context, update, "revoke", "ok" if revoked else "refused", detail=f"user={target}")
    text = t("Access revoked.") if revoked else t("This person's access cannot be revoked here.")
    await query.edit_message_text(text)


@requires("manager")
async def queue(update: Update, context: ChatContext) -> None:
    """``/queue``: how many sign-ups and purchases are waiting for Gameball."""
    await reply(update, queue_text(context.services.database, context.t(update)))


def queue_text(database: Database, t: Translator) -> str:
    """What waits for Gameball: sign-ups and purchases."""
    return "\n".join(
        [
            t("Sign-ups waiting in the queue: {count}", count=database.outbox.pending_count()),
            t("Purchases waiting in the queue: {count}", count=database.orders.queued_count()),
        ]
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The manager handlers, for ``register_handlers``."""
    return [
        CommandHandler("invite", invite),
        CommandHandler("staff", staff),
        CommandHandler("queue", queue),
        CallbackQueryHandler(revoke_ask, pattern=rf"^{REVOKE_ASK}:{NUMBER}$"),
        CallbackQueryHandler(revoke_answer, pattern=rf"^({REVOKE_YES}|{REVOKE_NO}):{NUMBER}$"),
    ]
