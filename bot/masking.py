"""Masking of personal data for logs and the audit log (PRODUCT §5, §3).

Phone numbers keep their country code and last three digits, emails their first letter and
domain: enough to tell entries apart, not enough to contact anyone.
"""

from __future__ import annotations

import re

#: A run of 7+ digits, optionally with + and common separators: a phone number in free text.
PHONE_PATTERN = re.compile(r"(?<![\w])\+?\d(?:[\d\s().-]{5,}\d)(?![\w])")
EMAIL_PATTERN = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_mobile(value: str) -> str:
    """``+201001234567`` → ``+20•••••••567``."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) < 7:
        return "•" * len(digits)
    prefix = "+" if value.lstrip().startswith("+") else ""
    return prefix + digits[:2] + "•" * (len(digits) - 5) + digits[-3:]


def mask_email(value: str) -> str:
    """``mona@example.com`` → ``m•••@example.com``."""
    return EMAIL_PATTERN.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", value)


def mask_digits_in(value: str) -> str:
    """Mask every phone-like run of digits inside ``value`` (e.g. ``mobile_201001234567``)."""
    return re.sub(r"\d{7,}", lambda m: mask_mobile(m.group(0)), value)


def mask_text(text: str) -> str:
    """Mask every email and phone number found in free text (log messages)."""
    text = mask_email(text)
    return PHONE_PATTERN.sub(lambda m: mask_mobile(m.group(0)), text)
