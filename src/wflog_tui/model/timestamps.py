"""Tolerant reading of the timestamps found in `steps_log` entries."""

from __future__ import annotations

import math
from datetime import UTC, datetime

# Epoch numbers above this are milliseconds (JavaScript's Date.now()), below it seconds.
_MILLISECONDS_FROM = 10_000_000_000


def parse_timestamp(value: object) -> datetime | None:
    """Return an aware UTC datetime for an ISO 8601 string or an epoch number, else None.

    Naive values are taken as UTC, as the platform writes them. Anything that does not
    parse returns None; the caller keeps the raw value to show it.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 64:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        # An integer too big for a float (jsonb spells 1e400 out in full) overflows in
        # isfinite and in the division as well as in fromtimestamp.
        try:
            if not math.isfinite(value):
                return None
            seconds = value / 1000 if abs(value) >= _MILLISECONDS_FROM else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def as_utc(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive datetime (a `timestamp` column), convert an aware one."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def millis_between(start: datetime | None, end: datetime | None) -> float | None:
    """Milliseconds from start to end, or None when either is missing."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds() * 1000
