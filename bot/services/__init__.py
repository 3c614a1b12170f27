"""Services: orchestration of Gameball calls for the chat layer (no Telegram here)."""
