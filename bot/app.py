"""``build_application``: the one factory that production, console mode and the tests share.

Everything outside the process is injectable: the Bot API request objects (a fake Bot API in
tests, the terminal in console mode) and the Gameball transport (the sandbox). Long-lived
clients are opened in ``post_init`` and closed in ``post_shutdown``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from telegram import BotCommand, BotCommandScope, BotCommandScopeChat, BotCommandScopeDefault
from telegram.constants import FloodLimit
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.chat import activity, commands, fading, manager, orders, stores
from bot.chat import keyboards as kb
from bot.chat.checkout import build_checkout_conversation
from bot.chat.checkout_bot import CheckoutBot
from bot.chat.context import SERVICES_KEY, ChatContext, services_of
from bot.chat.errors import on_error
from bot.chat.identify import build_identify_conversation
from bot.chat.outbox import POLL_INTERVAL, notify_finished, process_outbox
from bot.chat.processor import PerChatUpdateProcessor
from bot.chat.request import telegram_requests
from bot.chat.scan import BALANCE_SCAN
from bot.config import SUPPORTED_LANGUAGES, ConfigError, Settings
from bot.i18n import N_, translator, warn_about_missing_catalogs
from bot.services.container import Services
from bot.storage import Database, SqlitePersistence, StorageError

log = logging.getLogger(__name__)

BotApplication = Application[Any, ChatContext, Any, Any, Any, Any]

STAFF_COMMANDS = (
    ("identify", N_("Look up or sign up a customer")),
    ("balance", N_("Check a customer's balance")),
    ("cancel", N_("Stop what you are doing")),
    ("store", N_("Pick the store you work at")),
    ("language", N_("Switch language")),
    ("help", N_("What this bot can do")),
)
MANAGER_COMMANDS = (
    ("invite", N_("Invite a staff member")),
    ("staff", N_("See and revoke staff")),
    ("activity", N_("Recent activity and the queue")),
    ("orders", N_("Recorded purchases and reversals")),
    ("queue", N_("Sign-ups and purchases waiting for Gameball")),
)
ALL_COMMANDS = ("start", *(name for name, _ in STAFF_COMMANDS + MANAGER_COMMANDS))
#: Seconds of Telegram's bulk rate (30 messages/s) that may go out at once; see _rate_limiter.
BURST_SECONDS = 10
#: The handler group of the purchase flow: before everything else (see register_handlers).
CHECKOUT_GROUP = -1
#: The group that answers presses on closed cards: before the purchase flow, too.
CLOSED_CARDS_GROUP = -2


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    bot_request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    gameball_transport: httpx.AsyncBaseTransport | None = None,
    database: Database | None = None,
    rate_limiter: bool = True,
    concurrent_updates: bool = True,
    polling: bool = True,
) -> BotApplication:
    """Build the bot: handlers, persistence, jobs and lifecycle hooks.

    ``gameball_transport`` defaults to the embedded sandbox when ``GAMEBALL_SANDBOX`` is set.
    ``concurrent_updates=False`` processes updates one at a time (the benchmark's baseline).
    ``polling=False`` builds no updater: updates are put on ``update_queue`` by whoever receives
    them (the webhook listener, the console, the tests).
    """
    warn_about_missing_catalogs()
    database = database or open_database(settings)
    database.staff.seed(settings.manager_ids, settings.staff_ids)
    services = Services(settings, database, gameball_transport=gameball_transport)

    if bot_request is None:
        bot_request, updates_request = telegram_requests()
    bot = CheckoutBot(
        token or settings.token,
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_file_url,
        request=bot_request,
        get_updates_request=updates_request or bot_request,
        rate_limiter=_rate_limiter() if rate_limiter else None,
    )
    builder = (
        Application.builder()
        .bot(bot)
        .context_types(ContextTypes(context=ChatContext))
        .persistence(SqlitePersistence(database))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerChatUpdateProcessor() if concurrent_updates else False)
    )
    if not polling:
        builder = builder.updater(None)
    application: BotApplication = builder.build()
    application.bot_data[SERVICES_KEY] = services
    register_handlers(application, settings)
    if application.job_queue is not None:
        jobs = application.job_queue
        jobs.run_repeating(process_outbox, interval=POLL_INTERVAL, first=1.0)
        jobs.run_repeating(
            fading.fade_due, interval=fading.FADE_INTERVAL, first=fading.FADE_INTERVAL
        )
    return application


def open_database(settings: Settings) -> Database:
    """The database in ``DATA_DIR``; a folder the bot cannot use is a configuration error."""
    try:
        return Database(settings.database_path)
    except (OSError, sqlite3.Error, StorageError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"DATA_DIR: cannot use {settings.data_dir} ({reason})") from None


def _rate_limiter() -> AIORateLimiter:
    """Telegram's limits, shaped for a till rush rather than a broadcast.

    Telegram documents about 30 messages/s for bulk notifications, about 1/s within one chat
    and 20/min in a group. Our messages answer people who have just written, so 200 cashiers
    asking at once are a burst, not a broadcast: PTB's default (30/s, no burst) would make the
    last of them wait ~6 s. The overall bucket here holds ``BURST_SECONDS`` of the bulk rate and
    refills at 30/s, so a rush goes out at once while any sustained stream still averages 30/s;
    the per-group limit stays PTB's. Should Telegram still answer 429, every request waits the
    ``retry_after`` it names, up to three times.
    """
    rate = FloodLimit.MESSAGES_PER_SECOND
    return AIORateLimiter(
        overall_max_rate=rate * BURST_SECONDS, overall_time_period=BURST_SECONDS, max_retries=3
    )


def register_handlers(application: BotApplication, settings: Settings) -> None:
    """All handlers, in an order that matters: see the comments."""
    private = filters.ChatType.PRIVATE
    add = application.add_handler
    # A press on any button of a faded (or due) card, receipt or sign-up is answered "closed"
    # and goes no further, whichever flow the button belonged to.
    add(CallbackQueryHandler(fading.closed_button), group=CLOSED_CARDS_GROUP)
    # The purchase flow in a group of its own, first: while a purchase is open, the amount typed
    # is its answer (and stops there) instead of a customer ID for the identify flow below.
    # Leaving it for another customer ends it and lets the update through.
    add(build_checkout_conversation(settings.conversation_timeout), group=CHECKOUT_GROUP)
    # Groups first: any of our commands there only gets a pointer to a private chat.
    add(CommandHandler(list(ALL_COMMANDS), commands.group_command, filters=~private))
    add(CommandHandler("start", commands.start))
    add(CommandHandler("help", commands.help_command))
    add(CommandHandler("language", commands.language))
    add(CallbackQueryHandler(commands.language_chosen, pattern=kb.LANGUAGE_PATTERN))
    # The identify flow before /cancel and /balance, so its own /cancel fallback wins mid-flow.
    # It reads photos too, except those captioned /balance: they are /balance's, in any state.
    add(build_identify_conversation(settings.conversation_timeout))
    add(CommandHandler("balance", commands.balance))
    add(MessageHandler(BALANCE_SCAN, commands.balance_scan))
    add(CallbackQueryHandler(commands.balance_code_chosen, pattern=kb.BALANCE_CHOICE_PATTERN))
    add(CommandHandler("cancel", commands.cancel_outside_flow))
    add(CallbackQueryHandler(commands.refresh, pattern=kb.CARD_REFRESH_PATTERN))
    for handler in [
        *manager.handlers(),
        *activity.handlers(),
        *orders.handlers(),
        *stores.handlers(),
    ]:
        add(handler)
    # Last: buttons nobody else claimed (old flows, malformed data) are acknowledged only,
    # and commands nobody knows get a pointer to /help (in private chats only: in a group
    # they may be meant for another bot).
    add(CallbackQueryHandler(commands.stale_button))
    add(MessageHandler(filters.COMMAND & private, commands.unknown_command))
    application.add_error_handler(on_error)


@asynccontextmanager
async def started(application: BotApplication) -> AsyncIterator[BotApplication]:
    """The application running without an updater (console, tests): updates are handed to it.

    Start-up and shutdown in the order PTB's ``run_polling`` uses, ``post_*`` hooks included,
    so persistence, jobs and the Gameball client behave as in production.
    """
    await start_up(application)
    try:
        yield application
    finally:
        await shut_down(application)


async def start_up(application: BotApplication) -> None:
    """``initialize``, ``post_init`` and ``start``, as PTB's runners do them."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()


async def shut_down(application: BotApplication) -> None:
    """``stop`` and ``post_stop`` (if it was started), then ``shutdown`` and ``post_shutdown``."""
    if application.running:
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)


async def _post_init(application: BotApplication) -> None:
    services = services_of(application)
    await services.open()
    recovered = services.database.outbox.recover_sending()
    if recovered:
        log.info("re-queued %d sign-ups interrupted by the last shutdown", recovered)
    interrupted = services.orders.recover()
    if interrupted:
        log.info(
            "queued %d purchases interrupted by the last shutdown, to check first", interrupted
        )
    releases = services.holds.recover()
    if releases:
        log.info("queued %d points holds whose release the last shutdown interrupted", releases)
    await register_commands(application)
    await notify_finished(application)


async def _post_shutdown(application: BotApplication) -> None:
    await services_of(application).close()


async def register_commands(application: BotApplication) -> None:
    """``setMyCommands`` per language, and the longer list in each manager's chat."""
    bot = application.bot
    managers = services_of(application).database.staff.managers()
    for language in SUPPORTED_LANGUAGES:
        t = translator(language)
        code = None if language == SUPPORTED_LANGUAGES[0] else language
        staff = [BotCommand(name, t(text)) for name, text in STAFF_COMMANDS]
        everything = staff + [BotCommand(name, t(text)) for name, text in MANAGER_COMMANDS]
        scopes: list[tuple[BotCommandScope, list[BotCommand]]] = [(BotCommandScopeDefault(), staff)]
        scopes += [(BotCommandScopeChat(manager_id), everything) for manager_id in managers]
        for scope, commands_ in scopes:
            try:
                await bot.set_my_commands(commands_, scope=scope, language_code=code)
            except TelegramError as exc:
                # A manager who never opened the bot has no chat yet; that is not fatal.
                log.warning("could not register commands for %s: %s", scope.type, exc)
