"""The latency benchmark still runs end to end (``bench/latency.py --quick``), so it cannot rot.

The numbers themselves are not asserted: on a shared CI machine they say nothing. What is
asserted is what a reader of the output relies on: a row per design and size, the timeline of
each round in order, the start-up and memory lines, and the one summary line with every target
of issue 6 in it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^(concurrent|sequential) +(\d+) +\d+ +\d+ +\d+ +[\d.]+ +[\d.]+× +3\.0 ")
TIMELINE = re.compile(
    r"^concurrent N=(\d+): every Gameball request out by (\d+) ms, "
    r"every answer back by (\d+) ms, every card sent by (\d+) ms$"
)


def test_quick_benchmark_prints_the_table_and_the_summary() -> None:
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "latency.py"), "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr[-2000:]
    lines = finished.stdout.strip().splitlines()
    rows = {(match[1], int(match[2])) for line in lines if (match := ROW.match(line))}
    assert rows == {(design, size) for design in ("concurrent", "sequential") for size in (1, 5)}
    timelines = {int(m[1]): [int(m[i]) for i in (2, 3, 4)] for m in map(TIMELINE.match, lines) if m}
    assert set(timelines) == {1, 5}
    for out, back, card in timelines.values():
        assert out + 20 <= back <= card  # an answer comes at least L after its request
    assert any(line.startswith("concurrent: start-up to first getUpdates") for line in lines)
    summary = lines[-1]
    assert summary.startswith("summary: L=20 ms;")
    for target in ("p95@N=50", "p95@N=200", "req/id", "peak RSS", "start-up", "sequential"):
        assert target in summary
