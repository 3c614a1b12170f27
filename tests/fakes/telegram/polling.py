"""How updates reach the bot: getUpdates with real long polling, or a webhook.

A long poll parks until an update is due, a newer poll cuts it off (Telegram's 409), or the
server releases it before shutting down; its ``timeout`` may be fractional, for fast tests.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram.checks import check_webhook_url
from tests.fakes.telegram.spec import BotApiError, bad_request
from tests.fakes.telegram.state import TelegramState

MAX_UPDATES_PER_POLL = 100
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Update kinds Telegram leaves out when ``allowed_updates`` was never given.
_OPT_IN_UPDATE_KINDS = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateMethods(TelegramState):
    """getUpdates, setWebhook, deleteWebhook, getWebhookInfo, and the long poll behind the first."""

    async def _long_poll(self, params: dict[str, Any]) -> bool:
        """Park a getUpdates until it has something to return; True if a newer poll cut it off."""
        self._poll_generation += 1
        generation, releases = self._poll_generation, self._poll_releases
        self._wake_waiters()  # an older parked poll learns that it was superseded
        try:
            call = self._spec.call("getUpdates", params)
        except BotApiError:
            return False  # handle() will refuse it with the reason
        timeout = call.params.get("timeout", 0)
        if self.webhook_url or not isinstance(timeout, int | float) or timeout <= 0:
            return False

        def poll_over() -> bool | None:
            superseded = generation != self._poll_generation
            released = releases != self._poll_releases
            return superseded or released or bool(self._deliverable(call.params)) or None

        if poll_over() is None:
            self._parked_pollers += 1
            self._wake_waiters()
            try:
                await self._wait_until(poll_over, timeout)
            finally:
                self._parked_pollers -= 1
                self._wake_waiters()
        return generation != self._poll_generation

    def release_pollers(self) -> None:
        """Answer every parked getUpdates now (what a server does before it shuts down)."""
        self._poll_releases += 1
        self._wake_waiters()

    @property
    def parked_pollers(self) -> int:
        """How many getUpdates long polls are waiting for updates right now."""
        return self._parked_pollers

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        timeout = params.get("timeout", 0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            raise bad_request("timeout must be a non-negative number of seconds")
        return self._deliverable(params)  # handle() answers with a copy

    def _deliverable(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below ``offset``, apply ``allowed_updates``, return what is due."""
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._pending_updates = self._pending_updates[offset:]
        elif isinstance(offset, int):
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._pending_updates = [u for u in self._pending_updates if self._is_allowed(u)]
        limit = params.get("limit", MAX_UPDATES_PER_POLL)
        limit = min(max(limit, 1), MAX_UPDATES_PER_POLL) if isinstance(limit, int) else 100
        return self._pending_updates[:limit]

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _OPT_IN_UPDATE_KINDS

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params["url"]
        if url == "":
            return self._delete_webhook(params)
        check_webhook_url(url)
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending_updates = []
        self._webhook = {
            key: params[key]
            for key in ("url", "secret_token", "max_connections", "allowed_updates")
            if key in params
        }
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending_updates = []
        self._webhook = {}
        return True

    def _get_webhook_info(self, _: dict[str, Any]) -> dict[str, Any]:
        info = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        for key in ("max_connections", "allowed_updates"):
            if key in self._webhook:
                info[key] = self._webhook[key]
        return info
