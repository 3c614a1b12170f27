"""How the bot's Bot API calls reach Telegram: PTB's ``HTTPXRequest`` on aiohttp's connection layer.

python-telegram-bot sends every call through an ``httpx.AsyncClient``; its stock client runs on
httpcore, whose pool cost a rush of cashiers timeouts (see ``bench/README.md``). The only change
made here is which ``AsyncClient`` PTB builds: ``httpx-aiohttp``'s, the same kind the Gameball
client uses. So Telegram and Gameball traffic share one HTTP stack: aiohttp's pooled keep-alive
connections, Happy Eyeballs, ``HTTPS_PROXY``/``NO_PROXY`` from the environment, and no automatic
resending of a ``sendMessage`` whose connection dropped after it was written (RFC 9112 §9.3.1).
Parameters, timeouts and errors stay PTB's.
"""

from __future__ import annotations

from typing import Any

import httpx
from httpx_aiohttp import HttpxAiohttpClient
from telegram.request import HTTPXRequest

#: Connections for sending: PTB's default, ample for a rush (Telegram allows ~30 messages/s).
SENDING_CONNECTIONS = 256
#: How long an idle connection to Telegram is kept: a till sends a card every minute or so, and
#: a new connection costs a TLS handshake; under the 60 s idle timeout of most load balancers.
KEEPALIVE_EXPIRY = 55.0


class TelegramRequest(HTTPXRequest):
    """PTB's ``HTTPXRequest`` whose ``AsyncClient`` runs on aiohttp (see the module).

    ``transport`` replaces the network (tests); without it, proxies come from the environment.
    """

    def __init__(
        self,
        connection_pool_size: int = SENDING_CONNECTIONS,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        limits = httpx.Limits(
            max_connections=connection_pool_size,
            max_keepalive_connections=connection_pool_size,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
        super().__init__(
            connection_pool_size,
            httpx_kwargs={"limits": limits, "transport": transport},
            **kwargs,
        )

    def _build_client(self) -> httpx.AsyncClient:
        """PTB's hook for the client it sends through (called again after a shutdown)."""
        return HttpxAiohttpClient(**self._client_kwargs)


def telegram_requests(
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[TelegramRequest, TelegramRequest]:
    """The request objects for sending and for long polling (one connection), as PTB pairs them."""
    return TelegramRequest(transport=transport), TelegramRequest(1, transport=transport)
