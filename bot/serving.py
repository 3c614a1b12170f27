"""Listening for HTTP with ``aiohttp.web``, the one server library of every server the project runs.

The webhook listener (an ``aiohttp.web.Application`` with routes), the Gameball sandbox and the
tests' fake Bot API (aiohttp's low-level server) all start the same way: a runner set up, one TCP
site on a host and port, port 0 for any free port.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

#: Room for hundreds of clients connecting at the same instant (a rush in the benchmark, a burst
#: of webhook deliveries); the listen queue costs nothing until it is used.
BACKLOG: Final = 1024


async def listen(runner: web.BaseRunner, host: str, port: int) -> int:
    """Set ``runner`` up and listen on ``host:port``; returns the port (0 picks a free one).

    A port that cannot be had (taken, not allowed) undoes the set-up before the error goes up,
    so nothing is left half-started.
    """
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, backlog=BACKLOG).start()
    except BaseException:
        await runner.cleanup()
        raise
    return int(runner.addresses[0][1])
