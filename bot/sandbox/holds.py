"""The sandbox's points holds: hold, look up, release, the texted code, the scanned hash.

What Gameball documents for them (GAMEBALL.md §8, §9), with choices where it is silent:

* A hold reserves whole points, given as ``pointsToHold`` or as the money ``amountToHold`` is
  worth (the points it takes, rounded up); exactly one of the two (``ruleId`` is not emulated:
  3003). ``holdAmount`` is the money the held points cover, ``holdEquivalentPoints`` the points.
* Held points are not available: the balance leaves them out, and a hold for more than what is
  left is 422 code 9008 (insufficient points).
* A hold lasts ``ttl`` (Gameball's default is 10 minutes). ``GET`` answers ``state`` ``active``,
  ``used`` or ``expired`` and ``dateToExpire`` in UTC without a zone, as Gameball's example
  does. A released hold is gone: like an unknown reference it is 404 code 9006, and so is
  releasing one that is used or expired. An order uses an active hold of its own customer once
  (9006 otherwise).
* The scanned hash: :meth:`HoldBook.customer_hash` is the one valid hash of a customer (six
  digits from the sandbox's secret key, fixed, so a demo can type it); a hold with another one
  is 422 code 3003. Gameball documents no code for a wrong hash.
* The texted code: ``POST /transactions/otp`` "texts" :data:`DEMO_OTP` to the customer for the
  points or amount it names; a hold with ``otp`` must carry that code for that same points or
  amount, and uses it up (422 code 3003 otherwise, as no code is documented). A hold without
  ``otp`` is accepted, as on an account without SMS codes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from bot.sandbox.payloads import (
    ApiError,
    error_for_status,
    has_type,
    invalid,
    json_object,
    required_string,
    transaction_error,
    transaction_time,
)

#: The one-time code the sandbox "texts" every customer (shown in the console's banner).
DEMO_OTP: Final = "246810"
#: Gameball's default hold lifetime.
DEFAULT_HOLD_TTL: Final = timedelta(minutes=10)
#: How a hold request names what it reserves, and the OTP request the same thing.
_HOLD_FIELDS: Final = {"pointsToHold": "points", "amountToHold": "amount"}
_OTP_FIELDS: Final = {"points": "points", "amount": "amount"}

#: The points a customer owns (held ones included), or None for an unknown customer.
PointsOf = Callable[[str], int | None]


@dataclass(frozen=True)
class HoldView:
    """A hold as tests and demos see it: what it reserved and the state it is in now."""

    reference: str
    customer_id: str
    points: int
    amount: float
    state: str  # active, used, expired or released


@dataclass
class _Hold:
    reference: str
    customer_id: str
    points: int
    amount: float
    expires: datetime
    ended: str | None = None  # "used" or "released"; expiry is read off the clock


def _not_found() -> ApiError:
    return transaction_error(404, 9006, "Transaction hold reference not found")


class HoldBook:
    """Points holds and the codes that authorise them; the emulator routes their endpoints here."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        ttl: timedelta,
        point_value: float,
        secret: bytes,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a hold must last a while")
        self._clock = clock
        self._ttl = ttl
        self._point_value = point_value
        self._secret = secret
        self._holds: dict[str, _Hold] = {}
        self._codes: dict[str, tuple[str, float]] = {}  # customer → (kind, value) texted for

    def customer_hash(self, customer_id: str) -> str:
        """The hash a Gameball QR code of this customer carries (after the ID, six digits)."""
        digest = hmac.new(self._secret, customer_id.encode(), hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"

    def held(self, customer_id: str) -> int:
        """The points of the customer's active holds: not available for anything else."""
        return sum(
            hold.points
            for hold in self._holds.values()
            if hold.customer_id == customer_id and self._state(hold) == "active"
        )

    def views(self) -> list[HoldView]:
        """Every hold placed so far, oldest first, with its state now."""
        return [
            HoldView(hold.reference, hold.customer_id, hold.points, hold.amount, self._state(hold))
            for hold in self._holds.values()
        ]

    # --- the endpoints ------------------------------------------------------------------------

    def place(self, payload: Any, points_of: PointsOf) -> dict[str, Any]:
        """``POST /transactions/hold``: reserve points of a customer who has them."""
        body = json_object(payload)
        customer_id = required_string(body, "customerId")
        transaction_time(body, "transactionTime", self._clock())
        if body.get("ruleId") is not None:
            raise invalid("ruleId (the sandbox has no redemption rules)")
        asked = _one_of(body, _HOLD_FIELDS)
        owned = points_of(customer_id)
        if owned is None:
            raise error_for_status(404)
        self._check_hash(body.get("hash"), customer_id)
        self._check_otp(body.get("otp"), customer_id, asked)
        points, money = self._points_and_money(asked)
        if points > owned - self.held(customer_id):
            raise transaction_error(422, 9008, "Insufficient points")
        if body.get("otp") is not None:
            del self._codes[customer_id]  # a texted code authorises one hold
        hold = _Hold(str(uuid.uuid4()), customer_id, points, money, self._clock() + self._ttl)
        self._holds[hold.reference] = hold
        return {
            "customerId": customer_id,
            "holdAmount": money,
            "holdEquivalentPoints": points,
            "holdReference": hold.reference,
        }

    def details(self, reference: str) -> dict[str, Any]:
        """``GET /transactions/hold/{holdReferenceId}``."""
        hold = self._holds.get(reference)
        if hold is None or hold.ended == "released":
            raise _not_found()
        return {
            "customerId": hold.customer_id,
            "holdAmount": hold.amount,
            "holdEquivalentPoints": hold.points,
            "state": self._state(hold),
            "dateToExpire": hold.expires.astimezone(UTC)
            .replace(tzinfo=None)
            .isoformat(timespec="microseconds"),
        }

    def release(self, reference: str) -> dict[str, Any]:
        """``DELETE /transactions/hold/{holdReferenceId}``: the points are available again."""
        self._active(reference).ended = "released"
        return {"success": True, "message": "Hold released successfully"}

    def use(self, reference: str, customer_id: str) -> int:
        """An order redeems the hold: its points are spent, and it can never be used again."""
        hold = self._active(reference)
        if hold.customer_id != customer_id:
            raise _not_found()
        hold.ended = "used"
        return hold.points

    def send_otp(self, payload: Any, points_of: PointsOf) -> dict[str, Any]:
        """``POST /transactions/otp``: "text" the customer :data:`DEMO_OTP` for this redemption."""
        body = json_object(payload)
        customer_id = required_string(body, "customerId")
        if body.get("ruleId") is not None:
            raise invalid("ruleId (the sandbox has no redemption rules)")
        asked = _one_of(body, _OTP_FIELDS)
        if points_of(customer_id) is None:
            raise error_for_status(404)
        self._codes[customer_id] = asked
        return {}

    # --- rules --------------------------------------------------------------------------------

    def _state(self, hold: _Hold) -> str:
        if hold.ended is not None:
            return hold.ended
        return "expired" if self._clock() >= hold.expires else "active"

    def _active(self, reference: str) -> _Hold:
        hold = self._holds.get(reference)
        if hold is None or self._state(hold) != "active":
            raise _not_found()
        return hold

    def _check_hash(self, scan_hash: Any, customer_id: str) -> None:
        if scan_hash is None:
            return
        valid = self.customer_hash(customer_id)
        if not has_type(scan_hash, (str,)) or not hmac.compare_digest(scan_hash, valid):
            raise invalid("hash")

    def _check_otp(self, otp: Any, customer_id: str, asked: tuple[str, float]) -> None:
        if otp is None:
            return
        texted = self._codes.get(customer_id)
        if otp != DEMO_OTP or texted != asked:
            raise invalid("otp")

    def _points_and_money(self, asked: tuple[str, float]) -> tuple[int, float]:
        """The whole points a hold reserves and the money they cover."""
        kind, value = asked
        if kind == "points":
            return int(value), round(value * self._point_value, 2)
        return math.ceil(value / self._point_value - 1e-9), value


def _one_of(body: dict[str, Any], fields: dict[str, str]) -> tuple[str, float]:
    """The one field of ``fields`` the body names: ``("points", 200)`` or ``("amount", 20.0)``."""
    given = [(name, body[name]) for name in fields if body.get(name) is not None]
    if not given:
        missing = " or ".join(fields)
        raise ApiError(400, 3000, "PAYLOAD_ERROR", f"Missing arguments: {missing}")
    if len(given) > 1:
        raise invalid(f"{given[1][0]} (only one of {', '.join(fields)})")
    name, value = given[0]
    kind = fields[name]
    expected: tuple[type, ...] = (int,) if kind == "points" else (int, float)
    if not has_type(value, expected) or value <= 0:
        raise invalid(name)
    return kind, float(value)
