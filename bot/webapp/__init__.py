"""The scanner Mini App (PRODUCT §9): a static page that opens Telegram's native QR scanner.

The 📷 Scan keyboard button opens ``SCANNER_URL``, which must serve :func:`scan_page`. The page
asks Telegram for its QR scanner (clients from Bot API 6.4 on; Telegram Desktop has none, so
it always shows a text box too) and returns what was read with ``Telegram.WebApp.sendData``:
the bot receives it as a ``web_app_data`` message, untrusted input like typed text.

The page carries no texts of its own: the bot puts them, translated, in the button's URL
(:func:`scanner_page_url`), so the page speaks the staff member's language from the same
catalogs as the bot.
"""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.i18n import Translator

SCAN_PAGE_CONTENT_TYPE = "text/html; charset=utf-8"


def scan_page() -> bytes:
    """The page's bytes, from the installed package (serve them at ``SCANNER_URL``)."""
    return files(__package__).joinpath("scan.html").read_bytes()


def scanner_page_url(scanner_url: str, t: Translator) -> str:
    """``SCANNER_URL`` with the page's texts in the user's language and writing direction."""
    texts = {
        "scan": t("Point the camera at the customer's QR code"),
        "type": t("Or type the code:"),
        "send": t("Send"),
        "again": t("Scan again"),
        "dir": t.locale.text_direction,
    }
    parts = urlsplit(scanner_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *texts.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))
