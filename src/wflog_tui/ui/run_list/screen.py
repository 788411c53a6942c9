"""The run list: live runs keyed by id, updated in place, with counts and a failure sparkline.

The screen holds the layout, the keys and what they do. The rows are `RunTable`'s to keep,
fetching them is `RunFeed`'s (`feed.py`), the header is `ListHeader`'s, the status line
`ListStatus`'s (`status_line.py`). What the filter keys do is in `filter_changes.py`; saved
views, switching profile and the incident report each have their module too.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from wflog_tui.model import status as st
from wflog_tui.model.run import RunSummary
from wflog_tui.model.search_query import format_query
from wflog_tui.store import Header, RunFilter, StoreError
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_id_copy import copy_run_id
from wflog_tui.ui.run_list import filter_changes, saved_views
from wflog_tui.ui.run_list.feed import RunFeed
from wflog_tui.ui.run_list.filter_changes import STATUS_KEYS
from wflog_tui.ui.run_list.header import ListHeader
from wflog_tui.ui.run_list.incident_report_file import write_report_file
from wflog_tui.ui.run_list.lines import filter_line
from wflog_tui.ui.run_list.profile_switch import switch_profile
from wflog_tui.ui.run_list.search_box import SearchBox, SearchInput
from wflog_tui.ui.run_list.search_grammar import SearchGrammar
from wflog_tui.ui.run_list.status_line import ListStatus
from wflog_tui.ui.run_list.table import RunTable
from wflog_tui.ui.styled_once import StyledOnceScreen
from wflog_tui.ui.widgets.profile_badge import ProfileBadge

# The table's vertical scrollbar, which its columns must leave room for.
SCROLLBAR = 2
# Older rows are fetched when the cursor comes this close to the end of the list.
LOAD_MORE_MARGIN = 10
# Shift+letter sorts by a column (k9s); the same key again reverses.
SORT_KEYS = {
    "S": "status",
    "W": "workflow",
    "R": "run_id",
    "E": "event",
    "T": "started",
    "D": "duration",
    "O": "organisation",
}


class RunListScreen(StyledOnceScreen[None]):
    """The live run list, the screen the app opens on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_run", "Open", show=True),
        Binding("slash", "search", "Search runs", key_display="/"),
        Binding("f1", "search_grammar", "Search grammar", show=False),
        # The footer keeps to what fits 80 columns; `?` and the palette list every key.
        Binding("p", "toggle_pause", "Pause", show=False),
        Binding("space", "refresh_now", "Refresh", key_display="space", show=False),
        Binding("f", "toggle_follow", "Follow", show=False),
        Binding("ctrl+z", "failures_only", "Failing only"),
        *[
            Binding(key, f"toggle_status('{status}')", f"Toggle {st.word(status)}", show=False)
            for key, status in STATUS_KEYS.items()
        ],
        Binding("0", "clear_statuses", "All statuses", show=False),
        Binding("w", "pick_workflow", "Workflow"),
        Binding("e", "failure_groups", "Failure groups", show=False),
        Binding("o", "pick_organisation", "Org", show=False),
        Binding(
            "left_square_bracket", "window(-1)", "Narrower window", key_display="[", show=False
        ),
        Binding("right_square_bracket", "window(1)", "Wider window", key_display="]", show=False),
        Binding("t", "cycle_time", "Time format", show=False),
        Binding("x", "clear_filters", "Clear filters", show=False),
        Binding("plus", "refresh_rate(-1)", "Faster refresh", key_display="+", show=False),
        Binding("minus", "refresh_rate(1)", "Slower refresh", key_display="-", show=False),
        Binding("y", "copy_run_id", "Copy run id", show=False),
        Binding(
            "ctrl+y",
            "copy_run_id(True)",
            "Copy raw run id",
            show=False,
            tooltip="Copy the run id exactly as stored: control and invisible characters too",
        ),
        Binding("escape", "escape", "Clear search", show=False),
        Binding("v", "views", "Views", show=False),
        Binding("ctrl+s", "save_view", "Save view", show=False),
        Binding("P", "switch_profile", "Switch profile", key_display="P", show=False),
        Binding("ctrl+r", "write_report", "Write incident report", show=False),
        *[
            Binding(key, f"sort('{column}')", f"Sort by {column.replace('_', ' ')}", show=False)
            for key, column in SORT_KEYS.items()
        ],
    ]

    # Below 120 columns the sparkline gives the counts room (see app.tcss).
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]

    live: LiveRefresh
    """The refresh loop (made on mount, when the app's config is at hand)."""

    def __init__(self) -> None:
        super().__init__()
        self.following = False
        """True while the newest running run is kept selected (`f`)."""

    # ---- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ProfileBadge()
        yield ListHeader(id="list-header")
        yield Static(id="filter-bar")
        yield SearchBox(wflog_app(self).config.search_history, id="search")
        yield RunTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield ListStatus(id="list-status")
        yield Footer()

    def on_mount(self) -> None:
        """Build the columns and start the first fetch."""
        config = wflog_app(self).config
        self.live = LiveRefresh(self, config, self.refresh_list)
        self.feed = RunFeed(self, self.live)
        self.run_filter = config.run_filter
        table = self.table
        table.time_mode = config.time_mode
        table.add_run_columns(self.app.size.width - SCROLLBAR)
        self.search_box.display = False
        self.status_line.search_changed(self.run_filter.query)
        saved_views.apply_start_view(self)
        self.show_filter()
        self.show_status()
        table.focus()
        if config.animations:
            self.set_interval(1.0, self._tick)

    def on_screen_resume(self) -> None:
        """Start (or resume) refreshing when the list is the screen on top.

        Under a run view it does not refresh at all: a list nobody sees must not load the
        database, and `--run` opens the run without waiting for a list behind it.
        """
        # Covered again before it was ever shown (`--run` pushes the run on top at once):
        # nobody sees it, so it does not start.
        if self.app.screen is self:
            self.feed.resume()

    def on_screen_suspend(self) -> None:
        """Stop refreshing while another screen covers the list."""
        self.feed.suspend()

    async def on_unmount(self) -> None:
        """Give the listening connection back before the store closes."""
        await self.feed.stop()

    def on_resize(self) -> None:
        """Lay the columns out again: those that matter stay, the error takes the rest."""
        self.table.add_run_columns(self.size.width - SCROLLBAR)

    @property
    def table(self) -> RunTable:
        """The run table."""
        return self.query_one("#runs", RunTable)

    @property
    def search_box(self) -> SearchBox:
        """The search box (hidden until `/`)."""
        return self.query_one("#search", SearchBox)

    @property
    def status_line(self) -> ListStatus:
        """The status line under the table."""
        return self.query_one(ListStatus)

    @property
    def runs(self) -> dict[str, RunSummary]:
        """The runs shown, by row id."""
        return self.table.runs

    @property
    def order(self) -> list[str]:
        """The row ids shown, in order."""
        return self.table.order

    @property
    def store(self):
        """The app's store."""
        return wflog_app(self).store

    # ---- what the feed fetched -----------------------------------------------------------

    def refresh_list(self) -> None:
        """Start a refresh now: the whole first page after a filter change, else a delta."""
        self.feed.refresh()

    def fetch_succeeded(self, seconds: float) -> None:
        """A refresh came back after `seconds` of database time."""
        self.live.succeeded(seconds)
        self.status_line.fetched()
        self.table.remove_class("stale")

    def fetch_failed(self, exc: StoreError) -> None:
        """A query failed: keep the rows, mark them stale, say why (the feed retries)."""
        self.status_line.failed(exc)
        self.table.add_class("stale")
        self.show_status()

    def rows_changed(self) -> None:
        """Rows came or changed: follow the newest running run if asked, say how many."""
        if self.following:
            self.table.follow_newest_running()
        self.show_status()

    def _tick(self) -> None:
        """Once a second: running durations and relative times move on, with no query."""
        self.table.tick()
        self.show_status()

    # ---- header and status ----------------------------------------------------------------

    def show_counts(self, header: Header) -> None:
        """Show the counts and the sparkline the feed fetched."""
        self.query_one(ListHeader).show(header, self.run_filter.since)

    def show_filter(self) -> None:
        """The filter bar: the filter, the search, the window and the order."""
        line = filter_line(self.run_filter, self.table.sort_column, self.table.sort_reverse)
        self.query_one("#filter-bar", Static).update(line)

    def show_status(self) -> None:
        """The status line: live, paused or following, how fresh, how many rows."""
        self.status_line.show(self)

    # ---- events ---------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#runs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row <= 0:
            self.feed.new_above = 0
        if event.cursor_row >= self.table.row_count - LOAD_MORE_MARGIN:
            self.feed.fetch_older()

    @on(DataTable.RowSelected, "#runs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.row_key.value)

    @on(DataTable.HeaderSelected, "#runs")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        self.action_sort(str(event.column_key.value))

    @on(SearchBox.QueryChanged)
    def _search_changed(self, event: SearchBox.QueryChanged) -> None:
        filter_changes.search_for(self, event.query, submitted=event.submitted)

    @on(SearchInput.GrammarRequested)
    def _grammar_requested(self, event: SearchInput.GrammarRequested) -> None:
        event.stop()
        self.action_search_grammar()

    # ---- actions --------------------------------------------------------------------------

    def _open(self, row_id: str | None) -> None:
        if row_id is None or row_id not in self.runs:
            return
        from wflog_tui.ui.run_view import RunScreen

        self.app.push_screen(RunScreen(self.runs[row_id].run_id))

    def action_open_run(self) -> None:
        """Open the selected run."""
        self._open(self.table.selected_id())

    def action_failure_groups(self) -> None:
        """Open the failure groups of the list's window, organisation and workflow."""
        from wflog_tui.ui.failure_groups import FailureGroupsScreen

        self.app.push_screen(FailureGroupsScreen(self.run_filter))

    def action_search(self) -> None:
        """Show the search box: the search language (F1 shows it), narrowing as you type."""
        query = self.run_filter.query
        self.search_box.open(format_query(query) if query else self.run_filter.search or "")

    def action_search_grammar(self) -> None:
        """Show the search language, with an example of every kind of term."""
        self.app.push_screen(SearchGrammar())

    def action_escape(self) -> None:
        """Close the search box (what it narrowed stays); a second escape clears the search."""
        filter_changes.escape_search(self)

    def action_toggle_pause(self) -> None:
        """Pause or resume the live refresh."""
        paused = self.feed.toggle_pause()
        self.notify("Refresh paused" if paused else "Refresh resumed", markup=False)
        self.show_status()

    def action_refresh_now(self) -> None:
        """Refresh now, paused or not."""
        self.refresh_list()

    def action_toggle_follow(self) -> None:
        """Keep the newest running run selected as runs come and go."""
        self.following = not self.following
        if self.following:
            self.table.follow_newest_running()
        self.show_status()

    def action_failures_only(self) -> None:
        """Show only FAILED and TIMED_OUT runs; again to show every status."""
        filter_changes.toggle_failures_only(self)

    def action_toggle_status(self, status: str) -> None:
        """Add a status to the filter, or take it out."""
        filter_changes.toggle_status(self, status)

    def action_clear_statuses(self) -> None:
        """Show every status."""
        filter_changes.clear_statuses(self)

    def action_clear_filters(self) -> None:
        """Back to the start-up state: every filter and the search dropped, the time window
        the list opened with (the --org scope stays: it is fixed for the session)."""
        filter_changes.clear_filters(self)

    def action_window(self, step: int) -> None:
        """Narrow (-1) or widen (+1) the time window: 15m, 1h, 24h, 7d, all."""
        filter_changes.step_window(self, step)

    def action_cycle_time(self) -> None:
        """Show start times relative, in UTC, or in local time."""
        self.notify(f"Times: {self.table.cycle_time_mode()}", markup=False)
        saved_views.remember_list_state(self)

    def action_refresh_rate(self, step: int) -> None:
        """Refresh every live view more often (-1) or less often (+1)."""
        rate = self.feed.change_rate(step)
        self.notify(f"Refreshing every {rate:g}s", markup=False)
        self.show_status()

    def action_sort(self, column: str) -> None:
        """Sort by a column; the same column again reverses the order."""
        self.table.sort_by(column)
        self.show_filter()

    def action_copy_run_id(self, raw: bool = False) -> None:
        """Copy the selected run's run id (OSC 52, works over SSH); `raw`: exactly as
        stored, unsafe characters and all."""
        row_id = self.table.selected_id()
        if row_id is not None:
            copy_run_id(self, self.runs[row_id].run_id, raw=raw)

    def action_pick_workflow(self) -> None:
        """Choose a workflow to show only its runs."""
        filter_changes.pick_workflow(self)

    def action_pick_organisation(self) -> None:
        """Choose an organisation to show only its runs (not when --org fixes the scope)."""
        filter_changes.pick_organisation(self)

    @work(exclusive=True, group="list-views")
    async def action_views(self) -> None:
        """Open a saved view: its filters, search, window, order and columns."""
        await saved_views.open_saved_view(self)

    @work(exclusive=True, group="list-views")
    async def action_save_view(self) -> None:
        """Save the list's filters, search, window, order and columns under a name."""
        await saved_views.save_current_view(self)

    @work(exclusive=True, group="list-profile")
    async def action_switch_profile(self) -> None:
        """Reconnect with another profile of the configuration file."""
        await switch_profile(self)

    @work(exclusive=True, group="list-report")
    async def action_write_report(self) -> None:
        """Write the Markdown incident report of this window and filter to a file."""
        await write_report_file(self)

    def set_filter(self, run_filter: RunFilter) -> None:
        """Show the runs of `run_filter` from now on: the list reloads from its first page."""
        if run_filter == self.run_filter:
            return
        if run_filter.query != self.run_filter.query:
            self.status_line.search_changed(run_filter.query)
        self.run_filter = run_filter
        self.feed.restart()
        self.show_filter()
        self.refresh_list()
