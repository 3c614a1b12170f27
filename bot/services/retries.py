"""How the background queue retries what Gameball could not take yet: sign-ups and orders."""

from __future__ import annotations

from datetime import datetime, timedelta

#: The backoff between attempts of one queued item.
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_GAP = timedelta(minutes=15)
#: Each background attempt may take longer than an interactive one: nobody is waiting.
ATTEMPT_DEADLINE = 30.0


def retry_at(attempts: int, now: datetime) -> datetime:
    """Exponential backoff after ``attempts`` failed ones: 30 s, 1 min, 2 min … at most 15 min."""
    gap: timedelta = min(MAX_RETRY_GAP, FIRST_RETRY * (2 ** min(attempts, 10)))
    return now + gap
