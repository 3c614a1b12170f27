"""What a scanned code names (PRODUCT §9, GAMEBALL.md §9): the IDs to try, in order."""

from __future__ import annotations

import pytest

from bot.domain.contacts import InvalidInput
from bot.domain.identify import IdRules
from bot.domain.scan import ScannedCode, code_label, gameball_split, scan_candidates

BY_ID = IdRules("id", "{e164}", "EG")
BY_MOBILE = IdRules("mobile", "mobile_{digits}", "EG")


def readings(code: ScannedCode, rules: IdRules = BY_ID) -> list[tuple[str, str | None]]:
    return [(c.customer_id, c.hash) for c in scan_candidates(code, rules)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mobile_966500001234123456", ("mobile_966500001234", "123456")),  # GAMEBALL.md's example
        ("demo-1001482913", ("demo-1001", "482913")),
        (" demo-1001482913\n", ("demo-1001", "482913")),  # a writer's trailing line break
        ("123456", None),  # no ID before the hash
        ("demo-10014829", ("demo-10", "014829")),  # any six digits: the format cannot tell
        ("demo-100148291a", None),
        ("demo-1001 482913", None),  # Gameball's format has no separator
        ("demo-1001٤٨٢٩١٣", None),  # Arabic-Indic digits are no hash
    ],
)
def test_gameball_s_format_is_an_id_followed_by_six_digits(
    text: str, expected: tuple[str, str] | None
) -> None:
    assert gameball_split(text) == expected


def test_a_qr_code_is_read_the_gameball_way_first_then_whole() -> None:
    assert readings(ScannedCode("demo-1001482913")) == [
        ("demo-1001", "482913"),
        ("demo-1001482913", None),
    ]


def test_a_code_that_does_not_split_is_one_typed_id() -> None:
    assert readings(ScannedCode("walk-in-7")) == [("walk-in-7", None)]


def test_barcodes_are_never_split() -> None:
    assert readings(ScannedCode("6221000000010", "EAN/UPC")) == [("6221000000010", None)]
    assert readings(ScannedCode("card-778899123456", "Code 128")) == [("card-778899123456", None)]


def test_with_the_mobile_scheme_the_gameball_id_is_taken_as_it_is() -> None:
    code = ScannedCode("mobile_201001234567482913")
    assert readings(code, BY_MOBILE) == [("mobile_201001234567", "482913")]  # not a mobile whole


def test_with_the_mobile_scheme_a_scanned_mobile_gives_the_derived_id() -> None:
    (candidate,) = scan_candidates(ScannedCode("0100 123 4567", "Code 128"), BY_MOBILE)
    assert candidate.customer_id == "mobile_201001234567"
    assert candidate.identifier.mobile == "+201001234567"


def test_a_code_that_is_no_valid_id_is_refused_with_the_typed_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        scan_candidates(ScannedCode("https://example.com/a b"), BY_ID)
    assert refused.value.reason == "id_bad_characters"


def test_balance_reads_a_plain_id_under_the_mobile_scheme() -> None:
    candidates = scan_candidates(ScannedCode("vip-7", "Code 128"), BY_MOBILE, lenient=True)
    assert [c.customer_id for c in candidates] == ["vip-7"]


def test_the_hash_is_in_no_label_and_no_repr() -> None:
    code = ScannedCode("demo-1001482913")
    assert code_label(code) == "QR Code: demo-1001"
    assert code_label(ScannedCode("x" * 60, "Code 128")) == "Code 128: " + "x" * 39 + "…"
    shown = repr(code) + repr(scan_candidates(code, BY_ID))
    assert "482913" not in shown
