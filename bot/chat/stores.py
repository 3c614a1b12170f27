"""``/store`` (issue 18): which store or event a staff member works at this shift.

A brand at three pop-ups at once needs to know which stand signed a customer up or sold what.
Staff pick their store from the list managers keep; the pick names their sign-ups
(``custom.store``), their orders and refunds (Gameball's ``merchant``/``branch``) and their
entries in the audit log until they pick again. Managers keep the list:

- ``/store add <name> | <store ID> | <branch ID> | <branch name>`` (all but the name optional:
  Gameball's ``merchant.uniqueId``, ``branch.uniqueId`` and ``branch.name``, as ``STORE_ID``,
  ``BRANCH_ID`` and ``BRANCH_NAME`` give them for the bot's default store);
- ``/store remove <name>``.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.chat import keyboards as kb
from bot.chat.access import requires, role_of
from bot.chat.audit import audit
from bot.chat.cards import code, isolate
from bot.chat.context import ChatContext
from bot.chat.replies import reply
from bot.domain.contacts import InvalidInput
from bot.domain.orders import STORE_FIELD_TOO_LONG, Store
from bot.i18n import Translator
from bot.storage import StoreRow

#: ``st:<store key>``; key 0 is the bot's default store.
CHOOSE = "st"
DEFAULT_KEY = 0
#: A name and Gameball's store ID, branch ID and branch name, separated by ``|``.
MAX_FIELDS = 4


@requires("staff")
async def store_command(update: Update, context: ChatContext) -> None:
    """``/store``: where I work now, and the stores to pick from; managers also add and remove."""
    words = context.args or []
    if words and words[0].lower() == "add":
        await add_store(update, context)
    elif words and words[0].lower() == "remove":
        await remove_store(update, context)
    else:
        await _offer_stores(update, context)


async def _offer_stores(update: Update, context: ChatContext) -> None:
    t = context.t(update)
    assert update.effective_user is not None
    stores = context.services.stores
    current = stores.of(update.effective_user.id)
    lines = ["🏬 " + _working_at(current, stores.default, t)]
    listed = stores.listed()
    if listed:
        lines.append(t("Where are you working this shift?"))
    else:
        lines.append(t("There is no list of stores yet: a manager adds them with /store add."))
    if role_of(context, update) == "manager":
        lines += ["", *_usage(t)]
    await reply(update, "\n".join(lines), _store_buttons(listed, stores.default, current, t))


def _working_at(current: Store, default: Store, t: Translator) -> str:
    if not current.store_name:
        return t("You have not picked a store.")
    if current == default:
        return t("You work at {store} (the bot's default store).", store=_bold(current))
    return t("You work at {store}.", store=_bold(current))


def _bold(store: Store) -> str:
    return f"<b>{isolate(store.store_name)}</b>"


def _usage(t: Translator) -> list[str]:
    """How managers keep the list."""
    return [
        t(
            "/store add name | store ID | branch ID | branch name: add a store "
            "(the IDs are Gameball's; only the name is needed)"
        ),
        t("/store remove name: take a store off the list"),
    ]


def _store_buttons(
    listed: list[StoreRow], default: Store, current: Store, t: Translator
) -> InlineKeyboardMarkup | None:
    """A button per store, then the default one; the current one ticked."""
    if not listed:
        return None
    choices = [(row.name, row.id) for row in listed]
    choices.append((default.store_name or t("No store"), DEFAULT_KEY))
    picked = current.store_name or t("No store")
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if name == picked else "") + name, callback_data=f"{CHOOSE}:{key}"
            )
        ]
        for name, key in choices
    ]
    return InlineKeyboardMarkup(rows)


@requires("staff")
async def store_chosen(update: Update, context: ChatContext) -> None:
    """A store's button: from now on this staff member works there."""
    query, user = update.callback_query, update.effective_user
    assert query is not None
    assert user is not None
    t = context.t(update)
    key = kb.pressed_number(update)
    store = context.services.stores.choose(user.id, key or None)
    if store is None:
        await query.answer(t("That store is no longer on the list."), show_alert=True)
        return
    await query.answer()
    audit(context, update, "store", "chosen")
    if store.store_name:
        text = t(
            "You work at {store} now. Your sign-ups, purchases and activity will name it.",
            store=_bold(store),
        )
    else:
        text = t("You work without a store name now.")
    await query.edit_message_text("🏬 " + text, parse_mode=ParseMode.HTML)


@requires("manager")
async def add_store(update: Update, context: ChatContext) -> None:
    """``/store add <name> | <store ID> | <branch ID> | <branch name>``."""
    t = context.t(update)
    assert update.effective_user is not None
    fields = [field.strip() for field in " ".join((context.args or [])[1:]).split("|")]
    if not fields[0] or len(fields) > MAX_FIELDS:
        await reply(update, "\n".join(_usage(t)))
        return
    try:
        row = context.services.stores.add(*fields, by=update.effective_user.id)
    except InvalidInput as exc:
        await reply(update, _refusal(exc, t))
        return
    if row is None:
        await reply(update, t("There is a store named {store} already.", store=isolate(fields[0])))
        return
    audit(context, update, "store", "added", detail=json.dumps({"name": row.name}))
    added = "🏬 " + t("Added {store}.", store=f"<b>{isolate(row.name)}</b>")
    await reply(update, added + "\n" + _gameball_ids(row, t))


def _gameball_ids(row: StoreRow, t: Translator) -> str:
    """What the store's orders tell Gameball, so a typo is seen at once."""
    empty = t("not set")
    return "\n".join(
        [
            t("Gameball store ID: {value}", value=code(row.store_id) if row.store_id else empty),
            t("Branch ID: {value}", value=code(row.branch_id) if row.branch_id else empty),
            t(
                "Branch name: {value}",
                value=isolate(row.branch_name) if row.branch_name else empty,
            ),
        ]
    )


def _refusal(exc: InvalidInput, t: Translator) -> str:
    if exc.reason == STORE_FIELD_TOO_LONG:
        return t("A store's name and IDs can have at most 100 characters each.")
    return t("A store's name and IDs cannot contain invisible characters.")


@requires("manager")
async def remove_store(update: Update, context: ChatContext) -> None:
    """``/store remove <name>``: staff who worked there are back at the default store."""
    t = context.t(update)
    name = " ".join((context.args or [])[1:])
    if not name:
        await reply(update, "\n".join(_usage(t)))
        return
    removed = context.services.stores.remove(name)
    if removed is None:
        await reply(update, t("There is no store named {store}.", store=isolate(name)))
        return
    audit(context, update, "store", "removed", detail=json.dumps({"name": removed.name}))
    await reply(update, "🏬 " + t("Removed {store}.", store=f"<b>{isolate(removed.name)}</b>"))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The handlers of ``/store``, for ``register_handlers``."""
    return [
        CommandHandler("store", store_command),
        CallbackQueryHandler(store_chosen, pattern=rf"^{CHOOSE}:[0-9]{{1,15}}$"),
    ]
