"""The run list: live runs keyed by id, updated in place, with counts and a failure sparkline.

The refresh loop never overlaps (see `live_refresh.py`): a worker fetches, the result is
rendered, and only then is the next fetch scheduled. Each cycle asks for what changed (rows
newer than the newest seen, and the rows shown as RUNNING), never for the whole list again.
The rows themselves are `RunTable`'s to keep.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

from wflog_tui.model import status as st
from wflog_tui.model.clipboard_text import copy_text, raw_copy_text
from wflog_tui.model.display_text import one_line
from wflog_tui.model.refresh_pacing import LOCK_WAIT_HINT
from wflog_tui.model.run import RunSummary
from wflog_tui.model.search_query import format_query
from wflog_tui.model.timestamps import is_extreme
from wflog_tui.store import Header, PageCursor, RunFilter, StoreError
from wflog_tui.store.indexes import indexes_missing_hint
from wflog_tui.store.notify import Listener, Wakeup
from wflog_tui.store.search_indexes import search_index_hint
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.connection_state import (
    outage_state,
    polling_how,
    replica_note,
    retry_after_failure,
)
from wflog_tui.ui.live_refresh import LiveRefresh
from wflog_tui.ui.run_list.incident_report_file import write_report_file
from wflog_tui.ui.run_list.lines import (
    counts_line,
    filter_line,
    freshness,
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

PAGE_SIZE = 100
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
# Counts and the sparkline are fetched at most this often (and on every filter change).
HEADER_REFRESH_S = 10.0
# With LISTEN/NOTIFY, the list still refreshes this often without a notification.
PUSH_SAFETY_POLL_S = 30.0
# A search whose first page takes longer than this, with no index to serve it, says so.
SLOW_SEARCH_S = 0.5


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
        Binding("p", "toggle_pause", "Pause"),
        Binding("space", "refresh_now", "Refresh", key_display="space"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("ctrl+z", "failures_only", "Failing only"),
        *[
            Binding(key, f"toggle_status('{status}')", f"Toggle {st.word(status)}", show=False)
            for key, status in STATUS_KEYS.items()
        ],
        Binding("0", "clear_statuses", "All statuses", show=False),
        Binding("w", "pick_workflow", "Workflow"),
        Binding("e", "failure_groups", "Failure groups", show=False),
        Binding("o", "pick_organisation", "Org", show=False),
        Binding("left_square_bracket", "window(-1)", "Narrower window", key_display="["),
        Binding("right_square_bracket", "window(1)", "Wider window", key_display="]"),
        Binding("t", "cycle_time", "Time format", show=False),
        Binding("x", "clear_filters", "Clear filters", show=False),
        Binding("plus", "refresh_rate(-1)", "Faster refresh", key_display="+", show=False),
        Binding("minus", "refresh_rate(1)", "Slower refresh", key_display="-", show=False),
        Binding("y", "copy_run_id", "Copy run id", show=False),
        Binding(
            "ctrl+y",
            "copy_run_id_raw",
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

    live: LiveRefresh
    """The refresh loop (made on mount, when the app's config is at hand)."""

    def __init__(self) -> None:
        super().__init__()
        self.newest: PageCursor | None = None
        self.oldest: PageCursor | None = None
        self.exhausted = False
        self.paused = False
        self.following = False
        self.new_above = 0
        self.last_fetch: datetime | None = None
        self.disconnected_since: datetime | None = None
        # The word the status line shows while refreshes fail (see connection_state).
        self.outage = "DISCONNECTED"
        # How far behind a hot standby was at the last refresh (None: not behind).
        self.replica_lag: timedelta | None = None
        self.message = ""
        self._loading_older = False
        self._started = False
        self._suspended = True
        self.listener: Listener | None = None
        self.push_reason: str | None = "not started"
        self._generation = 0
        self._full_pending = True
        self._header_at = 0.0
        self.search_hint: str | None = None
        """Why the current search reads every run of the window, if it does."""
        self.search_slow = False
        """True when the current search's last page took longer than `SLOW_SEARCH_S`."""

    # ---- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ProfileBadge()
        with Horizontal(id="list-header"):
            yield Static(id="counts")
            with Vertical(id="spark-box"):
                yield Static(Text("failures/min, last hour"), id="spark-label")
                yield Sparkline([0] * 60, id="failures")
        yield Static(id="filter-bar")
        yield SearchBox(wflog_app(self).config.search_history, id="search")
        yield RunTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="list-status")
        yield Footer()

    def on_mount(self) -> None:
        """Build the columns and start the first fetch."""
        config = wflog_app(self).config
        self.live = LiveRefresh(self, config, self.refresh_list)
        self.run_filter = config.run_filter
        # Set while the pacer is slowed and reads were found waiting on a lock.
        self.lock_wait = False
        self.slow_hint = indexes_missing_hint(
            self.store.info, organisation_scope=bool(self.store.settings.organisation_scope)
        )
        table = self.table
        table.time_mode = config.time_mode
        table.add_run_columns()
        self.search_box.display = False
        self.search_hint = search_index_hint(self.store.info, self.run_filter.query)
        self.call_after_refresh(self._fit_error_column)
        apply_start_view(self)
        self._show_filter()
        self._show_status()
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
        self._suspended = False
        if not self._started:
            self._started = True
            self._listen()
        self.refresh_list()

    def on_screen_suspend(self) -> None:
        """Stop refreshing while another screen covers the list."""
        self._suspended = True
        self._cancel_timer()

    async def on_unmount(self) -> None:
        """Give the listening connection back before the store closes."""
        self.live.stop()
        self._cancel_timer()
        if self.listener is not None:
            listener, self.listener = self.listener, None
            await listener.stop()

    @work(exclusive=True, group="list-listen")
    async def _listen(self) -> None:
        """Refresh on LISTEN/NOTIFY when a trigger is installed; otherwise keep polling."""
        channel = wflog_app(self).config.notify_channel
        if not channel:
            self.push_reason = "push off"
            return
        listener = Listener(self.store, channel)
        async with self.live.lock:
            started = await listener.start()
        if self._gone:
            await listener.stop()
            return
        if started:
            self.listener = listener
            self.push_reason = None
            # Changes made before LISTEN took effect would be missed without one more fetch.
            self.refresh_list()
        else:
            self.push_reason = listener.reason
        self._show_status()

    def on_resize(self) -> None:
        """Give the error column whatever width the others leave."""
        self._fit_error_column()

    def _fit_error_column(self) -> None:
        self.table.fit_error_column(self.size.width)

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

    # ---- fetching -------------------------------------------------------------------------

    def refresh_list(self) -> None:
        """Start a refresh now: the whole first page after a filter change, else a delta."""
        if self._gone:
            return
        self._cancel_timer()
        self._refresh_worker()

    @work(exclusive=True, group="list-refresh")
    async def _refresh_worker(self) -> None:
        # One worker for both kinds, so a timer firing during a reload can't replace the
        # reload with a delta against the old filter: a pending reload always wins.
        self._cancel_timer()
        generation = self._generation
        full = self._full_pending or not self.runs
        running = [row_id for row_id in self.order if self.runs[row_id].is_running]
        # Counts and the sparkline read the whole window, the delta only what changed: they
        # are refreshed less often than the rows, and always with a new filter.
        header_due = full or time.monotonic() - self._header_at >= HEADER_REFRESH_S
        try:
            async with self.live.lock:
                # Slowed: find out whether a lock, not a missing index, is the cause.
                if self.live.pacer.slowed:
                    self.lock_wait = self.lock_wait or await self.store.reads_wait_on_a_lock()
                else:
                    self.lock_wait = False
                if full:
                    page = await self.store.fetch_page(self.run_filter, limit=PAGE_SIZE)
                else:
                    delta = await self.store.fetch_delta(
                        self.run_filter, newest=self.newest, running_ids=running
                    )
                query_ms = self._last_query_ms("fetch_page" if full else "fetch_delta")
                if generation != self._generation or self._gone:
                    return
                # The rows go on screen before the header's queries run: first paint waits
                # for one query, not three.
                if full:
                    self._full_pending = False
                    self._replace(page)
                else:
                    self._apply(delta.new, delta.changed)
                    self.replica_lag = delta.replica_lag
                if header_due:
                    header = await self.store.fetch_header(self.run_filter, 60)
                    query_ms += self._last_query_ms("count_by_status")
                    query_ms += self._last_query_ms("failures_per_minute")
        except StoreError as exc:
            self._failed(exc)
            return
        if generation != self._generation or self._gone:
            return
        if full:
            self.search_slow = self._last_query_ms("fetch_page") / 1000 > SLOW_SEARCH_S
        self._connected(query_ms / 1000)
        if header_due:
            self._header_at = time.monotonic()
            self._show_counts(header)
        self._schedule()

    def _last_query_ms(self, name: str) -> float:
        """The database time of the store's last `name` call (not the UI's time between)."""
        stat = self.store.stats.last.get(name)
        return stat.ms if stat is not None else 0.0

    @work(exclusive=True, group="list-older")
    async def fetch_older(self) -> None:
        """Append the next page of older runs (keyset paging)."""
        if self.exhausted or self.oldest is None:
            return
        self._loading_older = True
        generation = self._generation
        try:
            async with self.live.lock:
                page = await self.store.fetch_page(
                    self.run_filter, before=self.oldest, limit=PAGE_SIZE
                )
        except StoreError as exc:
            self._failed(exc, schedule=False)
            return
        finally:
            self._loading_older = False
        if generation != self._generation or self._gone:
            return
        if len(page) < PAGE_SIZE:
            self.exhausted = True
        self._apply(page, [], older=True)

    def _schedule(self) -> None:
        self._cancel_timer()
        if not self.paused and not self._suspended:
            interval = self.live.interval()
            if self.listener is not None:
                self._wait_for_push(interval)
            else:
                self.live.schedule(interval)
        self._show_status()

    @work(exclusive=True, group="list-push")
    async def _wait_for_push(self, interval: float) -> None:
        # A notification wakes the list, but never sooner than the pacer allows; a safety
        # poll still runs, because counts and the window move with time alone.
        assert self.listener is not None
        wake = await self.listener.wait(
            max_wait=max(interval, PUSH_SAFETY_POLL_S), min_wait=interval
        )
        if self._gone or self.listener is None:
            return
        if wake is Wakeup.LOST:
            self.push_reason = self.listener.reason
            self.listener = None
        self.refresh_list()

    def _cancel_timer(self) -> None:
        self.live.cancel()
        self.workers.cancel_group(self, "list-push")

    def _connected(self, seconds: float) -> None:
        self.live.succeeded(seconds)
        self.last_fetch = datetime.now(UTC)
        self.disconnected_since = None
        self.table.remove_class("stale")

    def _failed(self, exc: StoreError, *, schedule: bool = True) -> None:
        if self._gone:
            return
        if self.disconnected_since is None:
            self.disconnected_since = datetime.now(UTC)
        self.message = exc.message
        self.outage = outage_state(exc)
        self.table.add_class("stale")
        if schedule:
            # A failed page of older runs leaves the refresh loop's timer (or its retry)
            # alone: cancelling it left nothing to ever retry, and the list never recovered.
            self._cancel_timer()
        if schedule and not self.paused and not self._suspended:
            retry_after_failure(self.live, self.store)
        self._show_status()

    # ---- applying data --------------------------------------------------------------------

    def _replace(self, page: list[RunSummary]) -> None:
        table = self.table
        selected = table.selected_id()
        table.clear_runs()
        self.newest = self.oldest = None
        self.exhausted = len(page) < PAGE_SIZE
        self.new_above = 0
        self._apply(page, [], initial=True)
        if selected in self.runs:
            table.move_cursor(row=table.get_row_index(selected), scroll=True)

    def _apply(
        self,
        new: list[RunSummary],
        changed: list[RunSummary],
        *,
        initial: bool = False,
        older: bool = False,
    ) -> None:
        """Add new rows and update changed ones in place; keep the reader's place."""
        self.new_above += self.table.apply(
            new, changed, keep=self._matches, initial=initial, older=older
        )
        for run in [*new, *changed]:
            self._track_cursors(run)
        if self.following:
            self._follow()
        self._show_status()

    def _matches(self, run: RunSummary) -> bool:
        # The delta's overlap can bring rows of statuses the filter excludes when they
        # changed since; a status filter must still hold for rows added to the list.
        statuses = self.run_filter.statuses
        return not statuses or run.status in statuses

    def _track_cursors(self, run: RunSummary) -> None:
        if run.started_at is None:
            return
        cursor = PageCursor(run.started_at, run.id)
        # A start at `infinity` or in year 12000 would hide every real new run from the
        # delta, which reads from the newest start on; it still pages exactly as oldest.
        newer = self.newest is None or (cursor.started_at, cursor.id) > (
            self.newest.started_at,
            self.newest.id,
        )
        if newer and not is_extreme(run.started_at):
            self.newest = cursor
        if self.oldest is None or (cursor.started_at, cursor.id) < (
            self.oldest.started_at,
            self.oldest.id,
        ):
            self.oldest = cursor

    def _tick(self) -> None:
        """Once a second: running durations and relative times move on, with no query."""
        self.table.tick()
        self._show_status()

    # ---- header and status ----------------------------------------------------------------

    def _show_counts(self, header: Header) -> None:
        """The header's counts and sparkline; a part that failed says so and leaves the
        other, and the rows, as they are."""
        for problem in header.problems:
            self.log.warning(problem)
        counts, spark = header.counts, header.spark
        if counts is None:
            self.query_one("#counts", Static).update(
                Text(f"counts unavailable: {one_line(header.problems[0], 200)}", style="italic")
            )
        else:
            line = counts_line(counts, self.run_filter.since, self.app.theme_variables)
            self.query_one("#counts", Static).update(line)
        if spark is None:
            self.query_one("#spark-label", Static).update(
                Text(f"failures/min unavailable: {one_line(header.problems[-1], 200)}")
            )
        else:
            self._show_spark(spark)

    def _show_spark(self, spark: list[int]) -> None:
        self.query_one("#failures", Sparkline).data = [float(n) for n in spark]
        total = sum(spark)
        self.query_one("#spark-label", Static).update(Text(f"failures/min, last hour: {total:,}"))

    def _show_filter(self) -> None:
        line = filter_line(self.run_filter, self.table.sort_column, self.table.sort_reverse)
        self.query_one("#filter-bar", Static).update(line)

    def _show_status(self) -> None:
        if self.disconnected_since is not None:
            line = outage_line(self.outage, self.disconnected_since, self.message)
        elif self.paused:
            line = Text().append("❚❚ PAUSED", style="bold reverse")
            line.append("  p resumes, space refreshes once")
        elif self.following:
            line = Text().append("● FOLLOWING newest running run", style="bold")
        else:
            line = Text().append("● LIVE", style="bold")
        if self.last_fetch is not None:
            how = "on change (LISTEN)" if self.listener is not None else polling_how(self.store)
            line.append(freshness(self.last_fetch, self.live.pacer.next_interval(), how))
            line.append_text(replica_note(self.replica_lag))
        slowed = self.live.pacer.reason(
            LOCK_WAIT_HINT if self.lock_wait else (self.search_hint or self.slow_hint)
        )
        if slowed and self.disconnected_since is None:
            line.append(f"   {one_line(slowed, 160)}", style="bold")
        elif self.search_hint and (self.search_slow or self.outage == "TOO SLOW"):
            # Said before the row count, which matters less than why the search crawls.
            line.append(f"   search slow: {one_line(self.search_hint, 160)}", style="bold")
        line.append_text(size_note(len(self.order), self.exhausted, self.new_above))
        self.query_one("#list-status", Static).update(line)

    # ---- events ---------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#runs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row <= 0:
            self.new_above = 0
        if (
            event.cursor_row >= self.table.row_count - LOAD_MORE_MARGIN
            and not self.exhausted
            and not self._loading_older
        ):
            self.fetch_older()

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
            self._cancel_timer()
            self.notify("Refresh paused", markup=False)
        else:
            self.notify("Refresh resumed", markup=False)
            self.refresh_list()
        self._show_status()

    def action_refresh_now(self) -> None:
        """Refresh now, paused or not."""
        self.refresh_list()

    def action_toggle_follow(self) -> None:
        """Keep the newest running run selected as runs come and go."""
        self.following = not self.following
        if self.following:
            self._follow()
        self._show_status()

    def _follow(self) -> None:
        running = [self.runs[row_id] for row_id in self.order if self.runs[row_id].is_running]
        if not running:
            return
        newest = max(running, key=lambda r: r.started_at or datetime.min.replace(tzinfo=UTC))
        self.table.move_cursor(row=self.table.index_of(newest.id), scroll=True)

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
        """Drop every filter but the time window (and the --org scope, which is fixed)."""
        scope = self.store.settings.organisation_scope
        self.search_box.reset()
        self._set_filter(RunFilter(since=self.run_filter.since, organisation=scope))

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
            self._schedule()
        self._show_status()

    def action_sort(self, column: str) -> None:
        """Sort by a column; the same column again reverses the order."""
        self.table.sort_by(column)
        self._show_filter()

    def action_copy_run_id(self) -> None:
        """Copy the selected run's run id (OSC 52, works over SSH)."""
        row_id = self.table.selected_id()
        if row_id is None:
            return
        value = self.runs[row_id].run_id
        self.app.copy_to_clipboard(copy_text(value))
        self.notify(f"Copied run id {one_line(value, 60)}", markup=False)

    def action_copy_run_id_raw(self) -> None:
        """Copy the selected run's run id exactly as stored, unsafe characters and all."""
        row_id = self.table.selected_id()
        if row_id is None:
            return
        value = self.runs[row_id].run_id
        self.app.copy_to_clipboard(raw_copy_text(value))
        self.notify(f"Copied raw run id {one_line(value, 60)} (unescaped)", markup=False)

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

    @work(exclusive=True, group="list-picker")
    async def _pick(
        self, title: str, field: str, values: Callable[[], Awaitable[list[str]]]
    ) -> None:
        """Offer the values a filter field can take; the choice (or none) becomes the filter."""
        try:
            async with self.live.lock:
                choices = await values()
        except StoreError as exc:
            self.notify(exc.message, severity="error", markup=False)
            return
        current = getattr(self.run_filter, field)
        choice = await self.app.push_screen_wait(Picker(title, choices, current))
        if choice is not None:
            self._set_filter(replace(self.run_filter, **{field: choice or None}))

    def _set_filter(self, run_filter: RunFilter) -> None:
        if run_filter == self.run_filter:
            return
        if run_filter.query != self.run_filter.query:
            self.search_hint = search_index_hint(self.store.info, run_filter.query)
            self.search_slow = False
        self.run_filter = run_filter
        self._generation += 1
        self._full_pending = True
        self._show_filter()
        self.refresh_list()
