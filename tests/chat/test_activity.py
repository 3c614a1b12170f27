"""``/activity`` for humans (issue 18): what people did, in the reader's language and
punctuation, for everyone, one person or one store.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.chat.context import services_of
from tests.chat.harness import MANAGER, STAFF, ChatDriver
from tests.chat.purchases import orders_sent, record_purchase
from tests.chat.signups import sign_up
from tests.chat.test_orders import reverse

HOLD = {"points": 200, "amount": "20.00", "currency": "EGP"}


def record(bot: ChatDriver, action: str, result: str, detail: object = None) -> None:
    """An entry as another part of the bot writes it (e.g. issue 16's holds)."""
    services_of(bot.app).record_audit(
        actor_id=STAFF,
        actor_name="Sara",
        action=action,
        result=result,
        customer_id="demo-1002",
        detail=None if detail is None else json.dumps(detail),
    )


async def a_day_at_the_till(bot: ChatDriver) -> None:
    """A look-up, a sign-up, a purchase and its reversal, a hold, and a look-up Gameball missed."""
    await sign_up(bot)
    await record_purchase(bot, "450")
    await reverse(bot)
    record(bot, "hold", "placed", HOLD)
    record(bot, "hold", "released", HOLD)
    record(bot, "hold", "refused", HOLD)
    bot.sandbox.set_down(503)
    await bot.text(STAFF, "demo-1003")
    bot.sandbox.set_down(None)


def phrases(page: dict[str, object]) -> list[str]:
    """Each entry's line after the time and the person: what they did."""
    lines = str(page["text"]).splitlines()[4:]
    return [line.split(": ", 1)[1] for line in lines]


async def test_activity_tells_what_people_did_in_english(till: ChatDriver) -> None:
    await a_day_at_the_till(till)

    page = (await till.text(MANAGER, "/activity"))[-1]

    at = ", at \u2068City Stars pop-up\u2069"
    order = f"\u2068{orders_sent(till.sandbox)[0]['orderId']}\u2069"
    assert phrases(page) == [
        "could not look up \u2068demo-1003\u2069: Gameball did not answer" + at,
        "could not hold 200 Stars (EGP20.00) for \u2068demo-1002\u2069: Gameball refused" + at,
        "released the hold of 200 Stars (EGP20.00) for \u2068demo-1002\u2069" + at,
        "held 200 Stars (EGP20.00) for \u2068demo-1002\u2069" + at,
        f"reversed the purchase of EGP450.00 for \u2068demo-1001\u2069, −45 Stars, {order}" + at,
        f"recorded a purchase of EGP450.00 for \u2068demo-1001\u2069, +45 Stars, {order}" + at,
        f"previewed a purchase of EGP450.00 for \u2068demo-1001\u2069, +45 Stars, {order}" + at,
        "looked up \u2068demo-1001\u2069" + at,
        "created \u2068walk-in-1\u2069" + at,
        "looked up \u2068walk-in-1\u2069: not found" + at,
    ]
    for internal in ("→", "not_found", "lookup", "placed", "released →"):
        assert internal not in page["text"]


async def test_activity_speaks_arabic_with_arabic_punctuation(till: ChatDriver) -> None:
    await a_day_at_the_till(till)

    page = (await till.text(MANAGER, "/activity", language_code="ar"))[-1]

    lines = page["text"].splitlines()
    assert lines[0] == "آخر النشاطات"
    assert all(re.match(r"\d+ \w+، \d\d:\d\d، \u2068", line) for line in lines[4:])
    assert not [line for line in lines if " · " in line or ", " in line]
    at = "، وفي \u2068City Stars pop-up\u2069"
    egp450, egp20 = "\u200f450.00\xa0ج.م.\u200f", "\u200f20.00\xa0ج.م.\u200f"
    order = f"\u2068{orders_sent(till.sandbox)[0]['orderId']}\u2069"
    assert phrases(page) == [
        "تعذّر البحث عن \u2068demo-1003\u2069: لم يستجب Gameball" + at,
        f"تعذّر حجز 200 Stars ({egp20}) للعميل \u2068demo-1002\u2069: رفض Gameball الطلب" + at,
        f"إلغاء حجز 200 Stars ({egp20}) للعميل \u2068demo-1002\u2069" + at,
        f"حجز 200 Stars ({egp20}) للعميل \u2068demo-1002\u2069" + at,
        f"إلغاء شراء بقيمة {egp450} للعميل \u2068demo-1001\u2069، و−45 Stars، و{order}" + at,
        f"تسجيل شراء بقيمة {egp450} للعميل \u2068demo-1001\u2069، و+45 Stars، و{order}" + at,
        f"معاينة شراء بقيمة {egp450} للعميل \u2068demo-1001\u2069، و+45 Stars، و{order}" + at,
        "البحث عن \u2068demo-1001\u2069" + at,
        "إنشاء \u2068walk-in-1\u2069" + at,
        "البحث عن \u2068walk-in-1\u2069: غير موجود" + at,
    ]


@pytest.mark.parametrize(
    ("action", "result", "shown"),
    [
        ("stocktake", "done", "stocktake → done, \u2068demo-1002\u2069"),
        ("hold", "frozen", "hold → frozen, \u2068demo-1002\u2069"),
    ],
)
async def test_an_action_this_release_does_not_know_reads_as_recorded(
    till: ChatDriver, action: str, result: str, shown: str
) -> None:
    record(till, action, result)

    page = (await till.text(MANAGER, "/activity"))[-1]

    assert phrases(page) == [shown + ", at \u2068City Stars pop-up\u2069"]


async def test_activity_filters_by_store(till: ChatDriver) -> None:
    await till.text(MANAGER, "/store add Cairo Festival")
    await till.text(STAFF, "/store")
    await till.press(STAFF, "Cairo Festival")
    await till.text(STAFF, "demo-1001")
    await till.text(MANAGER, "demo-1003")

    everyone = (await till.text(MANAGER, "/activity"))[-1]
    festival = (await till.press(MANAGER, "🏬 Cairo Festival"))[-1]

    assert "🏬 City Stars pop-up" in till.labels(everyone)
    assert "demo-1003" in everyone["text"]
    assert festival["text"].splitlines()[0] == "Recent activity · 🏬 \u2068Cairo Festival\u2069"
    assert phrases(festival) == [
        "looked up \u2068demo-1001\u2069, at \u2068Cairo Festival\u2069",
        "started working at \u2068Cairo Festival\u2069",
    ]
    assert till.labels(festival)[-1] == "Everyone"
    back = (await till.press(MANAGER, "Everyone"))[-1]
    assert "demo-1003" in back["text"]
