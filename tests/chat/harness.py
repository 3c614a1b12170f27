"""Drive the real Application with factory-built updates; assert on recorded Bot API calls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import BotApplication, build_application, started
from bot.config import Settings
from bot.sandbox import Sandbox
from tests.fakes.telegram import FakeTelegram, OfflineBotRequest

MANAGER = 111
STAFF = 222
STRANGER = 333


class ManualClock:
    """The database's "now", moved by the test (invite expiry, the queue's backoff)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for tests: sandbox, one manager and one staff member, nothing from the machine."""
    values: dict[str, Any] = {
        "telegram_bot_token": "123456:TEST-TOKEN-not-real",
        "gameball_sandbox": True,
        "data_dir": data_dir,
        "manager_ids": [MANAGER],
        "staff_ids": [STAFF],
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class ChatDriver:
    """One running bot, a fake Telegram and the Gameball sandbox behind it."""

    def __init__(self, app: BotApplication, fake: FakeTelegram, sandbox: Sandbox) -> None:
        self.app = app
        self.fake = fake
        self.sandbox = sandbox

    async def process(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        """Hand one update to the application; return the messages it sent or edited."""
        before = {(m["chat"]["id"], m["message_id"]): m for m in self.fake.sent_messages()}
        await self.app.process_update(Update.de_json(raw, self.app.bot))
        return [
            m
            for m in self.fake.sent_messages()
            if before.get((m["chat"]["id"], m["message_id"])) != m
        ]

    async def text(self, user_id: int, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        """The user sends ``text`` in their private chat (or as ``kwargs`` say)."""
        return await self.process(self.fake.user_text(user_id, text, queue=False, **kwargs))

    async def contact(self, user_id: int, phone: str) -> list[dict[str, Any]]:
        """The user shares a contact card."""
        return await self.process(self.fake.user_contact(user_id, phone, queue=False))

    async def sticker(self, user_id: int) -> list[dict[str, Any]]:
        """The user sends a sticker."""
        return await self.process(self.fake.user_sticker(user_id, queue=False))

    async def photo(self, user_id: int, image: bytes, **kwargs: Any) -> list[dict[str, Any]]:
        """The user sends a photo (an encoded picture), with a ``caption`` if given."""
        return await self.process(self.fake.user_photo(user_id, image=image, queue=False, **kwargs))

    async def document(
        self, user_id: int, content: bytes, mime_type: str, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """The user sends a file as a file."""
        update = self.fake.user_document(
            user_id, content, mime_type=mime_type, queue=False, **kwargs
        )
        return await self.process(update)

    async def web_app_data(self, user_id: int, data: str) -> list[dict[str, Any]]:
        """The Scan button's Mini App sends what it read."""
        return await self.process(self.fake.user_web_app_data(user_id, data, queue=False))

    def message_with_button(self, chat_id: int, label: str) -> dict[str, Any]:
        """The latest message in the chat that shows a button whose text contains ``label``."""
        return self.fake.message_with_button(chat_id, label)

    async def press(
        self, user_id: int, label: str, *, message: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """The user taps the button labelled ``label`` on the latest message offering it."""
        return await self.process(
            self.fake.press_label(user_id, label, message=message, queue=False, **kwargs)
        )

    def last_text(self, chat_id: int) -> str:
        """The plain text of the bot's latest message in a chat."""
        return str(self.fake.last_message(chat_id)["text"])

    def labels(self, message: dict[str, Any]) -> list[str]:
        """Button labels of a message."""
        return [text for text, _ in self.fake.buttons(message)]

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every accepted Bot API call of ``method``."""
        return [call.params for call in self.fake.calls if call.method == method]

    async def run_queue(self) -> None:
        """Run the queue's repeating job once, as the JobQueue would."""
        await self.run_job("process_outbox")

    async def fade_due(self) -> None:
        """Run the job that fades cards once, as the JobQueue would."""
        await self.run_job("fade_due")

    async def run_job(self, name: str) -> None:
        """Run the repeating job ``name`` once, as the JobQueue would."""
        assert self.app.job_queue is not None
        (job,) = [j for j in self.app.job_queue.jobs() if j.name == name]
        await job.run(self.app)


@asynccontextmanager
async def running(
    settings: Settings, fake: FakeTelegram, sandbox: Sandbox, **kwargs: Any
) -> AsyncIterator[ChatDriver]:
    """A started application with the same lifecycle as production (post_init … post_shutdown)."""
    kwargs.setdefault("gameball_transport", sandbox.transport())
    kwargs.setdefault("bot_request", OfflineBotRequest(fake))
    app = build_application(settings, rate_limiter=False, **kwargs)
    async with started(app):
        yield ChatDriver(app, fake, sandbox)


#: ``bot_with(**setting_overrides)`` from tests/chat/conftest.py: a started bot, as a context.
BotStarter = Callable[..., AbstractAsyncContextManager[ChatDriver]]
