"""The event loop the serving modes run on: uvloop where it is installed, asyncio's own elsewhere.

Why: in a till rush the bot is CPU-bound on its one event loop, and every HTTP exchange (three
to Gameball and one to Telegram per customer) is a round of socket reads, writes and callbacks.
uvloop (libuv, the loop behind Node.js) does that bookkeeping in C; ``bench/latency.py`` measured
about a tenth less bot CPU per identification with it. It is a dependency on every platform it
supports (not Windows); elsewhere the bot runs on asyncio's loop unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

try:
    import uvloop
except ImportError:  # pragma: no cover - Windows, or an installation without it
    uvloop = None  # type: ignore[assignment]

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh loop of the fastest kind available."""
    if uvloop is not None:
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def loop_kind() -> str:
    """Named in the start-up log, so an operator can tell which loop a deployment runs on."""
    return "uvloop" if uvloop is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on :func:`new_event_loop`."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)


@contextmanager
def current_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A new loop set as the current one, closed afterwards.

    For python-telegram-bot's ``run_polling``, which runs on whatever loop is current.
    """
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()
