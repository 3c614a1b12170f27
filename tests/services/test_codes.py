"""Reading codes from photos (zxing-cpp), and what a scan leaves in memory (PRODUCT §9)."""

from __future__ import annotations

from functools import cache

import pytest
from PIL import Image

from bot.domain.scan import ScannedCode
from bot.services.codes import NOT_AN_IMAGE, TOO_LARGE, ImageRefused, decode_image
from bot.services.scans import ScanMemory
from tests.images import (
    Distortion,
    Fixture,
    blank_photo,
    code128,
    datamatrix,
    distorted_set,
    ean13,
    encoded,
    phone_photo,
    photo_of_two,
    qr_code,
)


@cache
def fixtures() -> dict[str, Fixture]:
    return {fixture.name: fixture for fixture in distorted_set()}


def texts(photo: bytes) -> list[str]:
    return [code.text for code in decode_image(photo)]


@pytest.mark.parametrize("name", [f"qr_code-{index}" for index in range(8)])
def test_every_distorted_photo_of_a_gameball_qr_code_is_read(name: str) -> None:
    fixture = fixtures()[name]
    assert texts(fixture.photo) == [fixture.text]
    assert decode_image(fixture.photo)[0].may_carry_hash


@pytest.mark.parametrize("kind", ["code128", "datamatrix"])
def test_nearly_every_distorted_photo_of_a_card_s_code_is_read(kind: str) -> None:
    mine = [fixture for name, fixture in fixtures().items() if name.startswith(f"{kind}-")]
    read = [fixture for fixture in mine if texts(fixture.photo) == [fixture.text]]
    assert len(read) >= len(mine) - 1


def test_an_upright_photo_of_each_symbology_is_read() -> None:
    wide = Distortion(scale=0.6)
    assert texts(phone_photo(code128("demo-1002"), wide)) == ["demo-1002"]
    assert texts(phone_photo(ean13("622100000001"), wide)) == ["6221000000010"]
    assert texts(phone_photo(datamatrix("demo-1003"))) == ["demo-1003"]
    (code,) = decode_image(phone_photo(ean13("622100000001"), wide))
    assert not code.may_carry_hash


def test_a_blurred_barcode_is_read_on_the_second_look() -> None:
    blurred = phone_photo(code128("demo-1002"), Distortion(scale=0.55, blur=2.0, quality=45))
    assert texts(blurred) == ["demo-1002"]


def test_two_codes_in_one_photo_are_both_read_once() -> None:
    photo = photo_of_two(qr_code("demo-1001"), qr_code("demo-1001"))
    assert texts(photo) == ["demo-1001"]
    assert sorted(texts(photo_of_two(qr_code("a-1"), code128("b-2")))) == ["a-1", "b-2"]


def test_a_photo_without_a_code_reads_nothing() -> None:
    assert decode_image(blank_photo()) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7", NOT_AN_IMAGE),
        (encoded(qr_code("demo-1001"), "JPEG")[:300], NOT_AN_IMAGE),  # cut off in transfer
        (encoded(Image.new("1", (7000, 6000), 1)), TOO_LARGE),  # 42 MP
    ],
    ids=["pdf", "truncated", "42 MP"],
)
def test_what_cannot_be_read_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        decode_image(data)
    assert refused.value.reason == reason


# --- memory ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_hash_comes_back_for_its_customer_and_staff_member_only_and_not_for_long() -> None:
    clock = Clock()
    memory = ScanMemory(ttl=600, clock=clock)
    memory.remember_hash(222, "demo-1001", "482913")
    assert memory.redemption_hash(222, "demo-1001") == "482913"
    assert memory.redemption_hash(222, "demo-1002") is None
    assert memory.redemption_hash(111, "demo-1001") is None
    assert "482913" not in repr(memory.__dict__)
    clock.now = 601
    assert memory.redemption_hash(222, "demo-1001") is None


def test_codes_kept_for_a_choice_are_replaced_by_the_next_ones() -> None:
    memory = ScanMemory(ttl=600, clock=Clock())
    first = memory.keep_codes(222, "i", [ScannedCode("a-1")])
    second = memory.keep_codes(222, "i", [ScannedCode("b-2"), ScannedCode("c-3")])
    assert [code.text for code in memory.codes(222, "i", second)] == ["b-2", "c-3"]
    assert memory.codes(222, "i", first) == ()  # replaced
    assert memory.codes(222, "b", second) == ()  # kept for another purpose
    assert memory.codes(111, "i", second) == ()  # another staff member's
