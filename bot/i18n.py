"""Translations: gettext catalogs in ``locales/<lang>/LC_MESSAGES/bot.po``.

Catalogs are compiled in memory from the ``.po`` sources at first use (a few milliseconds), so a
fresh checkout needs no build step; a compiled ``bot.mo`` next to the source is used when it is
at least as new. Message ids are the English texts, with ``{named}`` placeholders filled by
``str.format`` after translation.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.config import SUPPORTED_LANGUAGES

DOMAIN = "bot"
LOCALES_DIR = Path(
    os.environ.get("CHECKOUT_BOT_LOCALES", Path(__file__).resolve().parents[1] / "locales")
)

#: Names shown in the language picker, each in its own language.
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "ar": "العربية"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where shown)."""
    return message


@cache
def _translations(language: str) -> NullTranslations:
    """Load one language's catalog; English falls back to the message ids themselves."""
    source = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    compiled = source.with_suffix(".mo")
    if compiled.exists() and (
        not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        with compiled.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if not source.exists():
        return NullTranslations()
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def normalise_language(code: str | None) -> str | None:
    """``"ar-EG"`` → ``"ar"``; ``None`` for languages the bot does not speak."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else None


@dataclass(frozen=True)
class Translator:
    """Translates and formats messages for one language."""

    language: str

    def __call__(self, message: str, /, **values: object) -> str:
        """Translate ``message`` and fill its ``{placeholders}``."""
        text = _translations(self.language).gettext(message)
        return text.format(**values) if values else text

    @property
    def locale(self) -> Locale:
        """Babel's locale for formatting numbers, money and dates in this language."""
        return _locale(self.language)


@cache
def _locale(language: str) -> Locale:
    """Parsed once: Babel parses a locale code anew on every call that is given one."""
    return Locale.parse(language)


def translator(language: str) -> Translator:
    """A translator for a supported language code."""
    return Translator(language if language in SUPPORTED_LANGUAGES else SUPPORTED_LANGUAGES[0])
