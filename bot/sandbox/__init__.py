"""Gameball v4.0 emulator for console mode, demos, staff training and tests (PRODUCT.md §7)."""

from bot.sandbox.emulator import ConnectionDropped, DemoCustomer, RecordedRequest, Sandbox
from bot.sandbox.server import SandboxServer, run_forever, serve

__all__ = [
    "ConnectionDropped",
    "DemoCustomer",
    "RecordedRequest",
    "Sandbox",
    "SandboxServer",
    "run_forever",
    "serve",
]
