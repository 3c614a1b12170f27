"""Opening the bot's SQLite database and bringing its schema up to date.

The schema is a list of migration scripts; ``PRAGMA user_version`` records how many have run.
A database written by an older release is upgraded on open, one script per transaction, so a
failed upgrade leaves the previous version intact. Scripts are never edited once released —
a change is always a new script appended to :data:`MIGRATIONS`.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from bot.storage._sqlite import Clock, LockedConnection, StorageError, utc_now
from bot.storage.audit import AuditRepo
from bot.storage.contacts import ContactIndexRepo
from bot.storage.fades import FadeRepo
from bot.storage.holds import HoldRepo
from bot.storage.invites import InviteRepo
from bot.storage.orders import OrderRepo
from bot.storage.outbox import OutboxRepo
from bot.storage.refs import RefRepo
from bot.storage.staff import StaffRepo
from bot.storage.stores import StoreRepo
from bot.storage.telegram_state import TelegramStateRepo

DATABASE_FILENAME = "checkout-bot.sqlite3"
#: How long a statement waits for another connection's write lock before failing.
BUSY_TIMEOUT_SECONDS = 5.0

_ACCESS_AND_AUDIT = """
CREATE TABLE staff (
    user_id     INTEGER PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('manager', 'staff')),
    name        TEXT,
    username    TEXT,
    source      TEXT NOT NULL CHECK (source IN ('config', 'invite')),
    enrolled_at TEXT NOT NULL,
    enrolled_by INTEGER,
    revoked_at  TEXT
);
CREATE TABLE invites (
    code_hash  TEXT PRIMARY KEY,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER,
    used_at    TEXT
);
CREATE TABLE invite_failures (
    user_id INTEGER NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX invite_failures_by_user ON invite_failures (user_id, at);
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor_id    INTEGER NOT NULL,
    actor_name  TEXT,
    action      TEXT NOT NULL,
    customer_id TEXT,
    result      TEXT NOT NULL,
    store       TEXT,
    detail      TEXT
);
CREATE INDEX audit_by_actor ON audit (actor_id, id);
"""

_OUTBOX_AND_REFS = """
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL,
    chat_id         INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    language        TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    finished_at     TEXT,
    notified        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_customer ON outbox (customer_id, status);
CREATE TABLE refs (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
"""

_TELEGRAM_PERSISTENCE = """
CREATE TABLE user_data (
    user_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL
);
CREATE TABLE chat_data (
    chat_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL
);
CREATE TABLE bot_data (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);
CREATE TABLE conversations (
    name  TEXT NOT NULL,
    key   TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE TABLE callback_data (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);
"""

_ORDERS = """
CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    order_id        TEXT NOT NULL UNIQUE,
    customer_id     TEXT NOT NULL,
    amount          TEXT NOT NULL,
    currency        TEXT,
    store           TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    store_name      TEXT NOT NULL,
    branch_id       TEXT NOT NULL,
    branch_name     TEXT NOT NULL,
    chat_id         INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    language        TEXT NOT NULL,
    order_date      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('sending', 'queued', 'recorded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    points          REAL,
    finished_at     TEXT,
    notified        INTEGER NOT NULL DEFAULT 1,
    refund_id       TEXT UNIQUE,
    reversal        TEXT CHECK (reversal IN ('sending', 'reversed')),
    reversed_at     TEXT,
    reversed_by     INTEGER,
    points_reversed REAL
);
CREATE INDEX orders_due ON orders (status, next_attempt_at);
CREATE INDEX orders_by_store ON orders (store, id);
"""

_HOLDS = """
CREATE TABLE holds (
    id          INTEGER PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    points      REAL NOT NULL,
    amount      TEXT NOT NULL,
    currency    TEXT,
    expires_at  TEXT,
    chat_id     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    language    TEXT NOT NULL,
    placed_at   TEXT NOT NULL,
    status      TEXT NOT NULL
                CHECK (status IN ('active', 'releasing', 'using', 'used', 'released', 'expired')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    release_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX holds_due ON holds (status, release_at);
ALTER TABLE orders ADD COLUMN hold_reference TEXT;
ALTER TABLE orders ADD COLUMN points_redeemed REAL;
ALTER TABLE orders ADD COLUMN discount TEXT;
"""

_PRIVACY_AND_STORES = """
CREATE TABLE fades (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    label      TEXT NOT NULL,
    language   TEXT NOT NULL,
    fade_at    TEXT NOT NULL,
    stuck      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX fades_due ON fades (stuck, fade_at);
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE contact_digests (
    digest      TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (digest, customer_id)
);
CREATE TABLE stores (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    store_id    TEXT NOT NULL,
    branch_id   TEXT NOT NULL,
    branch_name TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE shifts (
    user_id   INTEGER PRIMARY KEY,
    store     INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    chosen_at TEXT NOT NULL
);
CREATE INDEX audit_by_store ON audit (store, id);
"""

#: Version N of the schema is the result of running the first N scripts.
MIGRATIONS: tuple[str, ...] = (
    _ACCESS_AND_AUDIT,
    _OUTBOX_AND_REFS,
    _TELEGRAM_PERSISTENCE,
    _ORDERS,
    _HOLDS,
    _PRIVACY_AND_STORES,
)


def _connect(path: Path) -> sqlite3.Connection:
    """Opens the file with the settings every connection needs.

    WAL lets reads proceed during a write; ``synchronous=NORMAL`` is the usual WAL pairing:
    commits survive a crash of the bot (the case that matters for the queue and conversations),
    and only a power cut can lose the last moments. ``isolation_level=None`` hands transaction
    control to :class:`LockedConnection`; ``timeout`` is SQLite's busy timeout.
    ``secure_delete`` overwrites erased content (a queued sign-up's contact details) instead of
    leaving it in free pages of the file.
    """
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA secure_delete = ON")
    return connection


def _schema_version(connection: sqlite3.Connection) -> int:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return int(version)


def _migrate(connection: sqlite3.Connection, path: Path) -> int:
    """Runs the scripts this database has not seen yet; returns the resulting version."""
    current = _schema_version(connection)
    if current > len(MIGRATIONS):
        raise StorageError(
            f"{path} has schema version {current}, newer than this release understands "
            f"({len(MIGRATIONS)}); upgrade the bot or point DATA_DIR elsewhere"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        try:
            connection.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except sqlite3.Error:
            connection.rollback()
            raise
    return len(MIGRATIONS)


class Database:
    """The bot's single SQLite database and the repositories that read and write it."""

    def __init__(self, path: Path, *, clock: Clock = utc_now) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = _connect(path)
        try:
            self.schema_version: int = _migrate(connection, path)
        except BaseException:
            connection.close()
            raise
        self.path = path
        self._sqlite = LockedConnection(connection, clock)
        self.staff = StaffRepo(self._sqlite)
        self.invites = InviteRepo(self._sqlite)
        self.audit = AuditRepo(self._sqlite)
        self.outbox = OutboxRepo(self._sqlite)
        self.orders = OrderRepo(self._sqlite)
        self.holds = HoldRepo(self._sqlite)
        self.refs = RefRepo(self._sqlite)
        self.telegram_state = TelegramStateRepo(self._sqlite)
        self.fades = FadeRepo(self._sqlite)
        self.contacts = ContactIndexRepo(self._sqlite)
        self.stores = StoreRepo(self._sqlite)

    @classmethod
    def in_data_dir(cls, data_dir: Path, *, clock: Clock = utc_now) -> Database:
        """The database at its standard place inside ``DATA_DIR``."""
        return cls(data_dir / DATABASE_FILENAME, clock=clock)

    def now(self) -> datetime:
        """The current time by this database's clock (injectable, so tests can move it)."""
        return self._sqlite.now()

    def close(self) -> None:
        """Closes the connection; the repositories cannot be used afterwards."""
        self._sqlite.close()
