"""The scanner Mini App page (PRODUCT §9): what the bot links to and what the page does with it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from bot.i18n import translator
from bot.webapp import scan_page, scanner_page_url

PAGE = scan_page().decode("utf-8")


def test_the_page_opens_telegram_s_scanner_where_there_is_one_and_sends_what_it_read() -> None:
    assert '<script src="https://telegram.org/js/telegram-web-app.js"></script>' in PAGE
    assert 'isVersionAtLeast("6.4")' in PAGE
    assert "showScanQrPopup(" in PAGE
    assert "sendData(" in PAGE
    # Telegram Desktop has no scanner: the form is always there.
    assert re.search(r'<form id="typed"[^>]*>', PAGE)
    assert '<form id="typed" hidden' not in PAGE


def test_the_bot_sends_every_text_the_page_shows_in_the_user_s_language() -> None:
    url = scanner_page_url("https://bot.example.com/scan?store=7", translator("ar"))
    query = parse_qs(urlsplit(url).query)
    assert query.pop("store") == ["7"]
    assert query.pop("dir") == ["rtl"]
    assert query["send"] == ["إرسال"]
    for name in query:
        assert f'"{name}"' in PAGE, f"the page never reads {name!r}"
    assert urlsplit(url).path == "/scan"


def test_texts_from_the_address_are_shown_as_text_never_as_markup() -> None:
    assert "innerHTML" not in PAGE
    assert "textContent = text" in PAGE
