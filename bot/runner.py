"""Production entry points: long polling, and (see ``bot.webhook``) webhooks."""

from __future__ import annotations

import logging
import signal

from telegram import Update

from bot.app import build_application
from bot.config import Settings

log = logging.getLogger(__name__)


def run_polling(settings: Settings) -> int:
    """Poll Telegram until SIGINT/SIGTERM, then shut down cleanly (queued work stays queued)."""
    application = build_application(settings)
    log.info("starting long polling")
    application.run_polling(
        allowed_updates=Update.ALL_TYPES,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
        close_loop=False,
    )
    log.info("stopped")
    return 0


def run_webhook(settings: Settings) -> int:
    """Serve webhooks (PRODUCT §6)."""
    from bot.webhook import serve_webhook

    return serve_webhook(settings)
