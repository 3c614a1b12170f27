"""Properties of contact normalisation that must hold for any input staff could send."""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable

import phonenumbers
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.domain.contacts import (
    InvalidInput,
    clean_name,
    customer_id_from_mobile,
    example_mobile,
    looks_like_mobile,
    normalise_email,
    normalise_mobile,
    split_name,
    validate_customer_id,
    validate_id_template,
)

REGIONS = ["EG", "SA", "AE", "KW", "QA", "JO", "MA", "US", "GB", "DE", "FR", "IN", "BR", "TR"]
SEPARATORS = ["", " ", "  ", "-", " - ", ".", "/", "\u00a0", "\u2013", "\u200f", " \u200e"]
DIGIT_SCRIPTS = {
    "ascii": "0123456789",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "full-width": "０１２３４５６７８９",
}
#: Characters that break naive text handling: bidi and zero-width marks, controls, line
#: separators, emoji (incl. a ZWJ sequence), combining marks, Arabic digits, braces.
AWKWARD = [
    *"\u200e\u200f\u202a\u202e\u2066\u2069\u200b\u200c\u200d\ufeff\u00a0\u2028\u2029",
    *"\x00\x1b\x7f\t\n\r",
    "😀",
    "👨‍👩‍👧",
    "\u0301",
    *"٠٩۰۹+0 ()-./{}@",
]
awkward_text = st.lists(st.one_of(st.characters(), st.sampled_from(AWKWARD)), max_size=80).map(
    "".join
)

MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
FAST = settings(max_examples=150, deadline=None)


@st.composite
def valid_mobiles(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """A region and a valid mobile there: its example number with the last digits redrawn."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    national = str(example.national_number)
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    number = phonenumbers.parse(f"+{example.country_code}{national[:-3]}{tail}")
    assume(phonenumbers.is_valid_number(number))
    assume(phonenumbers.number_type(number) in MOBILE_TYPES)
    return region, number


def written_out(draw: Callable[[st.SearchStrategy[str]], str], formatted: str) -> str:
    """``formatted`` with its digit groups re-joined by random separators in a random script."""
    prefix = "+" if formatted.startswith("+") else ""
    groups = "".join(ch if ch.isdigit() else " " for ch in formatted).split()
    text = prefix + groups[0]
    for group in groups[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + draw(st.sampled_from([group, f"({group})"]))
    digits = DIGIT_SCRIPTS[draw(st.sampled_from(sorted(DIGIT_SCRIPTS)))]
    return text.translate(str.maketrans("0123456789", digits))


@FAST
@given(mobile=valid_mobiles(), data=st.data())
def test_every_spelling_of_a_mobile_gives_the_same_e164(
    mobile: tuple[str, phonenumbers.PhoneNumber], data: st.DataObject
) -> None:
    region, number = mobile
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    spellings = {
        "national": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        "international": international,
        "00": "00" + international.removeprefix("+"),
    }
    for form, formatted in spellings.items():
        typed = written_out(data.draw, formatted)
        assert normalise_mobile(typed, region) == e164, (form, typed)
        assert looks_like_mobile(typed), (form, typed)


def _only_invalid_input(function: Callable[[], object]) -> None:
    with contextlib.suppress(InvalidInput):
        function()


@FAST
@given(text=awkward_text, region=st.sampled_from([*REGIONS, "ZZ", "", "eg"]))
def test_random_text_never_raises_anything_but_invalid_input(text: str, region: str) -> None:
    """A message from Telegram can contain anything; the chat layer only handles InvalidInput."""
    _only_invalid_input(lambda: normalise_mobile(text, region))
    _only_invalid_input(lambda: normalise_email(text))
    _only_invalid_input(lambda: validate_customer_id(text))
    _only_invalid_input(lambda: validate_id_template(text))
    _only_invalid_input(lambda: customer_id_from_mobile(text, "{e164}"))
    _only_invalid_input(lambda: customer_id_from_mobile("+201001234567", text))
    _only_invalid_input(lambda: clean_name(text))
    _only_invalid_input(lambda: example_mobile(text))
    assert isinstance(looks_like_mobile(text), bool)
    first, last = split_name(text)
    assert last is None or first is not None


@FAST
@given(text=awkward_text)
def test_an_accepted_customer_id_is_visible_bounded_and_stable(text: str) -> None:
    try:
        customer_id = validate_customer_id(text)
    except InvalidInput:
        return
    assert 1 <= len(customer_id) <= 100
    assert not any(ch.isspace() for ch in customer_id)
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for ch in customer_id)
    assert validate_customer_id(customer_id) == customer_id


@FAST
@given(
    mobile=valid_mobiles(),
    affix=st.tuples(awkward_text, awkward_text),
    placeholder=st.sampled_from(["{e164}", "{digits}"]),
)
def test_an_id_derived_from_a_mobile_is_always_a_valid_customer_id(
    mobile: tuple[str, phonenumbers.PhoneNumber], affix: tuple[str, str], placeholder: str
) -> None:
    try:
        template = validate_id_template(affix[0] + placeholder + affix[1])
    except InvalidInput:
        template = placeholder
    e164 = phonenumbers.format_number(mobile[1], phonenumbers.PhoneNumberFormat.E164)

    customer_id = customer_id_from_mobile(e164, template)

    assert validate_customer_id(customer_id) == customer_id
    assert e164.removeprefix("+") in customer_id


@FAST
@given(text=awkward_text)
def test_a_cleaned_name_is_stable_and_splits_back_into_itself(text: str) -> None:
    try:
        name = clean_name(text)
    except InvalidInput:
        return
    assert clean_name(name) == name
    first, last = split_name(name)
    if first is not None:
        assert " ".join(part for part in (first, last) if part) == name


def test_every_region_example_is_accepted_in_that_region() -> None:
    """The hint shown after a refused number must itself be accepted, in every region."""
    regions = [
        region
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
        if phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    ]
    refused = []
    for region in regions:
        try:
            normalise_mobile(example_mobile(region), region)
        except InvalidInput as error:
            refused.append((region, error.reason))
    assert len(regions) > 200
    assert refused == []
