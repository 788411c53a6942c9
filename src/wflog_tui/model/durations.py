"""Durations and instants as people read them in a log: short, fixed-width friendly."""

from __future__ import annotations

from datetime import UTC, datetime

import humanize

from wflog_tui.model.timestamps import ExtremeInstant


def format_duration(ms: float | None) -> str:
    """`340 ms`, `4.2 s`, `2m 05s`, `3h 02m`, `2d 03h`; an em dash when unknown."""
    if ms is None:
        return "—"
    if ms < 0:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_instant(value: datetime | None, now: datetime | None = None) -> str:
    """`2026-11-26 09:00:01.234 UTC (3 minutes ago)`; an em dash when unknown."""
    if value is None:
        return "—"
    if isinstance(value, ExtremeInstant):
        return value.text  # "∞", "12000-01-01 00:00:00 UTC": no age can be computed
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d} UTC"
    if now is not None:
        text += f" ({relative_time(utc, now)})"
    return text


def relative_time(value: datetime, now: datetime) -> str:
    """ "3 minutes ago", "in 2 hours"; "∞", "year 12000" for instants Python cannot hold."""
    if isinstance(value, ExtremeInstant):
        return value.short
    try:
        return humanize.naturaltime(now - value)
    except OverflowError:
        # humanize adds the delta back to now: near year 1 or 9999 that leaves the range.
        return f"year {value.year}"


def list_time(value: datetime | None, mode: str, now: datetime) -> str:
    """A start time for a list column in `mode` "utc", "local" or "relative"."""
    if value is None:
        return "—"
    if isinstance(value, ExtremeInstant):
        return value.short
    try:
        if mode == "utc":
            return value.astimezone(UTC).strftime("%m-%d %H:%M:%SZ")
        if mode == "local":
            return value.astimezone().strftime("%m-%d %H:%M:%S")
    except (OverflowError, ValueError, OSError):
        # The local zone can push year 1 or 9999 past the range.
        return f"year {value.year}"
    return relative_time(value, now)
