"""Services: which ones exist (``container``) and the Gameball calls behind the chat layer (no
Telegram here)."""
