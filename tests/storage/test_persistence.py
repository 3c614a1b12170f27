"""SqlitePersistence: what one bot process writes, the next one reads back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PersistenceInput,
    filters,
)
from telegram.request import BaseRequest

from bot.storage import Database, SqlitePersistence

CASHIER = 7001
ASK_NAME = 1
FLOW_DATA: dict[str, Any] = {"customer_id": "C-5", "contact": {"mobile": None, "retries": 2}}


class BotProcesses:
    """Opens the database file afresh for each (re)started bot, closing the previous one."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._current: Database | None = None

    def start(self) -> Database:
        self.stop()
        self._current = Database(self._path)
        return self._current

    def stop(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None


@pytest.fixture
def processes(db_path: Path) -> Iterator[BotProcesses]:
    started = BotProcesses(db_path)
    yield started
    started.stop()


async def test_store_settings(database: Database) -> None:
    persistence = SqlitePersistence(database, update_interval=2.5)

    assert persistence.store_data == PersistenceInput(
        bot_data=False, chat_data=False, user_data=True, callback_data=False
    )
    assert persistence.update_interval == 2.5
    assert SqlitePersistence(database).update_interval == 5


async def test_user_data_survives_a_restart_and_can_be_dropped(
    processes: BotProcesses,
) -> None:
    before = SqlitePersistence(processes.start())
    await before.update_user_data(CASHIER, FLOW_DATA)
    await before.update_user_data(CASHIER + 1, {"language": "ar"})
    await before.drop_user_data(CASHIER + 1)

    after = SqlitePersistence(processes.start())
    assert await after.get_user_data() == {CASHIER: FLOW_DATA}


async def test_user_data_is_stored_as_readable_json(database: Database, db_path: Path) -> None:
    await SqlitePersistence(database).update_user_data(CASHIER, FLOW_DATA)

    with closing(sqlite3.connect(db_path)) as connection:
        [(stored,)] = connection.execute("SELECT data FROM user_data").fetchall()
    assert json.loads(stored) == FLOW_DATA


async def test_conversation_state_survives_a_restart_and_none_ends_it(
    processes: BotProcesses,
) -> None:
    before = SqlitePersistence(processes.start())
    await before.update_conversation("identify", (CASHIER, CASHIER), 3)
    await before.update_conversation("identify", (CASHIER + 1, CASHIER + 1), 4)
    await before.update_conversation("language", (CASHIER, CASHIER), 1)
    await before.update_conversation("identify", (CASHIER + 1, CASHIER + 1), None)

    after = SqlitePersistence(processes.start())
    assert await after.get_conversations("identify") == {(CASHIER, CASHIER): 3}
    assert await after.get_conversations("language") == {(CASHIER, CASHIER): 1}
    assert await after.get_conversations("unused") == {}


async def test_other_kinds_of_data_round_trip_too(
    processes: BotProcesses,
) -> None:
    callback_data = ([("a1b2", 1_700_000_000.5, {"button": "refresh"})], {"query-1": "a1b2"})
    before = SqlitePersistence(processes.start())
    assert await before.get_bot_data() == {}
    assert await before.get_callback_data() is None
    await before.update_chat_data(-100, {"pinned": True})
    await before.update_chat_data(-200, {"pinned": False})
    await before.drop_chat_data(-200)
    await before.update_bot_data({"alerted_at": "2025-03-01T09:30:00+00:00"})
    await before.update_callback_data(callback_data)

    after = SqlitePersistence(processes.start())
    assert await after.get_chat_data() == {-100: {"pinned": True}}
    assert await after.get_bot_data() == {"alerted_at": "2025-03-01T09:30:00+00:00"}
    assert await after.get_callback_data() == callback_data


class GetMeOnlyRequest(BaseRequest):
    """Answers the getMe call Application.initialize makes; the handlers below send nothing."""

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        assert url.endswith("/getMe"), f"unexpected Bot API call {url.rsplit('/', 1)[-1]}"
        me = {"id": 1, "is_bot": True, "first_name": "Checkout", "username": "checkout_bot"}
        return 200, json.dumps({"ok": True, "result": me}).encode()


def _text_update(update_id: int, text: str, bot: Bot) -> Update:
    is_command = text.startswith("/")
    message = {
        "message_id": update_id,
        "date": 1_740_000_000,
        "chat": {"id": CASHIER, "type": "private"},
        "from": {"id": CASHIER, "is_bot": False, "first_name": "Mona"},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if is_command
        else [],
    }
    update = Update.de_json({"update_id": update_id, "message": message}, bot)
    assert update is not None
    return update


def _identify_app(
    database: Database, names_given: list[tuple[str, Any]]
) -> Application[Any, Any, Any, Any, Any, Any]:
    async def ask_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert context.user_data is not None
        context.user_data["flow"] = {"customer_id": "C-5"}
        return ASK_NAME

    async def take_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None
        assert context.user_data is not None
        names_given.append((update.message.text or "", context.user_data.get("flow")))
        return ConversationHandler.END

    app = (
        Application.builder()
        .token("1:offline")
        .request(GetMeOnlyRequest())
        .get_updates_request(GetMeOnlyRequest())
        .persistence(SqlitePersistence(database))
        .build()
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("identify", ask_name)],
            states={ASK_NAME: [MessageHandler(filters.TEXT & ~filters.COMMAND, take_name)]},
            fallbacks=[],
            name="identify",
            persistent=True,
        )
    )
    return app


async def test_a_flow_started_before_a_restart_continues_after_it(
    processes: BotProcesses,
) -> None:
    names_given: list[tuple[str, Any]] = []
    async with _identify_app(processes.start(), names_given) as app:
        await app.process_update(_text_update(1, "/identify", app.bot))

    restarted = processes.start()
    async with _identify_app(restarted, names_given) as app:
        await app.process_update(_text_update(2, "Nour Ali", app.bot))

    assert names_given == [("Nour Ali", {"customer_id": "C-5"})]
    assert await SqlitePersistence(restarted).get_conversations("identify") == {}
