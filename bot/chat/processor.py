"""Update processing: concurrent across chats, strictly ordered within a chat.

Fifty cashiers must each get their card as fast as Gameball answers one request, so updates
from different chats run concurrently. Within one chat, updates run one after another in
arrival order, so a conversation's state can never race (a double tap on Create is processed
after the first tap has finished).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


@dataclass
class _ChatQueue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialises each chat's updates with a FIFO lock; chats do not wait for each other."""

    def __init__(self, max_concurrent_updates: int = 512) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int | None, _ChatQueue] = {}

    @staticmethod
    def chat_key(update: object) -> int | None:
        """The chat an update belongs to; updates without a chat share one queue."""
        if isinstance(update, Update) and update.effective_chat is not None:
            return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once every earlier update of the same chat has finished."""
        key = self.chat_key(update)
        queue = self._chats.setdefault(key, _ChatQueue())
        queue.users += 1
        try:
            async with queue.lock:
                await coroutine
        finally:
            queue.users -= 1
            if queue.users == 0:
                del self._chats[key]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""
