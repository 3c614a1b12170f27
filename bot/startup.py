"""Start-up steps shared by the two production modes, polling (``bot.runner``) and webhooks
(``bot.webhook``): below both, so neither imports the other.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.chat.request import TelegramRequest
from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)


def verify_token(settings: Settings) -> None:
    """Ask Telegram who we are before starting, so a wrong token is one line, not a traceback.

    Network trouble is not decided here: python-telegram-bot retries it once running.
    """

    async def get_me() -> None:
        request = TelegramRequest(1)  # the HTTP stack, and proxies, the bot itself will use
        async with Bot(settings.token, base_url=settings.telegram_base_url, request=request) as bot:
            await bot.get_me()

    try:
        asyncio.run(get_me())
    except InvalidToken:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN: rejected by Telegram (copy it again from @BotFather)"
        ) from None
    except TelegramError as exc:
        log.warning("could not reach Telegram yet (%s); starting anyway", type(exc).__name__)


def freeze_start_up_objects() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    Modules, handlers, pydantic schemas and phone-number metadata live as long as the process,
    yet every full collection walked all of them again: a pause of about 50 ms, landing in the
    middle of whichever rush it happened to hit. Frozen, a full collection took about 11 ms.
    """
    gc.freeze()
