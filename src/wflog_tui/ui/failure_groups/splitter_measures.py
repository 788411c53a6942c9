"""The failure groups screen's splitters: measured for the selected group on demand, one
sample at a time under the screen's query lock, and kept until the group grows.

A measure compares a bounded sample of the group's failing runs with the same workflow's
COMPLETED ones (`store/failure_loading.group_splitters`), up to half a second of database
time: it is counted in the refresh loop's share like a refresh, never run two at once, and
not repeated for a growing group more often than `SPLITTERS_REFRESH_S`.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Final

from wflog_tui.model.failure_groups import FailureGroup, FailureLog, GroupKey
from wflog_tui.model.failure_splitters import SplitterReport
from wflog_tui.store import StoreError
from wflog_tui.store.failure_loading import group_splitters
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.live_refresh import LiveRefresh

if TYPE_CHECKING:
    from wflog_tui.ui.failure_groups.screen import FailureGroupsScreen

# A grown group's splitters are measured again at most this often: a sample costs up to
# half a second of database time, and a group growing by the second would ask every cycle.
SPLITTERS_REFRESH_S: Final = 15.0


class SplitterMeasures:
    """Each group's last splitter report, the failed measures, and the one measure under way.

    Hosted by the groups screen, whose `run_filter` it reads and whose `splitters_measured`
    it calls when a measure ends.
    """

    def __init__(self, screen: FailureGroupsScreen, live: LiveRefresh) -> None:
        self.screen = screen
        self.live = live
        self.reports: dict[GroupKey, tuple[int, float, SplitterReport]] = {}
        """Splitters by group: the count they were measured at, when, the report."""
        self.problems: dict[GroupKey, tuple[str, float]] = {}
        """A failed measure, and when: tried again once `SPLITTERS_REFRESH_S` have passed."""
        self.measuring = False

    def of(self, group: FailureGroup) -> tuple[SplitterReport | None, bool, str | None]:
        """What is known of `group`'s splitters: the last report (None: none yet), whether
        the group has grown since (a new measure is due), and why the last measure failed."""
        cached = self.reports.get(group.key)
        problem = self.problems.get(group.key)
        return (
            cached[2] if cached is not None else None,
            cached is not None and cached[0] != group.count,
            problem[0] if problem is not None else None,
        )

    def measure(self, group: FailureGroup | None, log: FailureLog | None) -> None:
        """Measure `group`'s splitters, unless a measure is under way or its last is fresh."""
        if group is None or log is None or self.measuring:
            return
        cached = self.reports.get(group.key)
        if cached is not None:
            count, at, _report = cached
            if count == group.count or time.monotonic() - at < SPLITTERS_REFRESH_S:
                return
        problem = self.problems.get(group.key)
        if problem is not None and time.monotonic() - problem[1] < SPLITTERS_REFRESH_S:
            return
        self.measuring = True
        self.screen.run_worker(partial(self._measure, group, log), group="groups-splitters")

    async def _measure(self, group: FailureGroup, log: FailureLog) -> None:
        store = wflog_app(self.screen).store
        try:
            async with self.live.lock:
                began = time.perf_counter()
                report = await group_splitters(store, self.screen.run_filter, log.window, group)
                query_s = time.perf_counter() - began
        except StoreError as exc:
            self.problems[group.key] = (exc.message, time.monotonic())
            report = None
        finally:
            self.measuring = False
        if not self.live.on_screen:
            return
        if report is not None:
            # Its database time counts towards the loop's share, like a refresh's.
            self.live.pacer.record(query_s)
            self.reports[group.key] = (group.count, time.monotonic(), report)
            self.problems.pop(group.key, None)
        self.screen.splitters_measured()
