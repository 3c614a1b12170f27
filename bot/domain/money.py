"""Reading the amounts staff type at the till: money paid, money off, points (PRODUCT §8).

Cashiers type on phones, in English and Arabic keyboards: ``450``, ``1,250.50``, ``EGP 450``,
``٤٥٠``, ``١٬٢٥٠٫٥٠``. Everything here turns such text into an exact ``Decimal`` (or a whole
number of points) or refuses it with a reason code the chat layer translates (with an example).
Pure functions: no I/O.

Babel checks the digit grouping (``1,25`` is refused rather than read as 125 or 1.25) and knows
the currencies, so ``USD 450`` in a shop that counts in EGP is refused instead of recorded as
450 pounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.numbers import (
    NumberFormatError,
    get_currency_symbol,
    list_currencies,
    parse_decimal,
)

from bot.domain.contacts import EMPTY, InvalidInput, ascii_digits

AMOUNT_NOT_A_NUMBER = "amount_not_a_number"
AMOUNT_ZERO = "amount_zero"
AMOUNT_NEGATIVE = "amount_negative"
AMOUNT_TOO_PRECISE = "amount_too_precise"
AMOUNT_TOO_LARGE = "amount_too_large"
AMOUNT_OTHER_CURRENCY = "amount_other_currency"
#: Money off paid with points: more than the customer's points are worth.
DISCOUNT_TOO_LARGE = "discount_too_large"
POINTS_NOT_A_NUMBER = "points_not_a_number"
POINTS_NOT_POSITIVE = "points_not_positive"
POINTS_NOT_WHOLE = "points_not_whole"
POINTS_TOO_MANY = "points_too_many"

#: Longest input worth reading: a pasted essay is not an amount.
_MAX_INPUT = 64
#: Cents at most: Gameball's money fields and every currency the bot shows have two decimals.
_MAX_DECIMALS = 2
#: How many times the largest purchase staff may record an amount may be before it is absurd
#: (a slip of the thumb: 450000 for 450.00), refused even for a manager.
ABSURD_FACTOR = 100
#: Arabic decimal and thousands separators (U+066B, U+066C), typed on Arabic keyboards.
_ARABIC_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ","})
_MINUS_SIGNS = "-\u2212\u2012\u2013"
#: Direction marks Babel puts around Arabic currency symbols.
_MARKS = "\u200e\u200f"
#: The number itself: digits with optional grouping commas and one decimal point.
_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.[0-9]*)?")
#: Text around the number: letters and currency signs, such as ``EGP`` or ``ج.م.``.
_SURROUNDED = re.compile(r"(?P<before>[^0-9]*)(?P<number>[0-9][0-9.,]*)(?P<after>[^0-9]*)")
#: No upper bound: for amounts bounded by something other than the size of a purchase.
_UNBOUNDED = Decimal("Infinity")


def parse_amount(text: str, *, currency: str | None, largest: Decimal) -> Decimal:
    """The amount in ``text`` as a positive ``Decimal`` with at most two decimals.

    ``currency`` is the programme's (from Gameball's balance), when known: its code and its
    symbols are accepted around the number; another currency's code is refused. ``largest`` is
    the most a purchase can sensibly be (see :data:`ABSURD_FACTOR`). Raises ``InvalidInput``.
    """
    amount = _signed_number(text, lambda label: _check_currency_label(label, currency))
    return _checked(amount, largest)


def parse_discount(text: str, *, currency: str | None, worth: Decimal) -> Decimal:
    """Money off a purchase, paid with points: an amount no larger than the points are ``worth``."""
    amount = parse_amount(text, currency=currency, largest=_UNBOUNDED)
    if amount > worth:
        raise InvalidInput(DISCOUNT_TOO_LARGE)
    return amount


def parse_points(text: str, *, available: int) -> int:
    """A whole number of points (``200``, ``1,250``, ``٢٠٠``), from 1 to ``available``.

    Gameball holds whole points only (``pointsToHold`` is an integer), so ``12.5`` is refused
    rather than rounded: the customer must agree to the number that is held.
    """
    try:
        points = _signed_number(text, _no_label)
    except InvalidInput as refused:
        reason = EMPTY if refused.reason == EMPTY else POINTS_NOT_A_NUMBER
        raise InvalidInput(reason) from None
    if points <= 0:
        raise InvalidInput(POINTS_NOT_POSITIVE)
    if points != points.to_integral_value():
        raise InvalidInput(POINTS_NOT_WHOLE)
    if points > available:
        raise InvalidInput(POINTS_TOO_MANY)
    return int(points)


def _signed_number(text: str, check_label: Callable[[str], None]) -> Decimal:
    """The number in ``text`` with its sign; ``check_label`` vets the text around it."""
    if len(text.strip()) > _MAX_INPUT:
        raise InvalidInput(AMOUNT_NOT_A_NUMBER)
    compact = "".join(ascii_digits(text).translate(_ARABIC_SEPARATORS).split())
    if not compact:
        raise InvalidInput(EMPTY)
    negative = compact[0] in _MINUS_SIGNS
    parts = _SURROUNDED.fullmatch(compact.lstrip(_MINUS_SIGNS).lstrip("+"))
    if parts is None:
        raise InvalidInput(AMOUNT_NOT_A_NUMBER)
    for label in (parts["before"], parts["after"]):
        if label:
            check_label(label)
    amount = _strict_decimal(parts["number"])
    return -amount if negative else amount


def _no_label(label: str) -> None:
    """Points are a plain number: nothing may stand beside it."""
    raise InvalidInput(AMOUNT_NOT_A_NUMBER)


def _check_currency_label(label: str, currency: str | None) -> None:
    """Text beside the number may only name the programme's currency (any, while unknown)."""
    known = label.upper() in _KNOWN_CURRENCIES
    if (currency is None and known) or (currency and label.casefold() in _names_of(currency)):
        return
    raise InvalidInput(AMOUNT_OTHER_CURRENCY if known else AMOUNT_NOT_A_NUMBER)


_KNOWN_CURRENCIES = frozenset(list_currencies())


@cache
def _names_of(currency: str) -> frozenset[str]:
    """How people write ``currency`` at a till: its code and its English and Arabic symbols."""
    names = {currency.casefold()}
    for locale in ("en", "ar"):
        symbol = "".join(get_currency_symbol(currency, locale=locale).split()).strip(_MARKS)
        names |= {symbol.casefold(), symbol.strip(".").casefold()}
    return frozenset(names)


def _strict_decimal(number: str) -> Decimal:
    """``1,250.50`` → ``Decimal("1250.50")``; misplaced grouping commas are refused."""
    if not _NUMBER.fullmatch(number):
        raise InvalidInput(AMOUNT_NOT_A_NUMBER)
    try:
        return parse_decimal(number, locale="en", strict=True)
    except (NumberFormatError, InvalidOperation) as error:
        raise InvalidInput(AMOUNT_NOT_A_NUMBER) from error


def _checked(amount: Decimal, largest: Decimal) -> Decimal:
    if amount < 0:
        raise InvalidInput(AMOUNT_NEGATIVE)
    if amount == 0:
        raise InvalidInput(AMOUNT_ZERO)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_DECIMALS:
        raise InvalidInput(AMOUNT_TOO_PRECISE)
    if amount > largest:
        raise InvalidInput(AMOUNT_TOO_LARGE)
    return amount


def absurd_above(max_order_amount: Decimal) -> Decimal:
    """The largest amount the bot reads at all, given ``MAX_ORDER_AMOUNT``."""
    return max_order_amount * ABSURD_FACTOR
