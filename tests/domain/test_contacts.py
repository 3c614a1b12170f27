"""What staff type at the till, and what the bot makes of it (PRODUCT §4 steps 5-6, §5)."""

from __future__ import annotations

import phonenumbers
import pytest

from bot.domain.contacts import (
    EMAIL_INVALID,
    EMPTY,
    ID_BAD_CHARACTERS,
    ID_TOO_LONG,
    MOBILE_INVALID,
    MOBILE_NOT_A_NUMBER,
    MOBILE_NOT_MOBILE,
    MOBILE_TOO_LONG,
    MOBILE_TOO_SHORT,
    MOBILE_UNKNOWN_COUNTRY,
    NAME_TOO_LONG,
    TEMPLATE_INVALID,
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

RLM, LRM, NBSP, ZWSP = "\u200f", "\u200e", "\u00a0", "\u200b"


# --- mobile numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        # Egypt, every way a cashier may write one number
        ("0100 123 4567", "EG", "+201001234567"),
        ("01001234567", "EG", "+201001234567"),
        ("+20 100 123 4567", "EG", "+201001234567"),
        ("0020-100-123-4567", "EG", "+201001234567"),
        ("(0100) 123.4567", "EG", "+201001234567"),
        ("0100/123/4567", "EG", "+201001234567"),
        ("0100–123–4567", "EG", "+201001234567"),
        ("٠١٠٠١٢٣٤٥٦٧", "EG", "+201001234567"),
        ("۰۱۰۰۱۲۳۴۵۶۷", "EG", "+201001234567"),
        ("٠١٠٠ ١٢٣ ٤٥٦٧", "EG", "+201001234567"),
        ("０１００ １２３ ４５６７", "EG", "+201001234567"),
        (f"{RLM}0100 123 4567{RLM}", "EG", "+201001234567"),
        (f"{LRM}+20{LRM} 100 123 4567", "EG", "+201001234567"),
        ("\u2067+20 100 123 4567\u2069", "EG", "+201001234567"),
        (f"0100{NBSP}123{ZWSP}4567", "EG", "+201001234567"),
        ("  0100 123 4567\n", "EG", "+201001234567"),
        ("201001234567", "EG", "+201001234567"),
        # Saudi Arabia: 05x mobiles
        ("050 123 4567", "SA", "+966501234567"),
        ("0551234567", "SA", "+966551234567"),
        ("٠٥٠١٢٣٤٥٦٧", "SA", "+966501234567"),
        ("+966 50 123 4567", "SA", "+966501234567"),
        ("00966 55 123 4567", "EG", "+966551234567"),
        # United Arab Emirates: the same local digits mean another country
        ("050 123 4567", "AE", "+971501234567"),
        ("+971-50-123-4567", "EG", "+971501234567"),
        # United States: every number is FIXED_LINE_OR_MOBILE, which is accepted
        ("(201) 555-0123", "US", "+12015550123"),
        ("201.555.0123", "US", "+12015550123"),
        ("+1 201 555 0123", "EG", "+12015550123"),
        ("001 201 555 0123", "US", "+12015550123"),
        # United Kingdom, including the "(0)" people write after +44
        ("07400 123456", "GB", "+447400123456"),
        ("+44 (0)7400 123456", "GB", "+447400123456"),
        ("+44 7400 123456", "SA", "+447400123456"),
    ],
)
def test_normalise_mobile_reads_every_spelling_as_one_e164_number(
    typed: str, region: str, e164: str
) -> None:
    assert normalise_mobile(typed, region) == e164


@pytest.mark.parametrize(
    ("typed", "region", "reason"),
    [
        ("", "EG", EMPTY),
        ("   ", "EG", EMPTY),
        (f"{RLM}{LRM} {ZWSP}", "EG", EMPTY),
        ("0800 FLOWERS", "EG", MOBILE_NOT_A_NUMBER),
        ("mona", "EG", MOBILE_NOT_A_NUMBER),
        ("0100 123 4567 ext. 12", "EG", MOBILE_NOT_A_NUMBER),
        ("0100 123 4567 x12", "EG", MOBILE_NOT_A_NUMBER),
        ("+20 100 123 4567;ext=12", "EG", MOBILE_NOT_A_NUMBER),
        ("0100 123 4567#12", "EG", MOBILE_NOT_A_NUMBER),
        ("0100+1234567", "EG", MOBILE_NOT_A_NUMBER),
        ("---", "EG", MOBILE_NOT_A_NUMBER),
        ("+", "EG", MOBILE_NOT_A_NUMBER),
        ("📞 0100 123 4567", "EG", MOBILE_NOT_A_NUMBER),
        ("0100 123", "EG", MOBILE_TOO_SHORT),
        ("+20 1", "EG", MOBILE_TOO_SHORT),
        ("050 12", "SA", MOBILE_TOO_SHORT),
        ("0100 123 4567 89", "EG", MOBILE_TOO_LONG),
        ("+20 100 123 4567 8901 2345", "EG", MOBILE_TOO_LONG),
        ("0" * 65, "EG", MOBILE_TOO_LONG),
        ("+999 1234 5678", "EG", MOBILE_UNKNOWN_COUNTRY),
        ("00999 1234 5678", "EG", MOBILE_UNKNOWN_COUNTRY),
        ("0100 123 4567", "ZZ", MOBILE_UNKNOWN_COUNTRY),
        ("0190 123 4567", "EG", MOBILE_INVALID),
        ("+1 201 055 0123", "EG", MOBILE_INVALID),
        ("02 2345 6789", "EG", MOBILE_NOT_MOBILE),  # a Cairo landline
        ("011 234 5678", "SA", MOBILE_NOT_MOBILE),  # a Riyadh landline
        ("020 7946 0958", "GB", MOBILE_NOT_MOBILE),  # a London landline
        ("0800 123 4567", "EG", MOBILE_NOT_MOBILE),  # toll-free
    ],
)
def test_normalise_mobile_refuses_with_the_reason_staff_are_shown(
    typed: str, region: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_mobile(typed, region)
    assert refused.value.reason == reason


def test_a_refused_mobile_never_appears_in_the_error() -> None:
    """Exceptions end up in logs; the customer's digits must not."""
    with pytest.raises(InvalidInput) as refused:
        normalise_mobile("0190 123 4567", "EG")
    assert isinstance(refused.value, ValueError)
    assert "123" not in str(refused.value)
    assert "123" not in repr(refused.value)


@pytest.mark.parametrize("region", ["EG", "SA", "AE", "US", "GB"])
def test_example_mobile_is_a_national_number_the_bot_itself_accepts(region: str) -> None:
    example = example_mobile(region)
    expected = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert expected is not None
    assert not example.startswith("+")
    assert normalise_mobile(example, region) == phonenumbers.format_number(
        expected, phonenumbers.PhoneNumberFormat.E164
    )


def test_example_mobile_for_egypt_is_written_the_egyptian_way() -> None:
    assert example_mobile("EG").startswith("01")


def test_example_mobile_falls_back_to_international_when_national_would_not_read_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A region whose example, written nationally, would be read as another number."""
    us_mobile = phonenumbers.parse("+12015550123")
    monkeypatch.setattr(phonenumbers, "example_number_for_type", lambda *_: us_mobile)

    example = example_mobile("EG")

    assert example == "+1 201-555-0123"
    assert normalise_mobile(example, "EG") == "+12015550123"


def test_example_mobile_for_an_unknown_region_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        example_mobile("ZZ")
    assert refused.value.reason == MOBILE_UNKNOWN_COUNTRY


@pytest.mark.parametrize(
    "typed",
    [
        "0100 123 4567",
        "+20 100 123 4567",
        "0020-100-123-4567",
        "(0100) 123.4567",
        "٠١٠٠١٢٣٤٥٦٧",
        f"{RLM}+966 50 123 4567",
        "123456",
        "0" * 17,
    ],
)
def test_looks_like_mobile_recognises_phone_numbers(typed: str) -> None:
    assert looks_like_mobile(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "CUST-1001",
        "A1001234567",
        "12345",
        "0" * 18,
        "mona@example.com",
        "0100 123 4567 ext 1",
        "+",
        "",
        "1 " * 40,
    ],
)
def test_looks_like_mobile_leaves_customer_ids_alone(typed: str) -> None:
    assert not looks_like_mobile(typed)


# --- email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("mona.hassan@example.com", "mona.hassan@example.com"),
        ("Mona.Hassan@Example.COM", "Mona.Hassan@example.com"),
        ("  mona@example.com\n", "mona@example.com"),
        (f"{LRM}mona@example.com{RLM}", "mona@example.com"),
        ("mona@unregistered-domain-for-tests.com", "mona@unregistered-domain-for-tests.com"),
        ("منى@مثال.إختبار", "منى@مثال.إختبار"),
    ],
)
def test_normalise_email_accepts_addresses_and_lowercases_the_domain(
    typed: str, normalised: str
) -> None:
    assert normalise_email(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", EMPTY),
        (f"  {RLM} ", EMPTY),
        ("mona", EMAIL_INVALID),
        ("mona@", EMAIL_INVALID),
        ("@example.com", EMAIL_INVALID),
        ("mona@example", EMAIL_INVALID),
        ("mona hassan@example.com", EMAIL_INVALID),
        ("mona@@example.com", EMAIL_INVALID),
        ("0100 123 4567", EMAIL_INVALID),
        ("m" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + ".com", EMAIL_INVALID),
    ],
)
def test_normalise_email_refuses_what_is_not_an_address(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_email(typed)
    assert refused.value.reason == reason


# --- customer IDs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "customer_id"),
    [
        ("CUST-1001", "CUST-1001"),
        ("  CUST-1001 \n", "CUST-1001"),
        ("عميل_١٢٣", "عميل_١٢٣"),
        ("mona@example.com", "mona@example.com"),
        ("../balance?x=1#y", "../balance?x=1#y"),  # safe: it is percent-encoded when sent
        ("x" * 100, "x" * 100),
        ("ü" * 100 + "  ", "ü" * 100),
    ],
)
def test_validate_customer_id_trims_and_keeps_the_id(typed: str, customer_id: str) -> None:
    assert validate_customer_id(typed) == customer_id


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", EMPTY),
        (" \t\n ", EMPTY),
        ("x" * 101, ID_TOO_LONG),
        ("CUST 1001", ID_BAD_CHARACTERS),
        ("CUST\t1001", ID_BAD_CHARACTERS),
        (f"CUST{NBSP}1001", ID_BAD_CHARACTERS),
        (f"CUST{ZWSP}1001", ID_BAD_CHARACTERS),
        (f"{RLM}CUST-1001", ID_BAD_CHARACTERS),
        ("CUST\x001001", ID_BAD_CHARACTERS),
        ("CUST\x7f", ID_BAD_CHARACTERS),
        ("CUST\u20281001", ID_BAD_CHARACTERS),
        ("CUST\u20291001", ID_BAD_CHARACTERS),
        ("CUST\ud8001001", ID_BAD_CHARACTERS),
    ],
)
def test_validate_customer_id_refuses_ids_staff_could_not_see_or_gameball_store(
    typed: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_customer_id(typed)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("template", "accepted"),
    [
        ("{e164}", "{e164}"),
        ("{digits}", "{digits}"),
        ("mobile_{digits}", "mobile_{digits}"),
        (" gb-{e164}\n", "gb-{e164}"),
        ("x" * 85 + "{digits}", "x" * 85 + "{digits}"),  # 85 + 15 digits = 100
        ("x" * 84 + "{e164}", "x" * 84 + "{e164}"),  # 84 + '+' + 15 digits = 100
    ],
)
def test_validate_id_template_accepts_one_placeholder(template: str, accepted: str) -> None:
    assert validate_id_template(template) == accepted


@pytest.mark.parametrize(
    "template",
    [
        "",
        "mobile",
        "{mobile}",
        "{E164}",
        "{ digits }",
        "{e164}{digits}",
        "{e164}_{e164}",
        "{{digits}}",
        "{digits}}",
        "mobile_{digits}_{store}",
        "shop {digits}",
        f"shop{ZWSP}" + "{digits}",
        "x" * 86 + "{digits}",
        "x" * 85 + "{e164}",
    ],
)
def test_validate_id_template_refuses_templates_that_could_make_bad_ids(template: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_id_template(template)
    assert refused.value.reason == TEMPLATE_INVALID


@pytest.mark.parametrize(
    ("template", "customer_id"),
    [
        ("{e164}", "+201001234567"),
        ("{digits}", "201001234567"),
        ("mobile_{digits}", "mobile_201001234567"),
        ("eg:{e164}", "eg:+201001234567"),
    ],
)
def test_customer_id_from_mobile_fills_the_template(template: str, customer_id: str) -> None:
    assert customer_id_from_mobile("+201001234567", template) == customer_id


@pytest.mark.parametrize("not_e164", ["201001234567", "+0201001234567", "+2010012345678901", ""])
def test_customer_id_from_mobile_refuses_a_number_that_is_not_e164(not_e164: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        customer_id_from_mobile(not_e164, "{e164}")
    assert refused.value.reason == MOBILE_INVALID


def test_customer_id_from_mobile_refuses_an_invalid_template() -> None:
    with pytest.raises(InvalidInput) as refused:
        customer_id_from_mobile("+201001234567", "mobile_{number}")
    assert refused.value.reason == TEMPLATE_INVALID


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display_name", "parts"),
    [
        ("Mona Hassan", ("Mona", "Hassan")),
        ("  Mona   Hassan ", ("Mona", "Hassan")),
        ("Mona", ("Mona", None)),
        ("", (None, None)),
        ("   ", (None, None)),
        ("Mohamed Ahmed Hassan", ("Mohamed", "Ahmed Hassan")),
        ("Ahmed El Sayed", ("Ahmed", "El Sayed")),
        ("Mohamed Abdel Aziz", ("Mohamed", "Abdel Aziz")),
        ("Jean-Pierre O'Neil", ("Jean-Pierre", "O'Neil")),
        ("منى حسن", ("منى", "حسن")),
        ("مُحَمَّد أحمد علي", ("مُحَمَّد", "أحمد علي")),
        ("Abdel Rahman Ali", (None, None)),
        ("Abu Bakr", (None, None)),
        ("El Sayed Ahmed", (None, None)),
        ("عبد الله محمد", (None, None)),
        ("Dr. Mona Hassan", (None, None)),
        ("Eng Ahmed Ali", (None, None)),
        ("د. منى حسن", (None, None)),
        ("😀 Mona", (None, None)),
    ],
)
def test_split_name_splits_only_when_obvious(
    display_name: str, parts: tuple[str | None, str | None]
) -> None:
    assert split_name(display_name) == parts


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("Mona Hassan", "Mona Hassan"),
        ("  Mona \n\t Hassan  ", "Mona Hassan"),
        (f"{RLM}منى حسن{RLM}", "منى حسن"),
        (f"Mona{ZWSP} Hassan\u2069", "Mona Hassan"),
        ("Mona\x00\x1b Hassan", "Mona Hassan"),
        ("Mona\u2028Hassan", "Mona Hassan"),
        ("a" * 50 + " " * 100 + "b" * 49, "a" * 50 + " " + "b" * 49),
    ],
)
def test_clean_name_keeps_only_what_reads_on_screen(typed: str, cleaned: str) -> None:
    assert clean_name(typed) == cleaned


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", EMPTY),
        (" \n\t ", EMPTY),
        (f"{RLM}{ZWSP}\u2066\u2069", EMPTY),
        ("a" * 101, NAME_TOO_LONG),
        ("Mona " * 21, NAME_TOO_LONG),
    ],
)
def test_clean_name_refuses_empty_and_overlong_names(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_name(typed)
    assert refused.value.reason == reason
