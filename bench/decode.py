"""Decode benchmark (issue 17): how many distorted phone photos the bot reads, and how fast.

The photos are the seeded distorted set the tests use (``tests/images.py``): 1280×960 JPEGs of
Gameball QR codes, a Code 128 and an EAN-13 barcode and a DataMatrix, turned, tilted, blurred,
compressed and washed out by glare. Each is read by the bot's own decoder
(``bot.services.codes.decode_image``); a photo counts as read when the code's exact text comes
back.

Timing: the median of ``--runs`` decodes of one 1280×960 photo with a QR code, of one without
any code (the slowest case: nothing found means a second, sharpened look), and, as a baseline
measured in the same run, of just opening the JPEG and converting it to greyscale.

Run ``python bench/decode.py``; it takes about half a minute.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the fixtures live in tests/, which is not installed

from bot.services.codes import decode_image  # noqa: E402
from tests.images import (  # noqa: E402
    GAMEBALL_HASH,
    Distortion,
    blank_photo,
    distorted_set,
    phone_photo,
    qr_code,
)


def decode_rate(per_code: int) -> None:
    """Print how many photos of the distorted set are read, overall and per kind of code."""
    fixtures = distorted_set(per_code)
    read: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for fixture in fixtures:
        kind = fixture.name.rsplit("-", 1)[0]
        total[kind] += 1
        read[kind] += [code.text for code in decode_image(fixture.photo)] == [fixture.text]
    done, count = sum(read.values()), len(fixtures)
    print(f"decode rate: {done}/{count} ({done / count:.0%}) distorted 1280x960 photos read")
    for kind in total:
        print(f"  {kind:<11} {read[kind]}/{total[kind]}")


def median_ms(work: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls, in milliseconds, after one warm-up call."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def greyscale(photo: bytes) -> Image.Image:
    """The baseline: what any reader of the photo must do before looking for a code."""
    with Image.open(io.BytesIO(photo)) as image:
        return image.convert("L")


def decode_time(runs: int) -> None:
    """Print the median time to decode a 1280x960 photo, next to the baseline."""
    with_code = phone_photo(qr_code("demo-1001" + GAMEBALL_HASH), Distortion(angle=20, tilt=0.1))
    without = blank_photo()
    baseline = median_ms(lambda: greyscale(with_code), runs)
    found = median_ms(lambda: decode_image(with_code), runs)
    nothing = median_ms(lambda: decode_image(without), runs)
    print(f"decode time, 1280x960 JPEG, median of {runs} runs:")
    print(f"  open + greyscale (baseline)  {baseline:7.1f} ms")
    print(f"  photo with a QR code         {found:7.1f} ms  ({found / baseline:.1f}x baseline)")
    print(f"  photo without a code         {nothing:7.1f} ms  ({nothing / baseline:.1f}x baseline)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--per-code", type=int, default=8, help="photos of each code (8)")
    parser.add_argument("--runs", type=int, default=15, help="timed decodes of each photo (15)")
    arguments = parser.parse_args()
    decode_rate(arguments.per_code)
    decode_time(arguments.runs)


if __name__ == "__main__":
    main()
