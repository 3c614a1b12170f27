"""The one HTTP client stack both services are reached through (Gameball and Telegram alike).

httpx's request and response objects on aiohttp's connection layer (``httpx-aiohttp``): pooled
keep-alive connections, Happy Eyeballs, ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` from the
environment, and no automatic resending of a request that is not a read (RFC 9112 §9.3.1). Each
service owns one client; the client picks the transport for the service's host (through a
proxy or not), and requests are handed to that transport directly: the client's cookie, auth
and redirect machinery, which neither API uses, cost as much CPU as the transport itself
(``bench/README.md``).
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx
from httpx_aiohttp import HttpxAiohttpClient

#: How long an idle connection is kept for reuse. A cashier asks every minute or so, and a new
#: connection costs a TLS handshake on top of the answer, so this is well above httpx's 5 s; it
#: stays under the 60 s idle timeout common to load balancers.
KEEPALIVE_EXPIRY = 55.0


def pooled_client(
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: object,
) -> httpx.AsyncClient:
    """A client with up to ``max_connections`` kept-alive connections per pool.

    ``transport`` replaces the network (tests, the embedded sandbox); without it, aiohttp, and
    the proxies the environment names.
    """
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    return HttpxAiohttpClient(
        limits=limits,
        transport=transport,
        verify=tls_context(),
        **options,  # type: ignore[arg-type]
    )


def transport_for(client: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport:
    """The transport ``client`` sends ``url``'s requests through (its proxy's, if one applies).

    httpx keeps this choice behind a protected method; the project pins httpx below 0.29, and
    the proxy tests (``tests/test_http_stack.py``) fail if it ever chooses differently.
    """
    return client._transport_for_url(url)


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's own verifying TLS context, made once and shared by every pool: each one loads
    the CA bundle, which takes tens of milliseconds and megabytes of memory."""
    return httpx.create_ssl_context()
