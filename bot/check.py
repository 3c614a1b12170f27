"""``checkout-bot check``: one screen that tells an operator whether the bot can work here.

It reads the configuration, asks Telegram who the bot is, and makes one harmless Gameball call
(the balance of a customer ID that cannot exist: 404 proves the keys work). Every line is safe to
paste into a support ticket: secrets appear as their last four characters at most.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import BaseRequest

from bot import __version__, i18n
from bot.config import SUPPORTED_LANGUAGES, ConfigError, CustomerIdScheme, Settings
from bot.gameball.client import GameballClient
from bot.gameball.errors import GameballError, NotFound, Unauthorized, Unavailable
from bot.gameball.limits import CUSTOMER_READS, CUSTOMER_WRITES, account_limits
from bot.logs import RedactingFilter
from bot.services.gameball import gameball_client, gameball_credentials
from bot.webhook import webhook_endpoint

_SHOWN_TAIL = 4
#: Shorter secrets are not even partly shown: four characters would be too much of them.
_MIN_LENGTH_TO_SHOW_TAIL = 12


class Report:
    """Lines of ``status  text`` under section titles; counts the failures."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self.failures = 0

    def section(self, title: str) -> None:
        print(f"\n{title}", file=self._out)

    def ok(self, text: str) -> None:
        self._line("ok", text)

    def warn(self, text: str) -> None:
        self._line("warn", text)

    def fail(self, text: str) -> None:
        self.failures += 1
        self._line("FAIL", text)

    def _line(self, status: str, text: str) -> None:
        print(f"  {status:<5}{text}", file=self._out)

    def summary(self) -> None:
        if self.failures:
            plural = "s" if self.failures > 1 else ""
            print(f"\n{self.failures} check{plural} failed.", file=self._out)
        else:
            print("\nAll checks passed.", file=self._out)


def secret_tail(secret: str) -> str:
    """What may be shown of a secret: ``…abcd``, or nothing at all for a short one."""
    if len(secret) < _MIN_LENGTH_TO_SHOW_TAIL:
        return "(hidden)"
    return "…" + secret[-_SHOWN_TAIL:]


def key_environment(api_key: str) -> str:
    """Gameball's test and live keys share one host; some keys carry their kind as a prefix."""
    if api_key.startswith("gb_test_"):
        return "a test key (test data only)"
    if api_key.startswith("gb_live_"):
        return "a live key (real customers)"
    return "cannot tell test from live by its prefix (the Gameball dashboard shows which)"


def run_check(
    settings: Settings,
    *,
    bot_request: BaseRequest | None = None,
    gameball_transport: httpx.AsyncBaseTransport | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the report; 0 when every check passed, 1 otherwise."""
    return asyncio.run(
        check(
            settings,
            bot_request=bot_request,
            gameball_transport=gameball_transport,
            out=out or sys.stdout,
        )
    )


async def check(
    settings: Settings,
    *,
    bot_request: BaseRequest | None = None,
    gameball_transport: httpx.AsyncBaseTransport | None = None,
    out: TextIO,
) -> int:
    """The report, from inside a running event loop (``run_check`` is the synchronous door)."""
    report = Report(out)
    print(f"Gameball Checkout Bot {__version__}: configuration check", file=out)
    report.section("Configuration")
    check_configuration(settings, report)
    report.section("Telegram")
    await check_telegram(settings, report, bot_request)
    report.section("Gameball")
    await check_gameball(settings, report, gameball_transport)
    report.summary()
    return 1 if report.failures else 0


def check_configuration(settings: Settings, report: Report) -> None:
    """What the settings mean in practice, and whether this machine can hold the bot's data."""
    if settings.gameball_sandbox:
        report.ok("Gameball: embedded sandbox (demo customers, nothing reaches Gameball)")
    else:
        report.ok(f"Gameball: real API at {settings.gameball_base_url}")
    report.ok(_limits_line(settings))
    if settings.customer_id_scheme is CustomerIdScheme.MOBILE:
        report.ok(f"customer IDs: made from the mobile number as {settings.customer_id_template}")
    else:
        report.ok("customer IDs: typed by staff (the merchant's own IDs)")
    report.ok(f"region {settings.default_region}; default language {settings.default_language}")
    report.ok(_fading_line(settings))
    _check_translations(report)
    _check_data_dir(settings.data_dir, settings.database_path, report)
    _check_roles(settings, report)
    _check_webhook(settings, report)


def _limits_line(settings: Settings) -> str:
    """The request rates the bot keeps under, so an operator can compare them with the plan."""
    reads, writes = (
        account_limits(settings.gameball_reads_per_second)[resource]
        for resource in (CUSTOMER_READS, CUSTOMER_WRITES)
    )
    source = "documented" if settings.gameball_reads_per_second is None else "GAMEBALL_LIMITS"
    return (
        f"paces Gameball requests ({source}): customer reads {reads[0].limit}/s and "
        f"{reads[1].limit}/30 s, writes, orders and transactions {writes[0].limit}/s and "
        f"{writes[1].limit}/30 s each"
    )


def _fading_line(settings: Settings) -> str:
    """How long customer data stays readable in staff chats (issue 18)."""
    if not settings.card_ttl:
        return "cards, receipts and sign-ups stay in staff chats (CARD_TTL=0)"
    return f"cards, receipts and sign-ups fade from staff chats after {settings.card_ttl} min"


def _check_translations(report: Report) -> None:
    """The languages staff will really be answered in, from the catalogs this copy found."""
    missing = i18n.missing_catalogs()
    spoken = ", ".join(language for language in SUPPORTED_LANGUAGES if language not in missing)
    report.ok(f"speaks {spoken} (translations from {i18n.LOCALES_DIR})")
    for language in missing:
        report.warn(f"no '{language}' catalog in {i18n.LOCALES_DIR}: those users will see English")


def _check_data_dir(data_dir: Path, database: Path, report: Report) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        report.fail(f"DATA_DIR {data_dir} is not writable: {exc.strerror}")
        return
    if database.exists() and not os.access(database, os.R_OK | os.W_OK):
        report.fail(f"{database} exists but this user (uid {os.getuid()}) cannot write it")
        return
    report.ok(f"DATA_DIR {data_dir.resolve()} is writable")


def _check_roles(settings: Settings, report: Report) -> None:
    managers, staff = len(settings.manager_ids), len(settings.staff_ids)
    counts = f"{managers} manager(s), {staff} staff from MANAGER_IDS/STAFF_IDS"
    if managers:
        report.ok(counts)
    else:
        report.warn(f"{counts}: nobody can /invite staff; /start shows a user's ID to add")


def _check_webhook(settings: Settings, report: Report) -> None:
    if not settings.webhook_url:
        report.ok("webhook: not configured (use `checkout-bot run` for long polling)")
        return
    try:
        endpoint = webhook_endpoint(settings)
    except ConfigError as exc:
        report.fail(str(exc))
        return
    listen = f"{settings.webhook_listen}:{settings.port}"
    report.ok(f"webhook: {endpoint.url}, listening on {listen}, secret set")


async def check_telegram(settings: Settings, report: Report, request: BaseRequest | None) -> None:
    """``getMe`` proves the token; ``getWebhookInfo`` shows Telegram's view of deliveries."""
    token = _revealed(settings.telegram_bot_token)
    if not token:
        report.fail("no TELEGRAM_BOT_TOKEN: every Telegram mode needs one (from @BotFather)")
        return
    host = urlsplit(settings.telegram_base_url).netloc
    try:
        async with Bot(token, base_url=settings.telegram_base_url, request=request) as bot:
            username = bot.username
            webhook = await bot.get_webhook_info()
    except InvalidToken:
        report.fail(
            f"token {secret_tail(token)} rejected by Telegram: copy it again from @BotFather"
        )
        return
    except TelegramError as exc:
        detail = RedactingFilter([token]).redact(exc.message)
        report.fail(f"Telegram Bot API at {host} did not answer: {detail}")
        return
    report.ok(f"getMe: @{username}, token {secret_tail(token)}")
    if not webhook.url:
        report.ok("no webhook registered (long polling, or webhook mode not started yet)")
        return
    report.ok(f"webhook registered: {webhook.url} ({webhook.pending_update_count} pending)")
    if webhook.last_error_message:
        report.warn(f"Telegram's last delivery error: {webhook.last_error_message}")


async def check_gameball(
    settings: Settings, report: Report, transport: httpx.AsyncBaseTransport | None
) -> None:
    """One balance lookup of a customer that cannot exist: 404 means the keys are accepted."""
    api_key, _ = gameball_credentials(settings)
    if not settings.gameball_sandbox:
        report.ok(f"API key {secret_tail(api_key)}: {key_environment(api_key)}")
    async with gameball_client(settings, transport) as client:
        failure = await _balance_probe_failure(client, settings.gameball_base_url)
    if failure:
        report.fail(failure)
    else:
        report.ok("keys accepted (a balance lookup answered as Gameball does)")


async def _balance_probe_failure(client: GameballClient, base_url: str) -> str | None:
    """What went wrong looking up a customer that cannot exist, or None when the keys work."""
    try:
        await client.get_balance(f"checkout-bot-check-{secrets.token_hex(4)}")
    except NotFound:
        return None
    except Unauthorized as exc:
        return (
            f"keys rejected (HTTP {exc.status}): check GAMEBALL_API_KEY and GAMEBALL_SECRET_KEY "
            "(the secret key is the dashboard's transaction key)"
        )
    except Unavailable as exc:
        return f"Gameball at {base_url} unavailable: {exc.message}"
    except GameballError as exc:
        return f"Gameball refused the test lookup (HTTP {exc.status}): {exc.message}"
    return None


def _revealed(secret: SecretStr | None) -> str:
    """The value exactly as the bot will send it, so the check tests what the bot will do."""
    return secret.get_secret_value() if secret is not None else ""
