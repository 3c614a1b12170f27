"""``/activity`` (PRODUCT §3): the audit log for managers, newest first, a page at a time, for
everyone, one person or one store (issue 18).

Each entry reads as a phrase in the manager's language (``bot.chat.activity_log``). Paging is by
entry id, and a filter is kept in the buttons' data: ``m:a:<older than>:<filter>``, the filter
``0`` (everyone), ``u<Telegram ID>`` or ``s<ref key of the store's name>``. Every handler checks
the manager role when it runs, including presses on old pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.chat import keyboards as kb
from bot.chat.access import requires
from bot.chat.activity_log import entry_line
from bot.chat.cards import isolate
from bot.chat.context import ChatContext
from bot.chat.manager import queue_text, shown_name
from bot.chat.orders import ORDERS_BUTTON_DATA
from bot.chat.replies import show_page
from bot.i18n import Translator
from bot.services.container import Services
from bot.storage import AuditEntry

ACTIVITY = "m:a"
ACTIVITY_PAGE = 10
MAX_PEOPLE_BUTTONS = 8
MAX_STORE_BUTTONS = 6
EVERYONE = "0"
_FILTER = re.compile(r"(?:u(?P<user>[0-9]{1,15})|s(?P<store>[\w-]+))")


@dataclass(frozen=True)
class Filter:
    """Whose entries a page shows: one person's, one store's, or (both None) everyone's."""

    actor_id: int | None = None
    store: str | None = None

    def data(self, services: Services) -> str:
        """This filter as button data (a store's name goes by a short key)."""
        if self.actor_id is not None:
            return f"u{self.actor_id}"
        if self.store is not None:
            return f"s{services.database.refs.put(self.store)}"
        return EVERYONE


def _filter_of(data: str, services: Services) -> Filter | None:
    """The filter in a button's data; None for anything the bot could not have sent."""
    if data == EVERYONE:
        return Filter()
    found = _FILTER.fullmatch(data)
    if found is None:
        return None
    if found["user"]:
        return Filter(actor_id=int(found["user"]))
    store = services.database.refs.get(found["store"])
    return None if store is None else Filter(store=store)


@requires("manager")
async def activity(update: Update, context: ChatContext) -> None:
    """``/activity``: the latest audit entries, with a filter per staff member and per store."""
    await _send_activity(update, context, None, Filter())


@requires("manager")
async def activity_page(update: Update, context: ChatContext) -> None:
    """Older / per-person / per-store / Everyone buttons under the activity list."""
    before, data = kb.page_data(update, ("0", EVERYONE))
    chosen = _filter_of(data, context.services)
    if not before.isdigit() or chosen is None:
        assert update.callback_query is not None
        await update.callback_query.answer(context.t(update)("This button has expired."))
        return
    await _send_activity(update, context, int(before) or None, chosen)


def _page(
    services: Services, before_id: int | None, shown: Filter
) -> tuple[list[AuditEntry], int | None]:
    """One page of entries, and the id to page back from if older entries exist.

    One entry more than a page is read so that an Older button never leads to an empty page.
    """
    entries = services.database.audit.latest(
        limit=ACTIVITY_PAGE + 1, before_id=before_id, actor_id=shown.actor_id, store=shown.store
    )
    page = entries[:ACTIVITY_PAGE]
    return page, (page[-1].id if len(entries) > ACTIVITY_PAGE else None)


async def _send_activity(
    update: Update, context: ChatContext, before_id: int | None, shown: Filter
) -> None:
    t = context.t(update)
    services = context.services
    entries, older_than = _page(services, before_id, shown)
    lines = [_header(services, shown, t), queue_text(services.database, t), ""]
    programme = services.customers.programme
    lines += [entry_line(entry, programme, t) for entry in entries] or [t("No activity yet.")]
    await show_page(update, "\n".join(lines), _markup(services, older_than, shown, t))


def _header(services: Services, shown: Filter, t: Translator) -> str:
    header = "<b>" + t("Recent activity") + "</b>"
    if shown.actor_id is not None:
        member = services.database.staff.get(shown.actor_id)
        header += " · 👤 " + isolate(shown_name(member) if member else str(shown.actor_id))
    if shown.store is not None:
        header += " · 🏬 " + isolate(shown.store)
    return header


def _markup(
    services: Services, older_than: int | None, shown: Filter, t: Translator
) -> InlineKeyboardMarkup:
    """Orders; Older (same filter); a button per person and per store, or Everyone."""
    rows = [[InlineKeyboardButton("🧾 " + t("Orders"), callback_data=ORDERS_BUTTON_DATA)]]
    if older_than is not None:
        data = f"{ACTIVITY}:{older_than}:{shown.data(services)}"
        rows.append([InlineKeyboardButton(t("Older"), callback_data=data)])
    if shown != Filter():
        rows.append([InlineKeyboardButton(t("Everyone"), callback_data=f"{ACTIVITY}:0:0")])
        return InlineKeyboardMarkup(rows)
    people = services.database.staff.list_active()[:MAX_PEOPLE_BUTTONS]
    choices = [("👤 " + shown_name(member), Filter(actor_id=member.user_id)) for member in people]
    choices += [("🏬 " + store, Filter(store=store)) for store in _stores(services)]
    rows += [
        [InlineKeyboardButton(label, callback_data=f"{ACTIVITY}:0:{choice.data(services)}")]
        for label, choice in choices
    ]
    return InlineKeyboardMarkup(rows)


def _stores(services: Services) -> list[str]:
    """The stores to filter by: the bot's default one (if named), then the listed ones."""
    names = [services.settings.store_name] + [row.name for row in services.stores.listed()]
    return [name for name in dict.fromkeys(names) if name][:MAX_STORE_BUTTONS]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The handlers of ``/activity``, for ``register_handlers``."""
    return [
        CommandHandler("activity", activity),
        CallbackQueryHandler(activity_page, pattern=rf"^{ACTIVITY}:[0-9]{{1,15}}:[\w-]+$"),
    ]
