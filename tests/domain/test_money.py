"""The amount a cashier types for a purchase, and what the bot makes of it (PRODUCT §8)."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.contacts import EMPTY, InvalidInput
from bot.domain.money import (
    AMOUNT_NEGATIVE,
    AMOUNT_NOT_A_NUMBER,
    AMOUNT_OTHER_CURRENCY,
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_PRECISE,
    AMOUNT_ZERO,
    DISCOUNT_TOO_LARGE,
    POINTS_NOT_A_NUMBER,
    POINTS_NOT_POSITIVE,
    POINTS_NOT_WHOLE,
    POINTS_TOO_MANY,
    absurd_above,
    parse_amount,
    parse_discount,
    parse_points,
)

LARGEST = absurd_above(Decimal(10000))


def read(text: str, currency: str | None = "EGP") -> Decimal:
    return parse_amount(text, currency=currency, largest=LARGEST)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("450", "450"),
        ("1,250.50", "1250.50"),
        ("EGP 450", "450"),
        ("egp450", "450"),
        ("450 EGP", "450"),
        ("٤٥٠", "450"),  # Arabic-Indic digits
        ("۴۵۰", "450"),  # Persian digits
        ("١٬٢٥٠٫٥٠", "1250.50"),  # Arabic thousands and decimal separators
        ("450.5", "450.5"),
        ("  450  ", "450"),
        ("1 250", "1250"),
        ("450 ج.م.", "450"),  # the pound's Arabic symbol, as Babel writes it
        ("ج.م. 450", "450"),
        ("\u200f٤٥٠\u200f", "450"),  # wrapped in right-to-left marks by an Arabic keyboard
        ("+450", "450"),
        ("450.", "450"),
        ("1,000,000", "1000000"),
    ],
)
def test_usual_ways_of_writing_an_amount_are_read_exactly(typed: str, amount: str) -> None:
    assert read(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", EMPTY),
        ("   ", EMPTY),
        ("0", AMOUNT_ZERO),
        ("0.00", AMOUNT_ZERO),
        ("-450", AMOUNT_NEGATIVE),
        ("−450", AMOUNT_NEGATIVE),  # a minus sign, not a hyphen
        ("450.505", AMOUNT_TOO_PRECISE),
        ("0.001", AMOUNT_TOO_PRECISE),
        ("abc", AMOUNT_NOT_A_NUMBER),
        ("450abc", AMOUNT_NOT_A_NUMBER),
        ("12ab34", AMOUNT_NOT_A_NUMBER),
        ("1e5", AMOUNT_NOT_A_NUMBER),
        ("NaN", AMOUNT_NOT_A_NUMBER),
        ("1,25", AMOUNT_NOT_A_NUMBER),  # a grouping comma in the wrong place
        ("1.250,50", AMOUNT_NOT_A_NUMBER),  # European style: ambiguous, refused
        ("4" * 65, AMOUNT_NOT_A_NUMBER),  # a paste, not something typed at a till
        ("1000001", AMOUNT_TOO_LARGE),
        ("9" * 60, AMOUNT_TOO_LARGE),
        ("USD 450", AMOUNT_OTHER_CURRENCY),
        ("450 SAR", AMOUNT_OTHER_CURRENCY),
    ],
)
def test_what_is_not_an_amount_is_refused_with_its_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read(typed)
    assert refused.value.reason == reason


def test_any_currency_code_is_accepted_while_the_programmes_is_unknown() -> None:
    assert read("USD 45", currency=None) == Decimal(45)


def test_the_programmes_own_symbol_is_accepted() -> None:
    assert read("$45", currency="USD") == Decimal(45)
    assert read("45 ر.س.", currency="SAR") == Decimal(45)


def test_absurd_is_a_hundred_times_the_managers_limit() -> None:
    assert absurd_above(Decimal(10000)) == Decimal(1000000)
    assert read("1000000") == Decimal(1000000)


CENTS = st.integers(min_value=1, max_value=100_000_000)


@given(cents=CENTS, locale=st.sampled_from(["en", "ar"]))
def test_every_amount_babel_writes_for_staff_reads_back_the_same(cents: int, locale: str) -> None:
    amount = Decimal(cents) / 100
    written = format_decimal(amount, format="#,##0.00", locale=locale)
    assert read(written) == amount


ARABIC_DIGITS = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٬")


@given(cents=CENTS)
def test_every_amount_typed_on_an_arabic_keyboard_reads_back_the_same(cents: int) -> None:
    amount = Decimal(cents) / 100
    typed = format_decimal(amount, format="#,##0.00", locale="en").translate(ARABIC_DIGITS)
    assert read(typed) == amount


@given(text=st.text(max_size=80))
def test_any_text_is_an_amount_within_bounds_or_refused_with_a_reason(text: str) -> None:
    with contextlib.suppress(InvalidInput):  # a refusal always carries its reason code
        amount = read(text)
        assert 0 < amount <= LARGEST
        assert amount == amount.quantize(Decimal("0.01"))


# --- redeeming: whole points, or money off up to what the points are worth -----------------------


@pytest.mark.parametrize(
    ("typed", "points"),
    [("200", 200), ("1,250", 1250), ("٢٠٠", 200), ("200.0", 200), (" 1 250 ", 1250)],
)
def test_points_are_read_as_staff_type_numbers(typed: str, points: int) -> None:
    assert parse_points(typed, available=1250) == points


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12.5", POINTS_NOT_WHOLE),
        ("1251", POINTS_TOO_MANY),
        ("0", POINTS_NOT_POSITIVE),
        ("-5", POINTS_NOT_POSITIVE),
        ("EGP 200", POINTS_NOT_A_NUMBER),
        ("200 Stars", POINTS_NOT_A_NUMBER),
        ("two hundred", POINTS_NOT_A_NUMBER),
        ("1,25", POINTS_NOT_A_NUMBER),
        ("", EMPTY),
    ],
)
def test_points_that_cannot_be_held_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_points(typed, available=1250)
    assert caught.value.reason == reason


def test_money_off_is_an_amount_up_to_what_the_points_are_worth() -> None:
    assert parse_discount("EGP 20", currency="EGP", worth=Decimal(125)) == Decimal(20)
    assert parse_discount("125", currency="EGP", worth=Decimal(125)) == Decimal(125)
    for typed, reason in [("125.01", DISCOUNT_TOO_LARGE), ("USD 20", AMOUNT_OTHER_CURRENCY)]:
        with pytest.raises(InvalidInput) as caught:
            parse_discount(typed, currency="EGP", worth=Decimal(125))
        assert caught.value.reason == reason


@given(text=st.text(max_size=80))
def test_any_text_is_whole_points_within_what_is_available_or_refused(text: str) -> None:
    with contextlib.suppress(InvalidInput):
        points = parse_points(text, available=500)
        assert isinstance(points, int)
        assert 1 <= points <= 500
