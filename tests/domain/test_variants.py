"""The numbers one usual slip away from a typed mobile (issue 18, "Did you mean…?")."""

from __future__ import annotations

import pytest

from bot.domain.contacts import normalise_mobile
from bot.domain.variants import mobile_variants


@pytest.mark.parametrize(
    ("e164", "region", "expected"),
    [
        pytest.param("+201005551212", "EG", "+2001005551212", id="extra leading zero"),
        pytest.param("+2250123456789", "EG", "+225123456789", id="missing leading zero"),
        pytest.param("+201005551212", "EG", "+1005551212", id="missing country code"),
        pytest.param("+971501234567", "SA", "+966501234567", id="wrong country code"),
        pytest.param("+201001234576", "EG", "+201001234567", id="last two digits swapped"),
        pytest.param("+201001234567", "EG", "+201010234567", id="first two swappable digits"),
    ],
)
def test_each_usual_slip_is_among_the_variants(e164: str, region: str, expected: str) -> None:
    assert expected in mobile_variants(e164, region)


def test_structural_slips_come_first_then_swaps_left_to_right() -> None:
    assert mobile_variants("+201001234567", "EG") == [
        "+2001001234567",
        "+1001234567",
        "+201010234567",
        "+201002134567",
        "+201001324567",
        "+201001243567",
        "+201001235467",
        "+201001234657",
        "+201001234576",
    ]


def test_the_typed_number_and_repeats_are_left_out() -> None:
    variants = mobile_variants("+201001111567", "EG")  # swapping two 1s changes nothing

    assert "+201001111567" not in variants
    assert len(variants) == len(set(variants))


def test_a_swap_that_is_no_valid_mobile_is_not_looked_up() -> None:
    variants = mobile_variants("+201001234567", "EG")

    assert "+200101234567" not in variants  # 01… is no Egyptian mobile
    swaps = variants[2:]
    assert all(normalise_mobile(number, "EG") == number for number in swaps)


def test_every_variant_can_become_a_customer_id() -> None:
    for e164, region in [("+2250123456789", "EG"), ("+447400123456", "GB"), ("+12025550123", "US")]:
        for variant in mobile_variants(e164, region):
            assert variant.startswith("+")
            assert variant[1] != "0"
            assert 2 <= len(variant) - 1 <= 15
