"""Who may do what, and where (PRODUCT §3): strangers, staff, managers, private chats and groups.

Every test here asserts what a user would notice (the bot's messages) and what Gameball would
notice (the sandbox's request log): an access rule that leaks shows up as a request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.chat.harness import MANAGER, STAFF, STRANGER, ChatDriver

BOT_USERNAME = "checkout_test_bot"

Action = Callable[[ChatDriver], Awaitable[list[dict[str, Any]]]]


def _says_how_to_get_access(text: str, user_id: int) -> bool:
    return str(user_id) in text and "invite link" in text


async def _card_for_staff(bot: ChatDriver) -> dict[str, Any]:
    """A balance card in the staff member's chat, for strangers to press buttons on."""
    await bot.text(STAFF, "demo-1001")
    return bot.message_with_button(STAFF, "Refresh")


# --- strangers -------------------------------------------------------------------------------


STRANGER_MESSAGES: dict[str, Action] = {
    "plain text": lambda bot: bot.text(STRANGER, "demo-1001"),
    "/identify with an ID": lambda bot: bot.text(STRANGER, "/identify demo-1001"),
    "/identify alone": lambda bot: bot.text(STRANGER, "/identify"),
    "/balance with an ID": lambda bot: bot.text(STRANGER, "/balance demo-1001"),
    "a contact card": lambda bot: bot.contact(STRANGER, "+201001112233"),
}


@pytest.mark.parametrize("action", STRANGER_MESSAGES.values(), ids=STRANGER_MESSAGES.keys())
async def test_a_stranger_gets_their_id_and_no_customer_data(
    bot: ChatDriver, action: Action
) -> None:
    sent = await action(bot)

    assert bot.sandbox.requests == []
    assert len(sent) == 1
    assert _says_how_to_get_access(sent[0]["text"], STRANGER)
    assert "Omar" not in sent[0]["text"]


async def test_start_tells_a_stranger_their_id_and_how_to_get_access(bot: ChatDriver) -> None:
    sent = await bot.text(STRANGER, "/start")

    assert len(sent) == 1
    assert _says_how_to_get_access(sent[0]["text"], STRANGER)
    assert "/identify" not in sent[0]["text"]


async def test_start_shows_staff_what_they_can_do(bot: ChatDriver) -> None:
    staff_help = (await bot.text(STAFF, "/start"))[0]["text"]
    manager_help = (await bot.text(MANAGER, "/help"))[0]["text"]

    assert "/identify" in staff_help
    assert "/invite" not in staff_help
    assert "/invite" in manager_help


@pytest.mark.parametrize("label", ["Refresh", "Next customer"])
async def test_a_stranger_pressing_a_card_button_gets_nothing(bot: ChatDriver, label: str) -> None:
    card = await _card_for_staff(bot)
    requests_before = len(bot.sandbox.requests)

    sent = await bot.press(STRANGER, label, message=card)

    assert sent == []
    assert len(bot.sandbox.requests) == requests_before
    assert _says_how_to_get_access(bot.calls("answerCallbackQuery")[-1]["text"], STRANGER)


async def test_a_stranger_pressing_create_profile_starts_no_sign_up(bot: ChatDriver) -> None:
    await bot.text(STAFF, "new-customer-7")
    offer = bot.message_with_button(STAFF, "Create profile")
    requests_before = len(bot.sandbox.requests)

    sent = await bot.press(STRANGER, "Create profile", message=offer)

    assert sent == []
    assert len(bot.sandbox.requests) == requests_before


# --- groups ----------------------------------------------------------------------------------


GROUP_COMMANDS = ["/balance demo-1001", "/identify demo-1001", "/start", "/invite", "/activity"]


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
@pytest.mark.parametrize("command", GROUP_COMMANDS)
async def test_a_command_in_a_group_gets_a_pointer_to_a_private_chat(
    bot: ChatDriver, command: str, chat_type: str
) -> None:
    sent = await bot.text(MANAGER, command, chat_type=chat_type)

    assert len(sent) == 1
    assert sent[0]["chat"]["id"] == -MANAGER
    assert "private chat" in sent[0]["text"]
    assert f"@{BOT_USERNAME}" in sent[0]["text"]
    assert "Omar" not in sent[0]["text"]
    assert "t.me/" not in sent[0]["text"]
    assert bot.sandbox.requests == []


async def test_plain_text_in_a_group_is_ignored(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "demo-1001", chat_type="group")

    assert sent == []
    assert bot.calls("sendMessage") == []
    assert bot.sandbox.requests == []


async def test_a_contact_card_in_a_group_is_ignored(bot: ChatDriver) -> None:
    sent = await bot.process(
        bot.fake.user_contact(STAFF, "+201001112233", chat_id=-STAFF, queue=False)
    )

    assert sent == []
    assert bot.sandbox.requests == []


async def test_an_invite_opened_in_a_group_is_not_used_up(bot: ChatDriver) -> None:
    link = (await bot.text(MANAGER, "/invite"))[0]["text"]
    invite_code = link.rsplit("?start=", 1)[1].split()[0]
    newcomer = 444

    in_group = await bot.text(newcomer, f"/start {invite_code}", chat_type="group")
    in_private = await bot.text(newcomer, f"/start {invite_code}")

    assert "private chat" in in_group[0]["text"]
    assert "Welcome to the team" in in_private[0]["text"]


# --- staff and managers ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/invite", "/staff", "/activity", "/queue"])
async def test_staff_cannot_use_manager_commands(bot: ChatDriver, command: str) -> None:
    sent = await bot.text(STAFF, command)

    assert [message["text"] for message in sent] == ["That is for managers only."]


async def test_a_stranger_asking_for_a_manager_command_gets_their_id(bot: ChatDriver) -> None:
    sent = await bot.text(STRANGER, "/invite")

    assert len(sent) == 1
    assert _says_how_to_get_access(sent[0]["text"], STRANGER)
    assert "t.me/" not in sent[0]["text"]


async def test_staff_pressing_revoke_on_a_managers_list_revokes_nobody(bot: ChatDriver) -> None:
    await bot.text(STAFF, "demo-1001")  # STAFF is known by name from now on
    await bot.text(MANAGER, "/staff")
    await bot.press(MANAGER, "Revoke")
    confirmation = bot.message_with_button(MANAGER, "Yes, revoke")

    sent = await bot.press(STAFF, "Yes, revoke", message=confirmation)

    assert sent == []
    assert bot.calls("answerCallbackQuery")[-1]["text"] == "That is for managers only."
    assert "demo-1001" in (await bot.text(STAFF, "demo-1001"))[0]["text"]
