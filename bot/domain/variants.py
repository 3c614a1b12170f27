"""Numbers close to a typed mobile: where duplicate profiles hide (issue 18, "Did you mean…?").

With ``CUSTOMER_ID_SCHEME=mobile`` a customer's ID is made from their number, so a number typed
with one slip is a new profile, and a profile made elsewhere (a web shop that kept the trunk
zero, or dropped the country code) is one that the bot never finds. Before a sign-up the bot
looks up the numbers a slip could have come from. Pure functions: no I/O.

The variants are written like E.164 (``+`` and digits) because the ID template renders them,
but only the transposed ones must be real numbers: the others are the shapes in which other
channels are known to store numbers, looked up as IDs, not dialled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import phonenumbers

from bot.domain.contacts import InvalidInput, normalise_mobile

#: What an ID template can render: ``+``, then up to 15 digits, the first of them not zero.
_E164_SHAPED = re.compile(r"\+[1-9][0-9]{1,14}")


def mobile_variants(e164: str, region: str) -> list[str]:
    """Numbers one usual slip away from ``e164``, the structural slips first.

    In order: an extra leading zero after the country code (``+20 0100…``), a missing one
    where the national number starts with zero, the country code missing (``+100…``), the
    store's country code instead of another one, then each pair of adjacent digits of the
    national number swapped (only those that give a valid mobile). ``e164`` itself is left
    out, no number comes twice, and shapes that are not E.164's (a national number starting
    with zero, without its country code) are dropped.
    """
    number = phonenumbers.parse(e164)
    country = str(number.country_code)
    national = phonenumbers.national_significant_number(number)
    home = str(phonenumbers.country_code_for_region(region))
    shapes = [country + "0" + national]
    if national.startswith("0"):
        shapes.append(country + national[1:])
    shapes.append(national)
    if country != home:
        shapes.append(home + national)
    typos = (country + swapped for swapped in _transpositions(national))
    variants = ["+" + digits for digits in shapes]
    variants += [typo for typo in ("+" + digits for digits in typos) if _is_mobile(typo, region)]
    return [v for v in _unique(variants) if v != e164 and _E164_SHAPED.fullmatch(v)]


def _transpositions(digits: str) -> Iterator[str]:
    """``digits`` with each pair of adjacent, different digits swapped, left to right."""
    for index in range(len(digits) - 1):
        first, second = digits[index], digits[index + 1]
        if first != second:
            yield digits[:index] + second + first + digits[index + 2 :]


def _is_mobile(candidate: str, region: str) -> bool:
    """Whether ``candidate`` is a valid mobile written exactly as the bot would write it."""
    try:
        return normalise_mobile(candidate, region) == candidate
    except InvalidInput:
        return False


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
