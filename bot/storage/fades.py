"""When each card, receipt and sign-up message in a staff chat fades (issue 18).

A row is written when such a message is sent (and rewritten when a card is refreshed), so the
schedule survives restarts; a repeating job fades what is due. The row holds only what the faded
line shows: the customer ID as the audit log keeps it (masked when it is a phone number), never
a name or a contact detail.

A message that was faded is forgotten: its buttons are gone with the edit. One that Telegram no
longer lets the bot edit stays, marked ``stuck``, so that a press on its old buttons is still
answered "closed".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.storage._sqlite import LockedConnection, to_db_time

_COLUMNS = "chat_id, message_id, kind, label, language"
_READ = _COLUMNS + ", stuck"


@dataclass(frozen=True)
class Fade:
    """A message to fade, and what its faded line says (``kind``, ``label``, in ``language``);
    ``stuck`` once Telegram refused to edit it."""

    chat_id: int
    message_id: int
    kind: str
    label: str
    language: str
    stuck: bool = False


def _fade(row: sqlite3.Row) -> Fade:
    return Fade(
        row["chat_id"],
        row["message_id"],
        row["kind"],
        row["label"],
        row["language"],
        bool(row["stuck"]),
    )


class FadeRepo:
    """The fading schedule of messages in staff chats."""

    def __init__(self, sqlite: LockedConnection) -> None:
        self._sqlite = sqlite

    def schedule(self, fade: Fade, at: datetime) -> None:
        """Fade the message at ``at``; a message already scheduled gets the new time."""
        with self._sqlite.transaction() as connection:
            connection.execute(
                f"INSERT INTO fades ({_COLUMNS}, fade_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id, message_id) DO UPDATE SET kind = excluded.kind,"
                " label = excluded.label, language = excluded.language,"
                " fade_at = excluded.fade_at, stuck = 0",
                (
                    fade.chat_id,
                    fade.message_id,
                    fade.kind,
                    fade.label,
                    fade.language,
                    to_db_time(at),
                ),
            )

    def due(self, now: datetime, limit: int = 100) -> list[Fade]:
        """Messages whose time has come and which have not been faded yet, oldest first."""
        rows = self._sqlite.read(
            f"SELECT {_READ} FROM fades WHERE stuck = 0 AND fade_at <= ? ORDER BY fade_at LIMIT ?",
            (to_db_time(now), limit),
        )
        return [_fade(row) for row in rows]

    def closed(self, chat_id: int, message_id: int, now: datetime) -> Fade | None:
        """The message's fade if it is closed: due (faded or not yet) or stuck; else None."""
        row = self._sqlite.read_one(
            f"SELECT {_READ} FROM fades WHERE chat_id = ? AND message_id = ?"
            " AND (stuck = 1 OR fade_at <= ?)",
            (chat_id, message_id, to_db_time(now)),
        )
        return None if row is None else _fade(row)

    def forget(self, chat_id: int, message_id: int) -> None:
        """The message is faded, or gone: nothing more to do for it."""
        with self._sqlite.transaction() as connection:
            connection.execute(
                "DELETE FROM fades WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
            )

    def mark_stuck(self, chat_id: int, message_id: int) -> None:
        """Telegram no longer lets the bot edit it: keep it only to answer its buttons."""
        with self._sqlite.transaction() as connection:
            connection.execute(
                "UPDATE fades SET stuck = 1 WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            )
