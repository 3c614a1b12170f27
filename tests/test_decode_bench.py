"""``bench/decode.py`` still runs end to end, so the numbers in bench/README.md can be redone.

The numbers are not asserted (a shared machine says nothing about them); the lines a reader
relies on are: the rate over the whole set, one line per kind of code, and the three timings.
"""

from __future__ import annotations

import re

from tests.test_bench_smoke import bench_output


def test_the_decode_benchmark_prints_the_rate_and_the_timings() -> None:
    lines = bench_output("decode.py", "--per-code", "1", "--runs", "1")
    assert re.fullmatch(r"decode rate: \d/5 \(\d+%\) distorted 1280x960 photos read", lines[0])
    assert [line.split()[0] for line in lines[1:5]] == ["qr_code", "code128", "ean13", "datamatrix"]
    timings = [line for line in lines if line.rstrip().endswith(("ms", "baseline)"))]
    assert len(timings) == 3
