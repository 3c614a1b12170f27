"""Audit helper for handlers: who did what to which customer, in which store (PRODUCT §3)."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import ChatContext


def actor_name(update: Update) -> str | None:
    """The Telegram user's display name, as the audit log records it."""
    user = update.effective_user
    return user.full_name if user else None


def audit(
    context: ChatContext,
    update: Update,
    action: str,
    result: str,
    customer_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Record one action by the user behind ``update``. Never contact data in clear."""
    user = update.effective_user
    context.services.database.audit.record(
        actor_id=user.id if user else 0,
        actor_name=actor_name(update),
        action=action,
        result=result,
        customer_id=(context.services.audit_customer_id(customer_id) if customer_id else None),
        store=context.services.settings.store_name or None,
        detail=detail,
    )
