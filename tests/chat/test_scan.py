"""Scan instead of type (PRODUCT §9), through the real Application and the strict fake Bot API.

Photos are made at test time (tests/images.py) and downloaded by the bot with getFile, as from
Telegram; the Scan button's Mini App is a ``web_app_data`` message.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from tests.chat.harness import MANAGER, STAFF, STRANGER, BotStarter, ChatDriver
from tests.images import (
    GAMEBALL_HASH,
    Distortion,
    blank_photo,
    code128,
    datamatrix,
    ean13,
    encoded,
    phone_photo,
    photo_of_two,
    qr_code,
)

GAMEBALL_CODE = "demo-1001" + GAMEBALL_HASH
TILTED = Distortion(angle=25, tilt=0.1, blur=0.8, quality=70)


def looked_up(bot: ChatDriver) -> list[str | None]:
    """The customer IDs whose balance the bot asked Gameball for, in order."""
    return [r.customer_id for r in bot.sandbox.requests if r.endpoint == "balance"]


def downloads(bot: ChatDriver) -> int:
    return len(bot.calls("getFile"))


def said(message: dict[str, object]) -> str:
    """A message's text without the bidi isolates the bot puts around customer IDs."""
    return str(message["text"]).replace("\u2068", "").replace("\u2069", "")


def stored(folder: Path) -> bytes:
    """Everything in the bot's SQLite database files, the write-ahead log included."""
    return b"".join(map(Path.read_bytes, folder.glob("checkout-bot.sqlite3*")))


# --- a photo instead of typing ----------------------------------------------------------------


async def test_a_photo_of_a_gameball_code_shows_the_card_in_one_message(bot: ChatDriver) -> None:
    sent = await bot.photo(STAFF, phone_photo(qr_code(GAMEBALL_CODE), TILTED))

    assert len(sent) == 1
    assert "Omar Hassan" in sent[0]["text"]
    assert "1,250 Stars" in sent[0]["text"]
    assert looked_up(bot) == ["demo-1001"]
    assert bot.app.bot_data["services"].scans.redemption_hash(STAFF, "demo-1001") == GAMEBALL_HASH


async def test_the_largest_size_of_the_photo_is_read(bot: ChatDriver) -> None:
    # The thumbnail Telegram lists first is too small to hold a readable code.
    await bot.photo(STAFF, phone_photo(qr_code(GAMEBALL_CODE), Distortion(scale=0.25)))
    (call,) = bot.calls("getFile")
    assert call["file_id"].endswith("-full")


async def test_a_code_holding_a_plain_id_identifies_that_customer(bot: ChatDriver) -> None:
    sent = await bot.photo(STAFF, phone_photo(qr_code("demo-1002")))
    assert "Nour El-Sayed" in sent[-1]["text"]
    assert bot.app.bot_data["services"].scans.redemption_hash(STAFF, "demo-1002") is None


async def test_an_id_that_ends_in_six_digits_is_found_after_the_gameball_reading(
    bot: ChatDriver,
) -> None:
    bot.sandbox.add_customer("card-778899650731", name="Card Holder")
    sent = await bot.photo(STAFF, phone_photo(qr_code("card-778899650731")))
    assert "Card Holder" in sent[-1]["text"]
    assert looked_up(bot) == ["card-778899", "card-778899650731"]
    assert bot.app.bot_data["services"].scans.redemption_hash(STAFF, "card-778899") is None


async def test_an_unknown_gameball_code_offers_to_create_the_id_without_the_hash(
    bot: ChatDriver,
) -> None:
    sent = await bot.photo(STAFF, phone_photo(qr_code("walk-in-9" + GAMEBALL_HASH)))
    assert "No customer with ID walk-in-9 yet" in said(sent[-1])
    assert GAMEBALL_HASH not in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["Create profile", "Cancel"]


async def test_a_code_128_barcode_identifies_the_customer(bot: ChatDriver) -> None:
    sent = await bot.photo(STAFF, phone_photo(code128("demo-1002"), Distortion(scale=0.6)))
    assert "Nour El-Sayed" in sent[-1]["text"]


async def test_a_retail_barcode_is_never_split_like_gameball_s_qr_code(bot: ChatDriver) -> None:
    bot.sandbox.add_customer("6221000", name="Not This One")
    sent = await bot.photo(STAFF, phone_photo(ean13("622100000001"), Distortion(scale=0.6)))
    assert "No customer with ID 6221000000010 yet" in said(sent[-1])
    assert looked_up(bot) == ["6221000000010"]


async def test_an_image_sent_as_a_file_is_read_too(bot: ChatDriver) -> None:
    image = encoded(datamatrix("demo-1003"))
    sent = await bot.document(STAFF, image, "image/png", file_name="card.png")
    assert "Abdullah Al-Qahtani" in sent[-1]["text"]


async def test_a_photo_answers_the_request_for_an_id(bot: ChatDriver) -> None:
    await bot.text(STAFF, "/identify")
    sent = await bot.photo(STAFF, phone_photo(qr_code("demo-1003")))
    assert "Abdullah Al-Qahtani" in sent[-1]["text"]


async def test_after_an_unknown_id_a_photo_looks_up_again(bot: ChatDriver) -> None:
    await bot.text(STAFF, "nobody-here")
    sent = await bot.photo(STAFF, phone_photo(qr_code(GAMEBALL_CODE)))
    assert "Omar Hassan" in sent[-1]["text"]


async def test_a_photo_mid_sign_up_gets_a_hint_and_is_not_read(bot: ChatDriver) -> None:
    await bot.text(STAFF, "new-42")
    await bot.press(STAFF, "Create profile")
    sent = await bot.photo(STAFF, phone_photo(qr_code("demo-1001")))
    assert "Please type the customer's name" in sent[-1]["text"]
    assert downloads(bot) == 0


# --- what cannot be read --------------------------------------------------------------------


async def test_a_photo_without_a_code_says_how_to_retake_it(bot: ChatDriver) -> None:
    sent = await bot.photo(STAFF, blank_photo())
    assert sent[-1]["text"] == "No code found. Try again closer, flat and in focus."
    assert not bot.sandbox.requests
    sent = await bot.text(STAFF, "demo-1001")  # typing still works
    assert "Omar Hassan" in sent[-1]["text"]


async def test_a_file_that_is_not_an_image_is_refused_without_downloading(bot: ChatDriver) -> None:
    sent = await bot.document(STAFF, b"%PDF-1.7 a receipt", "application/pdf")
    assert "can't read that file as an image" in sent[-1]["text"]
    assert downloads(bot) == 0


async def test_a_file_over_10_mb_is_refused_before_it_is_downloaded(bot: ChatDriver) -> None:
    oversized = encoded(qr_code("demo-1001")) + bytes(10 * 1024 * 1024)
    sent = await bot.document(STAFF, oversized, "image/png")
    assert "too large" in sent[-1]["text"]
    assert downloads(bot) == 0


async def test_an_image_of_over_40_megapixels_is_refused_unread(bot: ChatDriver) -> None:
    huge = encoded(Image.new("L", (8000, 6000), 255))  # small as a file, 48 MP when opened
    sent = await bot.document(STAFF, huge, "image/png")
    assert "too large" in sent[-1]["text"]
    assert not bot.sandbox.requests


async def test_a_broken_image_file_is_refused(bot: ChatDriver) -> None:
    broken = encoded(qr_code("demo-1001"), "JPEG")[:300]
    sent = await bot.document(STAFF, broken, "image/jpeg")
    assert "can't read that file as an image" in sent[-1]["text"]


# --- several codes ----------------------------------------------------------------------------


async def test_several_codes_are_offered_by_name_and_the_chosen_one_is_looked_up(
    bot: ChatDriver,
) -> None:
    photo = photo_of_two(qr_code(GAMEBALL_CODE), code128("demo-1002"))
    sent = await bot.photo(STAFF, photo)
    assert "several codes" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["QR Code: demo-1001", "Code 128: demo-1002"]
    assert not any(GAMEBALL_HASH in data for _, data in bot.fake.buttons(sent[-1]))
    assert not bot.sandbox.requests

    sent = await bot.press(STAFF, "demo-1001")
    assert "Omar Hassan" in sent[-1]["text"]
    assert bot.app.bot_data["services"].scans.redemption_hash(STAFF, "demo-1001") == GAMEBALL_HASH


async def test_a_choice_from_an_earlier_photo_has_expired(bot: ChatDriver) -> None:
    photo = photo_of_two(qr_code("demo-1001"), code128("demo-1002"))
    await bot.photo(STAFF, photo)
    old_choice = bot.message_with_button(STAFF, "demo-1002")
    await bot.photo(STAFF, photo)
    sent = await bot.press(STAFF, "demo-1002", message=old_choice)
    assert sent == []
    answers = bot.calls("answerCallbackQuery")
    assert answers[-1]["text"] == "This button has expired."
    assert not bot.sandbox.requests


async def test_another_staff_member_cannot_use_a_choice(bot: ChatDriver) -> None:
    await bot.photo(STAFF, photo_of_two(qr_code("demo-1001"), code128("demo-1002")))
    choice = bot.message_with_button(STAFF, "demo-1002")
    data = dict(bot.fake.buttons(choice))["Code 128: demo-1002"]
    forged = bot.fake.press_button(MANAGER, choice, data, queue=False)
    await bot.process(forged)
    assert not bot.sandbox.requests


# --- /balance -------------------------------------------------------------------------------


async def test_a_photo_captioned_balance_is_a_read_only_look_up(bot: ChatDriver) -> None:
    sent = await bot.photo(STAFF, phone_photo(qr_code(GAMEBALL_CODE)), caption="/balance")
    assert "Omar Hassan" in sent[-1]["text"]
    sent = await bot.photo(STAFF, phone_photo(qr_code("nobody-7")), caption="/balance")
    assert "No customer with ID nobody-7. Use /identify" in said(sent[-1])
    assert "Create profile" not in bot.labels(sent[-1])


async def test_a_balance_photo_mid_sign_up_leaves_the_sign_up_where_it_was(
    bot: ChatDriver,
) -> None:
    await bot.text(STAFF, "new-42")
    await bot.press(STAFF, "Create profile")
    sent = await bot.photo(STAFF, phone_photo(qr_code("demo-1002")), caption="/balance")
    assert "Nour El-Sayed" in sent[-1]["text"]
    sent = await bot.text(STAFF, "Mona")
    assert "mobile number" in sent[-1]["text"]


async def test_several_codes_in_a_balance_photo_are_offered_for_the_balance(
    bot: ChatDriver,
) -> None:
    photo = photo_of_two(qr_code("demo-1001"), code128("nobody-8"))
    await bot.photo(STAFF, photo, caption="/balance")
    sent = await bot.press(STAFF, "nobody-8")
    assert "No customer with ID nobody-8. Use /identify" in said(sent[-1])


# --- the Scan button --------------------------------------------------------------------------


async def test_what_the_scan_button_sends_is_read_like_a_gameball_code(bot: ChatDriver) -> None:
    sent = await bot.web_app_data(STAFF, GAMEBALL_CODE)
    assert len(sent) == 1
    assert "Omar Hassan" in sent[0]["text"]
    assert bot.app.bot_data["services"].scans.redemption_hash(STAFF, "demo-1001") == GAMEBALL_HASH


async def test_what_the_scan_button_sends_is_validated_like_typed_text(bot: ChatDriver) -> None:
    sent = await bot.web_app_data(STAFF, "two words")
    assert "can't contain spaces" in sent[-1]["text"]
    sent = await bot.web_app_data(STAFF, "../../admin" + "x" * 100)
    assert "at most 100 characters" in sent[-1]["text"]
    assert not bot.sandbox.requests


async def test_the_scan_button_comes_with_requests_for_an_id(bot_with: BotStarter) -> None:
    async with bot_with(scanner_url="https://bot.example.com/scan?v=2") as bot:
        await bot.text(STAFF, "/start")
        keyboard = bot.fake.last_message(STAFF)["_reply_markup"]["keyboard"]
        ((button,),) = keyboard
        assert button["text"] == "📷 Scan"
        page = urlsplit(button["web_app"]["url"])
        assert (page.scheme, page.netloc, page.path) == ("https", "bot.example.com", "/scan")
        query = parse_qs(page.query)
        assert query["v"] == ["2"]
        assert query["send"] == ["Send"]

        await bot.text(STAFF, "/identify", language_code="ar")
        arabic = bot.fake.last_message(STAFF)["_reply_markup"]["keyboard"][0][0]
        assert parse_qs(urlsplit(arabic["web_app"]["url"]).query)["dir"] == ["rtl"]

        await bot.text(STRANGER, "/start")
        assert "_reply_markup" not in bot.fake.last_message(STRANGER)


async def test_without_a_scanner_page_the_keyboard_is_taken_away(bot: ChatDriver) -> None:
    await bot.text(STAFF, "/identify")
    assert bot.fake.last_message(STAFF)["_reply_markup"] == {"remove_keyboard": True}


# --- access and groups ------------------------------------------------------------------------


async def test_a_photo_in_a_group_is_ignored_and_never_downloaded(bot: ChatDriver) -> None:
    photo = phone_photo(qr_code(GAMEBALL_CODE))
    for caption in (None, "/balance"):
        update = bot.fake.user_photo(
            STAFF, image=photo, caption=caption, chat_id=-500, chat_type="group", queue=False
        )
        assert await bot.process(update) == []
    assert downloads(bot) == 0
    assert not bot.sandbox.requests


async def test_a_stranger_s_photo_is_refused_unread(bot: ChatDriver) -> None:
    sent = await bot.photo(STRANGER, phone_photo(qr_code(GAMEBALL_CODE)))
    assert "You don't have access" in sent[-1]["text"]
    assert downloads(bot) == 0
    assert not bot.sandbox.requests


# --- the hash goes nowhere ---------------------------------------------------------------------


async def test_after_a_gameball_failure_retry_still_keeps_the_hash(bot: ChatDriver) -> None:
    bot.sandbox.set_down(503)
    sent = await bot.web_app_data(STAFF, GAMEBALL_CODE)
    assert bot.labels(sent[-1]) == ["Retry", "Cancel"]
    bot.sandbox.set_down(None)
    sent = await bot.press(STAFF, "Retry")
    assert "Omar Hassan" in sent[-1]["text"]
    assert bot.app.bot_data["services"].scans.redemption_hash(STAFF, "demo-1001") == GAMEBALL_HASH


async def test_the_hash_is_in_no_bot_api_call_and_not_in_the_database(
    bot: ChatDriver, tmp_path: Path
) -> None:
    await bot.photo(STAFF, photo_of_two(qr_code(GAMEBALL_CODE), code128("demo-1002")))
    await bot.press(STAFF, "demo-1001")
    await bot.web_app_data(STAFF, "walk-in-5" + GAMEBALL_HASH)  # unknown: offered for sign-up
    await bot.press(STAFF, "Create profile")
    await bot.app.update_persistence()

    calls = json.dumps([(call.method, call.params) for call in bot.fake.calls])
    assert "walk-in-5" in calls
    assert GAMEBALL_HASH not in calls
    database = stored(tmp_path)
    assert b"walk-in-5" in database  # the flow is persisted: the search below can fail
    assert GAMEBALL_HASH.encode() not in database


# --- the event loop -------------------------------------------------------------------------


async def test_decoding_a_photo_does_not_hold_up_other_cashiers(bot: ChatDriver) -> None:
    photo = bot.fake.user_photo(STAFF, image=blank_photo(), queue=False)  # the slowest decode
    typed = bot.fake.user_text(MANAGER, "demo-1002", queue=False)
    await asyncio.gather(bot.process(photo), bot.process(typed))
    order = [m["text"] for m in bot.fake.sent_messages() if m["chat"]["id"] in (STAFF, MANAGER)]
    assert "Nour El-Sayed" in order[-2]
    assert order[-1].startswith("No code found")


async def test_revoked_staff_lose_the_scan_button_with_their_access(bot_with: BotStarter) -> None:
    async with bot_with(scanner_url="https://bot.example.com/scan") as bot:
        await bot.text(STAFF, "/start")
        assert "keyboard" in bot.fake.last_message(STAFF)["_reply_markup"]
        bot.app.bot_data["services"].database.staff.revoke(STAFF)
        sent = await bot.web_app_data(STAFF, GAMEBALL_CODE)
        assert "You don't have access" in sent[-1]["text"]
        assert sent[-1]["_reply_markup"] == {"remove_keyboard": True}
        assert not bot.sandbox.requests
