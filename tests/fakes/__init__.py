"""Fakes of the services the bot talks to, strict enough to refuse what the real ones do."""
