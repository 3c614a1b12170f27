"""The balance card and the onboarding confirmation (PRODUCT §4), as Telegram HTML.

Absent or null fields are left out, never shown as ``None``. Numbers, money and dates are
formatted for the reader's language with Babel. Values that come from people (names, IDs) are
HTML-escaped and wrapped in Unicode isolates so Latin IDs read correctly inside Arabic text.
"""

from __future__ import annotations

import html
from datetime import datetime
from decimal import Decimal

from babel.dates import format_date, format_skeleton, get_datetime_format
from babel.lists import format_list
from babel.numbers import UnknownCurrencyError, format_currency, format_decimal

from bot.domain.identify import NewCustomer
from bot.gameball.models import CustomerBalance, TierProgress
from bot.i18n import Translator
from bot.services.customers import CustomerCard

FSI, PDI = "\u2068", "\u2069"
#: Where a locale lacks CLDR's "unit" list style, Babel uses these, in this order (CLDR root).
_UNIT_STYLES = ("unit", "unit-short", "standard")


def isolate(value: str) -> str:
    """HTML-escape a value from outside and isolate its direction from the sentence around it."""
    return f"{FSI}{html.escape(value, quote=False)}{PDI}"


def code(value: str) -> str:
    """A copyable value (e.g. a customer ID): monospace, isolates outside the copied text."""
    return f"{FSI}<code>{html.escape(value, quote=False)}</code>{PDI}"


def number(value: float, t: Translator) -> str:
    """A count of points, without decimals when it is whole."""
    shown: float = int(value) if float(value).is_integer() else value
    return format_decimal(shown, locale=t.locale)


def money(value: float | Decimal, currency: str | None, t: Translator) -> str:
    """A money amount in the programme's currency, formatted for the reader."""
    if currency:
        try:
            return format_currency(value, currency, locale=t.locale)
        except UnknownCurrencyError:
            return f"{format_decimal(value, format='#,##0.00', locale=t.locale)} {currency}"
    return format_decimal(value, format="#,##0.00", locale=t.locale)


def date_text(raw: str, t: Translator) -> str:
    """Gameball's ``2024-12-01T00:00:00`` as a readable date; unreadable values as given."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return html.escape(raw)
    return format_date(parsed.date(), format="d MMM y", locale=t.locale)


def day_and_time(at: datetime, t: Translator) -> str:
    """``Mar 3, 14:05`` / ``3 مارس، 14:05``: day and time joined as the reader's locale joins them.

    CLDR has no day-and-time skeleton, so the two are formatted apart and combined with the
    locale's date-time pattern, as Babel's ``format_datetime`` combines its named formats.
    """
    day = format_skeleton("MMMd", at, locale=t.locale)
    time = format_skeleton("Hm", at, locale=t.locale)
    return str(get_datetime_format("medium", locale=t.locale)).format(time, day)


def list_text(items: list[str], t: Translator) -> str:
    """Items joined as the reader's language joins a list of details: ``a, b, c`` / ``a، وb، وc``.

    CLDR's "unit" style puts no "and" before the last item in English. Babel joins two items
    with the pattern for two, and where a locale has none (Arabic's "unit") it repeats the
    second item; CLDR says the pattern for the end applies then, so two items go through it.
    """
    if len(items) != 2:
        return format_list(items, style="unit", locale=t.locale)
    known = t.locale.list_patterns
    patterns = next(known[style] for style in _UNIT_STYLES if style in known)
    return str(patterns.get("2", patterns["end"])).format(*items)


def balance_card(card: CustomerCard, t: Translator) -> str:
    """One HTML message with everything staff need at the till."""
    lines = [f"👤 <b>{isolate(card.name)}</b>"] if card.name else []
    lines.append(t("Customer ID: {customer_id}", customer_id=code(card.customer_id)))
    lines.append("")
    lines.extend(_balance_lines(card.balance, t))
    if card.tier is not None:
        lines.append(_tier_line(card.tier, t))
    return "\n".join(lines)


def points_text(value: float, points_name: str | None, t: Translator) -> str:
    """``1,250 Stars``: a count of points under the programme's name for them."""
    name = points_name or t("points")
    return f"{number(value, t)} {html.escape(name)}"


def worth_text(value: float | None, currency: str | None, t: Translator) -> str:
    """`` (worth EGP125.00)`` after a number of points, or nothing when the value is unknown."""
    return "" if value is None else t(" (worth {amount})", amount=money(value, currency, t))


def _points(value: float, balance: CustomerBalance, t: Translator) -> str:
    return points_text(value, balance.points_name, t)


def _worth(value: float | None, balance: CustomerBalance, t: Translator) -> str:
    return worth_text(value, balance.currency, t)


def _balance_lines(balance: CustomerBalance, t: Translator) -> list[str]:
    available = balance.available_points_balance
    lines = [
        "⭐ "
        + t(
            "Available: {points}{worth}",
            points=f"<b>{_points(available or 0, balance, t)}</b>",
            worth=_worth(balance.available_points_value, balance, t),
        )
    ]
    if balance.pending_points:
        lines.append(
            "⏳ "
            + t(
                "Pending: {points}{worth}",
                points=_points(balance.pending_points, balance, t),
                worth=_worth(balance.pending_points_value, balance, t),
            )
        )
    amount, when = balance.next_expiring_points_amount, balance.next_expiring_points_date
    if amount and when:
        lines.append(
            "⌛ "
            + t(
                "{points} expire on {date}{worth}",
                points=_points(amount, balance, t),
                date=date_text(when, t),
                worth=_worth(balance.next_expiring_points_value, balance, t),
            )
        )
    return lines


def _tier_line(tier: TierProgress, t: Translator) -> str:
    current = isolate(tier.current.name or "") if tier.current else ""
    upcoming = tier.next
    if upcoming is None or not upcoming.name:
        return "🏅 " + t("Tier: {tier} (top tier)", tier=f"<b>{current}</b>")
    if tier.progress is None or upcoming.min_progress is None:
        return "🏅 " + t(
            "Tier: {tier}, next: {next_tier}",
            tier=f"<b>{current}</b>",
            next_tier=isolate(upcoming.name),
        )
    return "🏅 " + t(
        "Tier: {tier}, {progress} of {target} toward {next_tier}",
        tier=f"<b>{current}</b>",
        progress=number(tier.progress, t),
        target=number(upcoming.min_progress, t),
        next_tier=isolate(upcoming.name),
    )


def onboarding_confirmation(customer: NewCustomer, t: Translator) -> str:
    """The message that tells staff the profile now exists (sent before its card)."""
    who = isolate(customer.name) if customer.name else code(customer.customer_id)
    return "✅ " + t(
        "Welcome aboard! The loyalty profile for {who} is created.", who=f"<b>{who}</b>"
    )


def summary(customer: NewCustomer, t: Translator) -> str:
    """The new customer's details, shown before staff confirm the creation."""
    dash = "—"
    rows = [
        ("<b>" + t("New customer") + "</b>"),
        t("Customer ID: {customer_id}", customer_id=code(customer.customer_id)),
        t("Name: {name}", name=isolate(customer.name) if customer.name else dash),
        t("Mobile: {mobile}", mobile=isolate(customer.mobile) if customer.mobile else dash),
        t("Email: {email}", email=isolate(customer.email) if customer.email else dash),
    ]
    return "\n".join(rows)
