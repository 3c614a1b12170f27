"""Tests of the Gameball sandbox; the helpers below are shared by its test modules."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from bot.sandbox.emulator import API_PREFIX, Sandbox

AUTH = {"APIKey": "sandbox", "SecretKey": "sandbox"}
#: A fixed "now", so demo expiry dates and join dates are predictable.
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
UPSERT_PATH = API_PREFIX


def customer_path(customer_id: str, endpoint: str) -> str:
    """The path a correct client uses: the ID as one fully percent-encoded segment.

    Dots are encoded too: httpx removes ``.``/``..`` segments, so an ID of ``..`` sent raw would
    climb out of ``/customers/``.
    """
    segment = quote(customer_id, safe="").replace(".", "%2E")
    return f"{API_PREFIX}/{segment}/{endpoint}"


def fixed_clock() -> datetime:
    return NOW


def sandbox_client(sandbox: Sandbox) -> httpx.AsyncClient:
    """A client that reaches ``sandbox`` in process, with the keys it accepts."""
    return httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH)
