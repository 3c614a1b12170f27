"""Contact normalisation and customer-ID rules (PRODUCT §2, §4 steps 5-6, §5).

Staff type on phones, often in Arabic keyboards, sometimes pasting from chats that wrap text in
invisible bidi marks. Everything here turns such input into the exact strings Gameball stores
(E.164 mobiles, normalised emails, safe customer IDs), or refuses it with a reason code that the
chat layer translates for the user. Pure functions: no I/O, no Telegram, no Gameball.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType, ValidationResult

EMPTY = "empty"
MOBILE_NOT_A_NUMBER = "mobile_not_a_number"
MOBILE_TOO_SHORT = "mobile_too_short"
MOBILE_TOO_LONG = "mobile_too_long"
MOBILE_UNKNOWN_COUNTRY = "mobile_unknown_country"
MOBILE_INVALID = "mobile_invalid"
MOBILE_NOT_MOBILE = "mobile_not_mobile"
EMAIL_INVALID = "email_invalid"
ID_TOO_LONG = "id_too_long"
ID_BAD_CHARACTERS = "id_bad_characters"
ID_ONLY_DOTS = "id_only_dots"
TEMPLATE_INVALID = "template_invalid"
NAME_TOO_LONG = "name_too_long"


class InvalidInput(ValueError):
    """Carries a machine-readable reason code the chat layer translates.

    The message is the reason code only: the rejected text may be a customer's mobile or email,
    which must never reach logs through an exception.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- invisible characters and digit scripts -------------------------------------------------

#: Bidi marks and embeddings/isolates that RTL keyboards and chat apps insert around numbers.
_BIDI_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ZERO_WIDTH = "\u200b\u200c\u200d\ufeff"
_ARABIC_INDIC_ZERO = 0x0660
_PERSIAN_ZERO = 0x06F0
#: U+FF01..U+FF5E are full-width twins of ASCII '!'..'~', offset by a constant.
_FULLWIDTH_ASCII = range(0xFF01, 0xFF5F)
_FULLWIDTH_OFFSET = 0xFEE0

_WITHOUT_BIDI_MARKS = str.maketrans(dict.fromkeys(_BIDI_MARKS))


def _phone_translation() -> dict[int, int | None]:
    """Map every digit script staff may type to ASCII and drop invisible marks."""
    table: dict[int, int | None] = dict.fromkeys(map(ord, _BIDI_MARKS + _ZERO_WIDTH))
    table.update({code: code - _FULLWIDTH_OFFSET for code in _FULLWIDTH_ASCII})
    for zero in (_ARABIC_INDIC_ZERO, _PERSIAN_ZERO):
        table.update({zero + value: ord("0") + value for value in range(10)})
    return table


_PHONE_TRANSLATION = _phone_translation()


def ascii_digits(text: str) -> str:
    """Arabic-Indic, Persian and full-width digits as ASCII; bidi and zero-width marks dropped.

    What staff type for numbers (mobiles, amounts) on Arabic and Persian keyboards, or paste
    from chats that wrap them in invisible marks.
    """
    return text.translate(_PHONE_TRANSLATION)


# --- mobile numbers -------------------------------------------------------------------------

#: Longest input worth parsing: a cheap guard so a pasted essay never reaches phonenumbers.
_MAX_MOBILE_INPUT = 64
#: Whitespace (incl. NBSP), dashes and minus signs, dots, parentheses and slashes.
_PHONE_SEPARATORS = re.compile(r"[\s\-./()\u2010-\u2015\u2212]+")
#: What is left once separators are gone: an optional '+' and ASCII digits, nothing else.
_DIALABLE = re.compile(r"\+?[0-9]+")
_LOOKS_LIKE_MOBILE = re.compile(r"\+?[0-9]{6,17}")

_PARSE_FAILURES = {
    NumberParseException.INVALID_COUNTRY_CODE: MOBILE_UNKNOWN_COUNTRY,
    NumberParseException.NOT_A_NUMBER: MOBILE_NOT_A_NUMBER,
    NumberParseException.TOO_SHORT_AFTER_IDD: MOBILE_TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: MOBILE_TOO_SHORT,
    NumberParseException.TOO_LONG: MOBILE_TOO_LONG,
}
_IMPOSSIBLE_NUMBERS = {
    ValidationResult.INVALID_COUNTRY_CODE: MOBILE_UNKNOWN_COUNTRY,
    ValidationResult.TOO_SHORT: MOBILE_TOO_SHORT,
    # A landline dialled without its area code: for a mobile, digits are missing.
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: MOBILE_TOO_SHORT,
    ValidationResult.TOO_LONG: MOBILE_TOO_LONG,
    ValidationResult.INVALID_LENGTH: MOBILE_INVALID,
}

#: Number types a customer can carry: anything else (landlines, toll-free, premium-rate,
#: shared-cost, voicemail, pagers) is certainly not the customer's mobile.
_PERSONAL_PHONE_TYPES = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
    }
)


def _compact_phone_text(text: str) -> str:
    """The text in ASCII digits, with invisible marks and separators removed."""
    return _PHONE_SEPARATORS.sub("", ascii_digits(text))


def _dialable(text: str) -> str:
    """Reduce typed text to '+digits' or 'digits', refusing letters, extensions and symbols.

    phonenumbers would read vanity letters ("0800-FLOWERS") and extensions ("ext. 12"); a
    customer's mobile has neither, so anything but digits and separators is refused here.
    """
    stripped = text.strip()
    if len(stripped) > _MAX_MOBILE_INPUT:
        raise InvalidInput(MOBILE_TOO_LONG)
    if not ascii_digits(stripped).strip():
        raise InvalidInput(EMPTY)
    compact = _compact_phone_text(stripped)
    if not _DIALABLE.fullmatch(compact):
        raise InvalidInput(MOBILE_NOT_A_NUMBER)
    if compact.startswith("00"):
        # phonenumbers honours "00" only where it is the region's international prefix
        # (not in the US, say); staff everywhere mean "+" by it.
        return "+" + compact[2:]
    return compact


def _parse(dialable: str, region: str) -> phonenumbers.PhoneNumber:
    """phonenumbers.parse, with its failures turned into reason codes."""
    try:
        return phonenumbers.parse(dialable, region)
    except NumberParseException as error:
        raise InvalidInput(_PARSE_FAILURES.get(error.error_type, MOBILE_NOT_A_NUMBER)) from error


def _require_mobile(number: phonenumbers.PhoneNumber) -> None:
    """Refuse numbers of an impossible length, invalid for their region, or certainly no mobile.

    FIXED_LINE_OR_MOBILE (e.g. all US numbers) is accepted: refusing it would refuse real mobiles.
    """
    impossible = _IMPOSSIBLE_NUMBERS.get(phonenumbers.is_possible_number_with_reason(number))
    if impossible:
        raise InvalidInput(impossible)
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(MOBILE_INVALID)
    if phonenumbers.number_type(number) not in _PERSONAL_PHONE_TYPES:
        raise InvalidInput(MOBILE_NOT_MOBILE)


def normalise_mobile(text: str, region: str) -> str:
    """The mobile in E.164 (``+201001234567``), read against ``region`` when it has no '+'.

    Gameball matches mobiles as exact strings, so every spelling of one number must give the
    same result. ``region`` is an upper-case ISO 3166 code (config normalises it).
    """
    number = _parse(_dialable(text), region)
    _require_mobile(number)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def example_mobile(region: str) -> str:
    """An example mobile the way people in ``region`` write it, shown after a refused number.

    The national form ("010 01234567" in EG) is the most helpful hint; where it would not read
    back as the same number in that region, the international form is shown instead. An unknown
    region raises ``InvalidInput(MOBILE_UNKNOWN_COUNTRY)``.
    """
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if example is None:
        raise InvalidInput(MOBILE_UNKNOWN_COUNTRY)
    national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
    if _reads_as(national, region, phonenumbers.format_number(example, PhoneNumberFormat.E164)):
        return national
    return phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)


def _reads_as(text: str, region: str, e164: str) -> bool:
    """Whether ``normalise_mobile`` reads ``text`` as exactly ``e164``."""
    try:
        return normalise_mobile(text, region) == e164
    except InvalidInput:
        return False


def looks_like_mobile(text: str) -> bool:
    """Cheap guess whether free text is a phone number rather than a customer ID.

    Decides how to read "/balance 0100 123 4567": '+', '00' or digits only once separators,
    invisible marks and digit scripts are dealt with, and 6-17 digits ('00' plus 15 at most).
    """
    stripped = text.strip()
    if len(stripped) > _MAX_MOBILE_INPUT:
        return False
    return _LOOKS_LIKE_MOBILE.fullmatch(_compact_phone_text(stripped)) is not None


# --- email ----------------------------------------------------------------------------------

#: RFC 5321 limit on a forward path; longer input is refused before parsing.
_MAX_EMAIL = 254


def normalise_email(text: str) -> str:
    """The address as email-validator normalises it (domain lower-cased); syntax only.

    No DNS lookup: the till must not wait on the network, and a typo is better caught by the
    cashier reading the summary. Bidi marks from RTL keyboards are dropped first.
    """
    candidate = text.translate(_WITHOUT_BIDI_MARKS).strip()
    if not candidate:
        raise InvalidInput(EMPTY)
    if len(candidate) > _MAX_EMAIL:
        raise InvalidInput(EMAIL_INVALID)
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidInput(EMAIL_INVALID) from error


# --- customer IDs ---------------------------------------------------------------------------

#: Gameball's limit on ``customerId`` (OpenAPI ``maxLength: 100``).
_MAX_CUSTOMER_ID = 100
#: Controls, invisible format characters, lone surrogates (not encodable) and line separators.
_FORBIDDEN_ID_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_PLACEHOLDER = re.compile(r"\{(e164|digits)\}")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
#: The longest E.164 number (15 digits): a template that fits it fits every mobile.
_LONGEST_E164 = "+" + "9" * 15


def _is_forbidden_in_id(character: str) -> bool:
    return character.isspace() or unicodedata.category(character) in _FORBIDDEN_ID_CATEGORIES


def validate_customer_id(text: str) -> str:
    """The trimmed customer ID, if Gameball can store it and staff can see what it is.

    Invisible and whitespace characters are refused rather than removed: two IDs that look the
    same on screen must not silently name different customers. An ID of dots only (``.``,
    ``..``) is refused too: in a URL path it means "this folder" or "the parent folder", which
    HTTP libraries and proxies resolve, so it could never reach Gameball as an ID.
    """
    customer_id = text.strip()
    if not customer_id:
        raise InvalidInput(EMPTY)
    if len(customer_id) > _MAX_CUSTOMER_ID:
        raise InvalidInput(ID_TOO_LONG)
    if any(_is_forbidden_in_id(character) for character in customer_id):
        raise InvalidInput(ID_BAD_CHARACTERS)
    if not customer_id.strip("."):
        raise InvalidInput(ID_ONLY_DOTS)
    return customer_id


def validate_id_template(template: str) -> str:
    """The trimmed ``CUSTOMER_ID_TEMPLATE``, checked once at start-up.

    It needs exactly one ``{e164}`` or ``{digits}`` and no other braces, and every number it
    can render must be a valid customer ID; otherwise ``InvalidInput(TEMPLATE_INVALID)``.
    """
    candidate = template.strip()
    placeholders = _PLACEHOLDER.findall(candidate)
    leftover = _PLACEHOLDER.sub("", candidate)
    if len(placeholders) != 1 or "{" in leftover or "}" in leftover:
        raise InvalidInput(TEMPLATE_INVALID)
    try:
        validate_customer_id(_render(candidate, _LONGEST_E164))
    except InvalidInput as error:
        raise InvalidInput(TEMPLATE_INVALID) from error
    return candidate


def _render(template: str, e164: str) -> str:
    values = {"e164": e164, "digits": e164.removeprefix("+")}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def customer_id_from_mobile(e164: str, template: str) -> str:
    """The customer ID for a mobile under the ``mobile`` scheme.

    ``"{e164}"`` gives ``"+201001234567"``, ``"mobile_{digits}"`` gives
    ``"mobile_201001234567"``. Raises ``InvalidInput`` if ``e164`` is not E.164 or the template
    is invalid, so a bad argument can never produce a malformed ID.
    """
    if not _E164.fullmatch(e164):
        raise InvalidInput(MOBILE_INVALID)
    return _render(validate_id_template(template), e164)


# --- names ----------------------------------------------------------------------------------

_MAX_NAME = 100
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
#: Words that, first in a name, mean the first word alone is not the given name: titles and
#: the openers of compound given names (Abdel Rahman, Abu Bakr, Umm Kulthum), in Latin and
#: Arabic spellings. Compared case-folded.
_NOT_A_GIVEN_NAME = frozenset(
    {
        *("mr", "mrs", "ms", "miss", "dr", "prof", "eng", "sheikh", "sir"),
        *("abd", "abdel", "abdul", "abdal", "abdelal", "abu", "abou", "abo", "umm", "um"),
        *("el", "al"),
        *("د", "م", "دكتور", "مهندس", "الدكتور", "المهندس", "الشيخ", "السيد", "السيدة"),
        *("عبد", "أبو", "ابو", "أم", "ام"),
    }
)


def _is_plain_given_name(word: str) -> bool:
    """A word of letters (with marks, hyphens, apostrophes) that is not a title or prefix."""
    if word.casefold() in _NOT_A_GIVEN_NAME:
        return False
    return all(
        character.isalpha() or unicodedata.category(character).startswith("M") or character in "-'’"
        for character in word
    )


def split_name(display_name: str) -> tuple[str | None, str | None]:
    """Gameball's ``firstName``/``lastName``, only when the split is obvious.

    - no words: ``(None, None)``; one word: ``(word, None)``;
    - two or more words: ``(first word, the rest)`` — in Arabic naming the rest is the father's
      and family names, and "Ludwig van Beethoven" splits correctly too;
    - but when the first word is a title ("Dr", "Eng."), an opener of a compound given name
      ("Abdel Rahman", "Abu Bakr", "عبد الله") or not made of letters, no split is obvious:
      ``(None, None)``. ``displayName`` always carries the full name, so nothing is lost.
    """
    words = display_name.split()
    if not words:
        return None, None
    if len(words) == 1:
        return words[0], None
    if not _is_plain_given_name(words[0]):
        return None, None
    return words[0], " ".join(words[1:])


def clean_name(text: str) -> str:
    """The name as it should be stored: visible characters, single spaces, at most 100 chars.

    Names are pasted from chats and contact cards and carry bidi marks, zero-width joiners and
    line breaks; those would make the same name compare unequal and render oddly on receipts.
    """
    visible = "".join(
        character
        for character in text
        if character.isspace() or unicodedata.category(character) not in _INVISIBLE_CATEGORIES
    )
    name = " ".join(visible.split())
    if not name:
        raise InvalidInput(EMPTY)
    if len(name) > _MAX_NAME:
        raise InvalidInput(NAME_TOO_LONG)
    return name
