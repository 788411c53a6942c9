"""The run list: live runs keyed by id, updated in place, with counts and a failure sparkline.

The screen holds the layout, the keys and what they do. The rows are `RunTable`'s to keep,
fetching them is `RunFeed`'s (`feed.py`), the header is `ListHeader`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from wflog_tui.model import status as st
from wflog_tui.model.clipboard_text import copy_text, raw_copy_text
from wflog_tui.model.display_text import one_line
from wflog_tui.model.refresh_pacing import LOCK_WAIT_HINT
from wflog_tui.model.run import RunSummary
from wflog_tui.model.search_query import format_query
from wflog_tui.store import Header, RunFilter, StoreError
from wflog_tui.store.indexes import indexes_missing_hint
from wflog_tui.store.search_indexes import search_index_hint
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.connection_state import (
    outage_state,
    polling_how,
    replica_note,
    retry_after_failure,
)
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_list.feed import RunFeed
from wflog_tui.ui.run_list.header import ListHeader
from wflog_tui.ui.run_list.incident_report_file import write_report_file
from wflog_tui.ui.run_list.lines import (
    filter_line,
    freshness,
    mode_line,
    outage_line,
    size_note,
)
from wflog_tui.ui.run_list.profile_switch import switch_profile
from wflog_tui.ui.run_list.saved_views import (
    apply_start_view,
    open_saved_view,
    remember_list_state,
    save_current_view,
)
from wflog_tui.ui.run_list.search_box import SearchBox, SearchInput
from wflog_tui.ui.run_list.search_grammar import SearchGrammar
from wflog_tui.ui.run_list.table import RunTable
from wflog_tui.ui.widgets.picker import Picker
from wflog_tui.ui.widgets.profile_badge import ProfileBadge

# The table's vertical scrollbar, which its columns must leave room for.
SCROLLBAR = 2
# Older rows are fetched when the cursor comes this close to the end of the list.
LOAD_MORE_MARGIN = 10
WINDOWS: tuple[timedelta | None, ...] = (
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=24),
    timedelta(days=7),
    None,
)
STATUS_KEYS = {
    "1": st.RUNNING,
    "2": st.COMPLETED,
    "3": st.FAILED,
    "4": st.TIMED_OUT,
    "5": st.CANCELED,
}


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


class RunListScreen(Screen[None]):
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
        self.paused = False
        self.following = False
        self.last_fetch: datetime | None = None
        self.disconnected_since: datetime | None = None
        # The word the status line shows while refreshes fail (see connection_state).
        self.outage = "DISCONNECTED"
        # How far behind a hot standby was at the last refresh (None: not behind).
        self.replica_lag: timedelta | None = None
        self.message = ""
        self.search_hint: str | None = None
        """Why the current search reads every run of the window, if it does."""
        self.search_slow = False
        """True when the current search's last page took longer than `SLOW_SEARCH_S`."""
        self._started = False
        self.suspended = True
        """True while another screen covers the list (it does not refresh then)."""

    # ---- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ProfileBadge()
        yield ListHeader(id="list-header")
        yield Static(id="filter-bar")
        yield SearchBox(wflog_app(self).config.search_history, id="search")
        yield RunTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="list-status")
        yield Footer()

    def on_mount(self) -> None:
        """Build the columns and start the first fetch."""
        config = wflog_app(self).config
        self.live = LiveRefresh(self, config, self.refresh_list)
        self.feed = RunFeed(self, self.live)
        self.run_filter = config.run_filter
        self.slow_hint = indexes_missing_hint(
            self.store.info, organisation_scope=bool(self.store.settings.organisation_scope)
        )
        table = self.table
        table.time_mode = config.time_mode
        table.add_run_columns(self.app.size.width - SCROLLBAR)
        self.search_box.display = False
        self.search_hint = search_index_hint(self.store.info, self.run_filter.query)
        apply_start_view(self)
        self._show_filter()
        self.show_status()
        table.focus()
        if config.animations:
            self.set_interval(1.0, self._tick)

    def on_screen_resume(self) -> None:
        """Start (or resume) refreshing when the list is the screen on top.

        Under a run view it does not refresh at all: a list nobody sees must not load the
        database, and `--run` opens the run without waiting for a list behind it.
        """
        if self.app.screen is not self:
            # Covered again before it was ever shown (`--run` pushes the run on top at
            # once): nobody sees it, so it does not start.
            return
        self.suspended = False
        if not self._started:
            self._started = True
            self.feed.listen()
        self.refresh_list()

    def on_screen_suspend(self) -> None:
        """Stop refreshing while another screen covers the list."""
        self.suspended = True
        self.feed.cancel_timer()

    async def on_unmount(self) -> None:
        """Give the listening connection back before the store closes."""
        await self.feed.stop()

    def on_resize(self) -> None:
        """Lay the columns out again: those that matter stay, the error takes the rest."""
        self.table.add_run_columns(self.size.width - SCROLLBAR)

    @property
    def _gone(self) -> bool:
        """True once the screen is closing: a worker finishing then must touch nothing."""
        return not self.live.on_screen

    @property
    def table(self) -> RunTable:
        """The run table."""
        return self.query_one("#runs", RunTable)

    @property
    def search_box(self) -> SearchBox:
        """The search box (hidden until `/`)."""
        return self.query_one("#search", SearchBox)

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
        self.last_fetch = datetime.now(UTC)
        self.disconnected_since = None
        self.table.remove_class("stale")

    def fetch_failed(self, exc: StoreError, *, retry: bool = True) -> None:
        """A query failed: keep the rows, mark them stale, and retry a refresh (`retry`)."""
        if self._gone:
            return
        if self.disconnected_since is None:
            self.disconnected_since = datetime.now(UTC)
        self.message = exc.message
        self.outage = outage_state(exc)
        self.table.add_class("stale")
        if retry:
            # A failed page of older runs leaves the refresh loop's timer (or its retry)
            # alone: cancelling it left nothing to ever retry, and the list never recovered.
            self.feed.cancel_timer()
            if not self.paused and not self.suspended:
                retry_after_failure(self.live, self.store)
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
        for problem in header.problems:
            self.log.warning(problem)
        self.query_one(ListHeader).show(header, self.run_filter.since)

    def _show_filter(self) -> None:
        line = filter_line(self.run_filter, self.table.sort_column, self.table.sort_reverse)
        self.query_one("#filter-bar", Static).update(line)

    def show_status(self) -> None:
        """The status line: live, paused or following, how fresh, how many rows."""
        feed, pacer = self.feed, self.live.pacer
        if self.disconnected_since is not None:
            line = outage_line(self.outage, self.disconnected_since, self.message)
        else:
            line = mode_line(paused=self.paused, following=self.following)
        if self.last_fetch is not None:
            how = "on change (LISTEN)" if feed.listener is not None else polling_how(self.store)
            line.append(freshness(self.last_fetch, pacer.next_interval(), how))
            line.append_text(replica_note(self.replica_lag))
        slowed = pacer.reason(
            LOCK_WAIT_HINT if feed.lock_wait else (self.search_hint or self.slow_hint)
        )
        if slowed and self.disconnected_since is None:
            line.append(f"   {one_line(slowed, 160)}", style="bold")
        elif self.search_hint and (self.search_slow or self.outage == "TOO SLOW"):
            # Said before the row count, which matters less than why the search crawls.
            line.append(f"   search slow: {one_line(self.search_hint, 160)}", style="bold")
        line.append_text(size_note(len(self.order), feed.exhausted, feed.new_above))
        self.query_one("#list-status", Static).update(line)

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
        # The language's bare words are today's search, so the old `search` field goes.
        query = None if event.query.is_empty else event.query
        self._set_filter(replace(self.run_filter, query=query, search=None))
        if event.submitted:
            self.search_box.close()
            self.table.focus()

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
        box = self.search_box
        if box.display and box.input.has_focus:
            box.close()
            self.table.focus()
        elif self.run_filter.search or self.run_filter.query:
            box.close()
            box.reset()
            self._set_filter(replace(self.run_filter, search=None, query=None))

    def action_toggle_pause(self) -> None:
        """Pause or resume the live refresh."""
        self.paused = not self.paused
        if self.paused:
            self.feed.cancel_timer()
            self.notify("Refresh paused", markup=False)
        else:
            self.notify("Refresh resumed", markup=False)
            self.refresh_list()
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
        failures = frozenset(st.FAILURES)
        statuses = frozenset() if self.run_filter.statuses == failures else failures
        self._set_filter(replace(self.run_filter, statuses=statuses))

    def action_toggle_status(self, status: str) -> None:
        """Add a status to the filter, or take it out."""
        statuses = set(self.run_filter.statuses)
        statuses ^= {status}
        self._set_filter(replace(self.run_filter, statuses=frozenset(statuses)))

    def action_clear_statuses(self) -> None:
        """Show every status."""
        self._set_filter(replace(self.run_filter, statuses=frozenset()))

    def action_clear_filters(self) -> None:
        """Back to the start-up state: every filter and the search dropped, the time window
        the list opened with (the --org scope stays: it is fixed for the session)."""
        scope = self.store.settings.organisation_scope
        box = self.search_box
        box.reset()
        box.close()
        self.table.focus()
        start = wflog_app(self).config.run_filter.since
        self._set_filter(RunFilter(since=start, organisation=scope))

    def action_window(self, step: int) -> None:
        """Narrow (-1) or widen (+1) the time window: 15m, 1h, 24h, 7d, all."""
        current = self.run_filter.since
        index = WINDOWS.index(current) if current in WINDOWS else 2
        index = max(0, min(len(WINDOWS) - 1, index + step))
        self._set_filter(replace(self.run_filter, since=WINDOWS[index]))
        remember_list_state(self)

    def action_cycle_time(self) -> None:
        """Show start times relative, in UTC, or in local time."""
        self.notify(f"Times: {self.table.cycle_time_mode()}", markup=False)
        remember_list_state(self)

    def action_refresh_rate(self, step: int) -> None:
        """Refresh every live view more often (-1) or less often (+1)."""
        rate = self.live.change_rate(step)
        self.notify(f"Refreshing every {rate:g}s", markup=False)
        if not self.paused and self.live.scheduled:
            self.feed.schedule()
        self.show_status()

    def action_sort(self, column: str) -> None:
        """Sort by a column; the same column again reverses the order."""
        self.table.sort_by(column)
        self._show_filter()

    def action_copy_run_id(self, raw: bool = False) -> None:
        """Copy the selected run's run id (OSC 52, works over SSH); `raw`: exactly as
        stored, unsafe characters and all."""
        row_id = self.table.selected_id()
        if row_id is None:
            return
        value = self.runs[row_id].run_id
        self.app.copy_to_clipboard(raw_copy_text(value) if raw else copy_text(value))
        said = (
            f"raw run id {one_line(value, 60)} (unescaped)"
            if raw
            else f"run id {one_line(value, 60)}"
        )
        self.notify(f"Copied {said}", markup=False)

    def action_pick_workflow(self) -> None:
        """Choose a workflow to show only its runs."""
        self._pick("Workflow", "workflow", lambda: self.store.workflow_names(self.run_filter))

    def action_pick_organisation(self) -> None:
        """Choose an organisation to show only its runs (not when --org fixes the scope)."""
        if self.store.settings.organisation_scope:
            self.notify("--org fixes the organisation for this session", markup=False)
            return
        self._pick("Organisation", "organisation", self.store.organisations)

    @work(exclusive=True, group="list-views")
    async def action_views(self) -> None:
        """Open a saved view: its filters, search, window, order and columns."""
        await open_saved_view(self)

    @work(exclusive=True, group="list-views")
    async def action_save_view(self) -> None:
        """Save the list's filters, search, window, order and columns under a name."""
        await save_current_view(self)

    @work(exclusive=True, group="list-profile")
    async def action_switch_profile(self) -> None:
        """Reconnect with another profile of the configuration file."""
        await switch_profile(self)

    @work(exclusive=True, group="list-report")
    async def action_write_report(self) -> None:
        """Write the Markdown incident report of this window and filter to a file."""
        await write_report_file(self)

    def _pick(self, title: str, field: str, values: Callable[[], Awaitable[list[str]]]) -> None:
        """Offer the values a filter field can take; the choice (or none) becomes the filter."""

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self._set_filter(replace(self.run_filter, **{field: choice or None}))

        Picker.open(self, title, getattr(self.run_filter, field), values, self.live.lock, chosen)

    def _set_filter(self, run_filter: RunFilter) -> None:
        if run_filter == self.run_filter:
            return
        if run_filter.query != self.run_filter.query:
            self.search_hint = search_index_hint(self.store.info, run_filter.query)
            self.search_slow = False
        self.run_filter = run_filter
        self.feed.restart()
        self._show_filter()
        self.refresh_list()
