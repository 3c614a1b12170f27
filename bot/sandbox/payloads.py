"""Gameball's error envelope, and the checks request bodies go through, for the sandbox.

Every endpoint of the emulator refuses a malformed body the way Gameball documents it: 400
with code 3016 for a body that is not a JSON object, 400 with code 3000 for a missing required
field, 422 with code 3003 for a value of the wrong type or range (GAMEBALL.md §5).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

#: How far ahead of the sandbox's clock a transaction time may be (clocks drift).
CLOCK_SKEW: Final = timedelta(minutes=5)
DOCUMENTATION_URL: Final = "https://docs.gameball.co/api-reference/overview/status-error-codes"
CHANNELS: Final = frozenset({"mobile", "pos", "web", "callcenter"})

#: Envelope (code, type, message) for a status when nothing more specific applies: injected
#: faults, missing keys, unknown customers. Codes from Gameball's catalogue (GAMEBALL.md §5);
#: 429 has no documented code, so 4290 is made up.
FAULT_ENVELOPES: Final[dict[int, tuple[int, str, str]]] = {
    400: (4000, "GENERAL_ERROR", "Failed"),
    401: (1000, "AUTHENTICATION_ERROR", "Unauthorized access. Please authenticate to proceed."),
    403: (1002, "AUTHENTICATION_ERROR", "Forbidden"),
    404: (7000, "CUSTOMER_ERROR", "Customer Not Found"),
    422: (3003, "PAYLOAD_ERROR", "Invalid value"),
    429: (4290, "RATE_LIMIT", "Too many requests, slow down"),
    500: (5000, "SERVER_ERROR", "Internal server error"),
    503: (5003, "SERVER_ERROR", "Service unavailable"),
}


class ApiError(Exception):
    """A Gameball error envelope on its way out of the sandbox."""

    def __init__(self, status: int, code: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.error_type = error_type
        self.message = message

    def envelope(self) -> dict[str, Any]:
        """The body Gameball sends with this error."""
        return {
            "code": self.code,
            "type": self.error_type,
            "message": self.message,
            "documentationUrl": DOCUMENTATION_URL,
            "requestId": str(uuid.uuid4()),
        }


def invalid(field_name: str) -> ApiError:
    """422 code 3003: a field is present but its value is not acceptable."""
    return ApiError(422, 3003, "PAYLOAD_ERROR", f"Invalid value: {field_name}")


def transaction_error(status: int, code: int, message: str) -> ApiError:
    """A 9xxx error of Gameball's transactions (orders, holds, refunds)."""
    return ApiError(status, code, "TRANSACTION_ERROR", message)


def error_for_status(status: int) -> ApiError:
    """The generic envelope for ``status``."""
    default = (4000, "GENERAL_ERROR", "Failed") if status < 500 else FAULT_ENVELOPES[500]
    return ApiError(status, *FAULT_ENVELOPES.get(status, default))


def has_type(value: Any, expected: tuple[type, ...]) -> bool:
    """JSON type check where ``true`` is no number (Python's bool is an int)."""
    return isinstance(value, expected) and not isinstance(value, bool)


def json_object(payload: Any) -> dict[str, Any]:
    """The body, which must be a JSON object."""
    if not isinstance(payload, dict):
        raise ApiError(400, 3016, "PAYLOAD_ERROR", "Invalid payload: expected a JSON object")
    return payload


def required_string(payload: dict[str, Any], name: str) -> str:
    """A required, non-blank string field."""
    value = payload.get(name)
    if value is None:
        raise ApiError(400, 3000, "PAYLOAD_ERROR", f"Missing arguments: {name}")
    if not isinstance(value, str) or not value.strip():
        raise invalid(name)
    return value


def amount(payload: dict[str, Any], name: str, *, required: bool = False) -> float | None:
    """A money field: a JSON number, not negative; None when absent (or null) and optional."""
    value = payload.get(name)
    if value is None:
        if required:
            raise ApiError(400, 3000, "PAYLOAD_ERROR", f"Missing arguments: {name}")
        return None
    if not has_type(value, (int, float)) or value < 0:
        raise invalid(name)
    return float(value)


def channel(payload: dict[str, Any]) -> None:
    """``channel``, when sent, is one of Gameball's four."""
    value = payload.get("channel")
    if value is not None and value not in CHANNELS:
        raise invalid("channel")


def transaction_time(body: dict[str, Any], name: str, now: datetime) -> str:
    """An ISO 8601 time with a zone, not in the future (code 9007 otherwise); returned in UTC."""
    text = required_string(body, name)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(name) from None
    if moment.utcoffset() is None:
        raise invalid(name)
    if moment > now + CLOCK_SKEW:
        raise transaction_error(422, 9007, "Invalid transaction time")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
