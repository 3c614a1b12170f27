"""Redeeming a manager's invite: ``/start <code>`` makes a new user staff (PRODUCT §3).

Codes are one-time and expire after 24 h. A user who keeps sending wrong codes is throttled,
so codes cannot be guessed by trying (they are 192-bit random anyway).
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError

from bot.chat.audit import audit
from bot.chat.context import ChatContext, language_of_user
from bot.chat.replies import reply
from bot.i18n import N_, translator

log = logging.getLogger(__name__)

MAX_BAD_CODES = 5
BAD_CODE_WINDOW = timedelta(hours=1)

_REFUSALS = {
    "used": N_("This invite link was already used. Ask your manager for a new one."),
    "expired": N_("This invite link has expired. Ask your manager for a new one."),
    "unknown": N_("This invite link is not valid. Ask your manager for a new one."),
}


async def redeem_invite(update: Update, context: ChatContext, code: str) -> None:
    """Enrol the sender as staff if ``code`` is a valid, unused, unexpired invite."""
    user = update.effective_user
    assert user is not None
    t = context.t(update)
    database = context.services.database
    if database.staff.role_of(user.id) is not None:
        await reply(update, t("You already have access. Send a customer ID to begin."))
        return
    if database.invites.recent_failures(user.id, within=BAD_CODE_WINDOW) >= MAX_BAD_CODES:
        audit(context, update, "enrol", "throttled")
        await reply(update, t("Too many invalid invite links. Please try again later."))
        return
    result = database.invites.redeem(code, user.id)
    if result.status != "ok" or result.created_by is None:
        database.invites.record_failure(user.id)
        audit(context, update, "enrol", result.status)
        await reply(update, t(_REFUSALS.get(result.status, _REFUSALS["unknown"])))
        return
    database.staff.enrol(user.id, name=user.full_name, username=user.username, by=result.created_by)
    audit(context, update, "enrol", "ok", detail=f"invited_by={result.created_by}")
    await reply(
        update,
        "🎉 " + t("Welcome to the team! You can now identify customers: send a customer ID."),
    )
    await _tell_inviter(context, result.created_by, user.full_name)


async def _tell_inviter(context: ChatContext, manager_id: int, name: str) -> None:
    t = translator(language_of_user(context, manager_id))
    text = "✅ " + t("{name} joined as staff with your invite.", name=html.escape(name))
    try:
        await context.bot.send_html(manager_id, text)
    except TelegramError as exc:
        log.warning("could not tell manager %s about an enrolment: %s", manager_id, exc)
