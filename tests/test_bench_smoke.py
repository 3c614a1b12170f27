"""The latency benchmark still runs end to end (``bench/latency.py --quick``), so it cannot rot.

The numbers themselves are not asserted: on a shared CI machine they say nothing. What is
asserted is what a reader of the output relies on: a row per bot and size, the timeline of each
round in order, the start-up and memory lines, and the one summary line with every target in
it — without rate limits, and with Gameball's limits enforced by the sandbox.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: bot, N (``5r``: a repeat round), then after the timings: speed-up, requests per id, 429s.
ROW = re.compile(
    r"^(concurrent|sequential) +(\d+r?) +\d+ +\d+ +\d+ +[\d.]+ +[\d.]+× +([\d.]+) +(\d+)\b"
)
TIMELINE = re.compile(
    r"^concurrent N=(\d+): every Gameball request out by (\d+) ms, "
    r"every answer back by (\d+) ms, every card sent by (\d+) ms$"
)


def bench_output(script: str, *arguments: str) -> list[str]:
    """The lines ``bench/<script>`` prints; it must exit 0."""
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout.strip().splitlines()


def quick_bench(*flags: str) -> list[str]:
    return bench_output("latency.py", "--quick", *flags)


def rows_of(lines: list[str]) -> dict[tuple[str, str], tuple[float, int]]:
    """(bot, N) → (Gameball requests per identification, 429s)."""
    return {
        (match[1], match[2]): (float(match[3]), int(match[4]))
        for line in lines
        if (match := ROW.match(line))
    }


def test_quick_benchmark_prints_the_table_and_the_summary() -> None:
    lines = quick_bench()

    rows = rows_of(lines)
    assert set(rows) == {(bot, size) for bot in ("concurrent", "sequential") for size in "15"}
    assert all(per_id <= 3 for per_id, _ in rows.values())
    timelines = {int(m[1]): [int(m[i]) for i in (2, 3, 4)] for m in map(TIMELINE.match, lines) if m}
    assert set(timelines) == {1, 5}
    for out, back, card in timelines.values():
        assert out + 20 <= back <= card  # an answer comes at least L after its request
    assert any(line.startswith("concurrent: start-up to first getUpdates") for line in lines)
    summary = lines[-1]
    assert summary.startswith("summary: L=20 ms;")
    for target in ("p95@N=50", "p95@N=200", "req/id", "peak RSS", "start-up", "sequential"):
        assert target in summary


def test_quick_benchmark_under_gameballs_limits_counts_429s_and_repeat_customers() -> None:
    lines = quick_bench("--gameball-limits")

    rows = rows_of(lines)
    assert set(rows) == {("concurrent", "1"), ("concurrent", "5"), ("concurrent", "5r")}
    assert all(refused == 0 for _, refused in rows.values())
    assert rows[("concurrent", "5r")][0] <= 2  # names and tiers are remembered
    assert "floor ms" in lines[0]
    summary = lines[-1]
    assert summary.startswith("summary: L=20 ms; Gameball's limits enforced;")
    for target in ("N=50:", "N=200:", "repeat customers", "req/id", "peak RSS", "start-up"):
        assert target in summary
