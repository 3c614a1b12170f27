"""A strict, in-memory fake of the Telegram Bot API.

Why strict: a fake that accepts anything lets a bot pass its tests and then fail in front of a
cashier with ``can't parse entities`` or ``BUTTON_DATA_INVALID``. This fake refuses what Telegram
refuses (unknown methods, missing parameters, bad HTML, oversized texts and callback data,
malformed keyboards and commands) with Telegram's own status codes and error texts, and it reads
method names, parameters and button fields from the Bot API contract in ``contracts/``.

One core, three ways in:

* :class:`FakeTelegram` validates and executes calls against in-memory chats, builds the updates a
  user would cause (texts, contacts, button presses) and lets tests wait for the bot's answers;
* :class:`OfflineBotRequest` is python-telegram-bot's own ``HTTPXRequest`` on an
  ``httpx.MockTransport`` answered by the core, no sockets (fast conversation tests);
* :class:`FakeTelegramServer` serves the same core over HTTP on loopback (end-to-end tests, webhook
  tests, benchmarks), with real long polling.

The modules, from the contract up: ``spec`` (the Bot API contract, calls and refusals), ``html``
(Telegram's HTML), ``checks`` (keyboards, commands, webhook URLs), ``state`` (chats, messages,
updates, waiting), ``methods`` and ``polling`` (the Bot API methods), ``users`` (what users do),
``core`` (:class:`FakeTelegram`), ``wire`` (HTTP, for both front ends) and ``frontends``.

Deliberate differences from Telegram, each in the direction of catching bugs earlier:

* a bare ``&`` that does not start an entity is refused in HTML (Telegram keeps it literally, but
  an unescaped ``&`` means unescaped user input, which breaks on the next ``<``);
* ``parse_mode`` ``Markdown``/``MarkdownV2`` is refused as not emulated (the bot speaks HTML);
* methods the fake does not emulate answer 501 unless they just return ``True``.

Deliberate leniencies, for tests: ``getUpdates`` accepts a fractional ``timeout`` (fast long-poll
tests) and ``setWebhook`` accepts ``http://`` URLs on loopback.
"""

from tests.fakes.telegram.core import FakeTelegram
from tests.fakes.telegram.frontends import FakeTelegramServer, OfflineBotRequest
from tests.fakes.telegram.html import parse_telegram_html
from tests.fakes.telegram.spec import (
    DEFAULT_SPEC_PATH,
    BotApiCall,
    BotApiError,
    BotApiSpec,
    load_spec,
)

__all__ = [
    "DEFAULT_SPEC_PATH",
    "BotApiCall",
    "BotApiError",
    "BotApiSpec",
    "FakeTelegram",
    "FakeTelegramServer",
    "OfflineBotRequest",
    "load_spec",
    "parse_telegram_html",
]
