"""Translations: gettext catalogs, edited in ``locales/<lang>/LC_MESSAGES/bot.po``.

An installed copy carries them compiled in ``bot/locales/`` (``setup.py`` builds them into every
wheel); a checkout or an editable install reads the top-level ``locales/``, compiling a ``.po``
in memory at first use (a few milliseconds), so a fresh clone needs no build step; a compiled
``bot.mo`` next to its source is used when it is at least as new. ``CHECKOUT_BOT_LOCALES``
overrides both. Message ids are the English texts, with ``{named}`` placeholders filled by
``str.format`` after translation.
"""

from __future__ import annotations

import io
import logging
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

log = logging.getLogger(__name__)

DOMAIN = "bot"


def _locales_dir() -> Path:
    """``CHECKOUT_BOT_LOCALES``, else the package's own catalogs, else the checkout's.

    Only a built package has ``bot/locales/`` (compiled by ``setup.py``); a checkout or an
    editable install has the sources in ``locales/`` beside ``bot/``.
    """
    override = os.environ.get("CHECKOUT_BOT_LOCALES")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent
    packaged = package / "locales"
    return packaged if packaged.is_dir() else package.parent / "locales"


LOCALES_DIR = _locales_dir()

#: Names shown in the language picker, each in its own language.
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "ar": "العربية"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where shown)."""
    return message


def _translations(language: str) -> NullTranslations:
    """One language's catalog, cached per folder so a changed ``LOCALES_DIR`` is seen."""
    return _catalog(LOCALES_DIR, language)


@cache
def _catalog(directory: Path, language: str) -> NullTranslations:
    """Load a catalog once; without one, gettext shows the English message ids themselves."""
    source = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
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


def missing_catalogs() -> list[str]:
    """Supported languages whose users would get English because no catalog was found.

    English is not among them: its texts are the message ids themselves.
    """
    return [
        language
        for language in SUPPORTED_LANGUAGES[1:]
        if not isinstance(_translations(language), Translations)
    ]


def warn_about_missing_catalogs() -> None:
    """One warning line at start-up: a package built without its catalogs is otherwise silent."""
    missing = missing_catalogs()
    if missing:
        log.warning(
            "no translation catalog for %s in %s: those users will see English",
            ", ".join(missing),
            LOCALES_DIR,
        )


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
