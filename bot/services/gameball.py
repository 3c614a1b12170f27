"""The Gameball client the settings ask for: the real API, or the embedded sandbox."""

from __future__ import annotations

import httpx

from bot.config import Settings
from bot.gameball.client import GameballClient
from bot.gameball.limits import DOCUMENTED, Pacers, account_limits

#: The key the embedded sandbox accepts (as API key and secret key alike).
SANDBOX_KEY = "sandbox"


def gameball_credentials(settings: Settings) -> tuple[str, str]:
    """``(api_key, secret_key)``: the sandbox's own keys in sandbox mode, whatever is configured."""
    if settings.gameball_sandbox:
        return SANDBOX_KEY, SANDBOX_KEY
    api_key = settings.gameball_api_key.get_secret_value() if settings.gameball_api_key else ""
    secret = settings.gameball_secret_key.get_secret_value() if settings.gameball_secret_key else ""
    return api_key, secret


def gameball_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> GameballClient:
    """A client for the configured Gameball; ``transport`` replaces the network (tests, console)."""
    if transport is None and settings.gameball_sandbox:
        from bot.sandbox import Sandbox

        # Gameball's own limits, so a demo meets the 429s a real account would.
        sandbox = Sandbox(api_key=SANDBOX_KEY, secret_key=SANDBOX_KEY, rate_limits=DOCUMENTED)
        transport = sandbox.transport()
    api_key, secret = gameball_credentials(settings)
    return GameballClient(
        api_key,
        secret,
        base_url=settings.gameball_base_url,
        transport=transport,
        deadline=settings.gameball_deadline,
        pacers=Pacers(account_limits(settings.gameball_reads_per_second)),
    )
