"""Masking of personal data for logs and the audit log (PRODUCT §5, §3).

Phone numbers keep their country code and last three digits, emails their first letter and
domain: enough to tell entries apart, not enough to contact anyone.
"""

from __future__ import annotations

import re

#: Fewer digits than this is a count, a port or a date part, never a phone number.
MIN_PHONE_DIGITS = 7
#: A phone number in free text: an optional ``+`` (or ``%2B``, as it appears in a URL path),
#: then digits with common separators. Digits glued to letters count too: under
#: ``CUSTOMER_ID_SCHEME=mobile`` the number hides inside IDs such as ``mobile_201001234567``.
PHONE_PATTERN = re.compile(r"(?<!\d)(?:\+|%2[Bb])?\d(?:[\d\s().-]{5,}\d)(?!\d)")
_LOCAL_CHARACTER = r"[\w.!#$%&'*+/=?^`{|}~-]"
#: An address: the local part in any script with RFC 5322's specials, then the domain (IDN
#: labels included) ending in a top-level domain of letters. A local part only starts where a
#: run of its characters starts, which keeps matching linear on long texts without an ``@``.
EMAIL_PATTERN = re.compile(
    rf"(?<!{_LOCAL_CHARACTER})({_LOCAL_CHARACTER}){_LOCAL_CHARACTER}*@"
    r"([\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,})"
)
_ENCODED_PLUS = "%2B"


def mask_mobile(value: str) -> str:
    """``+201001234567`` → ``+20•••••••567``."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) < MIN_PHONE_DIGITS:
        return "•" * len(digits)
    prefix = "+" if value.lstrip().startswith("+") else ""
    return prefix + digits[:2] + "•" * (len(digits) - 5) + digits[-3:]


def mask_email(value: str) -> str:
    """``mona@example.com`` → ``m•••@example.com``."""
    return EMAIL_PATTERN.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", value)


def mask_digits_in(value: str) -> str:
    """Mask every phone-like run of digits inside ``value`` (e.g. ``mobile_201001234567``)."""
    return re.sub(rf"\d{{{MIN_PHONE_DIGITS},}}", lambda m: mask_mobile(m.group(0)), value)


def _mask_phone_match(match: re.Match[str]) -> str:
    """Mask one candidate; short digit runs (IP addresses, dates) are left readable."""
    found = match.group(0)
    if sum(c.isdigit() for c in found) < MIN_PHONE_DIGITS:
        return found
    if found[: len(_ENCODED_PLUS)].upper() == _ENCODED_PLUS:
        return _ENCODED_PLUS + mask_mobile(found[len(_ENCODED_PLUS) :])
    return mask_mobile(found)


def mask_text(text: str) -> str:
    """Mask every email and phone number found in free text (log messages)."""
    return PHONE_PATTERN.sub(_mask_phone_match, mask_email(text))
