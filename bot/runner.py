"""Production entry points: long polling, and (see ``bot.webhook``) webhooks."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot import eventloop
from bot.app import BotApplication, build_application
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
    poll(application)
    return 0


def poll(application: BotApplication) -> None:
    """Long polling on the serving event loop until SIGINT/SIGTERM (production and benchmark)."""
    log.info("starting long polling on %s", eventloop.loop_kind())
    freeze_start_up_objects()
    with eventloop.current_loop():
        application.run_polling(
            allowed_updates=Update.ALL_TYPES,
            # Started before the network is up (a reboot, a flaky pop-up uplink): keep trying.
            bootstrap_retries=-1,
            stop_signals=(signal.SIGINT, signal.SIGTERM),
            close_loop=False,  # current_loop() closes it
        )
    log.info("stopped")


def freeze_start_up_objects() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    Modules, handlers, pydantic schemas and phone-number metadata live as long as the process,
    yet every full collection walked all of them again: a pause of about 50 ms, landing in the
    middle of whichever rush it happened to hit. Frozen, a full collection took about 11 ms.
    """
    gc.freeze()


def run_webhook(settings: Settings) -> int:
    """Serve webhooks (PRODUCT §6)."""
    from bot.webhook import serve_webhook

    return serve_webhook(settings)
