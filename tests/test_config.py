"""Settings: every PRODUCT §2 variable, one clear line per problem, secrets never shown."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import CheckoutAction, ConfigError, CustomerIdScheme, Settings, load_settings
from bot.domain.orders import Store


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable from this machine and no .env file may leak into these tests."""
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_match_the_product_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    settings = load_settings()
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.gameball_base_url == "https://api.gameball.co"
    assert settings.customer_id_scheme is CustomerIdScheme.ID
    assert settings.customer_id_template == "{e164}"
    assert settings.default_region == "EG"
    assert settings.manager_ids == []
    assert settings.staff_ids == []
    assert settings.data_dir == Path("./data")
    assert settings.default_language == "en"
    assert settings.conversation_timeout == 600
    assert (settings.webhook_listen, settings.port) == ("0.0.0.0", 8080)
    assert (settings.log_level, settings.log_format) == ("INFO", "text")
    assert settings.gameball_reads_per_second is None  # GAMEBALL_LIMITS=documented
    assert settings.checkout_actions is None  # identification only (console mode turns all on)
    assert not any(settings.offers(action) for action in CheckoutAction)
    assert (settings.store_id, settings.branch_id, settings.branch_name) == ("", "", "")
    assert settings.max_order_amount == Decimal(10000)
    assert settings.redeem_otp is False
    assert settings.card_lifetime == timedelta(minutes=30)


def test_values_are_read_from_the_environment_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("GAMEBALL_API_KEY=key-from-file\nGAMEBALL_SECRET_KEY=s3cret\n")
    monkeypatch.setenv("MANAGER_IDS", "11, 22")
    monkeypatch.setenv("STAFF_IDS", "33")
    monkeypatch.setenv("CUSTOMER_ID_SCHEME", "MOBILE")
    monkeypatch.setenv("CUSTOMER_ID_TEMPLATE", "mobile_{digits}")
    monkeypatch.setenv("DEFAULT_REGION", "sa")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.gameball_api_key is not None
    assert settings.gameball_api_key.get_secret_value() == "key-from-file"
    assert settings.manager_ids == [11, 22]
    assert settings.staff_ids == [33]
    assert settings.customer_id_scheme is CustomerIdScheme.MOBILE
    assert settings.default_region == "SA"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "eighty"),
        ("CUSTOMER_ID_SCHEME", "email"),
        ("CUSTOMER_ID_TEMPLATE", "customer_{name}"),
        ("DEFAULT_REGION", "XX"),
        ("MANAGER_IDS", "12,abc"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("LOG_FORMAT", "xml"),
        ("GAMEBALL_BASE_URL", "api.gameball.co"),
        ("CONVERSATION_TIMEOUT", "-5"),
        ("GAMEBALL_LIMITS", "unlimited"),
        ("GAMEBALL_LIMITS", "0"),
        ("GAMEBALL_LIMITS", "0.5"),
        ("CHECKOUT_ACTIONS", "purchase,refund"),
        ("MAX_ORDER_AMOUNT", "ten thousand"),
        ("MAX_ORDER_AMOUNT", "0"),
        ("MAX_ORDER_AMOUNT", "450.505"),
        ("STORE_ID", "S" * 101),
        ("BRANCH_ID", "B\u200f2"),
        ("REDEEM_OTP", "sometimes"),
        ("CARD_TTL", "half an hour"),
        ("CARD_TTL", "-1"),
        ("CARD_TTL", "2.5"),
        ("CARD_TTL", "2881"),
    ],
)
def test_an_invalid_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


@pytest.mark.parametrize(("value", "minutes"), [("0", None), ("45", 45), ("2880", 2880)])
def test_card_ttl_is_minutes_up_to_telegrams_48_hours_and_0_keeps_cards(
    monkeypatch: pytest.MonkeyPatch, value: str, minutes: int | None
) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv("CARD_TTL", value)
    lifetime = load_settings().card_lifetime
    assert lifetime == (None if minutes is None else timedelta(minutes=minutes))


def test_an_invalid_card_ttl_says_what_it_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv("CARD_TTL", "3000")
    with pytest.raises(ConfigError, match=r"^CARD_TTL: must be whole minutes from 0 .* to 2880"):
        load_settings()


def test_an_account_with_other_limits_names_its_customer_reads_per_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv("GAMEBALL_LIMITS", " 250 ")
    assert load_settings().gameball_reads_per_second == 250.0


def test_checkout_actions_and_the_store_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv("CHECKOUT_ACTIONS", " Purchase, REVERSE ,redeem")
    monkeypatch.setenv("STORE_ID", " POP1 ")
    monkeypatch.setenv("STORE_NAME", "City Stars pop-up")
    monkeypatch.setenv("BRANCH_ID", "B2")
    monkeypatch.setenv("MAX_ORDER_AMOUNT", "2500.50")
    monkeypatch.setenv("REDEEM_OTP", "true")
    settings = load_settings()
    assert settings.checkout_actions == set(CheckoutAction)
    assert settings.redeem_otp is True
    assert settings.store == Store("POP1", "City Stars pop-up", "B2", "")
    assert settings.max_order_amount == Decimal("2500.50")


def test_empty_checkout_actions_mean_identification_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv("CHECKOUT_ACTIONS", "")
    settings = load_settings()
    assert settings.checkout_actions == frozenset()
    assert not settings.offers(CheckoutAction.PURCHASE)


def test_gameball_keys_are_required_unless_sandbox() -> None:
    with pytest.raises(ConfigError, match="GAMEBALL_API_KEY is required"):
        load_settings()


def test_the_token_is_required_only_where_telegram_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    settings = load_settings()
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        _ = settings.token


def test_secrets_never_appear_in_reprs_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAAA-super-secret-token-value-xyz")
    monkeypatch.setenv("GAMEBALL_API_KEY", "gb_live_secret_api_key")
    monkeypatch.setenv("GAMEBALL_SECRET_KEY", "gb_secret_value")
    settings = load_settings()
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "super-secret" not in text
        assert "gb_live_secret_api_key" not in text
        assert "gb_secret_value" not in text
    monkeypatch.setenv("PORT", "gb_secret_value")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "gb_secret_value" not in str(caught.value)


# --- the scanner page (PRODUCT §9) ------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["http://bot.example.com/scan", "bot.example.com/scan", "https://"]
)
def test_a_scanner_page_that_telegram_would_not_open_stops_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv("SCANNER_URL", value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith("SCANNER_URL: must be the https:// address")
    assert "\n" not in str(error.value)


def test_an_empty_scanner_url_means_no_scan_button(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMEBALL_SANDBOX", "true")
    monkeypatch.setenv("SCANNER_URL", "  ")
    assert load_settings().scanner_url is None
    monkeypatch.setenv("SCANNER_URL", " https://bot.example.com/scan ")
    assert load_settings().scanner_url == "https://bot.example.com/scan"


@pytest.mark.parametrize(
    ("base", "files"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),  # self-hosted Bot API
    ],
)
def test_photos_are_downloaded_from_the_configured_bot_api_server(base: str, files: str) -> None:
    settings = Settings(_env_file=None, gameball_sandbox=True, telegram_base_url=base)
    assert settings.telegram_file_url == files
