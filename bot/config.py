"""Settings from the environment (and `.env`), validated once at start-up (PRODUCT §2).

Every problem is reported as one line naming the variable, so an operator can fix a deployment
without reading a traceback. Secrets are ``SecretStr`` and never printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import phonenumbers
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.contacts import InvalidInput, validate_id_template
from bot.domain.orders import MAX_STORE_FIELD, STORE_FIELD_TOO_LONG, Store, store_field

SUPPORTED_LANGUAGES = ("en", "ar")


class CustomerIdScheme(StrEnum):
    """How staff identify a customer: by the merchant's ID, or by mobile (ID derived)."""

    ID = "id"
    MOBILE = "mobile"


class CheckoutAction(StrEnum):
    """What the card offers beyond identification (PRODUCT §8)."""

    PURCHASE = "purchase"
    REDEEM = "redeem"
    REVERSE = "reverse"


#: Telegram lets a bot edit its messages for 48 hours (issue 18): a card must fade before that.
MAX_CARD_TTL = 48 * 60


class ConfigError(Exception):
    """Configuration is missing or invalid; ``str()`` is the one line shown to the operator."""


def _parse_id_list(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple):
        return [int(v) for v in value]
    items = [item.strip() for item in str(value).split(",")]
    ids = []
    for item in items:
        if not item:
            continue
        if not item.lstrip("-").isdigit():
            raise ValueError(f"{item!r} is not a Telegram user ID (digits only)")
        ids.append(int(item))
    return ids


def _parse_actions(value: object) -> frozenset[CheckoutAction] | None:
    """``purchase, reverse`` → those actions; unset stays None, so console mode can choose."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else [str(v) for v in _iterable(value)]
    actions = set()
    for item in (item.strip() for item in items):
        if not item:
            continue
        if item.lower() not in set(CheckoutAction):
            choices = ", ".join(CheckoutAction)
            raise ValueError(f"{item!r} is not a checkout action (use {choices})")
        actions.add(CheckoutAction(item.lower()))
    return frozenset(actions)


def _iterable(value: object) -> Iterable[object]:
    if not isinstance(value, Iterable):
        raise ValueError("must be a comma-separated list, e.g. purchase,reverse")
    return value


def _merchant_field(value: str) -> str:
    try:
        return store_field(value)
    except InvalidInput as exc:
        if exc.reason == STORE_FIELD_TOO_LONG:
            raise ValueError(f"must be at most {MAX_STORE_FIELD} characters") from None
        raise ValueError("must not contain control or invisible characters") from None


class Settings(BaseSettings):
    """All configuration of the bot; names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    gameball_api_key: SecretStr | None = None
    gameball_secret_key: SecretStr | None = None
    gameball_base_url: str = "https://api.gameball.co"
    gameball_sandbox: bool = False
    gameball_deadline: float = Field(10.0, gt=0, le=120)
    gameball_limits: str = "documented"
    customer_id_scheme: CustomerIdScheme = CustomerIdScheme.ID
    customer_id_template: str = "{e164}"
    default_region: str = "EG"
    manager_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    staff_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    data_dir: Path = Path("./data")
    default_language: Literal["en", "ar"] = "en"
    conversation_timeout: float = Field(600, gt=0)
    card_ttl: int = 30
    store_name: str = ""
    scanner_url: str | None = None
    checkout_actions: Annotated[frozenset[CheckoutAction] | None, NoDecode] = None
    store_id: str = ""
    branch_id: str = ""
    branch_name: str = ""
    max_order_amount: Decimal = Field(Decimal(10000), gt=0, le=10**12, decimal_places=2)
    redeem_otp: bool = False
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    port: int = Field(8080, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("manager_ids", "staff_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> list[int]:
        return _parse_id_list(value)

    @field_validator("checkout_actions", mode="before")
    @classmethod
    def _actions(cls, value: object) -> frozenset[CheckoutAction] | None:
        return _parse_actions(value)

    @field_validator("store_id", "branch_id", "branch_name")
    @classmethod
    def _merchant(cls, value: str) -> str:
        return _merchant_field(value)

    @field_validator("card_ttl", mode="before")
    @classmethod
    def _card_ttl(cls, value: object) -> int:
        """Whole minutes, 0 (off) up to the 48 hours in which Telegram still allows the edit."""
        text = str(value).strip()
        if not text.isdecimal() or int(text) > MAX_CARD_TTL:
            raise ValueError(
                f"must be whole minutes from 0 (cards never fade) to {MAX_CARD_TTL} "
                "(48 hours, after which Telegram no longer lets the bot edit a card), e.g. 30"
            )
        return int(text)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("default_language", "log_format", "customer_id_scheme", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS or not phonenumbers.example_number_for_type(
            region, phonenumbers.PhoneNumberType.MOBILE
        ):
            raise ValueError(f"{value!r} is not an ISO 3166 region phonenumbers knows (e.g. EG)")
        return region

    @field_validator("customer_id_template")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            return validate_id_template(value)
        except InvalidInput as exc:
            raise ValueError("must contain {e164} or {digits}, e.g. mobile_{digits}") from exc

    @field_validator("telegram_base_url", "gameball_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("gameball_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        text = value.strip().lower()
        if text == "documented":
            return text
        try:
            rate = float(text)
        except ValueError:
            rate = 0.0
        if not 1 <= rate <= 10_000:
            raise ValueError(
                "must be 'documented' or the customer reads per second your account allows "
                "(1 to 10000), e.g. 50"
            )
        return text

    @field_validator("scanner_url", mode="before")
    @classmethod
    def _scanner(cls, value: object) -> object:
        """Telegram opens Mini Apps over HTTPS only; an empty value means no Scan button."""
        text = value.strip() if isinstance(value, str) else value
        if text in (None, ""):
            return None
        parts = urlsplit(str(text))
        if parts.scheme != "https" or not parts.hostname or parts.fragment:
            raise ValueError(
                "must be the https:// address of the scanner page, e.g. https://bot.example.com/scan"
            )
        return text

    @field_validator("store_name")
    @classmethod
    def _store(cls, value: str) -> str:
        return value.strip()[:100]

    @model_validator(mode="after")
    def _gameball_keys(self) -> Settings:
        if not self.gameball_sandbox:
            for name in ("gameball_api_key", "gameball_secret_key"):
                secret = getattr(self, name)
                if secret is None or not secret.get_secret_value().strip():
                    raise ValueError(f"{name.upper()} is required unless GAMEBALL_SANDBOX=true")
        return self

    @property
    def token(self) -> str:
        """The bot token; raises :class:`ConfigError` for the Telegram modes that need one."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError("TELEGRAM_BOT_TOKEN is required (get one from @BotFather)")
        return self.telegram_bot_token.get_secret_value()

    @property
    def card_lifetime(self) -> timedelta | None:
        """How long a card stays readable in the chat; None when cards never fade."""
        return timedelta(minutes=self.card_ttl) if self.card_ttl else None

    @property
    def gameball_reads_per_second(self) -> float | None:
        """``GAMEBALL_LIMITS`` as a number, or None for Gameball's documented limits."""
        return None if self.gameball_limits == "documented" else float(self.gameball_limits)

    def offers(self, action: CheckoutAction) -> bool:
        """Whether ``CHECKOUT_ACTIONS`` switches this till action on."""
        return action in (self.checkout_actions or ())

    @property
    def store(self) -> Store:
        """This till's store and branch, as orders and refunds name them to Gameball."""
        return Store(self.store_id, self.store_name, self.branch_id, self.branch_name)

    @property
    def telegram_file_url(self) -> str:
        """Where files are downloaded: ``…/file/bot`` beside ``…/bot`` (self-hosted servers too)."""
        base = self.telegram_base_url
        if base.endswith("/bot"):
            return base.removesuffix("bot") + "file/bot"
        return "https://api.telegram.org/file/bot"

    @property
    def database_path(self) -> Path:
        """The one SQLite file the bot keeps its state in."""
        return self.data_dir / "checkout-bot.sqlite3"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem as ``VARIABLE: reason``: enough to fix it, never a secret's value."""
    error = exc.errors()[0]
    location = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if not location:
        return f"Invalid configuration: {message}"
    return f"{location[0].upper()}: {message}"
