"""Alerts for managers, sent to each manager's private chat (PRODUCT §3, §5).

Rejected credentials affect every cashier at once; managers hear about it at most once per
``CREDENTIALS_ALERT_INTERVAL`` so a busy till does not flood their phones.
"""

from __future__ import annotations

import logging
import time

from telegram.error import TelegramError

from bot.chat.context import ChatContext, language_of_user
from bot.i18n import translator
from bot.services.container import Services

log = logging.getLogger(__name__)

CREDENTIALS_ALERT_INTERVAL = 600.0


def _due(services: Services, now: float) -> bool:
    last = services.last_credentials_alert
    return last is None or now - last >= CREDENTIALS_ALERT_INTERVAL


async def alert_managers_about_credentials(context: ChatContext) -> None:
    """Tell every manager that Gameball rejects the bot's keys (throttled)."""
    services = context.services
    now = time.monotonic()
    if not _due(services, now):
        return
    services.last_credentials_alert = now
    store = services.settings.store_name
    for manager_id in services.database.staff.managers():
        t = translator(language_of_user(context, manager_id))
        text = "🚨 " + t(
            "Gameball rejects the bot's API keys, so staff cannot look customers up. "
            "Check GAMEBALL_API_KEY and GAMEBALL_SECRET_KEY."
        )
        if store:
            text += "\n" + t("Store: {store}", store=store)
        try:
            await context.bot.send_message(manager_id, text)
        except TelegramError as exc:
            log.warning("could not alert manager %s: %s", manager_id, type(exc).__name__)
