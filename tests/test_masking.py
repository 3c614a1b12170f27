"""Masking of mobiles and emails (PRODUCT §5): what log readers and the audit log may see."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.masking import mask_digits_in, mask_email, mask_mobile, mask_text

E164_MOBILES = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)
#: Text around a number in a log line; digits excluded, they would make it another number.
SURROUNDINGS = st.text(st.characters(exclude_categories=["Nd", "Cs"]), max_size=12)
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def ways_to_log(mobile: str) -> list[str]:
    """The spellings of one E.164 mobile that reach log lines in practice."""
    digits = mobile.removeprefix("+")
    spaced = " ".join([mobile[:3], digits[2:5], digits[5:]])
    return [
        mobile,
        "00" + digits,
        spaced,
        digits.translate(ARABIC_INDIC),
        f"/customers/{quote(mobile, safe='')}/balance",  # httpx logs request URLs
        f"/customers/mobile_{digits}/balance",  # CUSTOMER_ID_TEMPLATE=mobile_{digits}
        repr({"text": f"Mobile: \u2068{mobile}\u2069"}),  # PTB logs call parameters
        json.dumps({"phone_number": digits}),
    ]


# --- mask_mobile -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+201001234567", "+20•••••••567"),
        ("01001234567", "01••••••567"),
        ("+20 100 123 4567", "+20•••••••567"),
        ("٠١٠٠١٢٣٤٥٦٧", "٠١••••••٥٦٧"),
        ("+1234567", "+12••567"),
    ],
)
def test_mask_mobile_keeps_the_start_and_the_last_three_digits(value: str, masked: str) -> None:
    assert mask_mobile(value) == masked


def test_mask_mobile_hides_every_digit_of_a_short_number() -> None:
    assert mask_mobile("+12345") == "•••••"


# --- mask_email --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mona@example.com", "m•••@example.com"),
        ("Mona.Hassan+vip@Example.COM", "M•••@Example.COM"),
        ("to: o'brien@shop.co.uk.", "to: o•••@shop.co.uk."),
        ("منى@example.com", "م•••@example.com"),
        ("mona@exämple.com", "m•••@exämple.com"),
        ("{'email': 'mona@example.com'}", "{'email': '•••@example.com'}"),
        ("a@b.co and c@d.org", "a•••@b.co and c•••@d.org"),
    ],
)
def test_mask_email_keeps_one_character_and_the_domain(text: str, masked: str) -> None:
    assert mask_email(text) == masked


def test_mask_email_leaves_text_without_an_address_alone() -> None:
    text = "user @mona wrote to support@ at 10:30"
    assert mask_email(text) == text


# --- mask_digits_in ----------------------------------------------------------------------------


def test_mask_digits_in_masks_the_number_inside_a_customer_id() -> None:
    assert mask_digits_in("mobile_201001234567") == "mobile_20•••••••567"


def test_mask_digits_in_keeps_short_numbers_of_an_ordinary_id() -> None:
    assert mask_digits_in("order-123456") == "order-123456"


# --- mask_text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("lookup of +201001234567 failed", "lookup of +20•••••••567 failed"),
        ("typed 0100 123 4567.", "typed 01••••••567."),
        (
            "GET http://127.0.0.1:8090/customers/%2B201001234567/balance",
            "GET http://127.0.0.1:8090/customers/%2B20•••••••567/balance",
        ),
        ("customers/mobile_201001234567/details", "customers/mobile_20•••••••567/details"),
        ("mona@example.com, +201001234567", "m•••@example.com, +20•••••••567"),
    ],
)
def test_mask_text_masks_contacts_wherever_they_appear(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "GET http://127.0.0.1:8090/api/v4.0/integrations/customers/demo-1001/balance",
        "retry 3 of 4 after 1.25 s, status=503",
        "user 12345 in chat -12345",
    ],
)
def test_mask_text_leaves_addresses_ports_and_counts_readable(text: str) -> None:
    assert mask_text(text) == text


@given(mobile=E164_MOBILES, before=SURROUNDINGS, after=SURROUNDINGS)
def test_no_spelling_of_a_mobile_survives_mask_text(mobile: str, before: str, after: str) -> None:
    digits = mobile.removeprefix("+")
    for logged in ways_to_log(mobile):
        masked = mask_text(f"{before} {logged} {after}")
        assert digits not in masked
        assert digits.translate(ARABIC_INDIC) not in masked


@given(text=st.text(st.characters(exclude_categories=["Nd", "Cs"]).filter(lambda c: c != "@")))
def test_text_without_digits_or_at_signs_is_unchanged(text: str) -> None:
    assert mask_text(text) == text


@given(email=st.emails(), before=st.sampled_from(["", " ", "'", '"', "<", "(", "email="]))
def test_no_email_survives_mask_text_beyond_its_first_character(email: str, before: str) -> None:
    domain = email.rsplit("@", 1)[1]
    masked = mask_text(f"sent to {before}{email}>")
    visible_before_the_mask = masked.split("•••@")[0]
    assert masked.endswith(f"•••@{domain}>")
    assert len(visible_before_the_mask) <= len(f"sent to {before}") + 1
