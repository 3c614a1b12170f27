"""Typed errors for Gameball calls, so callers branch on meaning rather than status codes.

Gameball answers every non-2xx with an envelope ``{code, type, message, ...}``; the classes
below are what the rest of the bot sees. Only :class:`Unavailable` is worth retrying.
"""

from __future__ import annotations

from typing import Any


class GameballError(Exception):
    """Base class: a Gameball call did not produce a usable answer.

    ``message`` is Gameball's own text when it sent one; it never contains our keys.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: int | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message
        self.status = status
        self.code = code
        self.error_type = error_type

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class NotFound(GameballError):
    """404 (codes 7000 / 4004): the customer does not exist."""


class Unauthorized(GameballError):
    """401 / 403: the configured keys are rejected; only a manager can fix this."""


class Rejected(GameballError):
    """422 and other 4xx: Gameball refused the request; ``message`` says why."""


class Unavailable(GameballError):
    """429, 5xx, timeouts, connection errors: transient; retrying later may succeed.

    ``retry_after`` is the wait Gameball asked for (a ``Retry-After`` header), when it did.
    """

    retry_after: float | None = None


class Busy(Unavailable):
    """2001: another request for the same customer is still being processed; try again later."""


class AlreadyRecorded(Rejected):
    """9004: a transaction with this ID exists: the order (or refund) was recorded before."""


class AlreadyReversed(Rejected):
    """9001: the order has been cancelled (reversed) already."""


class NotReversible(Rejected):
    """9000: Gameball cannot reverse this transaction."""


class TransactionNotFound(NotFound):
    """9002 / 9005 (404): Gameball knows no such transaction, or no such order to reverse."""


class HoldNotFound(NotFound):
    """9006 (404): no such points hold: it expired, was released or was used already."""


class InsufficientPoints(Rejected):
    """9008: the customer has fewer points available than asked for."""


#: Gameball's codes (GAMEBALL.md §5, §8) that mean more than their status, by what they mean.
_BY_CODE: dict[int, type[GameballError]] = {
    2001: Busy,
    9000: NotReversible,
    9001: AlreadyReversed,
    9002: TransactionNotFound,
    9004: AlreadyRecorded,
    9005: TransactionNotFound,
    9006: HoldNotFound,
    9008: InsufficientPoints,
}


class Skipped(GameballError):
    """An optional request was not sent: Gameball's request budget is needed for others."""


def parse_envelope(body: Any) -> tuple[int | None, str | None, str]:
    """Read ``(code, type, message)`` out of an error body of any shape, never raising."""
    if not isinstance(body, dict):
        return None, None, ""
    raw_code = body.get("code", body.get("error"))
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    error_type = body.get("type") if isinstance(body.get("type"), str) else None
    message = body.get("message") if isinstance(body.get("message"), str) else ""
    return code, error_type, message or ""


def error_for_status(status: int, body: Any, *, retry_after: float | None = None) -> GameballError:
    """Map an HTTP status and Gameball's error envelope to the typed error."""
    code, error_type, message = parse_envelope(body)
    kwargs: dict[str, Any] = {"status": status, "code": code, "error_type": error_type}
    if status in (401, 403):
        return Unauthorized(message, **kwargs)
    if status == 429 or status >= 500:
        unavailable = Unavailable(message, **kwargs)
        unavailable.retry_after = retry_after
        return unavailable
    if code in _BY_CODE:
        return _BY_CODE[code](message, **kwargs)
    if status == 404:  # codes 7000 and 4004 are both documented for it: the status decides
        return NotFound(message, **kwargs)
    return Rejected(message, **kwargs)
