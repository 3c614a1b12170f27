"""``checkout-bot check``: the report an operator reads, and its exit code."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.error import NetworkError
from telegram.request import BaseRequest

from bot.check import key_environment, run_check, secret_tail
from bot.config import Settings
from bot.sandbox import Sandbox
from tests.fakes.telegram import FakeTelegram, OfflineBotRequest

API_KEY = "gb_test_0123456789abcdefWXYZ"
SECRET_KEY = "secret-key-9876543210-QRST"


def settings_for(fake: FakeTelegram, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": fake.token,
        "gameball_sandbox": True,
        "data_dir": data_dir,
        "manager_ids": [4242],
    }
    return Settings(_env_file=None, **(values | overrides))


def report_of(
    settings: Settings,
    fake: FakeTelegram,
    *,
    gameball: httpx.AsyncBaseTransport | None = None,
    bot_request: BaseRequest | None = None,
) -> tuple[int, str]:
    out = io.StringIO()
    request = bot_request or OfflineBotRequest(fake)
    code = run_check(settings, bot_request=request, gameball_transport=gameball, out=out)
    return code, out.getvalue()


def real_api_settings(fake: FakeTelegram, data_dir: Path, api_key: str = API_KEY) -> Settings:
    return settings_for(
        fake,
        data_dir,
        gameball_sandbox=False,
        gameball_api_key=api_key,
        gameball_secret_key=SECRET_KEY,
        gameball_deadline=0.5,
    )


def test_all_good_passes_and_names_the_bot(tmp_path: Path) -> None:
    fake = FakeTelegram(username="till_bot")

    code, report = report_of(settings_for(fake, tmp_path), fake)

    assert code == 0
    assert "@till_bot" in report
    assert "sandbox" in report
    assert "FAIL" not in report
    assert report.rstrip().endswith("All checks passed.")
    assert fake.token not in report


def test_real_keys_accepted_and_their_kind_is_told(tmp_path: Path) -> None:
    fake = FakeTelegram()
    gameball = Sandbox(api_key=API_KEY, secret_key=SECRET_KEY)

    code, report = report_of(real_api_settings(fake, tmp_path), fake, gameball=gameball.transport())

    assert code == 0
    assert "keys accepted" in report
    assert "a test key" in report
    assert gameball.requests, "the check must make a real Gameball call"
    assert API_KEY not in report
    assert SECRET_KEY not in report


def test_rejected_keys_fail_without_revealing_them(tmp_path: Path) -> None:
    fake = FakeTelegram()
    gameball = Sandbox(api_key="gb_live_the-right-key-0000", secret_key="the-right-secret-0000")

    code, report = report_of(real_api_settings(fake, tmp_path), fake, gameball=gameball.transport())

    assert code == 1
    assert "keys rejected (HTTP 401)" in report
    assert API_KEY not in report
    assert SECRET_KEY not in report
    assert "…WXYZ" in report  # enough to tell which key is configured


def test_unreachable_gameball_fails(tmp_path: Path) -> None:
    fake = FakeTelegram()
    gameball = Sandbox(api_key=API_KEY, secret_key=SECRET_KEY)
    gameball.set_down(0)  # every connection dropped

    code, report = report_of(real_api_settings(fake, tmp_path), fake, gameball=gameball.transport())

    assert code == 1
    assert "unavailable" in report


def test_token_rejected_by_telegram_fails_without_revealing_it(tmp_path: Path) -> None:
    fake = FakeTelegram()
    token = "654321:ANOTHER-token-that-telegram-refuses"

    code, report = report_of(settings_for(fake, tmp_path, telegram_bot_token=token), fake)

    assert code == 1
    assert "rejected by Telegram" in report
    assert token not in report
    assert "getMe: @" not in report


def test_missing_token_fails(tmp_path: Path) -> None:
    fake = FakeTelegram()

    code, report = report_of(settings_for(fake, tmp_path, telegram_bot_token=None), fake)

    assert code == 1
    assert "no TELEGRAM_BOT_TOKEN" in report
    assert not fake.calls


class _UnreachableBotApi(OfflineBotRequest):
    """A network failure whose message holds the URL, token included, as httpx errors can."""

    async def do_request(self, url: str, *_: Any, **__: Any) -> tuple[int, bytes]:
        raise NetworkError(f"could not connect to {url}")


def test_unreachable_telegram_fails_and_the_token_stays_hidden(tmp_path: Path) -> None:
    fake = FakeTelegram()

    code, report = report_of(
        settings_for(fake, tmp_path), fake, bot_request=_UnreachableBotApi(fake)
    )

    assert code == 1
    assert "did not answer" in report
    assert fake.token not in report


def test_unwritable_data_dir_fails(tmp_path: Path) -> None:
    fake = FakeTelegram()
    occupied = tmp_path / "a-file"
    occupied.write_text("not a directory")

    code, report = report_of(settings_for(fake, occupied / "data"), fake)

    assert code == 1
    assert "is not writable" in report


def test_invalid_webhook_settings_fail(tmp_path: Path) -> None:
    fake = FakeTelegram()
    settings = settings_for(fake, tmp_path, webhook_url="http://bot.example.com/hook")

    code, report = report_of(settings, fake)

    assert code == 1
    assert "WEBHOOK_URL must be an https:// URL" in report


def test_no_manager_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    fake = FakeTelegram()

    code, report = report_of(settings_for(fake, tmp_path, manager_ids=[]), fake)

    assert code == 0
    assert "nobody can /invite staff" in report


def test_reports_the_languages_the_bot_speaks(tmp_path: Path) -> None:
    fake = FakeTelegram()

    code, report = report_of(settings_for(fake, tmp_path), fake)

    assert code == 0
    assert "speaks en, ar" in report
    assert "warn" not in report


@pytest.mark.parametrize(
    ("card_ttl", "line"),
    [
        (30, "  ok   cards, receipts and sign-ups fade from staff chats after 30 min"),
        (0, "  ok   cards, receipts and sign-ups stay in staff chats (CARD_TTL=0)"),
    ],
)
def test_reports_how_long_cards_stay_readable(tmp_path: Path, card_ttl: int, line: str) -> None:
    fake = FakeTelegram()

    _, report = report_of(settings_for(fake, tmp_path, card_ttl=card_ttl), fake)

    assert line in report.splitlines()[2:10]


def test_a_missing_catalog_is_a_warning_naming_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeTelegram()
    nowhere = tmp_path / "no-locales"
    monkeypatch.setattr("bot.i18n.LOCALES_DIR", nowhere)

    code, report = report_of(settings_for(fake, tmp_path), fake)

    assert code == 0
    assert "speaks en (" in report
    assert f"no 'ar' catalog in {nowhere}: those users will see English" in report


@pytest.mark.parametrize(
    ("api_key", "kind"),
    [
        ("gb_test_abcdef", "a test key"),
        ("gb_live_abcdef", "a live key"),
        ("0f9e8d7c6b5a", "cannot tell"),
    ],
)
def test_key_environment_from_its_prefix(api_key: str, kind: str) -> None:
    assert key_environment(api_key).startswith(kind)


def test_only_the_tail_of_a_long_secret_is_shown() -> None:
    assert secret_tail("abcdefghijklmnop") == "…mnop"
    assert "wxyz" not in secret_tail("short-wxyz")


def test_reports_the_webhook_telegram_delivers_to(tmp_path: Path) -> None:
    fake = FakeTelegram()
    fake.handle("setWebhook", {"url": "https://bot.example.com/tg", "secret_token": "abc"})

    code, report = report_of(settings_for(fake, tmp_path), fake)

    assert code == 0
    assert "webhook registered: https://bot.example.com/tg (0 pending)" in report
    assert "abc" not in report


@pytest.mark.parametrize(
    ("limits", "line"),
    [
        ("documented", "paces Gameball requests (documented): customer reads 100/s and 1200/30 s"),
        ("50", "paces Gameball requests (GAMEBALL_LIMITS): customer reads 50/s and 600/30 s"),
    ],
)
def test_reports_the_request_rates_the_bot_keeps_under(
    tmp_path: Path, limits: str, line: str
) -> None:
    fake = FakeTelegram()

    code, report = report_of(settings_for(fake, tmp_path, gameball_limits=limits), fake)

    assert code == 0
    assert line in report
