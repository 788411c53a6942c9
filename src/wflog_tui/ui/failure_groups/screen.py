"""The failure groups screen: what is failing, how widely, since when, and what the failing
runs share that the passing ones do not.

It reads the window's failures once (a long window page by page, progress shown), paints
the groups, then reads the previous window to mark the NEW ones. After that it refreshes
through `LiveRefresh`, the loop the run list uses, asking only for failures newer than the
newest held. The selected group's splitters are measured on demand, one sample at a time,
under the same query lock, and kept until the group grows (`splitter_measures.py`). Its
parts: the group table, the detail pane (`group_detail.py`), the runs panel (`group_runs.py`)
and the status line (`status_line.py`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Static

from wflog_tui.model.failure_groups import FailureGroup, FailureLog
from wflog_tui.store import RunFilter, Store, StoreError
from wflog_tui.store.failure_loading import (
    failure_filter,
    load_previous_keys,
    open_failure_log,
    refresh_failure_log,
)
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.failure_groups.group_detail import GroupDetail
from wflog_tui.ui.failure_groups.group_runs import GroupRuns
from wflog_tui.ui.failure_groups.group_table import WIDE, GroupTable
from wflog_tui.ui.failure_groups.lines import header_line
from wflog_tui.ui.failure_groups.run_in_group import GroupRunScreen
from wflog_tui.ui.failure_groups.splitter_measures import SplitterMeasures
from wflog_tui.ui.failure_groups.status_line import GroupsStatus
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_id_copy import copy_run_id
from wflog_tui.ui.styled_once import StyledOnceScreen

# The table shows this many groups, the first by the current sort: a window with
# thousands of one-off failures would otherwise take seconds to draw on every refresh,
# and nobody reads past the top of it mid-incident. The header counts them all.
SHOWN_GROUPS: Final = 100


class FailureGroupsScreen(StyledOnceScreen[None]):
    """Failure groups of a window: the groups, and the selected one's splitters and runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        # `enter` on the group table goes to its runs (the table's own key), `o` opens the
        # selected run from anywhere on the screen.
        Binding("enter,o", "open", "Open run"),
        Binding("C", "sort('count')", "Sort by count", key_display="C"),
        Binding("L", "sort('last_seen')", "Sort by last seen", key_display="L"),
        Binding("p", "toggle_pause", "Pause", show=False),
        Binding("space", "refresh_now", "Refresh", key_display="space", show=False),
        Binding("plus", "refresh_rate(-1)", "Faster refresh", key_display="+", show=False),
        Binding("minus", "refresh_rate(1)", "Slower refresh", key_display="-", show=False),
        Binding("tab", "switch_focus", "Groups/runs/splitters", show=False),
        Binding("y", "copy_run_id", "Copy run id", show=False),
    ]

    DEFAULT_CSS = """
    FailureGroupsScreen { layout: vertical; }
    FailureGroupsScreen #groups-header { height: 1; padding: 0 1; background: $panel; }
    FailureGroupsScreen #groups { width: 100%; height: auto; max-height: 45%; min-height: 3; }
    FailureGroupsScreen #groups.stale { opacity: 60%; }
    FailureGroupsScreen #group-body { height: 1fr; border-top: hkey $foreground 20%; }
    FailureGroupsScreen #group-detail-box { width: 1fr; padding: 0 1; }
    FailureGroupsScreen #group-runs { width: 38; height: 100%; border-left: vkey $foreground 20%; }
    FailureGroupsScreen.-wide #group-runs { width: 62; }
    """

    live: LiveRefresh
    """The refresh loop (made on mount, when the app's config is at hand)."""
    splitters: SplitterMeasures
    """The groups' splitters measured so far, and the measure under way."""

    def __init__(self, run_filter: RunFilter) -> None:
        """The groups of `run_filter`'s window, organisation and workflow (`failure_filter`)."""
        super().__init__()
        self.run_filter = failure_filter(run_filter)
        self.failure_log: FailureLog | None = None
        self.groups: list[FailureGroup] = []
        self.sort = "count"
        self.paused = False
        self.previous_read = False

    # Layout

    def compose(self) -> ComposeResult:
        """Header, the group table, the selected group's detail and runs, status, footer."""
        yield Static(id="groups-header")
        yield GroupTable(id="groups", zebra_stripes=True)
        with Horizontal(id="group-body"):
            with VerticalScroll(id="group-detail-box"):
                yield GroupDetail(id="group-detail")
            yield GroupRuns(id="group-runs")
        yield GroupsStatus(id="groups-status")
        yield Footer()

    def on_mount(self) -> None:
        """Start reading the window's failures."""
        self.live = LiveRefresh(self, wflog_app(self).config, self.refresh_groups)
        self.splitters = SplitterMeasures(self, self.live)
        self._fit()
        self._show_header()
        self._show_status()
        self.query_one(GroupTable).focus()
        self.refresh_groups()

    def on_screen_resume(self) -> None:
        """Back on top (from a run): refresh now, the loop was stopped meanwhile."""
        if self.failure_log is not None and not self.paused:
            self.refresh_groups()

    def on_screen_suspend(self) -> None:
        """A screen nobody sees does not query: the loop stops until the screen is back."""
        self.live.cancel()

    def on_unmount(self) -> None:
        """Stop the loop with the screen."""
        self.live.stop()

    def on_resize(self) -> None:
        """Columns follow the width: fewer, narrower ones at 80 columns."""
        self._fit()
        self._show_groups()

    def _fit(self) -> None:
        wide = self.size.width >= WIDE
        self.set_class(wide, "-wide")
        self.runs_table.fit(wide)

    @property
    def store(self) -> Store:
        """The app's store."""
        return wflog_app(self).store

    @property
    def table(self) -> GroupTable:
        """The group table."""
        return self.query_one(GroupTable)

    @property
    def runs_table(self) -> GroupRuns:
        """The selected group's runs."""
        return self.query_one(GroupRuns)

    @property
    def status_line(self) -> GroupsStatus:
        """The status line above the footer."""
        return self.query_one(GroupsStatus)

    @property
    def _gone(self) -> bool:
        return not self.live.on_screen

    # Fetching

    def refresh_groups(self) -> None:
        """Run one refresh cycle now: the first reads the window, later ones what is new."""
        if self._gone:
            return
        self.live.cancel()
        self._refresh_worker()

    @work(exclusive=True, group="groups-refresh")
    async def _refresh_worker(self) -> None:
        try:
            async with self.live.lock:
                began = time.perf_counter()
                if self.failure_log is None:
                    self._progress(0)
                    log = await self._open_log()
                    if self._gone:
                        return
                    self.failure_log = log
                    self.status_line.loading(None)
                    # The groups go on screen before the previous window is read: the
                    # NEW badges follow a moment later.
                    self._connected()
                    self._show_groups()
                else:
                    await refresh_failure_log(self.store, self.failure_log, self.run_filter)
                # Also after a first cycle that failed between the two reads.
                if not self.previous_read:
                    await load_previous_keys(self.store, self.failure_log, self.run_filter)
                    self.previous_read = True
                query_s = time.perf_counter() - began
        except StoreError as exc:
            self._failed(exc)
            return
        if self._gone:
            return
        self.live.succeeded(query_s)
        self._connected()
        self._show_groups()
        self._schedule()
        self._measure_selected()

    async def _open_log(self) -> FailureLog:
        """The window's failures: the load `--groups` started before the UI, else a new one."""
        pending = wflog_app(self).take_pending_groups(self.run_filter)
        if pending is None:
            return await open_failure_log(self.store, self.run_filter, on_progress=self._progress)
        ticker = self.set_interval(0.2, lambda: self._progress(pending.read))
        try:
            return await pending.task
        finally:
            ticker.stop()

    def _progress(self, read: int) -> None:
        if not self._gone:
            self.status_line.loading(read)
            self._show_status()

    def _schedule(self) -> None:
        if not self.paused and self.app.screen is self:
            self.live.schedule()
        self._show_status()

    def _connected(self) -> None:
        self.status_line.connected()
        self.table.remove_class("stale")

    def _failed(self, exc: StoreError) -> None:
        if self._gone:
            return
        self.status_line.failed(exc)
        self.table.add_class("stale")
        if not self.paused:
            self.live.retry()
        self._show_status()

    def _measure_selected(self) -> None:
        """Measure the selected group's splitters, unless a measure is under way or fresh."""
        self.splitters.measure(self.table.selected, self.failure_log)

    def splitters_measured(self) -> None:
        """A measure ended: show what it found, then the group now selected, if another."""
        self._show_detail()
        # The reader may have moved on while this one was measured.
        self._measure_selected()

    # Showing

    def _ordered(self, groups: list[FailureGroup]) -> list[FailureGroup]:
        if self.sort == "last_seen":
            return sorted(groups, key=lambda g: (g.last_seen, g.count), reverse=True)
        return sorted(groups, key=lambda g: (g.count, g.last_seen), reverse=True)

    def _now(self) -> datetime:
        return self.failure_log.window.end if self.failure_log is not None else datetime.now(UTC)

    def _show_groups(self) -> None:
        if self.failure_log is None:
            return
        self.groups = self._ordered(self.failure_log.groups())
        self.table.show(self.groups[:SHOWN_GROUPS], self._now(), self.size.width)
        self._show_header()
        self._show_detail()
        self._show_status()

    def _show_header(self) -> None:
        line = header_line(self.run_filter, self.sort, self.groups, shown=SHOWN_GROUPS)
        line.no_wrap, line.overflow = True, "ellipsis"
        self.query_one("#groups-header", Static).update(line)

    def _show_detail(self) -> None:
        """The selected group's detail, and its runs."""
        detail, group, log = self.query_one(GroupDetail), self.table.selected, self.failure_log
        now = self._now()
        if log is not None and group is None:
            detail.show_no_failures(self.run_filter.since)
        detail.show(group, now, self.splitters)
        failures = log.failures(group.key) if group is not None and log is not None else []
        self.runs_table.show(group.key if group is not None else None, failures, now)

    def _show_status(self) -> None:
        self.status_line.show(self, self._now())

    # Events

    @on(DataTable.RowHighlighted, "#groups")
    def _group_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()
        self._measure_selected()

    @on(DataTable.RowSelected, "#groups")
    def _group_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if not self.runs_table.empty:
            self.runs_table.focus()

    @on(DataTable.RowSelected, "#group-runs")
    def _run_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open_selected_run()

    # Actions

    def action_back(self) -> None:
        """Back to the run list (made now when the app opened on this screen)."""
        self.live.stop()
        if len(self.app.screen_stack) > 2:
            self.dismiss()
        else:
            wflog_app(self).show_run_list()

    def action_open(self) -> None:
        """Open the selected run of the selected group, landed on its failure."""
        self._open_selected_run()

    def _open_selected_run(self) -> None:
        group, failure = self.table.selected, self.runs_table.selected
        if group is None or failure is None or self.failure_log is None:
            return
        run_ids = self.failure_log.run_ids(group.key)
        index = run_ids.index(failure.run_id) if failure.run_id in run_ids else 0
        label = f"{group.key.step_id or '(no step)'} · {group.key.signature}"
        self.app.push_screen(GroupRunScreen(run_ids, index, label))

    def action_sort(self, sort: str) -> None:
        """Order the groups by count, or by when they last failed (most first)."""
        self.sort = sort
        self._show_groups()
        self._show_header()

    def action_toggle_pause(self) -> None:
        """Pause or resume the live refresh."""
        self.paused = not self.paused
        if self.paused:
            self.live.cancel()
        else:
            self.refresh_groups()
        self._show_status()

    def action_refresh_now(self) -> None:
        """Refresh now, paused or not."""
        self.refresh_groups()

    def action_refresh_rate(self, step: int) -> None:
        """Refresh every live view more often (-1) or less often (+1)."""
        rate = self.live.change_rate(step)
        self.notify(f"Refreshing every {rate:g}s", markup=False)
        if not self.paused and self.live.scheduled:
            self.live.schedule()
        self._show_status()

    def action_switch_focus(self) -> None:
        """Move from the groups to the selected group's runs, to its splitters (to scroll
        them with the keys at 80x24), and back to the groups."""
        detail = self.query_one("#group-detail-box", VerticalScroll)
        if self.table.has_focus:
            self.runs_table.focus()
        elif self.runs_table.has_focus:
            detail.focus()
        else:
            self.table.focus()

    def action_copy_run_id(self) -> None:
        """Copy the selected run's run id (OSC 52, works over SSH)."""
        failure = self.runs_table.selected
        if failure is not None:
            copy_run_id(self, failure.run_id)
