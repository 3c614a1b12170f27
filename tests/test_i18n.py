"""The message catalogs keep up with the code.

Why: a text added or reworded in ``bot/`` without a catalog update reaches Arabic-speaking staff in
English, a lost ``{placeholder}`` makes ``str.format`` raise in the middle of a checkout, and a
changed HTML tag makes Telegram refuse the whole message. The texts are taken from the code with
Babel's extractor (the one ``make catalogs`` uses), not from ``locales/bot.pot``, so forgetting to
run ``make catalogs`` fails here too.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.app import MANAGER_COMMANDS, STAFF_COMMANDS
from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import normalise_language, translator

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "bot"
LOCALES = REPO / "locales"
CONTRACTS = REPO / "contracts"

#: What `make catalogs` passes to `pybabel extract` as `-k t -k N_`.
KEYWORDS = {"t": None, "N_": None}
#: The tags Telegram's HTML parse mode knows; a translation must keep the msgid's ones.
TELEGRAM_TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|a|tg-emoji|code|pre|blockquote)"
    r"(?:\s[^<>]*)?>"
)
ARABIC_LETTER = re.compile("[\u0621-\u064a]")
TO_UPDATE = "run `make catalogs`, then translate in locales/ar/LC_MESSAGES/bot.po"


@cache
def marked_texts() -> dict[str, list[str]]:
    """Every text marked with ``t("…")`` or ``N_("…")`` in bot/, with where it is marked."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        SOURCE, keywords=KEYWORDS
    ):
        found.setdefault(message, []).append(f"bot/{filename}:{lineno}")
    return found


@cache
def catalog(language: str) -> Catalog:
    """One language's catalog as translators edit it (the .po source, not a compiled .mo)."""
    with (LOCALES / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        return read_po(handle, locale=language, domain="bot")


def entries(language: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every translated entry in a catalog, header excluded."""
    return [(m.id, m.string) for m in catalog(language) if m.id and m.string]


def placeholders(text: str) -> Counter[str]:
    """The ``{names}`` ``str.format`` fills in; a malformed brace counts as ``<broken>``."""
    try:
        return Counter(field for _, field, _, _ in Formatter().parse(text) if field is not None)
    except ValueError:
        return Counter({"<broken>": 1})


def markup(text: str) -> Counter[str]:
    """Telegram tags, plus how many characters HTML treats specially (a stray ``<`` or ``&``)."""
    found = Counter(TELEGRAM_TAG.findall(text))
    found.update({f"count of {char}": text.count(char) for char in "<>&"})
    return found


def invisible_to_extraction(path: Path) -> Iterator[tuple[int, str | None]]:
    """Texts a user would see that Babel's keyword scan cannot pick up (``None``: an f-string).

    ``context.t(update)("…")`` and ``t.plural("…", …)`` look like translations but are not
    extracted, and an f-string is already formatted before it could be looked up.
    """
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if _is_keyword(node.func) and isinstance(first, ast.JoinedStr):
            yield node.lineno, None
        elif _is_unextracted_translation(node.func) and isinstance(first, ast.Constant):
            yield node.lineno, str(first.value)


def _is_keyword(callee: ast.expr) -> bool:
    return isinstance(callee, ast.Name) and callee.id in KEYWORDS


def _is_unextracted_translation(callee: ast.expr) -> bool:
    """``something.t(update)(…)`` or ``….plural(…)``."""
    if isinstance(callee, ast.Attribute):
        return callee.attr == "plural"
    return (
        isinstance(callee, ast.Call)
        and isinstance(callee.func, ast.Attribute)
        and callee.func.attr == "t"
    )


def telegram_length_limit(type_name: str, field_name: str) -> tuple[int, int]:
    """The ``1-256 characters`` range Telegram's documentation gives a field."""
    spec = json.loads((CONTRACTS / "telegram-bot-api.json").read_text(encoding="utf-8"))
    field = next(f for f in spec["types"][type_name]["fields"] if f["name"] == field_name)
    limit = re.search(r"(\d+)-(\d+) characters", field["description"])
    assert limit is not None, field["description"]
    return int(limit[1]), int(limit[2])


def test_the_code_marks_texts_for_translation() -> None:
    # Guards the tests below against passing vacuously if extraction silently found nothing.
    assert "Cancelled. Send the next customer's ID when ready." in marked_texts()


def test_no_shown_text_escapes_extraction() -> None:
    escaped = [
        f"bot/{path.relative_to(SOURCE)}:{line}: {text!r}"
        for path in sorted(SOURCE.rglob("*.py"))
        for line, text in sorted(invisible_to_extraction(path), key=lambda hit: hit[0])
        if text is None or text not in marked_texts()
    ]
    assert not escaped, (
        "These texts are never translated: bind `t = context.t(update)` and call `t('…')`, and "
        "pass values as t('… {name}', name=…) instead of an f-string:\n" + "\n".join(escaped)
    )


def test_every_marked_text_has_an_arabic_translation() -> None:
    arabic = catalog("ar")
    untranslated = [
        f"{where[0]}: {text!r}"
        for text, where in sorted(marked_texts().items())
        if text not in arabic or not arabic[text].string or arabic[text].fuzzy
    ]
    assert not untranslated, f"Untranslated in ar ({TO_UPDATE}):\n" + "\n".join(untranslated)


def test_english_catalog_lists_every_text_and_leaves_the_wording_to_the_code() -> None:
    # English msgstrs stay empty: gettext shows the msgid, so the English text lives in one place.
    english = catalog("en")
    missing = [text for text in marked_texts() if text not in english]
    reworded = [message.id for message in english if message.id and message.string]
    assert not missing, f"Missing from en ({TO_UPDATE}): {missing}"
    assert not reworded, f"Reword these in the code, not in locales/en: {reworded}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_catalog_holds_only_texts_the_code_uses(language: str) -> None:
    stale = [m.id for m in catalog(language) if m.id and m.id not in marked_texts()]
    obsolete = list(catalog(language).obsolete)
    assert not stale, f"{language}: no longer in the code ({TO_UPDATE}): {stale}"
    assert not obsolete, f"{language}: delete the `#~` entries once reused: {obsolete}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    changed = [
        f"{msgid!r} → {msgstr!r}"
        for msgid, msgstr in entries(language)
        if placeholders(msgstr) != placeholders(msgid)
    ]
    assert not changed, f"{language}: placeholders differ:\n" + "\n".join(changed)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_translations_keep_the_html_markup(language: str) -> None:
    changed = [
        f"{msgid!r} → {msgstr!r}"
        for msgid, msgstr in entries(language)
        if markup(msgstr) != markup(msgid)
    ]
    assert not changed, f"{language}: HTML tags or <, >, & differ:\n" + "\n".join(changed)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_command_menu_descriptions_fit_telegram(language: str) -> None:
    low, high = telegram_length_limit("BotCommand", "description")
    t = translator(language)
    too_long_or_empty = [
        (name, t(text))
        for name, text in STAFF_COMMANDS + MANAGER_COMMANDS
        if not low <= len(t(text)) <= high
    ]
    assert not too_long_or_empty


def test_arabic_translator_reads_the_catalog() -> None:
    text = "Cancelled. Send the next customer's ID when ready."
    shown = translator("ar")(text)
    assert shown == catalog("ar")[text].string
    assert ARABIC_LETTER.search(shown)


def test_translator_fills_placeholders_after_translating() -> None:
    shown = translator("ar")("Customer ID: {customer_id}", customer_id="C-42")
    assert shown == catalog("ar")["Customer ID: {customer_id}"].string.format(customer_id="C-42")
    assert "C-42" in shown


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ar-EG", "ar"), ("ar_SA", "ar"), ("en-US", "en"), ("EN", "en"), ("fr", None), (None, None)],
)
def test_normalise_language(code: str | None, expected: str | None) -> None:
    assert normalise_language(code) == expected


def test_start_up_warns_once_when_a_language_has_no_catalog(tmp_path: Path) -> None:
    # CHECKOUT_BOT_LOCALES points at a folder without catalogs: Arabic staff will get English, and
    # the operator must be told so at start-up rather than by a confused cashier.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "PYTHONIOENCODING": "utf-8",
        "LANG": "ar_EG.UTF-8",
        "CHECKOUT_BOT_LOCALES": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="demo-1001\n:quit\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Customer ID: demo-1001" in result.stdout  # English, as the warning says
    warnings = [line for line in result.stderr.splitlines() if "translation catalog" in line]
    assert len(warnings) == 1, result.stderr
    assert f"WARNING bot.i18n: no translation catalog for ar in {tmp_path}" in warnings[0]
