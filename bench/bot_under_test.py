"""The bot as the latency benchmark runs it: a process of its own, configured from the environment.

It is production's ``build_application`` and long polling; the only knob is ``--sequential``,
which processes updates one at a time, so the benchmark can measure the baseline that shows what
concurrent processing buys. A separate process keeps start-up time and peak RSS the bot's own.
"""

from __future__ import annotations

import argparse
import sys

from bot.app import build_application
from bot.config import load_settings
from bot.logs import configure_logging
from bot.runner import poll


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", action="store_true", help="one update at a time")
    args = parser.parse_args()
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, [settings.token])
    application = build_application(settings, concurrent_updates=not args.sequential)
    poll(application)  # as `checkout-bot run` does, after its check of the token
    return 0


if __name__ == "__main__":
    sys.exit(main())
