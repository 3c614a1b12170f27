"""Where each staff member works this shift, as Gameball and the audit log name it (issue 18).

Without a pick, a staff member works at the bot's default store (``STORE_NAME``, ``STORE_ID``,
``BRANCH_ID``, ``BRANCH_NAME``). A picked store is named by its own name and branch; a store
without a merchant ID of its own is sent under ``STORE_ID``, the merchant's, so a brand whose
stands are branches of one merchant only types the branch IDs.

Every audit entry asks where its actor works, so picks are kept in memory too (one process
per database, PRODUCT §6); a pick or a removal updates them.
"""

from __future__ import annotations

from bot.domain.contacts import EMPTY, InvalidInput
from bot.domain.orders import Store, store_field
from bot.storage import StoreRepo, StoreRow


class StoreService:
    """The stores managers keep, and each staff member's pick."""

    def __init__(self, repo: StoreRepo, default: Store) -> None:
        self._repo = repo
        self.default = default
        self._picked: dict[int, Store] = {}

    def of(self, user_id: int) -> Store:
        """The store ``user_id`` works at now."""
        if user_id not in self._picked:
            row = self._repo.of(user_id)
            self._picked[user_id] = self.default if row is None else self.store_of(row)
        return self._picked[user_id]

    def store_of(self, row: StoreRow) -> Store:
        """What orders, refunds and sign-ups at this store tell Gameball."""
        return Store(
            store_id=row.store_id or self.default.store_id,
            store_name=row.name,
            branch_id=row.branch_id,
            branch_name=row.branch_name,
        )

    def listed(self) -> list[StoreRow]:
        """The stores to pick from, by name."""
        return self._repo.listed()

    def choose(self, user_id: int, store_key: int | None) -> Store | None:
        """``user_id`` works at that store (None: the default); None if it is no longer listed."""
        row = None if store_key is None else self._repo.get(store_key)
        if store_key is not None and row is None:
            return None
        self._repo.choose(user_id, store_key)
        self._picked[user_id] = self.default if row is None else self.store_of(row)
        return self._picked[user_id]

    def add(self, name: str, *gameball_ids: str, by: int) -> StoreRow | None:
        """A store from its name and, optionally, store ID, branch ID and branch name.

        None if a store of that name exists; raises ``InvalidInput`` for a missing name or a
        field that Gameball or a cashier's screen could not take.
        """
        fields = [store_field(field) for field in (name, *gameball_ids)]
        shown, store_id, branch_id, branch_name = [*fields, "", "", ""][:4]
        if not shown:
            raise InvalidInput(EMPTY)
        return self._repo.add(StoreRow(0, shown, store_id, branch_id, branch_name), by=by)

    def remove(self, name: str) -> StoreRow | None:
        """Take a store off the list; whoever worked there is back at the default store."""
        removed = self._repo.remove(name.strip())
        if removed is not None:
            self._picked.clear()
        return removed
