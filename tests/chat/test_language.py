"""English and Arabic: the user's Telegram language, /language, DEFAULT_LANGUAGE, command menus."""

from __future__ import annotations

from bot.domain.contacts import example_mobile
from tests.chat.harness import MANAGER, STAFF, BotStarter, ChatDriver


async def test_an_arabic_telegram_user_gets_an_arabic_card(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "demo-1002", language_code="ar")
    card = sent[-1]["text"]
    assert "معرّف العميل" in card
    assert "الرصيد المتاح" in card
    assert "ج.م." in card  # the currency as Arabic readers write it
    assert bot.labels(sent[-1]) == ["🔄 تحديث", "➡️ العميل التالي"]


async def test_an_invalid_mobile_is_explained_in_arabic_sentences(bot: ChatDriver) -> None:
    await bot.text(STAFF, "walk-in-9", language_code="ar")
    await bot.press(STAFF, "إنشاء حساب", language_code="ar")
    await bot.press(STAFF, "تخطي", language_code="ar")

    sent = await bot.text(STAFF, "0100 12", language_code="ar")

    example = example_mobile("EG")
    assert sent[0]["text"] == (
        f"⚠️ هذا الرقم أقصر من اللازم. مثال: {example}. يُرجى المحاولة مرة أخرى."
    )


async def test_language_command_switches_and_the_choice_sticks(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "/language")
    assert bot.labels(sent[-1]) == ["English", "العربية"]
    await bot.press(STAFF, "العربية")
    assert "اللغة: العربية" in bot.last_text(STAFF)
    sent = await bot.text(STAFF, "walk-in-9")  # Telegram still says English
    assert "إنشاء حساب" in bot.labels(sent[-1])
    await bot.press(STAFF, "إنشاء حساب")
    await bot.press(STAFF, "تخطي")
    await bot.text(STAFF, "01001234567")
    await bot.press(STAFF, "تخطي")
    await bot.press(STAFF, "إنشاء")
    upsert = next(r.body for r in bot.sandbox.requests if r.endpoint == "upsert")
    assert upsert["customerAttributes"]["preferredLanguage"] == "ar"


async def test_an_unsupported_telegram_language_gets_the_default_language(
    bot_with: BotStarter,
) -> None:
    async with bot_with(default_language="ar") as bot:
        sent = await bot.text(STAFF, "/balance demo-1001", language_code="fr")
    assert "الرصيد المتاح" in sent[-1]["text"]


async def test_commands_are_registered_per_language_and_per_role(bot: ChatDriver) -> None:
    menus = {
        (call["scope"]["type"], call.get("language_code")): call["commands"]
        for call in bot.calls("setMyCommands")
    }
    default_en = {c["command"]: c["description"] for c in menus[("default", None)]}
    default_ar = {c["command"]: c["description"] for c in menus[("default", "ar")]}
    manager_en = {c["command"] for c in menus[("chat", None)]}
    assert set(default_en) == {"identify", "balance", "cancel", "store", "language", "help"}
    assert default_ar["identify"] == "البحث عن عميل أو تسجيله"
    assert {"invite", "staff", "activity", "queue"} <= manager_en
    manager_scope = next(
        c["scope"] for c in bot.calls("setMyCommands") if c["scope"]["type"] == "chat"
    )
    assert manager_scope["chat_id"] == MANAGER
