"""Logging set-up: masking and secret removal on every record, text or JSON lines.

The bot token is part of every Bot API URL, which httpx and python-telegram-bot log at DEBUG;
Gameball keys travel in headers. A filter on the root handler rewrites each record's message
so neither, nor any mobile number or email, ever reaches the output (PRODUCT §5).

A scanned Gameball code carries a hash that authorises a hold on the customer's points
(PRODUCT §9). python-telegram-bot logs every update at DEBUG, the Scan button's text included,
so what a Mini App sent is never shown; and the bot hides each hash it reads for as long as it
keeps it (:func:`hide_in_logs`), since the whole code may be tried as a customer ID in a URL.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.masking import mask_text

#: Anything shaped like a Telegram bot token, even when no token is configured.
TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_QUOTED = r"'(?:[^'\\]|\\.)*'" + "|" + r'"(?:[^"\\]|\\.)*"'
#: A ``web_app_data`` value as python-telegram-bot logs it: a dict (an answer from the Bot API)
#: or a ``WebAppData(...)`` (an update), in Python or JSON quoting; strings may hold anything.
WEB_APP_DATA_PATTERN = re.compile(
    rf"""(web_app_data['"]?\s*[:=]\s*)"""
    rf"""(?:\{{(?:{_QUOTED}|[^{{}}'"])*\}}|WebAppData\((?:{_QUOTED}|[^()'"])*\))"""
)
#: Values hidden from every log line until a moment (``time.monotonic``): scanned hashes.
_hidden: dict[str, float] = {}


def hide_in_logs(value: str, seconds: float) -> None:
    """Keep ``value`` out of every log line, from any logger, for the next ``seconds``."""
    _hidden[value] = time.monotonic() + seconds


def _hidden_now() -> list[str]:
    now = time.monotonic()
    for value in [value for value, until in _hidden.items() if until < now]:
        _hidden.pop(value, None)
    return list(_hidden)


class RedactingFilter(logging.Filter):
    """Replaces secrets with ``***`` and masks contact data in the final message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every known secret, token-like string and contact detail hidden."""
        # Hashes before the masking, which would keep a phone-like code's last three digits.
        for secret in (*self._secrets, *_hidden_now()):
            text = text.replace(secret, "***")
        text = TOKEN_PATTERN.sub("***", text)
        text = WEB_APP_DATA_PATTERN.sub(r"\1***", text)
        return mask_text(text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> RedactingFilter:
    """Install one stderr handler with the redacting filter on the root logger."""
    handler = logging.StreamHandler(sys.stderr)
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL (customer IDs included) at INFO, and the job scheduler
    # logs every timeout it (re)schedules: keep both to warnings unless debugging.
    if level != "DEBUG":
        for noisy in ("httpx", "httpcore", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor
