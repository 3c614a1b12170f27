"""Telegram layer: handlers, keyboards, cards and access control. Never builds HTTP requests."""
