"""SQLite storage: staff, invites, audit log, outbox, orders, points holds, short refs, conversation
persistence, the fading of cards, keyed digests of signed-up contacts, stores and who works where.

All SQL in the project lives in this package. Open it once per process with
``Database.in_data_dir(settings.data_dir)`` and close it at shutdown.
"""

from bot.storage._sqlite import Clock, StorageError
from bot.storage.audit import AuditEntry, AuditRepo
from bot.storage.contacts import ContactIndexRepo
from bot.storage.database import DATABASE_FILENAME, Database
from bot.storage.fades import Fade, FadeRepo
from bot.storage.holds import HoldRepo, HoldRow
from bot.storage.invites import InviteRepo, RedeemResult, RedeemStatus
from bot.storage.orders import Cashier, OrderRepo, OrderRow
from bot.storage.outbox import OutboxItem, OutboxRepo
from bot.storage.persistence import SqlitePersistence
from bot.storage.refs import RefRepo
from bot.storage.staff import Role, StaffMember, StaffRepo
from bot.storage.stores import StoreRepo, StoreRow

__all__ = [
    "DATABASE_FILENAME",
    "AuditEntry",
    "AuditRepo",
    "Cashier",
    "Clock",
    "ContactIndexRepo",
    "Database",
    "Fade",
    "FadeRepo",
    "HoldRepo",
    "HoldRow",
    "InviteRepo",
    "OrderRepo",
    "OrderRow",
    "OutboxItem",
    "OutboxRepo",
    "RedeemResult",
    "RedeemStatus",
    "RefRepo",
    "Role",
    "SqlitePersistence",
    "StaffMember",
    "StaffRepo",
    "StorageError",
    "StoreRepo",
    "StoreRow",
]
