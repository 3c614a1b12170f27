"""What a scanned code means: the customer IDs to try, in order (PRODUCT §9, GAMEBALL.md §9).

Gameball's till QR code (widget, app, Virtual Pass) holds the customer ID immediately followed
by a 6-digit rotating hash that authorises a redemption hold: ``demo-1001123456`` is ID
``demo-1001`` with hash ``123456``. Nothing in the text says whether it is such a code, and a
merchant's own code may hold an ID that happens to end in six digits (``mobile_201001234567``),
so the Gameball reading is tried first and the whole text, read like typed text, second.

Only QR codes are read the Gameball way: Gameball shows QR codes, and splitting the digits off
a retail barcode (EAN-13 ``6221000000010``) could name a different, existing customer.

The hash is a credential for the customer's points: it is kept out of every ``repr`` here, so
no log line that prints one of these objects can carry it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.contacts import InvalidInput, validate_customer_id
from bot.domain.identify import Identifier, IdRules, resolve_identifier

#: How zxing-cpp names the QR family (QR, Micro QR, rMQR); Telegram's scanner reads QR only.
QR_SYMBOLOGY = "QR Code"
HASH_DIGITS = 6
#: Longest label shown on a button for a code, so a long code cannot crowd out the others.
MAX_LABEL = 40


@dataclass(frozen=True)
class ScannedCode:
    """The text of one code, and its symbology as zxing-cpp names it (``"Code 128"``)."""

    text: str = field(repr=False)
    symbology: str = QR_SYMBOLOGY

    @property
    def may_carry_hash(self) -> bool:
        """Whether the code may be Gameball's: only QR codes are."""
        return self.symbology == QR_SYMBOLOGY


@dataclass(frozen=True)
class Candidate:
    """One reading of what staff sent; ``hash`` is set only for the Gameball reading.

    Neither part is in the ``repr``: the whole text of a Gameball code, tried as an ID, holds
    the hash too.
    """

    identifier: Identifier = field(repr=False)
    hash: str | None = field(default=None, repr=False)

    @property
    def customer_id(self) -> str:
        return self.identifier.customer_id


def gameball_split(text: str) -> tuple[str, str] | None:
    """``(customer ID, hash)`` if ``text`` is shaped like Gameball's code, else ``None``.

    Whitespace around the text is ignored (some code writers add a line break); the ID part must
    then be a valid customer ID as it stands: a space before the last six digits is not
    Gameball's format.
    """
    stripped = text.strip()
    customer_id, digits = stripped[:-HASH_DIGITS], stripped[-HASH_DIGITS:]
    if not customer_id or not (digits.isascii() and digits.isdigit()):
        return None
    try:
        valid = validate_customer_id(customer_id) == customer_id
    except InvalidInput:
        return None
    return (customer_id, digits) if valid else None


def scan_candidates(code: ScannedCode, rules: IdRules, *, lenient: bool = False) -> list[Candidate]:
    """The customer IDs a code may name, in the order to look them up.

    The Gameball reading first (its ID is a customer ID whatever the scheme: Gameball's code
    carries the ID itself); then the whole text exactly as if it had been typed, with the
    scheme's rules (``lenient`` as for ``/balance``). Raises the typed reading's
    ``InvalidInput`` when neither reading is a valid ID.
    """
    split = gameball_split(code.text) if code.may_carry_hash else None
    candidates = [Candidate(Identifier(split[0]), split[1])] if split else []
    try:
        whole = resolve_identifier(code.text, rules, lenient=lenient)
    except InvalidInput:
        if not candidates:
            raise
        return candidates
    if whole.customer_id not in (candidate.customer_id for candidate in candidates):
        candidates.append(Candidate(whole))
    return candidates


def code_label(code: ScannedCode) -> str:
    """How a code is shown to staff choosing between several: never with a hash."""
    split = gameball_split(code.text) if code.may_carry_hash else None
    shown = split[0] if split else code.text.strip()
    if len(shown) > MAX_LABEL:
        shown = shown[: MAX_LABEL - 1] + "…"
    return f"{code.symbology}: {shown}"
