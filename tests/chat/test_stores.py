"""A store per shift (issue 18): managers keep the list, staff pick theirs with ``/store``, and the
pick names their sign-ups, orders, refunds and audit entries.
"""

from __future__ import annotations

from typing import Any

from bot.chat.context import services_of
from tests.chat.harness import MANAGER, STAFF, ChatDriver, ManualClock
from tests.chat.purchases import Till, orders_sent, record_purchase
from tests.chat.signups import sign_up
from tests.chat.test_identify import upserts
from tests.chat.test_orders import refunds_sent, reverse

FESTIVAL = "/store add Cairo Festival | FEST | G3 | Gate 3"


def audit_stores(bot: ChatDriver) -> list[tuple[str, str, str | None]]:
    entries = services_of(bot.app).database.audit.latest(limit=100)
    return [(entry.action, entry.result, entry.store) for entry in reversed(entries)]


async def pick(bot: ChatDriver, store: str, user: int = STAFF) -> list[dict[str, Any]]:
    await bot.text(user, "/store")
    return await bot.press(user, store)


async def test_store_shows_where_staff_work_and_that_managers_keep_the_list(
    till: ChatDriver,
) -> None:
    answer = (await till.text(STAFF, "/store"))[-1]

    assert answer["text"].splitlines() == [
        "🏬 You work at \u2068City Stars pop-up\u2069 (the bot's default store).",
        "There is no list of stores yet: a manager adds them with /store add.",
    ]
    assert till.labels(answer) == []


async def test_only_managers_add_stores(till: ChatDriver) -> None:
    refusal = (await till.text(STAFF, FESTIVAL))[-1]
    added = (await till.text(MANAGER, FESTIVAL))[-1]

    assert refusal["text"] == "That is for managers only."
    assert added["text"].splitlines() == [
        "🏬 Added \u2068Cairo Festival\u2069.",
        "Gameball store ID: \u2068FEST\u2069",
        "Branch ID: \u2068G3\u2069",
        "Branch name: \u2068Gate 3\u2069",
    ]
    assert [row.name for row in services_of(till.app).stores.listed()] == ["Cairo Festival"]


async def test_a_store_name_is_unique_and_its_fields_are_checked(till: ChatDriver) -> None:
    await till.text(MANAGER, FESTIVAL)

    again = (await till.text(MANAGER, "/store add cairo festival"))[-1]
    hidden = (await till.text(MANAGER, "/store add Mall\u200b kiosk"))[-1]
    too_many = (await till.text(MANAGER, "/store add A | B | C | D | E"))[-1]

    assert again["text"] == "There is a store named \u2068cairo festival\u2069 already."
    assert hidden["text"] == "A store's name and IDs cannot contain invisible characters."
    assert too_many["text"].startswith("/store add name | store ID | branch ID | branch name")
    assert len(services_of(till.app).stores.listed()) == 1


async def test_the_picked_store_names_sign_ups_orders_refunds_and_the_audit_log(
    till: ChatDriver,
) -> None:
    await till.text(MANAGER, FESTIVAL)
    chosen = (await pick(till, "Cairo Festival"))[-1]
    assert "You work at \u2068Cairo Festival\u2069 now" in chosen["text"]

    await sign_up(till, "walk-in-7")
    await record_purchase(till, "450")
    await reverse(till)

    assert upserts(till.sandbox)[0]["customerAttributes"]["custom"] == {"store": "Cairo Festival"}
    (order,) = orders_sent(till.sandbox)
    festival = {
        "uniqueId": "FEST",
        "name": "Cairo Festival",
        "branch": {"uniqueId": "G3", "name": "Gate 3"},
    }
    assert order["merchant"] == festival
    assert order["orderId"].startswith("FEST-G3-")
    assert refunds_sent(till.sandbox)[0]["merchant"] == festival
    staff_entries = [entry for entry in audit_stores(till) if entry[:2] != ("store", "added")]
    stores = {(action, result): store for action, result, store in staff_entries}
    assert stores[("store", "chosen")] == "Cairo Festival"
    assert stores[("create", "created")] == "Cairo Festival"
    assert stores[("order", "recorded")] == "Cairo Festival"
    assert stores[("reverse", "reversed")] == "City Stars pop-up"  # the manager picked none


async def test_a_store_without_a_merchant_id_is_sent_under_store_id(till: ChatDriver) -> None:
    await till.text(MANAGER, "/store add Mall kiosk | | K1")
    await pick(till, "Mall kiosk")

    await record_purchase(till, "450")

    (order,) = orders_sent(till.sandbox)
    assert order["merchant"] == {
        "uniqueId": "POP1",
        "name": "Mall kiosk",
        "branch": {"uniqueId": "K1"},
    }


async def test_the_pick_survives_a_restart(till_with: Till) -> None:
    async with till_with() as bot:
        await bot.text(MANAGER, FESTIVAL)
        await pick(bot, "Cairo Festival")

    async with till_with() as restarted:
        answer = (await restarted.text(STAFF, "/store"))[-1]
        await record_purchase(restarted, "120")

    assert answer["text"].startswith("🏬 You work at \u2068Cairo Festival\u2069.")
    assert "✅ Cairo Festival" in restarted.labels(answer)
    assert orders_sent(restarted.sandbox)[-1]["merchant"]["name"] == "Cairo Festival"


async def test_a_removed_store_sends_its_staff_back_to_the_default(till: ChatDriver) -> None:
    await till.text(MANAGER, FESTIVAL)
    await pick(till, "Cairo Festival")
    old_list = (await till.text(STAFF, "/store"))[-1]

    removed = (await till.text(MANAGER, "/store remove Cairo Festival"))[-1]
    await till.press(STAFF, "Cairo Festival", message=old_list)
    refusal = till.calls("answerCallbackQuery")[-1]
    await record_purchase(till, "450")

    assert removed["text"] == "🏬 Removed \u2068Cairo Festival\u2069."
    assert refusal["text"] == "That store is no longer on the list."
    assert orders_sent(till.sandbox)[0]["merchant"]["name"] == "City Stars pop-up"


async def test_going_back_to_the_default_store(till: ChatDriver) -> None:
    await till.text(MANAGER, FESTIVAL)
    await pick(till, "Cairo Festival")

    back = (await pick(till, "City Stars pop-up"))[-1]

    assert "You work at \u2068City Stars pop-up\u2069 now" in back["text"]
    assert services_of(till.app).stores.of(STAFF).store_id == "POP1"


async def test_a_queued_sign_up_keeps_the_store_it_was_made_at(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await till.text(MANAGER, FESTIVAL)
    await pick(till, "Cairo Festival")
    await sign_up(till, "walk-in-8", gameball_down=True)
    await pick(till, "City Stars pop-up")  # the shift moved on before Gameball came back

    till_clock.advance(minutes=1)
    await till.run_queue()

    assert upserts(till.sandbox)[-1]["customerAttributes"]["custom"] == {"store": "Cairo Festival"}
    assert ("queue_send", "created", "Cairo Festival") in audit_stores(till)
