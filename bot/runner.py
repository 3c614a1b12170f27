"""Production entry points: long polling, and (see ``bot.webhook``) webhooks."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot.app import build_application
from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)


def verify_token(settings: Settings) -> None:
    """Ask Telegram who we are before starting, so a wrong token is one line, not a traceback.

    Network trouble is not decided here: python-telegram-bot retries it once running.
    """

    async def get_me() -> None:
        async with Bot(settings.token, base_url=settings.telegram_base_url) as bot:
            await bot.get_me()

    try:
        asyncio.run(get_me())
    except InvalidToken:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN: rejected by Telegram (copy it again from @BotFather)"
        ) from None
    except TelegramError as exc:
        log.warning("could not reach Telegram yet (%s); starting anyway", type(exc).__name__)


def run_polling(settings: Settings) -> int:
    """Poll Telegram until SIGINT/SIGTERM, then shut down cleanly (queued work stays queued)."""
    application = build_application(settings)
    verify_token(settings)
    log.info("starting long polling")
    application.run_polling(
        allowed_updates=Update.ALL_TYPES,
        # Started before the network is up (a reboot, a flaky pop-up uplink): keep trying.
        bootstrap_retries=-1,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
        close_loop=False,
    )
    log.info("stopped")
    return 0


def run_webhook(settings: Settings) -> int:
    """Serve webhooks (PRODUCT §6)."""
    from bot.webhook import serve_webhook

    return serve_webhook(settings)
