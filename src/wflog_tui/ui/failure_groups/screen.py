"""The failure groups screen: what is failing, how widely, since when, and what the failing
runs share that the passing ones do not.

It reads the window's failures once (a long window page by page, progress shown), paints
the groups, then reads the previous window to mark the NEW ones. After that it refreshes
through `LiveRefresh`, the loop the run list uses, asking only for failures newer than the
newest held. The selected group's splitters are measured on demand, one sample at a time,
under the same query lock, and kept until the group grows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from wflog_tui.model.clipboard_text import copy_text
from wflog_tui.model.display_text import one_line
from wflog_tui.model.failure_groups import Failure, FailureGroup, FailureLog, GroupKey
from wflog_tui.model.failure_splitters import SplitterReport
from wflog_tui.store import QueryTimeout, RunFilter, Store, StoreError
from wflog_tui.store.failure_loading import (
    failure_filter,
    group_splitters,
    load_previous_keys,
    open_failure_log,
    refresh_failure_log,
)
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.failure_groups.group_table import WIDE, GroupTable
from wflog_tui.ui.failure_groups.lines import detail_text, header_line, short_age
from wflog_tui.ui.failure_groups.run_in_group import GroupRunScreen
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_list.lines import window_label

# The table shows this many groups, the first by the current sort: a window with
# thousands of one-off failures would otherwise take seconds to draw on every refresh,
# and nobody reads past the top of it mid-incident. The header counts them all.
SHOWN_GROUPS: Final = 100
# The runs panel lists this many of a group's newest runs; `>`/`<` in a run reach them all.
SHOWN_RUNS: Final = 200
# A grown group's splitters are measured again at most this often: a sample costs up to
# half a second of database time, and a group growing by the second would ask every cycle.
SPLITTERS_REFRESH_S: Final = 15.0
# The runs' ages ("3m") are redrawn this often when the runs themselves did not change.
AGES_REDRAW_S: Final = 30.0


class GroupDetail(Static):
    """The selected group's signature, splitters and blast radius, laid out for its width."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group: FailureGroup | None = None
        self.report: SplitterReport | None = None
        self.now = datetime.now(UTC)
        self.updating = False
        self.problem: str | None = None
        self.empty = Text("")

    def render(self) -> Text:
        """The text for the current width (splitters wrap their evidence when narrow)."""
        if self.group is None:
            return self.empty
        return detail_text(
            self.group,
            self.report,
            width=max(20, self.size.width),
            now=self.now,
            updating=self.updating,
            problem=self.problem,
        )


class FailureGroupsScreen(Screen[None]):
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
    FailureGroupsScreen #groups-status { height: 1; padding: 0 1; background: $panel; }
    """

    live: LiveRefresh
    """The refresh loop (made on mount, when the app's config is at hand)."""

    def __init__(self, run_filter: RunFilter) -> None:
        """The groups of `run_filter`'s window, organisation and workflow (`failure_filter`)."""
        super().__init__()
        self.run_filter = failure_filter(run_filter)
        self.failure_log: FailureLog | None = None
        self.groups: list[FailureGroup] = []
        self.sort = "count"
        self.paused = False
        self.read_so_far: int | None = None
        self.previous_read = False
        self.problem: str | None = None
        self.problem_since: datetime | None = None
        # Splitters by group: (the count they were measured at, when, the report).
        self.reports: dict[GroupKey, tuple[int, float, SplitterReport]] = {}
        # A failed measure, and when: tried again once SPLITTERS_REFRESH_S have passed.
        self.report_problem: dict[GroupKey, tuple[str, float]] = {}
        self._measuring = False
        self._shown_runs: list[Failure] = []
        self._shown_key: GroupKey | None = None
        self._runs_drawn_at = datetime.min.replace(tzinfo=UTC)

    # Layout

    def compose(self) -> ComposeResult:
        """Header, the group table, the selected group's detail and runs, status, footer."""
        yield Static(id="groups-header")
        yield GroupTable(id="groups", zebra_stripes=True)
        with Horizontal(id="group-body"):
            with VerticalScroll(id="group-detail-box"):
                yield GroupDetail(id="group-detail")
            yield DataTable(id="group-runs", cursor_type="row")
        yield Static(id="groups-status")
        yield Footer()

    def on_mount(self) -> None:
        """Start reading the window's failures."""
        self.live = LiveRefresh(self, wflog_app(self).config, self.refresh_groups)
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
        runs = self.runs_table
        if runs.columns and (len(runs.columns) == 3) == wide:
            return
        # Narrow, a run id and its age are what fit beside the splitters.
        runs.clear(columns=True)
        runs.add_column(Text("run"), key="run")
        runs.add_column(Text("failed" if wide else "ago"), key="at")
        if wide:
            runs.add_column(Text("organisation"), key="org")
        self._shown_runs, self._shown_key = [], None

    @property
    def store(self) -> Store:
        """The app's store."""
        return wflog_app(self).store

    @property
    def table(self) -> GroupTable:
        """The group table."""
        return self.query_one(GroupTable)

    @property
    def runs_table(self) -> DataTable:
        """The selected group's runs."""
        return self.query_one("#group-runs", DataTable)

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
                    self.read_so_far = 0
                    self._show_status()
                    log = await self._open_log()
                    if self._gone:
                        return
                    self.failure_log, self.read_so_far = log, None
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
            self.read_so_far = read
            self._show_status()

    def _schedule(self) -> None:
        if not self.paused and self.app.screen is self:
            self.live.schedule()
        self._show_status()

    def _connected(self) -> None:
        self.problem = self.problem_since = None
        self.table.remove_class("stale")

    def _failed(self, exc: StoreError) -> None:
        if self._gone:
            return
        if self.problem_since is None:
            self.problem_since = datetime.now(UTC)
        state = "TOO SLOW" if isinstance(exc, QueryTimeout) else "DISCONNECTED"
        self.problem = f"{state}: {exc.message}"
        self.read_so_far = None
        self.table.add_class("stale")
        if not self.paused:
            self.live.retry()
        self._show_status()

    def _measure_selected(self) -> None:
        """Measure the selected group's splitters, unless a measure is under way or fresh."""
        group = self.table.selected
        if group is None or self.failure_log is None or self._measuring:
            return
        cached = self.reports.get(group.key)
        if cached is not None:
            count, at, _report = cached
            if count == group.count or time.monotonic() - at < SPLITTERS_REFRESH_S:
                return
        problem = self.report_problem.get(group.key)
        if problem is not None and time.monotonic() - problem[1] < SPLITTERS_REFRESH_S:
            return
        self._measuring = True
        self._measure(group, self.failure_log)

    @work(group="groups-splitters")
    async def _measure(self, group: FailureGroup, log: FailureLog) -> None:
        try:
            async with self.live.lock:
                began = time.perf_counter()
                report = await group_splitters(self.store, self.run_filter, log.window, group)
                query_s = time.perf_counter() - began
        except StoreError as exc:
            self.report_problem[group.key] = (exc.message, time.monotonic())
            report = None
        finally:
            self._measuring = False
        if self._gone:
            return
        if report is not None:
            # Its database time counts towards the loop's share, like a refresh's.
            self.live.pacer.record(query_s)
            self.reports[group.key] = (group.count, time.monotonic(), report)
            self.report_problem.pop(group.key, None)
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
        detail = self.query_one(GroupDetail)
        group = self.table.selected
        detail.group, detail.now = group, self._now()
        if self.failure_log is not None and group is None:
            detail.empty = Text(
                f"No failures in the last {window_label(self.run_filter.since)}."
                if self.run_filter.since
                else "No failures."
            )
        cached = self.reports.get(group.key) if group is not None else None
        detail.report = cached[2] if cached is not None else None
        detail.updating = cached is not None and group is not None and cached[0] != group.count
        problem = self.report_problem.get(group.key) if group is not None else None
        detail.problem = problem[0] if problem is not None else None
        detail.refresh(layout=True)
        self._show_runs(group)

    def _show_runs(self, group: FailureGroup | None) -> None:
        failures = (
            self.failure_log.failures(group.key)
            if group is not None and self.failure_log is not None
            else []
        )
        failures = failures[:SHOWN_RUNS]
        key = group.key if group is not None else None
        now = self._now()
        same_group = key == self._shown_key
        # The same runs are drawn again only for their ages, at most every AGES_REDRAW_S.
        if (
            same_group
            and [f.id for f in failures] == [f.id for f in self._shown_runs]
            and (now - self._runs_drawn_at).total_seconds() < AGES_REDRAW_S
        ):
            return
        table = self.runs_table
        selected = self._selected_run() if same_group else None
        table.clear()
        wide = len(table.columns) == 3
        for failure in failures:
            age = short_age(now - failure.at)
            cells = [Text(one_line(failure.run_id, 40)), Text(f"{age} ago" if wide else age)]
            if wide:
                cells.append(Text(one_line(failure.organisation_id or "—", 30)))
            table.add_row(*cells, key=failure.id)
        self._shown_runs, self._shown_key, self._runs_drawn_at = failures, key, now
        if selected is not None:
            for index, failure in enumerate(failures):
                if failure.id == selected.id:
                    table.move_cursor(row=index)
                    break

    def _selected_run(self) -> Failure | None:
        if not self._shown_runs:
            return None
        return self._shown_runs[min(self.runs_table.cursor_row, len(self._shown_runs) - 1)]

    def _show_status(self) -> None:
        if self.read_so_far is not None:
            line = Text("LOADING", style="bold reverse")
            line.append(
                f" failures of the last {window_label(self.run_filter.since)}: "
                f"{self.read_so_far:,} read …"
            )
        elif self.problem is not None and self.problem_since is not None:
            line = Text(one_line(self.problem, 200), style="bold")
            line.append(f" (since {self.problem_since:%H:%M:%S} UTC, retrying)")
        elif self.paused:
            line = Text("❚❚ PAUSED", style="bold reverse")
            line.append("  p resumes, space refreshes once")
        else:
            line = Text("● LIVE", style="bold")
            if self.failure_log is not None:
                # The server's clock at the last refresh: what the groups are as of.
                line.append(
                    f"  as of {self._now():%H:%M:%S} UTC · every {self.live.interval():g} s"
                )
        if self.failure_log is not None and not self.previous_read and self.read_so_far is None:
            line.append("  · reading the window before, for NEW …")
        if self.failure_log is not None and self.failure_log.truncated:
            line.append("  · only the newest failures were read", style="bold")
        slowed = self.live.pacer.reason()
        if slowed and self.problem is None:
            line.append(f"  · {one_line(slowed, 120)}")
        line.no_wrap, line.overflow = True, "ellipsis"
        self.query_one("#groups-status", Static).update(line)

    # Events

    @on(DataTable.RowHighlighted, "#groups")
    def _group_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()
        self._measure_selected()

    @on(DataTable.RowSelected, "#groups")
    def _group_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self._shown_runs:
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
        group, failure = self.table.selected, self._selected_run()
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
        failure = self._selected_run()
        if failure is None:
            return
        self.app.copy_to_clipboard(copy_text(failure.run_id))
        self.notify(f"Copied run id {one_line(failure.run_id, 60)}", markup=False)
