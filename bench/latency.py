"""Latency benchmark: how long a cashier waits for an existing customer's card.

The bot runs as a process of its own (``bench/bot_under_test.py``), so start-up time and peak RSS
are the bot's. This process serves two loopback fakes: the strict fake Bot API and the Gameball
sandbox, which answers every request after an injected latency L. It runs them on uvloop when
that is installed (asyncio's own loop otherwise), to leave the bot as much of the CPU as it can.
N staff, each in a private chat, send an existing customer's ID at the same moment; every round
looks up customers the bot has not seen before (a repeat round, under limits, looks them up
again). Each wait is timed inside the fake Bot API: from the getUpdates answer that hands the
update to the bot, to the arrival of the sendMessage carrying that customer's card.

Two modes:

* default: the sandbox has no rate limits; the same rounds run against a bot that processes
  updates one at a time, the baseline that shows what concurrent processing buys;
* ``--gameball-limits``: the sandbox enforces Gameball's documented rate limits (PRODUCT §10),
  counts the 429s it answers, and each round is compared with the floor those limits allow.

``--compare-tree PATH`` also runs the bot from another source tree (e.g. an older commit checked
out with ``git worktree add``), as the baseline of the same run. Run ``python bench/latency.py
--help``; the default run takes about two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the fake Bot API lives in tests/, which is not installed

from telegram.constants import FloodLimit  # noqa: E402

from bot import eventloop  # noqa: E402
from bot.gameball.limits import CUSTOMER_READS, DOCUMENTED  # noqa: E402
from bot.sandbox import Sandbox, serve  # noqa: E402
from bot.sandbox.wire import HttpRequest, HttpResponse  # noqa: E402
from tests.fakes.telegram import FakeTelegram, FakeTelegramServer  # noqa: E402

BOT_RUNNER = Path(__file__).resolve().with_name("bot_under_test.py")
STAFF_BASE = 700_000
WARMUP_SIZE = 10
STARTUP_TIMEOUT = 30.0
CHECK_INTERVAL = 0.005  # how often the bench looks at the fakes' records; timing is not polled
#: Without rate limits: the regression guard of issue 13, as multiples of L.
GUARD_TARGETS = {50: 1.75, 200: 2.5}
#: Under Gameball's limits (issue 14): p95 as a multiple of L, and of the floor the limits allow.
LIMITED_L_TARGETS = {50: 1.5}
LIMITED_FLOOR_TARGETS = {200: 1.2}
MAX_REQUESTS_PER_IDENTIFICATION = 3
MAX_REQUESTS_REPEAT = 2
#: Under limits, the round whose customers are looked up again (within the bot's memory of them).
REPEAT_SIZE = 50
MAX_PEAK_RSS_MB = 150
RSS_TARGET_SIZE = 200
MAX_STARTUP_SECONDS = 2.0
#: A card needs a balance and a name: the customer reads the limits must make room for.
ESSENTIAL_READS = 2
READS_LIMIT = DOCUMENTED[CUSTOMER_READS]
#: Under limits, no round may wait longer than this for its cards: the rest count as missing.
LIMITED_ROUND_TIMEOUT = 120.0
#: The bot counts each window a little longer than Gameball (bot.gameball.limits.MARGIN).
WINDOW_SLACK = 0.1
#: GAMEBALL_LIMITS for rounds without rate limits: more than any round here can use.
UNLIMITED_READS_PER_SECOND = 10_000
#: Variables the bot process may inherit; everything else it gets is set here, so neither a
#: developer's shell nor a ``.env`` file (the bot runs in a temporary directory) can bend the run.
INHERITED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
_CUSTOMER_IN_PATH = re.compile(rb"/customers/([^/]+)/")


class BenchError(Exception):
    """The benchmark could not measure (the bot died, answered wrongly, or timed out)."""


def staff_id(index: int) -> int:
    return STAFF_BASE + index


def customer_of(staff: int, batch: str) -> str:
    """Each staff member looks up a customer of their own in each batch, so requests can be
    told apart and every round meets customers the bot has not seen before."""
    return f"bench-{batch}-{staff - STAFF_BASE:04d}"


# ---------------------------------------------------------------------------------------------
# The two fakes, with timestamps
# ---------------------------------------------------------------------------------------------


class TimedTelegram(FakeTelegram):
    """The fake Bot API, noting when it hands out each update and when each chat gets a reply."""

    def __init__(self) -> None:
        super().__init__()
        self.first_poll_at: float | None = None
        self.handed_out_at: dict[int, float] = {}  # update_id -> first getUpdates answer with it
        self.first_reply: dict[int, tuple[float, str]] = {}  # chat id -> (when, text); resettable

    async def serve(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        kind = method.lower()
        if kind == "getupdates" and self.first_poll_at is None:
            self.first_poll_at = time.perf_counter()
        status, body = await super().serve(token, method, params)
        now = time.perf_counter()
        if status == 200 and kind == "getupdates":
            for update in body["result"]:
                self.handed_out_at.setdefault(update["update_id"], now)
        elif status == 200 and kind == "sendmessage":
            message = body["result"]
            self.first_reply.setdefault(message["chat"]["id"], (now, message.get("text", "")))
        return status, body


@dataclass(frozen=True)
class Span:
    """One Gameball request as the sandbox served it."""

    customer_id: str
    started: float
    ended: float


class TimedSandbox(Sandbox):
    """The Gameball sandbox with an injected latency, noting each request's customer and span."""

    def __init__(self, latency: float, *, limits: bool) -> None:
        super().__init__(rate_limits=DOCUMENTED if limits else None)
        self.latency = latency
        self.spans: list[Span] = []

    async def respond(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        try:
            return await super().respond(request)
        finally:
            match = _CUSTOMER_IN_PATH.search(request.target)
            customer = match[1].decode() if match else ""
            self.spans.append(Span(customer, started, time.perf_counter()))


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One bot under test: which source tree it runs from, and how it processes updates."""

    name: str
    tree: Path = REPO
    sequential: bool = False


@dataclass(frozen=True)
class BenchConfig:
    latency: float  # seconds
    sizes: tuple[int, ...]
    limits: bool = False  # the sandbox enforces Gameball's documented rate limits
    variants: tuple[Variant, ...] = (Variant("concurrent"), Variant("sequential", sequential=True))

    @property
    def staff(self) -> list[int]:
        return [staff_id(index) for index in range(1, max(self.sizes) + 1)]

    @property
    def repeat_size(self) -> int | None:
        """Under limits, the size of the round looked up a second time (the repeat customers):
        ``REPEAT_SIZE`` if there is such a round, else the largest."""
        if not self.limits:
            return None
        return REPEAT_SIZE if REPEAT_SIZE in self.sizes else max(self.sizes)

    def floor(self, size: int) -> float:
        """The least time the documented limits allow for ``size`` cards' essential reads.

        They fit ``limit`` to the second: the last batch leaves whole seconds after the first,
        then takes one round trip.
        """
        per_second = READS_LIMIT[0].limit
        return self.latency + (math.ceil(ESSENTIAL_READS * size / per_second) - 1) * 1.0


@dataclass(frozen=True)
class Timeline:
    """Where a round's time went, in seconds after its first update was handed out.

    ``requests_out``: the last identification's first Gameball request reached the sandbox
    (the bot's work before asking Gameball); ``answers_back``: the sandbox sent its last answer
    (requests_out + L + the sandbox's own queueing); ``last_card``: the last card arrived.
    """

    requests_out: float
    answers_back: float
    last_card: float

    @classmethod
    def of(cls, start: float, spans: Sequence[Span], replies: Sequence[float]) -> Timeline:
        requests_out = max(
            min(span.started for span in group) for group in spans_by_customer(spans).values()
        )
        return cls(
            requests_out - start,
            max(span.ended for span in spans) - start,
            max(replies) - start,
        )


@dataclass(frozen=True)
class RoundResult:
    size: int
    waits: list[float]  # seconds, sorted; one per card that came
    gameball_requests: int
    rate_limited: int  # requests the sandbox answered 429
    bot_cpu: float | None  # seconds of the bot's CPU time (user + system) during the round
    fakes_cpu: float  # seconds of this process's CPU time (the two fakes) during the round
    timeline: Timeline | None  # None when no card came

    @property
    def missing(self) -> int:
        """Staff who got no card within the round's time."""
        return self.size - len(self.waits)

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile: a wait some staff member actually had (inf: no card)."""
        rank = max(0, math.ceil(fraction * self.size) - 1)
        return self.waits[rank] if rank < len(self.waits) else math.inf

    @property
    def requests_per_identification(self) -> float:
        return self.gameball_requests / self.size

    @property
    def cpu_per_identification(self) -> float | None:
        return None if self.bot_cpu is None else self.bot_cpu / self.size

    @property
    def fakes_cpu_per_identification(self) -> float:
        return self.fakes_cpu / self.size


@dataclass(frozen=True)
class DesignResult:
    variant: Variant
    startup: float  # seconds from spawn to the first getUpdates
    peak_rss_mb: float | None
    rounds: dict[int, RoundResult]
    warmup: RoundResult  # the first rush, on connections not yet open
    repeat: RoundResult | None  # under limits: the same customers again

    @property
    def design(self) -> str:
        return self.variant.name


async def run_design(variant: Variant, config: BenchConfig) -> DesignResult:
    """Fresh fakes and a fresh bot process; a warm-up rush, then one round per size.

    The warm-up is the largest rush for the concurrent design, which opens a connection for
    each request in flight: every timed round then starts with the connection pools a busy till
    keeps open (idle connections live 55 s), so no round's figure depends on which rounds ran
    before it. The warm-up's own waits, on cold connections, are reported too. The sequential
    design never has more than three requests in flight; a small warm-up suffices. A pause
    after the warm-up lets the bot's burst allowance for Telegram refill, so the timed rounds
    measure the bot rather than its rate limiter; under limits, each round also waits until
    Gameball's windows have room for it, so rounds do not eat into each other's budget.
    """
    telegram, sandbox = TimedTelegram(), TimedSandbox(config.latency, limits=config.limits)
    batches = ["warmup", *(f"r{index}" for index in range(len(config.sizes)))]
    for staff in config.staff:
        for batch in batches:
            name = f"Customer {batch} {staff}"
            sandbox.add_customer(customer_of(staff, batch), name=name, points=staff % 5000)
    sandbox_server = await serve(sandbox, "127.0.0.1", 0)
    try:
        async with FakeTelegramServer(telegram) as telegram_server:
            environment = _bot_environment(
                telegram.token, telegram_server.base_url, sandbox_server.url, variant, config
            )
            async with _bot_process(variant, environment) as bot:
                await bot.until(lambda: telegram.first_poll_at is not None, STARTUP_TIMEOUT)
                startup = (telegram.first_poll_at or 0.0) - bot.spawned_at
                warmup_staff = _warmup_staff(variant, config)
                warmup = await run_round(telegram, sandbox, bot, warmup_staff, "warmup", config)
                await asyncio.sleep(len(warmup_staff) / FloodLimit.MESSAGES_PER_SECOND)
                rounds: dict[int, RoundResult] = {}
                for batch, size in zip(batches[1:], config.sizes, strict=True):
                    await _room_for(sandbox, size, config)
                    staff = config.staff[:size]
                    rounds[size] = await run_round(telegram, sandbox, bot, staff, batch, config)
                repeat = None
                if config.repeat_size is not None:
                    size = config.repeat_size
                    await _room_for(sandbox, size, config)
                    batch = batches[1 + config.sizes.index(size)]  # that round's customers again
                    repeat = await run_round(
                        telegram, sandbox, bot, config.staff[:size], batch, config
                    )
                peak = bot.peak_rss_mb()
    finally:
        await sandbox_server.stop()
    return DesignResult(variant, startup, peak, rounds, warmup, repeat)


def _warmup_staff(variant: Variant, config: BenchConfig) -> list[int]:
    largest = max(config.sizes)
    size = min(WARMUP_SIZE, largest) if variant.sequential else largest
    return config.staff[:size]


async def _room_for(sandbox: TimedSandbox, size: int, config: BenchConfig) -> None:
    """Under limits: wait until both of Gameball's read windows can take ``size`` rushes.

    Each identification reads at most three times; the longer window holds its limit's worth.
    """
    if not config.limits:
        return
    needed = 3 * size
    for window in READS_LIMIT:
        span = window.seconds + WINDOW_SLACK
        started = [recorded.started for recorded in sandbox.spans]
        allowed = max(0, window.limit - needed)
        if len(started) > allowed:
            # The request that must leave the window before this round may start.
            blocking = started[len(started) - allowed - 1]
            await asyncio.sleep(max(0.0, blocking + span - time.perf_counter()))


async def run_round(
    telegram: TimedTelegram,
    sandbox: TimedSandbox,
    bot: BotProcess,
    staff: list[int],
    batch: str,
    config: BenchConfig,
) -> RoundResult:
    """All ``staff`` send their customer's ID at once; wait for every card and time each.

    Under limits a card that has not come after ``LIMITED_ROUND_TIMEOUT``, or an answer that is
    not the card (the bot gave up on Gameball), counts as missing.
    """
    telegram.first_reply.clear()
    first_span, first_refusal = len(sandbox.spans), sandbox.rate_limited
    cpu_before, fakes_before = bot.cpu_seconds(), time.process_time()
    customers = {user: customer_of(user, batch) for user in staff}
    update_of = {user: telegram.user_text(user, customers[user])["update_id"] for user in staff}
    everyone_answered = lambda: len(telegram.first_reply) >= len(staff)  # noqa: E731 (O(1))
    if config.limits:
        await bot.until(everyone_answered, LIMITED_ROUND_TIMEOUT, give_up=False)
    else:
        await bot.until(everyone_answered, _round_timeout(len(staff), config.latency))
    cpu_after, fakes_after = bot.cpu_seconds(), time.process_time()
    waits, replies = [], []
    for user, update_id in update_of.items():
        if user not in telegram.first_reply:
            continue
        replied_at, text = telegram.first_reply[user]
        if customers[user] not in text:
            if config.limits:  # e.g. "Gameball is not answering": this staff member got no card
                continue
            raise BenchError(f"staff {user} got {text[:80]!r} instead of the card")
        waits.append(replied_at - telegram.handed_out_at[update_id])
        replies.append(replied_at)
    spans = sandbox.spans[first_span:]
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    fakes_cpu = fakes_after - fakes_before
    start = min(telegram.handed_out_at[update_id] for update_id in update_of.values())
    timeline = Timeline.of(start, spans, replies) if replies else None
    refused = sandbox.rate_limited - first_refusal
    return RoundResult(len(staff), sorted(waits), len(spans), refused, cpu, fakes_cpu, timeline)


def _round_timeout(size: int, latency: float) -> float:
    """Generous enough for the sequential baseline, which waits about ``size × latency``."""
    return 30.0 + 3 * size * (latency + 0.05)


def spans_by_customer(spans: Sequence[Span]) -> dict[str, list[Span]]:
    """The sandbox's requests grouped by identification (each staff member has one customer)."""
    by_customer: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_customer[span.customer_id].append(span)
    return by_customer


# ---------------------------------------------------------------------------------------------
# The bot process
# ---------------------------------------------------------------------------------------------


@dataclass
class BotProcess:
    """The running bot: when it was spawned, where it logs, and how to wait on it."""

    process: asyncio.subprocess.Process
    spawned_at: float
    log_path: Path

    async def until(
        self,
        condition: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109
        *,
        give_up: bool = True,
    ) -> None:
        """Wait for ``condition``; fail at once if the bot exits, and after ``timeout`` seconds
        (or, with ``give_up=False``, just stop waiting then: the caller counts what is missing).

        The check interval does not affect the measurements: the fakes timestamp every event.
        """
        give_up_at = time.perf_counter() + timeout
        while not condition():
            if self.process.returncode is not None:
                raise BenchError(f"the bot exited with status {self.process.returncode}")
            if time.perf_counter() > give_up_at:
                if not give_up:
                    return
                raise BenchError(f"the bot did not get there within {timeout:.0f} s")
            await asyncio.sleep(CHECK_INTERVAL)

    def cpu_seconds(self) -> float | None:
        """CPU time all the bot's threads have used so far, in nanoseconds' resolution (Linux).

        ``schedstat`` rather than ``stat``: the latter counts in 10 ms ticks, as much as one
        identification costs.
        """
        try:
            tasks = list(Path(f"/proc/{self.process.pid}/task").iterdir())
            used = sum(int((task / "schedstat").read_text().split()[0]) for task in tasks)
        except (OSError, ValueError, IndexError):
            return None
        return used / 1e9

    def peak_rss_mb(self) -> float | None:
        """The process's peak resident set (``VmHWM``), on Linux; None elsewhere."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(match[1]) / 1024 if match else None

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _bot_environment(
    token: str, telegram_url: str, gameball_url: str, variant: Variant, config: BenchConfig
) -> dict[str, str]:
    environment = {name: os.environ[name] for name in INHERITED_ENVIRONMENT if name in os.environ}
    return environment | {
        "PYTHONPATH": str(variant.tree),
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": telegram_url,
        "GAMEBALL_BASE_URL": gameball_url,
        "GAMEBALL_API_KEY": "sandbox",
        "GAMEBALL_SECRET_KEY": "sandbox",
        "CUSTOMER_ID_SCHEME": "id",
        # Without the sandbox's limits, the bot is told its account allows far more, so the
        # rounds measure the bot and its HTTP stack rather than its pacing.
        "GAMEBALL_LIMITS": "documented" if config.limits else str(UNLIMITED_READS_PER_SECOND),
        "STAFF_IDS": ",".join(str(staff) for staff in config.staff),
    }


@asynccontextmanager
async def _bot_process(variant: Variant, environment: dict[str, str]) -> AsyncIterator[BotProcess]:
    """Spawn the bot in a temporary directory (its DATA_DIR too); stop it with SIGTERM."""
    flags = ["--sequential"] if variant.sequential else []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as workdir:
        log_path = Path(workdir) / "bot.log"
        with log_path.open("wb") as log:
            spawned_at = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(BOT_RUNNER),
                *flags,
                cwd=workdir,
                env=environment | {"DATA_DIR": str(Path(workdir) / "data")},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            bot = BotProcess(process, spawned_at, log_path)
            try:
                yield bot
            except BenchError as error:
                raise BenchError(
                    f"{variant.name}: {error}; the bot's log ends:\n{bot.log_tail()}"
                ) from None
            finally:
                await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 15)
    except TimeoutError:
        process.kill()
        await process.wait()


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def header(config: BenchConfig) -> str:
    columns = (
        f"{'bot':<11} {'N':>4} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'p95/L':>6} "
        f"{'speed-up':>8} {'GB req/id':>9} {'429s':>5}"
    )
    if config.limits:
        columns += f" {'floor ms':>8} {'p95/floor':>9} {'no card':>7}"
    return columns + f" {'CPU ms/id':>9} {'fakes ms/id':>11}"


def table(results: Sequence[DesignResult], config: BenchConfig) -> list[str]:
    """One row per bot and size (under limits, the repeat round too), the first bot's timeline
    per size, then each bot's start-up time and peak RSS.

    speed-up: the last bot's (the baseline's) p95 over this row's p95; 429s: requests the
    sandbox refused; floor: the least time Gameball's limits allow for the round's essential
    reads; no card: staff who got an error instead, or nothing after two minutes; CPU ms/id: the
    bot's CPU time during the round per identification; fakes ms/id: the same for this process,
    which serves both fakes on the machine's other core (their queueing is part of every
    measured wait).
    """
    baseline = results[-1]
    rows = [header(config)]
    for result in results:
        for size, round_ in result.rounds.items():
            rows.append(_row(result.design, str(size), round_, baseline.rounds[size], config))
        if result.repeat is not None and baseline.repeat is not None:
            size = result.repeat.size
            rows.append(_row(result.design, f"{size}r", result.repeat, baseline.repeat, config))
    design = results[0]
    for size, round_ in design.rounds.items():
        if round_.timeline is not None:
            timeline = round_.timeline
            rows.append(
                f"{design.design} N={size}: every Gameball request out by "
                f"{_ms(timeline.requests_out)} ms, every answer back by "
                f"{_ms(timeline.answers_back)} ms, every card sent by {_ms(timeline.last_card)} ms"
            )
    cold = design.warmup
    rows.append(
        f"{design.design} N={cold.size} on cold connections (the untimed warm-up): p95 "
        f"{_ms(cold.percentile(0.95))} ms = {cold.percentile(0.95) / config.latency:.2f} × L"
    )
    if config.repeat_size is not None:
        rows.append(f"{config.repeat_size}r: the N={config.repeat_size} customers looked up again")
    for result in results:
        rows.append(
            f"{result.design}: start-up to first getUpdates {result.startup:.2f} s, "
            f"peak RSS {_value(result.peak_rss_mb, '.0f')} MB"
        )
    return rows


def _row(
    design: str, size: str, round_: RoundResult, baseline: RoundResult, config: BenchConfig
) -> str:
    p95 = round_.percentile(0.95)
    speedup = baseline.percentile(0.95) / p95
    row = (
        f"{design:<11} {size:>4} {_ms(round_.percentile(0.5)):>7} {_ms(p95):>7} "
        f"{_ms(round_.percentile(1.0)):>7} {p95 / config.latency:>6.2f} {speedup:>7.1f}× "
        f"{round_.requests_per_identification:>9.1f} {round_.rate_limited:>5}"
    )
    if config.limits:
        floor = config.floor(round_.size)
        row += f" {_ms(floor):>8} {p95 / floor:>9.2f} {round_.missing:>7}"
    return row + (
        f" {_value(_scaled(round_.cpu_per_identification, 1000), '.1f'):>9} "
        f"{round_.fakes_cpu_per_identification * 1000:>11.1f}"
    )


def summary(results: Sequence[DesignResult], config: BenchConfig) -> str:
    """The one line to quote: each target, measured, and whether it is met."""
    design = results[0]
    parts = [
        f"L={_ms(config.latency)} ms" + ("; Gameball's limits enforced" if config.limits else "")
    ]
    parts += _limited_targets(design, config) if config.limits else _guard_targets(design, config)
    per_id = max(round_.requests_per_identification for round_ in design.rounds.values())
    parts.append(
        f"Gameball {per_id:.1f} req/id {_verdict(per_id, MAX_REQUESTS_PER_IDENTIFICATION)} "
        f"(≤{MAX_REQUESTS_PER_IDENTIFICATION})"
    )
    if design.repeat is not None:
        again = design.repeat.requests_per_identification
        parts.append(
            f"repeat customers {again:.1f} req/id {_verdict(again, MAX_REQUESTS_REPEAT)} "
            f"(≤{MAX_REQUESTS_REPEAT})"
        )
    rss = design.peak_rss_mb if RSS_TARGET_SIZE in design.rounds else None
    parts.append(
        f"peak RSS@N={RSS_TARGET_SIZE} {_value(rss, '.0f')} MB "
        f"{_verdict(rss, MAX_PEAK_RSS_MB)} (≤{MAX_PEAK_RSS_MB} MB)"
    )
    parts.append(
        f"start-up {design.startup:.2f} s {_verdict(design.startup, MAX_STARTUP_SECONDS)} "
        f"(≤{MAX_STARTUP_SECONDS:.0f} s)"
    )
    if len(results) > 1:
        baseline, largest = results[-1], max(config.sizes)
        ratio = baseline.rounds[largest].percentile(0.95) / design.rounds[largest].percentile(0.95)
        parts.append(f"p95@N={largest} {ratio:.1f}× the speed of {baseline.design}")
    return "summary: " + "; ".join(parts)


def _guard_targets(design: DesignResult, config: BenchConfig) -> list[str]:
    parts = []
    for size, limit in GUARD_TARGETS.items():
        round_ = design.rounds.get(size)
        ratio = None if round_ is None else round_.percentile(0.95) / config.latency
        parts.append(f"p95@N={size} {_value(ratio, '.2f')}×L {_verdict(ratio, limit)} (≤{limit}×L)")
    return parts


def _limited_targets(design: DesignResult, config: BenchConfig) -> list[str]:
    parts = []
    for size, limit in LIMITED_L_TARGETS.items():
        round_ = design.rounds.get(size)
        ratio = None if round_ is None else round_.percentile(0.95) / config.latency
        met = round_ is not None and round_.rate_limited == 0 and _verdict(ratio, limit) == "met"
        parts.append(
            f"N={size}: {_value(None if round_ is None else round_.rate_limited, 'd')} × 429, "
            f"p95 {_value(ratio, '.2f')}×L {'met' if met else 'MISSED'} (0 × 429, ≤{limit}×L)"
        )
    for size, limit in LIMITED_FLOOR_TARGETS.items():
        round_ = design.rounds.get(size)
        ratio = None if round_ is None else round_.percentile(0.95) / config.floor(size)
        met = (
            round_ is not None
            and round_.rate_limited == 0
            and round_.missing == 0
            and _verdict(ratio, limit) == "met"
        )
        missing = None if round_ is None else round_.missing
        refused = None if round_ is None else round_.rate_limited
        parts.append(
            f"N={size}: {_value(missing, 'd')} without a card, {_value(refused, 'd')} × 429, "
            f"p95 {_value(ratio, '.2f')}×floor {'met' if met else 'MISSED'} "
            f"(all cards, 0 × 429, ≤{limit}×floor)"
        )
    return parts


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _value(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "(not measured)"
    return "met" if value <= limit else "MISSED"


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("sizes are comma-separated whole numbers") from None
    if not sizes or any(not 1 <= size <= 1000 for size in sizes):
        raise argparse.ArgumentTypeError("each size must be between 1 and 1000")
    return sizes


def parse_args(argv: Sequence[str] | None) -> BenchConfig:
    parser = argparse.ArgumentParser(
        description="Time an existing customer's card for N staff at once, with the Gameball "
        "sandbox answering after L ms: concurrent processing against the sequential baseline, "
        "or (--gameball-limits) against the floor Gameball's rate limits allow."
    )
    parser.add_argument("--latency-ms", type=int, default=200, help="Gameball latency L (200)")
    parser.add_argument(
        "--sizes", type=_sizes, default=(1, 10, 50, 200), help="staff counts N (1,10,50,200)"
    )
    parser.add_argument(
        "--gameball-limits",
        action="store_true",
        help="the sandbox enforces Gameball's documented rate limits; no sequential baseline",
    )
    parser.add_argument(
        "--compare-tree",
        type=Path,
        metavar="PATH",
        help="also run the bot from this source tree (e.g. an older commit), as the baseline",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: N=1,5 and L=20 ms, in a few seconds"
    )
    args = parser.parse_args(argv)
    if args.latency_ms <= 0:
        parser.error("--latency-ms must be positive")
    if args.compare_tree is not None and not (args.compare_tree / "bot").is_dir():
        parser.error("--compare-tree must be a source tree of the bot (it has no bot/ folder)")
    latency, sizes = (0.020, (1, 5)) if args.quick else (args.latency_ms / 1000, args.sizes)
    return BenchConfig(latency, sizes, args.gameball_limits, _variants(args))


def _variants(args: argparse.Namespace) -> tuple[Variant, ...]:
    """This tree concurrently; then the baseline: another tree, or this one sequentially."""
    this_tree = Variant("this tree" if args.compare_tree else "concurrent")
    if args.compare_tree is not None:
        return this_tree, Variant("other tree", args.compare_tree.resolve())
    if args.gameball_limits:
        return (this_tree,)
    return this_tree, Variant("sequential", sequential=True)


async def run(config: BenchConfig) -> list[DesignResult]:
    results = []
    for variant in config.variants:
        print(f"running {variant.name}…", file=sys.stderr, flush=True)
        results.append(await run_design(variant, config))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    machine, stolen_before = _machine(), _cpu_ticks()
    try:
        results = eventloop.run(run(config))  # uvloop: the fakes take less of the machine
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    machine += _stolen_share(stolen_before, _cpu_ticks())
    trees = [
        f"{r.design}: {_describe_tree(r.variant.tree)}" for r in results if r.variant.tree != REPO
    ]
    print("\n".join([*table(results, config), *trees, machine, summary(results, config)]))
    return 0


def _describe_tree(tree: Path) -> str:
    """Where a compared bot came from, so a reader can reproduce the run."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "not a git checkout"
    return f"{tree} ({commit[:90]})"


def _machine() -> str:
    """The bot is CPU-bound in a rush: numbers from a busy or slowed machine understate it.

    The reference loop says how fast this machine runs Python at the moment: a virtual machine's
    share of its host can change by a factor of two within an hour, and so do the waits.
    """
    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"
    return (
        f"machine: {os.cpu_count()} CPUs, 1-minute load average {load} when the run started, "
        f"reference loop {_reference_loop_ms():.0f} ms"
    )


def _cpu_ticks() -> tuple[int, int] | None:
    """(all, stolen) CPU ticks since boot from ``/proc/stat`` (Linux); None elsewhere."""
    try:
        fields = [
            int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        ]
    except (OSError, ValueError):
        return None
    return (sum(fields[:8]), fields[7]) if len(fields) >= 8 else None


def _stolen_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> str:
    """How much of the machine's CPU time the hypervisor gave to others during the run."""
    if before is None or after is None or after[0] <= before[0]:
        return ""
    share = (after[1] - before[1]) / (after[0] - before[0])
    return f", {share:.0%} of CPU time stolen by the host during the run"


def _reference_loop_ms() -> float:
    """CPU time of a fixed pure-Python loop (a million additions), the best of three."""
    best = math.inf
    for _ in range(3):
        started, total = time.process_time(), 0
        for number in range(1_000_000):
            total += number
        best = min(best, time.process_time() - started)
    return best * 1000


if __name__ == "__main__":
    sys.exit(main())
