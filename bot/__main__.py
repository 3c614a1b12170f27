"""Command line: ``checkout-bot run | webhook | console | check | sandbox`` (PRODUCT §6).

Configuration problems end the program with one line naming the variable and exit code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkout-bot", description="Gameball Checkout Bot for Telegram."
    )
    parser.add_argument("--version", action="version", version=f"checkout-bot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run with long polling (default)")
    commands.add_parser("webhook", help="serve Telegram webhooks on WEBHOOK_LISTEN:PORT")
    commands.add_parser("console", help="chat with the bot in this terminal (sandbox by default)")
    commands.add_parser("check", help="validate configuration and credentials")
    sandbox = commands.add_parser("sandbox", help="serve the Gameball sandbox over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--welcome-bonus", type=int, default=100)
    sandbox.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="never answer 429 (by default Gameball's documented limits are enforced)",
    )
    return parser


def _settings(**overrides: object) -> Settings:
    settings = load_settings(**overrides)
    secrets = [
        secret.get_secret_value()
        for secret in (
            settings.telegram_bot_token,
            settings.gameball_api_key,
            settings.gameball_secret_key,
            settings.webhook_secret,
        )
        if secret is not None
    ]
    configure_logging(settings.log_level, settings.log_format, secrets)
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``checkout-bot`` and ``python -m bot``."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        if command == "sandbox":
            from bot.sandbox.server import run_forever

            run_forever(
                args.host,
                args.port,
                welcome_bonus=args.welcome_bonus,
                rate_limits=not args.no_rate_limits,
            )
            return 0
        if command == "console":
            from bot.console import run_console

            return run_console(_console_settings())
        settings = _settings()
        if command == "check":
            from bot.check import run_check

            return run_check(settings)
        if command == "webhook":
            from bot.webhook import serve_webhook

            return serve_webhook(settings)
        from bot.runner import run_polling

        return run_polling(settings)
    except ConfigError as exc:
        print(f"checkout-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _console_settings() -> Settings:
    """Console mode uses the sandbox unless both Gameball keys are configured."""
    probe = load_settings(gameball_sandbox=True)
    has_keys = bool(probe.gameball_api_key and probe.gameball_secret_key)
    # The terminal is the chat: only warnings go to stderr unless LOG_LEVEL asks for more.
    level = os.environ.get("LOG_LEVEL", "WARNING")
    return _settings(gameball_sandbox=not has_keys, log_level=level)


if __name__ == "__main__":
    sys.exit(main())
