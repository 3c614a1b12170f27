"""Long polling, ``checkout-bot run`` (webhooks are ``bot.webhook``)."""

from __future__ import annotations

import logging
import signal

from telegram import Update

from bot import eventloop
from bot.app import BotApplication, build_application
from bot.config import Settings
from bot.startup import freeze_start_up_objects, verify_token

log = logging.getLogger(__name__)


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
