"""Gameball Checkout Bot: identify loyalty customers at checkout from Telegram."""

__version__ = "0.1.0"
