"""Tolerant reading of timestamps: `steps_log` entries, and columns beyond Python's range.

PostgreSQL stores `infinity`, `-infinity` and years from 4713 BC to 294276 AD; Python's
datetime holds years 1 to 9999. Such a value is data, not an error: it becomes an
`ExtremeInstant`, a datetime clamped to the nearest end of Python's range (so it sorts and
subtracts like any other) that remembers what PostgreSQL held, to show it.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Final

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
    if value is None or isinstance(value, ExtremeInstant):
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def millis_between(start: datetime | None, end: datetime | None) -> float | None:
    """Milliseconds from start to end, or None when either is missing or out of range."""
    if start is None or end is None or is_extreme(start) or is_extreme(end):
        return None
    return (end - start).total_seconds() * 1000


PG_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
"""PostgreSQL's binary timestamps count microseconds from this instant."""
PG_INFINITY: Final = 2**63 - 1
PG_MINUS_INFINITY: Final = -(2**63)
_DAY_US: Final = 86_400_000_000
_CYCLE_DAYS: Final = 146_097  # days in 400 Gregorian years, after which the calendar repeats
_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
_LATEST: Final = datetime.max.replace(tzinfo=UTC)


class ExtremeInstant(datetime):
    """A timestamp Python cannot hold, clamped to `datetime.min`/`max` (UTC).

    `pg_micros` is the value as PostgreSQL holds it (microseconds from 2000-01-01, or
    the int64 ends for ±infinity), so it can be sent back exactly; `text` and `short`
    say what it is ("∞", "12000-01-01 00:00:00 UTC", "year 12000").
    """

    @property
    def pg_micros(self) -> int:
        """The value as PostgreSQL holds it; ±infinity for a copy `replace` made."""
        default = PG_INFINITY if self.year == datetime.max.year else PG_MINUS_INFINITY
        return self.__dict__.get("_pg_micros", default)

    @classmethod
    def from_pg_micros(cls, micros: int) -> ExtremeInstant:
        """The extreme instant for PostgreSQL's `micros` (out of Python's range)."""
        clamp = _LATEST if micros > 0 else _EARLIEST
        instant = cls(
            clamp.year,
            clamp.month,
            clamp.day,
            clamp.hour,
            clamp.minute,
            clamp.second,
            clamp.microsecond,
            tzinfo=UTC,
        )
        instant.__dict__["_pg_micros"] = micros
        return instant

    # Two extremes share a clamp (year 12000 and infinity are both datetime.max), so they
    # compare by what PostgreSQL holds; against an ordinary datetime the clamp decides.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, ExtremeInstant):
            return self.pg_micros == other.pg_micros
        return False if isinstance(other, datetime) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.pg_micros)

    def __lt__(self, other: datetime) -> bool:
        if isinstance(other, ExtremeInstant):
            return self.pg_micros < other.pg_micros
        return super().__lt__(other)

    def __le__(self, other: datetime) -> bool:
        return self == other or self < other

    def __gt__(self, other: datetime) -> bool:
        if isinstance(other, ExtremeInstant):
            return self.pg_micros > other.pg_micros
        return super().__gt__(other)

    def __ge__(self, other: datetime) -> bool:
        return self == other or self > other

    @property
    def infinite(self) -> bool:
        """True for `infinity` and `-infinity`, False for a finite year out of range."""
        return self.pg_micros in (PG_INFINITY, PG_MINUS_INFINITY)

    @property
    def short(self) -> str:
        """ "∞", "-∞" or "year 12000" / "year 100 BC": fits a list column."""
        if self.infinite:
            return "∞" if self.pg_micros > 0 else "-∞"
        return f"year {_year_text(_calendar(self.pg_micros)[0])}"

    @property
    def text(self) -> str:
        """ "∞", "-∞" or the full instant, "12000-01-01 00:00:00 UTC", "0100-01-01 … BC"."""
        if self.infinite:
            return self.short
        year, rest = _calendar(self.pg_micros)
        if year <= 0:
            return f"{1 - year:04d}-{rest} UTC BC"
        return f"{year:04d}-{rest} UTC"


def _calendar(micros: int) -> tuple[int, str]:
    """The astronomical year (0 is 1 BC) and "MM-DD HH:MM:SS" of PostgreSQL's `micros`.

    The Gregorian calendar repeats every 400 years, so the date is found in the cycle
    that starts at 2000, which Python can hold, and the year moved back by whole cycles.
    """
    days, day_micros = divmod(micros, _DAY_US)
    cycles, day_in_cycle = divmod(days, _CYCLE_DAYS)
    shifted = date(2000, 1, 1) + timedelta(days=day_in_cycle)
    seconds = day_micros // 1_000_000
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return shifted.year + 400 * cycles, f"{shifted.month:02d}-{shifted.day:02d} {clock}"


def _year_text(year: int) -> str:
    return f"{1 - year} BC" if year <= 0 else str(year)


def from_pg_micros(micros: int) -> datetime:
    """An aware UTC datetime for PostgreSQL's binary timestamp; extremes as `ExtremeInstant`."""
    try:
        return PG_EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return ExtremeInstant.from_pg_micros(micros)


def to_pg_micros(value: datetime) -> int:
    """PostgreSQL's binary timestamp for `value` (naive taken as UTC); extremes exactly."""
    if isinstance(value, ExtremeInstant):
        return value.pg_micros
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    delta = aware - PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def is_extreme(value: datetime | None) -> bool:
    """True for an instant PostgreSQL holds beyond Python's range (±infinity included)."""
    return isinstance(value, ExtremeInstant)


def iso_text(value: datetime | None) -> str | None:
    """ISO 8601 for JSON output; PostgreSQL's own words ("infinity") for an extreme."""
    if value is None:
        return None
    if isinstance(value, ExtremeInstant):
        if value.infinite:
            return "infinity" if value.pg_micros > 0 else "-infinity"
        return value.text
    return value.isoformat()
