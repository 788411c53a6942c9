"""How often to refresh, so that the tool's own queries stay a small share of the database's time.

The issue: when the database is slow (no index, heavy load), a 2 s refresh whose queries
take 1 s would keep a backend busy half of the time, on the very server that is in
trouble. The pacer keeps the smoothed query time of one refresh cycle at or under
`budget` (5 %) of the interval between cycles, and says why it slowed down.

Pure policy: the caller times its queries and schedules its timer; nothing here sleeps.
Because the caller waits the interval *after* a cycle ends, the cycle period is query time
plus interval, so the share of wall-clock time spent querying is below the budget too.
"""

from __future__ import annotations

import math
from typing import Final

# The refresh period of live views: the default, and the bounds both `--refresh` and the
# `+`/`-` keys keep to.
DEFAULT_REFRESH_S: Final = 2.0
MIN_REFRESH_S: Final = 0.1
MAX_REFRESH_S: Final = 3600.0
DEFAULT_BUDGET: Final = 0.05
DEFAULT_MAX_S: Final = 300.0
# How far one faster cycle pulls the smoothed cost down: a slow spike counts at once
# (a struggling database must be relieved now), recovery takes several fast cycles (so
# one lucky cached query does not bring the load straight back).
RECOVERY_WEIGHT: Final = 0.3
# Float tolerance: an interval a rounding error above `base_s` is not "slowed".
_SLACK: Final = 1e-9


class RefreshPacer:
    """The refresh interval for one view: `base_s`, or longer when the queries are slow.

    Call `record` with the summed query time of each completed refresh cycle, then
    schedule the next cycle `next_interval()` seconds after this one ended. `base_s` may
    be changed at any time (the user pressed `+` or `-`); the smoothed cost is kept.
    """

    def __init__(
        self,
        base_s: float,
        budget: float = DEFAULT_BUDGET,
        max_s: float = DEFAULT_MAX_S,
    ) -> None:
        if not budget > 0:
            raise ValueError(f"budget must be above 0, got {budget!r}")
        self.budget = float(budget)
        self.max_s = float(max_s)
        self.base_s = base_s
        self._cost_s = 0.0

    @property
    def base_s(self) -> float:
        """The interval the user asked for; the pacer never refreshes more often."""
        return self._base_s

    @base_s.setter
    def base_s(self, value: float) -> None:
        if not value > 0 or math.isinf(value):
            raise ValueError(f"base_s must be a positive number of seconds, got {value!r}")
        self._base_s = float(value)

    @property
    def cost_s(self) -> float:
        """The smoothed query time of one refresh cycle, in seconds (0 before any record)."""
        return self._cost_s

    @property
    def ceiling_s(self) -> float:
        """The longest interval the pacer picks: `max_s`, unless the user asked for more."""
        return max(self.max_s, self._base_s)

    def record(self, query_s: float) -> None:
        """Take the summed query time of one completed refresh cycle, in seconds.

        A value above the smoothed cost replaces it at once; a lower one moves it only
        part of the way down. Negative or non-finite values (a clock oddity) are ignored.
        """
        if not math.isfinite(query_s) or query_s < 0:
            return
        if query_s >= self._cost_s:
            self._cost_s = query_s
        else:
            self._cost_s += RECOVERY_WEIGHT * (query_s - self._cost_s)

    def next_interval(self) -> float:
        """Seconds to wait after a cycle ends before the next one starts.

        At least `base_s`; otherwise long enough that cost / interval ≤ budget, capped at
        `ceiling_s` (then the budget is exceeded, and `reason` still says why).
        """
        needed = self._cost_s / self.budget
        if needed <= self._base_s + _SLACK:
            return self._base_s
        # Rounded up to a readable step, so the on-screen message does not change on
        # every cycle; rounding up keeps the budget.
        return min(self.ceiling_s, max(self._base_s, _round_up(needed)))

    @property
    def slowed(self) -> bool:
        """True when the interval is longer than the user asked for."""
        return self.next_interval() > self._base_s + _SLACK

    def reason(self, hint: str | None = None) -> str | None:
        """Why refresh is slower than asked, for the status line; None when it is not.

        `hint` names a likely cause (from `store.indexes.indexes_missing_hint`), e.g.
        "no index on started_at, see `wflog-tui doctor`".
        """
        if not self.slowed:
            return None
        text = (
            f"refresh slowed to {format_seconds(self.next_interval())}: "
            f"queries take {format_seconds(self._cost_s)}"
        )
        if hint:
            text += f" — {hint}"
        return text


def _round_up(seconds: float) -> float:
    """Round an interval up to a step people read easily: 1 s, then 5 s, then 30 s."""
    if seconds <= 10:
        step = 1.0
    elif seconds <= 60:
        step = 5.0
    else:
        step = 30.0
    return math.ceil(seconds / step - _SLACK) * step


def format_seconds(seconds: float) -> str:
    """`0.35 s`, `1.2 s`, `20 s`, `2 min`, as the pacing message shows them."""
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds % 60 == 0 else f"{seconds / 60:.1f} min"
