"""Logging hygiene (PRODUCT §5): no secret at any level, contact data masked, JSON lines.

The bot token is part of every Bot API URL, and python-telegram-bot and httpx log URLs, call
parameters and whole updates at DEBUG. So the checks run a real checkout over real sockets: the
production request objects against the fake Bot API on 127.0.0.1, the production Gameball
client against the sandbox served over HTTP, with logging configured as ``checkout-bot`` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotApplication, build_application
from bot.logs import RedactingFilter, configure_logging, hide_in_logs
from bot.sandbox import Sandbox, serve
from bot.services.customers import CustomerService
from tests.chat.harness import STAFF, make_settings, running
from tests.fakes.telegram import FakeTelegram, FakeTelegramServer
from tests.images import GAMEBALL_HASH, phone_photo, qr_code

#: Shaped like the real things, so that only the configured secrets list can hide them. (The
#: token is assembled so that no token-shaped string sits in the repository for scanners.)
TOKEN = "7412589630" + ":" + "AAHk3lW9xQ2mZp8vR4tYb6nC1dE5fG7hJ0k"
API_KEY = "gb-api-7c9e6679f4b54e1c"
SECRET_KEY = "gb-secret-c56a4180e2b9"
SECRETS = (TOKEN, API_KEY, SECRET_KEY)
MOBILE = "0101 987 6543"  # a new customer's
MOBILE_DIGITS = "1019876543"  # in +201019876543 and in 01019876543 alike
DEMO_MOBILE_DIGITS = "1001234567"  # of +201001234567, a demo customer's mobile and ID
EMAIL_LOCAL_PART = "ona.hassan@"  # of Mona.Hassan@Example.com; the first letter may stay
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def logging_as_in_production(level: str, fmt: str) -> Iterator[None]:
    """``configure_logging`` as ``checkout-bot`` calls it; pytest's own handlers come back after."""
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    quietened = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    configure_logging(level, fmt, SECRETS)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, quiet_level in quietened.items():
            logging.getLogger(name).setLevel(quiet_level)


@asynccontextmanager
async def polling_bot(tmp_path: Path, **overrides: Any) -> AsyncIterator[FakeTelegram]:
    """The production application, long polling the fake Bot API, Gameball over HTTP."""
    fake = FakeTelegram(token=TOKEN)
    sandbox = Sandbox(api_key=API_KEY, secret_key=SECRET_KEY)
    gameball = await serve(sandbox, port=0)
    try:
        async with FakeTelegramServer(fake) as telegram:
            settings = make_settings(
                tmp_path,
                telegram_bot_token=TOKEN,
                telegram_base_url=telegram.base_url,
                gameball_sandbox=False,
                gameball_api_key=API_KEY,
                gameball_secret_key=SECRET_KEY,
                gameball_base_url=gameball.url,
                **overrides,
            )
            application = build_application(settings, rate_limiter=False)
            await start(application)
            try:
                yield fake
            finally:
                fake.release_pollers()
                await stop(application)
    finally:
        await gameball.stop()


async def start(application: BotApplication) -> None:
    """What ``run_polling`` does before it blocks."""
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(timeout=1)
    await application.start()


async def stop(application: BotApplication) -> None:
    assert application.updater is not None
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    assert application.post_shutdown is not None
    await application.post_shutdown(application)


async def say(fake: FakeTelegram, text: str, expect: str) -> None:
    fake.user_text(STAFF, text)
    await fake.wait_for_message(STAFF, expect, timeout=10)


async def tap(fake: FakeTelegram, label: str, expect: str) -> None:
    fake.press_label(STAFF, label, exact=True)
    await fake.wait_for_message(STAFF, expect, timeout=10)


async def sign_up_mona(fake: FakeTelegram, customer_id: str) -> None:
    """A new customer, with a mobile and an email, from the first message to the card."""
    await say(fake, customer_id, "Create a loyalty profile")
    await tap(fake, "Create profile", "name")
    await say(fake, "Mona Hassan", "mobile")
    await say(fake, MOBILE, "email")
    await say(fake, "Mona.Hassan@Example.com", "New customer")
    await tap(fake, "Create", "Stars")


def assert_hygienic(output: str, mobile_digits: str = MOBILE_DIGITS) -> None:
    for secret in SECRETS:
        assert secret not in output
    assert mobile_digits not in output
    assert EMAIL_LOCAL_PART not in output.lower()


# --- secrets and contacts at DEBUG ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "template", "customer_id"),
    [
        ("id", "{e164}", "walk-in-7"),
        ("mobile", "{e164}", MOBILE),
        ("mobile", "mobile_{digits}", MOBILE),
    ],
)
async def test_debug_logs_of_a_sign_up_hide_secrets_mobiles_and_emails(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    scheme: str,
    template: str,
    customer_id: str,
) -> None:
    overrides = {"customer_id_scheme": scheme, "customer_id_template": template}
    with logging_as_in_production("DEBUG", "text"):
        async with polling_bot(tmp_path, **overrides) as fake:
            if scheme == "id":
                await sign_up_mona(fake, customer_id)
            else:  # the mobile is the ID: the mobile step is skipped
                await say(fake, customer_id, "Create a loyalty profile")
                await tap(fake, "Create profile", "name")
                await say(fake, "Mona Hassan", "email")
                await say(fake, "Mona.Hassan@Example.com", "New customer")
                await tap(fake, "Create", "Stars")
            assert not fake.rejected
    output = capsys.readouterr().err
    # The libraries and the bot did log what makes this test meaningful: the Bot API URL (it
    # holds the token), the calls' parameters, updates, the Gameball calls.
    assert "Set Bot API URL: http://127.0.0.1:" in output
    assert "endpoint `getUpdates`" in output
    assert "endpoint `sendMessage`" in output
    assert "POST upsert customer=" in output
    assert "Processing update" in output
    assert "20•••••••543" in output
    assert "•••@example.com" in output
    assert_hygienic(output)


async def test_a_balance_looked_up_by_mobile_leaves_no_mobile_in_the_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scheme ``id`` with an ID that is a mobile: Gameball's URL carries it (``%2B2010…``)."""
    with logging_as_in_production("DEBUG", "text"):
        async with polling_bot(tmp_path) as fake:
            await say(fake, "/balance +201001234567", "Mariam Adel")  # a demo customer
    output = capsys.readouterr().err
    assert "GET balance customer=+2… status=200" in output
    assert_hygienic(output, DEMO_MOBILE_DIGITS)


# --- JSON lines -----------------------------------------------------------------------------------


async def test_json_format_writes_one_object_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with logging_as_in_production("DEBUG", "json"):
        async with polling_bot(tmp_path) as fake:
            await sign_up_mona(fake, "walk-in-8")
    output = capsys.readouterr().err
    entries = [json.loads(line) for line in output.splitlines()]
    assert len(entries) > 20
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
    assert {"DEBUG", "INFO"} <= {entry["level"] for entry in entries}
    assert any(entry["logger"].startswith("telegram") for entry in entries)
    assert_hygienic(output)


# --- a crash in a handler -------------------------------------------------------------------------


async def explode(*_: object, **__: object) -> None:
    raise RuntimeError(f"boom +201001234567 for {API_KEY}")


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_a_crashing_handler_is_logged_masked_and_the_user_gets_only_an_apology(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    monkeypatch.setattr(CustomerService, "lookup", explode)
    fake = FakeTelegram(token=TOKEN)
    with logging_as_in_production("INFO", fmt):
        async with running(
            make_settings(tmp_path, telegram_bot_token=TOKEN), fake, Sandbox()
        ) as bot:
            sent = await bot.text(STAFF, "demo-1001")
    output = capsys.readouterr().err

    assert [message["text"] for message in sent] == [
        "Sorry, something went wrong on our side. Please try again, or /cancel and start over."
    ]
    assert "Traceback" in output
    assert "RuntimeError: boom +20•••••••567 for ***" in output
    assert "handler failed for Update from user" in output
    assert_hygienic(output, DEMO_MOBILE_DIGITS)
    if fmt == "json":
        entries = [json.loads(line) for line in output.splitlines()]
        (failure,) = [entry for entry in entries if entry["level"] == "ERROR"]
        assert "RuntimeError: boom +20•••••••567" in failure["exception"]


# --- a token Telegram refuses at start-up ---------------------------------------------------------


async def test_a_rejected_token_stops_start_up_with_one_line_that_does_not_show_it(
    tmp_path: Path,
) -> None:
    """PTB puts the token in the text of ``InvalidToken``; it must not reach the terminal."""
    async with FakeTelegramServer(FakeTelegram()) as telegram:  # knows another token
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env={
                "PATH": os.environ.get("PATH", ""),
                "PYTHONPATH": str(ROOT),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": telegram.base_url,
                "GAMEBALL_SANDBOX": "true",
                "DATA_DIR": str(tmp_path),
            },
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    text = output.decode()
    assert process.returncode != 0
    assert TOKEN not in text
    assert "Traceback" not in text
    assert "TELEGRAM_BOT_TOKEN" in text


# --- scanned codes ----------------------------------------------------------------------------


async def test_debug_logs_never_show_the_hash_of_a_scanned_gameball_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Scan button's text arrives in an update, which PTB logs whole at DEBUG; an unknown
    customer's code is also tried whole, as an ID in a Gameball URL. Neither may leave the
    customer's hash in a log. (IDs ending in a letter: the phone masking cannot hide it.)"""
    with logging_as_in_production("DEBUG", "text"):
        async with polling_bot(tmp_path / "polling") as fake:
            fake.user_web_app_data(STAFF, "walk-in-x" + GAMEBALL_HASH)
            await fake.wait_for_message(STAFF, "Create a loyalty profile", timeout=10)
        async with running(make_settings(tmp_path / "offline"), FakeTelegram(), Sandbox()) as bot:
            await bot.photo(STAFF, phone_photo(qr_code("walk-in-y" + GAMEBALL_HASH)))
    output = capsys.readouterr().err
    assert "web_app_data" in output  # PTB did log the update that carried the code
    assert output.count("GET balance customer=wa…") >= 3  # the look-ups, the whole code too
    assert "endpoint `getFile`" in output  # and the photo's download
    assert GAMEBALL_HASH not in output


def test_what_a_mini_app_sent_and_a_kept_hash_are_cut_from_any_log_line() -> None:
    redact = RedactingFilter().redact
    update = "web_app_data=WebAppData(button_text='Scan', data='a)\\'}s3cr'), update_id=1)"
    answer = "{'web_app_data': {'data': 'a}{\"s3cr', 'button_text': 'Scan'}}, 'date': 1"
    assert redact(update) == "web_app_data=***, update_id=1)"
    assert redact(answer) == "{'web_app_data': ***}, 'date': 1"
    hide_in_logs("907153", seconds=60)
    assert redact("GET /customers/demo-1001907153/balance") == "GET /customers/demo-1001***/balance"
