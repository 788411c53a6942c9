"""The refresh loop every live view shares: one query at a time, paced, re-armed, backed off.

A live view (the run list, a running run's tail, and the screens to come) owns one
`LiveRefresh`. It never overlaps queries: every query of the view holds `lock`, and the next
cycle is armed only once the last one has ended (`schedule`), `pacer.next_interval()`
seconds later, so a slow database gets fewer queries, not more. A failed cycle is retried
after a backoff that doubles up to `RETRY_MAX_S`. See ARCHITECTURE.md, "The live refresh
loop".

The refresh period is the app's (`AppConfig.refresh_s`): `+`/`-` change it for every live
view at once, each picking it up when it next schedules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from textual.timer import Timer
from textual.widget import Widget

from wflog_tui.model.refresh_pacing import MAX_REFRESH_S, MIN_REFRESH_S, RefreshPacer
from wflog_tui.ui.config import AppConfig

# After a failed refresh, wait this long, doubling up to the cap, before trying again.
RETRY_FIRST_S, RETRY_MAX_S = 1.0, 30.0


class LiveRefresh:
    """The refresh loop of one live view, hosted by its screen.

    `cycle` starts one refresh (it is what the timer calls); the view runs its queries
    under `lock`, then calls `succeeded` (with their database time) or `failed`, and
    `schedule` or `retry` to arm the next cycle.
    """

    def __init__(self, host: Widget, config: AppConfig, cycle: Callable[[], object]) -> None:
        self.host = host
        self.config = config
        self.cycle = cycle
        self.lock = asyncio.Lock()
        """Held by every query of the view: never two in flight at once, whatever asks."""
        self.pacer = RefreshPacer(config.refresh_s, budget=config.query_budget)
        self.retry_s = RETRY_FIRST_S
        """The wait before the next retry, should the next cycle fail too."""
        self.failures = 0
        self.trouble_since: datetime | None = None
        """When the first of the failures in a row happened; None while cycles succeed."""
        self._timer: Timer | None = None
        self._stopped = False

    @property
    def on_screen(self) -> bool:
        """False once the view is being taken down: an answer arriving then is dropped."""
        host = self.host
        # Textual marks every node it is removing as pruning before their children go, so
        # this is the one flag already set while queries start to fail; `_closing` is set
        # once its message queue closes. Both are Textual's private state (checked against
        # Textual 8, see ARCHITECTURE.md on upgrades).
        return not self._stopped and host.is_attached and not host._pruning and not host._closing

    @property
    def scheduled(self) -> bool:
        """True while a timer is armed for the next cycle."""
        return self._timer is not None

    def interval(self) -> float:
        """Seconds from one cycle's end to the next: the app's refresh period, or longer
        while the view's queries take more than their share of the database's time."""
        self.pacer.base_s = self.config.refresh_s
        return self.pacer.next_interval()

    def schedule(self, delay: float | None = None) -> None:
        """Arm the next cycle `delay` seconds from now (default: `interval()`), replacing
        any cycle already armed."""
        self.cancel()
        if self._stopped:
            return
        self._timer = self.host.set_timer(self.interval() if delay is None else delay, self._fire)

    def cancel(self) -> None:
        """Disarm the next cycle, if one is armed."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def stop(self) -> None:
        """The view is going: disarm, and let nothing arm again."""
        self._stopped = True
        self.cancel()

    def succeeded(self, query_s: float) -> None:
        """A cycle ended well after `query_s` seconds of queries: pace on it, reset backoff."""
        self.pacer.record(query_s)
        self.retry_s = RETRY_FIRST_S
        self.failures = 0
        self.trouble_since = None

    def failed(self) -> float:
        """A cycle failed: note since when, and return how long to wait before retrying."""
        self.failures += 1
        if self.trouble_since is None:
            self.trouble_since = datetime.now(UTC)
        delay = self.retry_s
        self.retry_s = min(self.retry_s * 2, RETRY_MAX_S)
        return delay

    def retry(self) -> float:
        """A cycle failed: arm a retry after the backoff, and return its delay."""
        delay = self.failed()
        self.schedule(delay)
        return delay

    def change_rate(self, step: int) -> float:
        """Refresh every live view twice as often (`step` < 0) or half as often; the new
        period, within the bounds the command line accepts."""
        factor = 0.5 if step < 0 else 2.0
        rate = max(MIN_REFRESH_S, min(MAX_REFRESH_S, self.config.refresh_s * factor))
        self.config.refresh_s = rate
        self.pacer.base_s = rate
        return rate

    def _fire(self) -> None:
        self._timer = None
        self.cycle()
