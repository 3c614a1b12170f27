"""Rows behind python-telegram-bot's persistence (user/chat/bot data, conversations, callbacks).

Everything is stored as JSON, not pickle: the file stays readable, survives library upgrades,
and loading it can never run code. The cost is that only JSON values round-trip; dictionary keys
come back as strings, so callers keep string keys in the data they persist.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from bot.storage._sqlite import LockedConnection

JsonDict = dict[str, Any]
#: The shapes python-telegram-bot uses (spelled out here: its own aliases live in a private module).
ConversationKey = tuple[int | str, ...]
CallbackData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
#: Per-user and per-chat data share one shape: an integer id and a JSON object.
Scope = Literal["user", "chat"]
_SCOPE_TABLES: dict[Scope, tuple[str, str]] = {
    "user": ("user_data", "user_id"),
    "chat": ("chat_data", "chat_id"),
}
#: Tables holding one JSON document for the whole bot.
Singleton = Literal["bot_data", "callback_data"]


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class TelegramStateRepo:
    """Synchronous storage used by :class:`bot.storage.persistence.SqlitePersistence`."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def load_scoped(self, scope: Scope) -> dict[int, JsonDict]:
        """Every stored user's (or chat's) data, by id."""
        table, id_column = _SCOPE_TABLES[scope]
        rows = self._sqlite.read(f"SELECT {id_column}, data FROM {table}")
        return {int(row[id_column]): json.loads(row["data"]) for row in rows}

    def save_scoped(self, scope: Scope, owner_id: int, data: JsonDict) -> None:
        """Replaces one user's (or chat's) data."""
        table, id_column = _SCOPE_TABLES[scope]
        with self._sqlite.transaction() as connection:
            connection.execute(
                f"INSERT INTO {table} ({id_column}, data) VALUES (?, ?)"
                f" ON CONFLICT ({id_column}) DO UPDATE SET data = excluded.data",
                (owner_id, _dump(data)),
            )

    def drop_scoped(self, scope: Scope, owner_id: int) -> None:
        """Forgets one user's (or chat's) data."""
        table, id_column = _SCOPE_TABLES[scope]
        with self._sqlite.transaction() as connection:
            connection.execute(f"DELETE FROM {table} WHERE {id_column} = ?", (owner_id,))

    def load_singleton(self, table: Singleton) -> Any:
        """The stored document, or None if there is none yet."""
        row = self._sqlite.read_one(f"SELECT data FROM {table} WHERE id = 1")
        return None if row is None else json.loads(row["data"])

    def save_singleton(self, table: Singleton, value: object) -> None:
        """Replaces the stored document."""
        with self._sqlite.transaction() as connection:
            connection.execute(
                f"INSERT INTO {table} (id, data) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                (_dump(value),),
            )

    def load_conversations(self, name: str) -> dict[ConversationKey, object]:
        """The states of one ConversationHandler; JSON keys become tuples again."""
        rows = self._sqlite.read("SELECT key, state FROM conversations WHERE name = ?", (name,))
        return {tuple(json.loads(row["key"])): json.loads(row["state"]) for row in rows}

    def save_conversation(self, name: str, key: ConversationKey, state: object | None) -> None:
        """Stores a conversation's state; None means it ended, so the row goes."""
        with self._sqlite.transaction() as connection:
            if state is None:
                connection.execute(
                    "DELETE FROM conversations WHERE name = ? AND key = ?", (name, _dump(key))
                )
            else:
                connection.execute(
                    "INSERT INTO conversations (name, key, state) VALUES (?, ?, ?)"
                    " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                    (name, _dump(key), _dump(state)),
                )

    def load_callback_data(self) -> CallbackData | None:
        """The callback-data cache in the shape python-telegram-bot expects (tuples, not lists)."""
        stored = self.load_singleton("callback_data")
        if stored is None:
            return None
        entries, lookup = stored
        return [(str(uuid), float(at), dict(data)) for uuid, at, data in entries], dict(lookup)
