"""What staff are told when their input or Gameball is not right (PRODUCT §5).

Reason codes from the domain and typed errors from the client become short, localised
sentences. Gameball's own message is shown only for rejections (it explains what to fix);
nothing else from an exception ever reaches the chat.
"""

from __future__ import annotations

import html

from bot.domain import contacts, money
from bot.domain.contacts import InvalidInput, example_mobile
from bot.gameball.errors import (
    Busy,
    GameballError,
    HoldNotFound,
    InsufficientPoints,
    NotFound,
    NotReversible,
    Rejected,
    TransactionNotFound,
    Unauthorized,
)
from bot.i18n import N_, Translator

_INPUT_REASONS = {
    contacts.EMPTY: N_("That was empty."),
    contacts.MOBILE_NOT_A_NUMBER: N_("That doesn't look like a phone number."),
    contacts.MOBILE_TOO_SHORT: N_("That number is too short."),
    contacts.MOBILE_TOO_LONG: N_("That number is too long."),
    contacts.MOBILE_UNKNOWN_COUNTRY: N_("That country code doesn't exist."),
    contacts.MOBILE_INVALID: N_("That number isn't valid."),
    contacts.MOBILE_NOT_MOBILE: N_("That is not a mobile number."),
    contacts.EMAIL_INVALID: N_("That isn't a valid email address."),
    contacts.ID_TOO_LONG: N_("A customer ID has at most 100 characters."),
    contacts.ID_BAD_CHARACTERS: N_("A customer ID can't contain spaces or invisible characters."),
    contacts.ID_ONLY_DOTS: N_("A customer ID can't be only dots."),
    contacts.NAME_TOO_LONG: N_("A name has at most 100 characters."),
    money.AMOUNT_NOT_A_NUMBER: N_("That is not an amount."),
    money.AMOUNT_ZERO: N_("The amount must be more than zero."),
    money.AMOUNT_NEGATIVE: N_("An amount can't be negative."),
    money.AMOUNT_TOO_PRECISE: N_("An amount has at most two decimals."),
    money.AMOUNT_TOO_LARGE: N_("That is far more than one purchase."),
    money.AMOUNT_OTHER_CURRENCY: N_("That is another currency: the programme uses {currency}."),
    money.DISCOUNT_TOO_LARGE: N_("The customer's points are worth {limit} at most."),
    money.POINTS_NOT_A_NUMBER: N_("That is not a number of points."),
    money.POINTS_NOT_POSITIVE: N_("The number of points must be more than zero."),
    money.POINTS_NOT_WHOLE: N_("Points are redeemed in whole numbers."),
    money.POINTS_TOO_MANY: N_("The customer has {limit} available."),
}

_MOBILE_REASONS = {reason for reason in _INPUT_REASONS if reason.startswith("mobile_")}


def invalid_input_text(exc: InvalidInput, t: Translator, region: str) -> str:
    """Why the input was refused, with an example for mobile numbers; then a second chance."""
    example = example_mobile(region) if exc.reason in _MOBILE_REASONS else None
    return _refusal(exc, t, example)


def invalid_amount_text(
    exc: InvalidInput, t: Translator, currency: str | None, example: str
) -> str:
    """Why the amount was refused, with an example; then a second chance."""
    return _refusal(exc, t, example, currency=currency or "")


def invalid_redemption_text(
    exc: InvalidInput, t: Translator, *, currency: str | None, limit: str, example: str | None
) -> str:
    """Why the points or money to redeem were refused (``limit``: what is available)."""
    return _refusal(exc, t, example, currency=currency or "", limit=limit)


def _refusal(exc: InvalidInput, t: Translator, example: str | None, **values: str) -> str:
    reason = t(_INPUT_REASONS.get(exc.reason, N_("That wasn't accepted.")), **values)
    if example is not None:
        reason += " " + t("Example: {example}.", example=f"<code>{html.escape(example)}</code>")
    return "⚠️ " + reason + " " + t("Please try again.")


def gameball_error_text(exc: GameballError, t: Translator) -> str:
    """A clear sentence for a Gameball failure."""
    if isinstance(exc, Unauthorized):
        return "⛔ " + t("The bot's loyalty credentials are rejected. Please tell a manager.")
    if isinstance(exc, NotReversible):
        return "⚠️ " + t("Gameball says this order cannot be reversed.")
    if isinstance(exc, TransactionNotFound):
        return "⚠️ " + t("Gameball does not know this order, so there is nothing to reverse.")
    if isinstance(exc, HoldNotFound):
        return "⌛ " + t("Gameball no longer holds these points: the hold ran out.")
    if isinstance(exc, InsufficientPoints):
        return "⚠️ " + t("The customer does not have that many points available now.")
    if isinstance(exc, Rejected):
        reason = html.escape(exc.message) if exc.message else t("no reason given")
        return "⚠️ " + t("Gameball did not accept this: {reason}", reason=reason)
    if isinstance(exc, NotFound):
        return t("Gameball does not know this customer.")
    if isinstance(exc, Busy):
        return "⏳ " + t("Gameball is still busy with another request for this customer.")
    return "⏳ " + t("Gameball is not answering right now.")
