"""What an audit entry says to the manager reading ``/activity`` (issue 18).

The log stores codes (``lookup``/``found``, ``order``/``recorded`` with the amount as JSON) so
that it can be read back in any language; this module turns each entry into a phrase in the
reader's: "looked up demo-1001", "recorded a purchase of EGP450.00 for demo-1002". A failure of
any action reads "could not <what was tried>: <why>". An action this release does not know (a
newer one, say) still reads as its codes, so nothing in the log is ever hidden.

Dates follow the reader's locale (Babel's date-time pattern), the details after a phrase are
joined as the reader's language joins a list (Babel's list patterns: ``،`` in Arabic), and the
line's own punctuation is the translator's.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.chat.cards import code, day_and_time, isolate, list_text, money, points_text
from bot.i18n import N_, Translator
from bot.services.customers import Programme
from bot.storage import AuditEntry

#: An action as tried, for "could not …" (PRODUCT §5: Gameball may fail any of them).
ATTEMPTS: dict[str, str] = {
    "lookup": N_("look up {customer}"),
    "balance": N_("check the balance of {customer}"),
    "refresh": N_("refresh the card of {customer}"),
    "create": N_("create {customer}"),
    "queue_send": N_("create {customer} from the queue"),
    "preview": N_("preview a purchase of {amount} for {customer}"),
    "order": N_("record a purchase of {amount} for {customer}"),
    "order_queue": N_("record a queued purchase of {amount} for {customer}"),
    "reverse": N_("reverse the purchase of {amount} for {customer}"),
    "hold": N_("hold {value} for {customer}"),
}

#: Why it failed, by the audit log's word for it (``bot.chat.audit.failure_result``).
FAILURES: dict[str, str] = {
    "unavailable": N_("could not {attempt}: Gameball did not answer"),
    "unauthorized": N_("could not {attempt}: Gameball rejected the bot's keys"),
    "rejected": N_("could not {attempt}: Gameball refused"),
    "refused": N_("could not {attempt}: Gameball refused"),
    "failed": N_("could not {attempt}"),
}

#: What happened, by action and result.
SENTENCES: dict[tuple[str, str], str] = {
    ("lookup", "found"): N_("looked up {customer}"),
    ("lookup", "not_found"): N_("looked up {customer}: not found"),
    ("balance", "found"): N_("checked the balance of {customer}"),
    ("balance", "not_found"): N_("checked the balance of {customer}: not found"),
    ("refresh", "found"): N_("refreshed the card of {customer}"),
    ("refresh", "not_found"): N_("refreshed the card of {customer}: not found"),
    ("create", "created"): N_("created {customer}"),
    ("queue", "queued"): N_("queued the sign-up of {customer}"),
    ("queue_send", "created"): N_("created {customer} from the queue"),
    ("preview", "ok"): N_("previewed a purchase of {amount} for {customer}"),
    ("order", "recorded"): N_("recorded a purchase of {amount} for {customer}"),
    ("order", "queued"): N_("queued a purchase of {amount} for {customer}"),
    ("order", "needs_manager"): N_(
        "needed a manager to record a purchase of {amount} for {customer}"
    ),
    ("order_queue", "recorded"): N_("recorded a queued purchase of {amount} for {customer}"),
    ("reverse", "reversed"): N_("reversed the purchase of {amount} for {customer}"),
    ("reverse", "already_reversed"): N_(
        "found the purchase of {amount} for {customer} reversed already"
    ),
    ("hold", "placed"): N_("held {value} for {customer}"),
    ("hold", "released"): N_("released the hold of {value} for {customer}"),
    ("hold", "used"): N_("used the hold of {value} for {customer}"),
    ("hold", "expired"): N_("the hold of {value} for {customer} expired"),
    ("invite", "created"): N_("created an invite link"),
    ("enrol", "ok"): N_("joined the team"),
    ("enrol", "used"): N_("opened an invite link that was used already"),
    ("enrol", "expired"): N_("opened an expired invite link"),
    ("enrol", "unknown"): N_("opened an invite link that is not valid"),
    ("enrol", "throttled"): N_("was stopped after too many invalid invite links"),
    ("revoke", "ok"): N_("revoked the access of {user}"),
    ("revoke", "refused"): N_("could not revoke the access of {user}"),
    ("store", "chosen"): N_("started working at {store}"),
    ("store", "added"): N_("added the store {name}"),
    ("store", "removed"): N_("removed the store {name}"),
}

#: Where a phrase names the entry's store itself, the line does not repeat it.
_STORE = "{store}"
_USER = re.compile(r"user=([0-9]+)")
_MISSING = "—"


def entry_line(entry: AuditEntry, programme: Programme, t: Translator) -> str:
    """``Mar 3, 14:07 · Sara: looked up demo-1001, at City Stars`` in the reader's language."""
    detail = _detail(entry.detail)
    template = _template(entry)
    values = _values(entry, detail, programme, t)
    phrase = t(template, **values) if template else _unknown(entry)
    details = _details(entry, detail, programme, t, known=bool(template))
    if entry.store and _STORE not in template:
        details.append(t("at {store}", store=isolate(entry.store)))
    what = list_text([phrase, *details], t)
    who = isolate(entry.actor_name or str(entry.actor_id))
    return t("{when} · {who}: {what}", when=day_and_time(entry.at, t), who=who, what=what)


def _template(entry: AuditEntry) -> str:
    """The phrase for this action and result; "" when this release does not know it."""
    known = SENTENCES.get((entry.action, entry.result))
    if known is not None:
        return known
    if entry.action in ATTEMPTS and entry.result in FAILURES:
        return FAILURES[entry.result]
    return ""


def _unknown(entry: AuditEntry) -> str:
    """An action (or result) this release has no words for, shown as recorded."""
    return f"{html.escape(entry.action)} → {html.escape(entry.result)}"


def _values(
    entry: AuditEntry, detail: dict[str, Any], programme: Programme, t: Translator
) -> dict[str, str]:
    """What the phrases' placeholders stand for; ``—`` where the entry does not say."""
    values = {
        "customer": code(entry.customer_id) if entry.customer_id else _MISSING,
        "amount": _money(detail, t) or _MISSING,
        "value": _held(detail, programme, t) or _MISSING,
        "user": _user(entry.detail),
        "store": isolate(entry.store) if entry.store else t("the default store"),
        "name": isolate(str(detail.get("name") or _MISSING)),
    }
    attempt = ATTEMPTS.get(entry.action)
    if attempt is not None:
        values["attempt"] = t(attempt, **values)
    return values


def _details(
    entry: AuditEntry, detail: dict[str, Any], programme: Programme, t: Translator, *, known: bool
) -> list[str]:
    """What follows the phrase: the points an order earned (or its reversal took back) and its
    ID; the customer of an action the phrases do not know."""
    details = []
    if entry.customer_id and not known:
        details.append(code(entry.customer_id))
    if "order" in detail:
        points = detail.get("points")
        if points is not None and entry.action != "hold":
            sign = "−" if entry.action == "reverse" else "+"
            details.append(sign + points_text(float(points), programme.points_name, t))
        details.append(code(str(detail["order"])))
    return details


def _detail(raw: str | None) -> dict[str, Any]:
    """An entry's JSON details (amounts, points, the order); nothing for other entries."""
    try:
        parsed = json.loads(raw or "")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _money(detail: dict[str, Any], t: Translator) -> str:
    """The entry's amount in its currency, or "" when it has none."""
    try:
        amount = Decimal(str(detail["amount"]))
    except (KeyError, InvalidOperation):
        return ""
    return money(amount, detail.get("currency"), t)


def _held(detail: dict[str, Any], programme: Programme, t: Translator) -> str:
    """A hold: its points, with their money value when the entry has both."""
    amount = _money(detail, t)
    if detail.get("points") is None:
        return amount
    points = points_text(float(detail["points"]), programme.points_name, t)
    return t("{points} ({amount})", points=points, amount=amount) if amount else points


def _user(raw: str | None) -> str:
    """The Telegram ID a revocation names (``user=42`` in its details)."""
    found = _USER.search(raw or "")
    return code(found[1]) if found else _MISSING
