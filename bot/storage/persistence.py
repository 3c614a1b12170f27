"""python-telegram-bot persistence on the bot's SQLite database.

This is what lets a cashier's half-finished sign-up survive a restart (PRODUCT §5): conversation
states and ``user_data`` are written to SQLite as the Application reports them, and read back
when the next process starts. Only ``user_data`` and conversations are stored by default; the
other kinds are implemented too so the class honours the whole interface if that ever changes.
"""

from __future__ import annotations

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage.database import Database
from bot.storage.telegram_state import CallbackData, ConversationKey, JsonDict

#: What the bot keeps across restarts: the per-user flow data (conversations are always kept).
STORE_DATA = PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False)


class SqlitePersistence(BasePersistence[JsonDict, JsonDict, JsonDict]):
    """Every update goes straight into SQLite, so there is nothing to flush and no cache to
    refresh: this process is the only writer, and what it holds in memory is the latest state.
    """

    def __init__(self, database: Database, *, update_interval: float = 5) -> None:
        super().__init__(store_data=STORE_DATA, update_interval=update_interval)
        self._state = database.telegram_state

    async def get_user_data(self) -> dict[int, JsonDict]:
        return self._state.load_scoped("user")

    async def update_user_data(self, user_id: int, data: JsonDict) -> None:
        self._state.save_scoped("user", user_id, data)

    async def drop_user_data(self, user_id: int) -> None:
        self._state.drop_scoped("user", user_id)

    async def refresh_user_data(self, user_id: int, user_data: JsonDict) -> None:
        """Nothing else writes user data, so memory is already current."""

    async def get_chat_data(self) -> dict[int, JsonDict]:
        return self._state.load_scoped("chat")

    async def update_chat_data(self, chat_id: int, data: JsonDict) -> None:
        self._state.save_scoped("chat", chat_id, data)

    async def drop_chat_data(self, chat_id: int) -> None:
        self._state.drop_scoped("chat", chat_id)

    async def refresh_chat_data(self, chat_id: int, chat_data: JsonDict) -> None:
        """Nothing else writes chat data, so memory is already current."""

    async def get_bot_data(self) -> JsonDict:
        stored: JsonDict | None = self._state.load_singleton("bot_data")
        return {} if stored is None else stored

    async def update_bot_data(self, data: JsonDict) -> None:
        self._state.save_singleton("bot_data", data)

    async def refresh_bot_data(self, bot_data: JsonDict) -> None:
        """Nothing else writes bot data, so memory is already current."""

    async def get_callback_data(self) -> CallbackData | None:
        return self._state.load_callback_data()

    async def update_callback_data(self, data: CallbackData) -> None:
        self._state.save_singleton("callback_data", data)

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        return self._state.load_conversations(name)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        self._state.save_conversation(name, key, new_state)

    async def flush(self) -> None:
        """Each update was committed when it was made; closing the database is its owner's job."""
