"""The run list: live runs keyed by id, updated in place, with counts and a failure sparkline.

The refresh loop never overlaps: a worker fetches, the result is rendered, and only then
is the next fetch scheduled. Each cycle asks for what changed (rows newer than the newest
seen, and the rows shown as RUNNING), never for the whole list again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import humanize
from rich.text import Text
from textual import on, work
from textual._two_way_dict import TwoWayDict
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, OptionList, Sparkline, Static
from textual.widgets.data_table import ColumnKey, RowKey
from textual.widgets.option_list import Option

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration
from wflog_tui.model.refresh_pacing import RefreshPacer
from wflog_tui.model.run import RunSummary
from wflog_tui.store import PageCursor, QueryTimeout, RunFilter, StoreError
from wflog_tui.store.indexes import indexes_missing_hint
from wflog_tui.store.notify import Listener, Wakeup
from wflog_tui.ui.status_text import status_text

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
TIME_MODES = ("relative", "utc", "local")
MIN_REFRESH_S, MAX_REFRESH_S = 0.5, 300.0
# Data younger than this is shown as fetched "just now".
FRESH_S = 5
# Counts and the sparkline are fetched at most this often (and on every filter change).
HEADER_REFRESH_S = 10.0
# With LISTEN/NOTIFY, the list still refreshes this often without a notification.
PUSH_SAFETY_POLL_S = 30.0
# After a failed refresh, wait this long, doubling up to the cap, before trying again.
RETRY_FIRST_S, RETRY_MAX_S = 1.0, 30.0


@dataclass(frozen=True)
class Column:
    """A column of the list: its key, header, width (None: takes the rest) and sort key."""

    key: str
    label: str
    width: int | None


COLUMNS = (
    Column("status", "Status", 11),
    Column("workflow", "Workflow", 24),
    Column("run_id", "Run id", 26),
    Column("event", "Event", 18),
    Column("started", "Started", 15),
    Column("duration", "Duration", 9),
    Column("organisation", "Organisation", 13),
    Column("error", "Error", None),
)
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


def window_label(window: timedelta | None) -> str:
    """`15m`, `24h`, `7d` or `all`, as the --since flag spells it."""
    if window is None:
        return "all"
    seconds = int(window.total_seconds())
    # A day is spelled 24h, as people say it; from two days on, days.
    for unit, size, least in (("d", 86400, 172800), ("h", 3600, 3600), ("m", 60, 60)):
        if seconds >= least and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _sort_value(run: RunSummary, column: str, now: datetime) -> Any:
    epoch = datetime.min.replace(tzinfo=UTC)
    match column:
        case "status":
            return (st.severity(run.status), run.status)
        case "workflow":
            return (run.workflow_name or "").lower()
        case "run_id":
            return run.run_id
        case "event":
            return (run.event_name or "").lower()
        case "duration":
            return run.elapsed_ms(now) or 0.0
        case "organisation":
            return run.organisation_id or ""
        case "error":
            return run.error or ""
    return (run.started_at or epoch, run.id)


class RunTable(DataTable):
    """The run table, with the vi and pager keys people use in k9s and less."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g,home", "first_row", "First run", show=False),
        Binding("G,end", "last_row", "Last run", show=False),
    ]

    def action_first_row(self) -> None:
        """Move to the newest run (the top)."""
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """Move to the last loaded run; older ones then load."""
        self.move_cursor(row=max(0, self.row_count - 1))


class Picker(ModalScreen[str | None]):
    """Choose one value from a list (a workflow, an organisation), or clear the choice."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, title: str, values: list[str], current: str | None) -> None:
        super().__init__()
        self.title_text = title
        self.values = values
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Text(self.title_text), id="picker-title")
            options = [Option(Text("(any)"), id="")]
            options += [
                Option(Text(one_line(value, 80)), id=f"v{i}") for i, value in enumerate(self.values)
            ]
            yield OptionList(*options)

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self.current in self.values:
            option_list.highlighted = self.values.index(self.current) + 1
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        self.dismiss(self.values[int(option_id[1:])] if option_id else "")

    def action_dismiss_none(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)


class RunListScreen(Screen[None]):
    """The live run list, the screen the app opens on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_run", "Open", show=True),
        Binding("slash", "search", "Search", key_display="/"),
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
        Binding("o", "pick_organisation", "Org", show=False),
        Binding("left_square_bracket", "window(-1)", "Narrower window", key_display="["),
        Binding("right_square_bracket", "window(1)", "Wider window", key_display="]"),
        Binding("t", "cycle_time", "Time format", show=False),
        Binding("x", "clear_filters", "Clear filters", show=False),
        Binding("plus", "refresh_rate(-1)", "Faster refresh", key_display="+", show=False),
        Binding("minus", "refresh_rate(1)", "Slower refresh", key_display="-", show=False),
        Binding("y", "copy_run_id", "Copy run id", show=False),
        Binding("escape", "escape", "Clear search", show=False),
        *[
            Binding(key, f"sort('{column}')", f"Sort by {column.replace('_', ' ')}", show=False)
            for key, column in SORT_KEYS.items()
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: dict[str, RunSummary] = {}
        self.order: list[str] = []
        self.newest: PageCursor | None = None
        self.oldest: PageCursor | None = None
        self.exhausted = False
        self.paused = False
        self.following = False
        self.time_mode = "relative"
        self.sort_column = "started"
        self.sort_reverse = True
        self.new_above = 0
        self.last_fetch: datetime | None = None
        self.disconnected_since: datetime | None = None
        self.too_slow = False
        self.retry_s = RETRY_FIRST_S
        self.message = ""
        self._next_refresh: Timer | None = None
        self._loading_older = False
        self._closing = False
        self._started = False
        self._suspended = True
        self._query_lock = asyncio.Lock()  # one query in flight per view, whatever asks
        self.listener: Listener | None = None
        self.push_reason: str | None = "not started"
        self._generation = 0
        self._full_pending = True
        self._header_at = 0.0

    # ---- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="list-header"):
            yield Static(id="counts")
            with Vertical(id="spark-box"):
                yield Static(Text("failures/min, last hour"), id="spark-label")
                yield Sparkline([0] * 60, id="failures")
        yield Static(id="filter-bar")
        yield Input(placeholder="search run id, event id prefix or workflow name", id="search")
        yield RunTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="list-status")
        yield Footer()

    def on_mount(self) -> None:
        """Build the columns and start the first fetch."""
        self.run_filter = self.app.config.run_filter  # type: ignore[attr-defined]
        self.refresh_s = self.app.config.refresh_s  # type: ignore[attr-defined]
        self.time_mode = self.app.config.time_mode  # type: ignore[attr-defined]
        self.pacer = RefreshPacer(self.refresh_s, budget=self.app.config.query_budget)  # type: ignore[attr-defined]
        self.slow_hint = indexes_missing_hint(
            self.store.info, organisation_scope=bool(self.store.settings.organisation_scope)
        )
        table = self.query_one("#runs", DataTable)
        for column in COLUMNS:
            table.add_column(Text(column.label), key=column.key, width=column.width)
        self.query_one("#search", Input).display = False
        self.call_after_refresh(self._fit_error_column)
        self._show_filter()
        self._show_status()
        table.focus()
        if self.app.config.animations:  # type: ignore[attr-defined]
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
        self._closing = True
        self._cancel_timer()
        if self.listener is not None:
            listener, self.listener = self.listener, None
            await listener.stop()

    @work(exclusive=True, group="list-listen")
    async def _listen(self) -> None:
        """Refresh on LISTEN/NOTIFY when a trigger is installed; otherwise keep polling."""
        channel = self.app.config.notify_channel  # type: ignore[attr-defined]
        if not channel:
            self.push_reason = "push off"
            return
        listener = Listener(self.store, channel)
        async with self._query_lock:
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
        table = self.query_one("#runs", DataTable)
        fixed = sum((c.width or 0) + 2 for c in COLUMNS if c.width) + 2
        error = table.columns.get(ColumnKey("error"))
        if error is None:
            return
        error.width = max(10, self.size.width - fixed - 2)
        error.auto_width = False
        table.refresh()

    @property
    def _gone(self) -> bool:
        """True once the screen is closing: a worker finishing then must touch nothing."""
        return self._closing or not self.is_attached

    @property
    def table(self) -> DataTable:
        """The run table."""
        return self.query_one("#runs", DataTable)

    @property
    def store(self):
        """The app's store."""
        return self.app.store  # type: ignore[attr-defined]

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
        running = [rid for rid in self.order if self.runs[rid].is_running]
        # Counts and the sparkline read the whole window, the delta only what changed: they
        # are refreshed less often than the rows, and always with a new filter.
        header_due = full or time.monotonic() - self._header_at >= HEADER_REFRESH_S
        try:
            async with self._query_lock:
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
                if header_due:
                    counts = await self.store.count_by_status(self.run_filter)
                    spark = await self.store.failures_per_minute(self.run_filter, 60)
                    query_ms += self._last_query_ms("count_by_status")
                    query_ms += self._last_query_ms("failures_per_minute")
        except StoreError as exc:
            self._failed(exc)
            return
        if generation != self._generation or self._gone:
            return
        self._connected(query_ms / 1000)
        if header_due:
            self._header_at = time.monotonic()
            self._show_counts(counts, spark)
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
            async with self._query_lock:
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
            interval = self.pacer.next_interval()
            if self.listener is not None:
                self._wait_for_push(interval)
            else:
                self._next_refresh = self.set_timer(interval, self.refresh_list)
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
        if self._next_refresh is not None:
            self._next_refresh.stop()
            self._next_refresh = None
        self.workers.cancel_group(self, "list-push")

    def _connected(self, seconds: float) -> None:
        self.pacer.record(seconds)
        self.last_fetch = datetime.now(UTC)
        self.disconnected_since = None
        self.retry_s = RETRY_FIRST_S
        self.table.remove_class("stale")

    def _failed(self, exc: StoreError, *, schedule: bool = True) -> None:
        if self._gone:
            return
        if self.disconnected_since is None:
            self.disconnected_since = datetime.now(UTC)
        self.message = exc.message
        self.too_slow = isinstance(exc, QueryTimeout)
        self.table.add_class("stale")
        if schedule:
            # A failed page of older runs leaves the refresh loop's timer (or its retry)
            # alone: cancelling it left nothing to ever retry, and the list never recovered.
            self._cancel_timer()
        if schedule and not self.paused and not self._suspended:
            retry = self.retry_s
            self.retry_s = min(self.retry_s * 2, RETRY_MAX_S)
            self._next_refresh = self.set_timer(retry, self.refresh_list)
        self._show_status()

    # ---- applying data --------------------------------------------------------------------

    def _replace(self, page: list[RunSummary]) -> None:
        table = self.table
        selected = self._selected_id()
        table.clear()
        self.runs.clear()
        self.order.clear()
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
        table = self.table
        now = datetime.now(UTC)
        selected = self._selected_id()
        top_key = self._top_visible_id()
        reading = self._reading()
        added: list[str] = []
        with self.app.batch_update():
            for run in changed:
                if run.id in self.runs:
                    self._update_row(run, now)
            for run in new:
                if run.id in self.runs:
                    self._update_row(run, now)
                    continue
                if not self._matches(run):
                    continue
                self.runs[run.id] = run
                table.add_row(*self._cells(run, now), key=run.id)
                added.append(run.id)
            for run in [*new, *changed]:
                self._track_cursors(run)
            if added or changed:
                self._resort(selected, top_key, reading=reading, initial=initial or older)
        if added and not initial and not older and reading:
            self.new_above += sum(1 for rid in added if self._index(rid) < self._index(top_key))
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
        if self.newest is None or (cursor.started_at, cursor.id) > (
            self.newest.started_at,
            self.newest.id,
        ):
            self.newest = cursor
        if self.oldest is None or (cursor.started_at, cursor.id) < (
            self.oldest.started_at,
            self.oldest.id,
        ):
            self.oldest = cursor

    def _update_row(self, run: RunSummary, now: datetime) -> None:
        old = self.runs[run.id]
        self.runs[run.id] = run
        if old == run:
            return
        table = self.table
        for column, (before, after) in zip(
            COLUMNS, zip(self._cells(old, now), self._cells(run, now), strict=True), strict=True
        ):
            if before != after:
                table.update_cell(run.id, column.key, after)

    def _resort(
        self, selected: str | None, top_key: str | None, *, reading: bool, initial: bool
    ) -> None:
        now = datetime.now(UTC)
        ordered = sorted(
            self.runs.values(),
            key=lambda r: _sort_value(r, self.sort_column, now),
            reverse=self.sort_reverse,
        )
        order = [r.id for r in ordered]
        if order == self.order:
            return
        self.order = order
        self._place_rows(order)
        if initial:
            if selected in self.runs:
                self.table.move_cursor(row=self._index(selected), scroll=False)
            return
        self._keep_place(selected, top_key, reading)

    def _place_rows(self, order: list[str]) -> None:
        """Put the table's rows in `order` without rebuilding them.

        DataTable sorts only by cell values, and ours are styled Text; the order comes from
        the summaries instead. This is what `DataTable.sort` does with the order it computes.
        """
        table = self.table
        table._row_locations = TwoWayDict(
            {RowKey(run_id): index for index, run_id in enumerate(order)}
        )
        table._update_count += 1
        table.refresh()

    def _keep_place(self, selected: str | None, top_key: str | None, reading: bool) -> None:
        """Rows inserted above must not move what the reader is looking at.

        At the top of the list nobody is reading yet: the newest row stays under the
        cursor, as a tail does.
        """
        table = self.table
        if selected is None:
            return
        if not reading:
            table.move_cursor(row=0, scroll=False)
            table.scroll_to(y=0, animate=False, immediate=True)
            return
        if top_key is not None:
            table.scroll_to(y=self._index(top_key), animate=False, immediate=True)
        table.move_cursor(row=self._index(selected), scroll=False)

    def _reading(self) -> bool:
        """True when the reader has moved away from the top: new rows must not move them."""
        table = self.table
        return table.cursor_row > 0 or table.scroll_y > 0

    def _index(self, run_id: str | None) -> int:
        if run_id is None:
            return 0
        try:
            return self.table.get_row_index(run_id)
        except Exception:
            return 0

    def _selected_id(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        except Exception:
            return None
        return key.value

    def _top_visible_id(self) -> str | None:
        table = self.table
        index = int(table.scroll_y)
        if table.row_count == 0 or index >= table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
        except Exception:
            return None

    def _cells(self, run: RunSummary, now: datetime) -> tuple[Text, ...]:
        variables = self.app.theme_variables
        duration = run.elapsed_ms(now)
        running = run.is_running
        return (
            status_text(run.status, variables),
            Text(one_line(run.workflow_name or "—", 60)),
            Text(one_line(run.run_id, 60)),
            Text(one_line(run.event_name or "—", 60)),
            Text(self._format_started(run.started_at, now)),
            Text(format_duration(duration) + (" …" if running else ""), justify="right"),
            Text(one_line(run.organisation_id or "—", 40)),
            Text(one_line(run.error or "", 300), style="italic" if run.error else ""),
        )

    def _format_started(self, value: datetime | None, now: datetime) -> str:
        if value is None:
            return "—"
        if self.time_mode == "utc":
            return value.astimezone(UTC).strftime("%m-%d %H:%M:%SZ")
        if self.time_mode == "local":
            return value.astimezone().strftime("%m-%d %H:%M:%S")
        return humanize.naturaltime(now - value)

    def _tick(self) -> None:
        """Once a second: running durations and relative times move on, with no query."""
        now = datetime.now(UTC)
        table = self.table
        with self.app.batch_update():
            for run_id in self.order:
                run = self.runs[run_id]
                if run.is_running:
                    table.update_cell(run_id, "duration", self._cells(run, now)[5])
                if self.time_mode == "relative":
                    started = Text(self._format_started(run.started_at, now))
                    if table.get_cell(run_id, "started") != started:
                        table.update_cell(run_id, "started", started)
        self._show_status()

    # ---- header and status ----------------------------------------------------------------

    def _show_counts(self, counts: dict[str, int], spark: list[int]) -> None:
        variables = self.app.theme_variables
        text = Text()
        for status in (*st.KNOWN, *sorted(set(counts) - set(st.KNOWN))):
            if text:
                text.append("   ")
            text.append_text(status_text(status, variables))
            text.append(f" {counts.get(status, 0):,}", style="bold")
        window = window_label(self.run_filter.since)
        text.append(f"   (last {window})" if window != "all" else "   (all time)", style="dim")
        self.query_one("#counts", Static).update(text)
        self.query_one("#failures", Sparkline).data = [float(n) for n in spark]
        total = sum(spark)
        self.query_one("#spark-label", Static).update(Text(f"failures/min, last hour: {total:,}"))

    def _show_filter(self) -> None:
        f = self.run_filter
        text = Text("Filter: ", style="bold")
        parts: list[Text] = []
        if f.statuses:
            parts.append(Text("status=" + ",".join(sorted(one_line(s, 20) for s in f.statuses))))
        if f.workflow:
            parts.append(Text("workflow=" + one_line(f.workflow, 60)))
        if f.organisation:
            parts.append(Text("org=" + one_line(f.organisation, 40)))
        if f.event_name:
            parts.append(Text("event=" + one_line(f.event_name, 40)))
        if f.search:
            parts.append(Text("search=" + one_line(f.search, 60)))
        parts.append(Text(f"window={window_label(f.since)}"))
        text.append_text(Text("  ").join(parts))
        sort = f"   sort: {self.sort_column.replace('_', ' ')} {'↓' if self.sort_reverse else '↑'}"
        text.append(sort, style="dim")
        self.query_one("#filter-bar", Static).update(text)

    def _show_status(self) -> None:
        now = datetime.now(UTC)
        text = Text()
        if self.disconnected_since is not None:
            since = self.disconnected_since.astimezone().strftime("%H:%M:%S")
            # A statement timeout is a slow database, not a lost one: say which.
            state = "TOO SLOW" if self.too_slow else "DISCONNECTED"
            text.append(f"✗ {state} since {since}", style="bold reverse")
            # Said before the error, which can be long enough to push it off the line.
            text.append(" data shown is stale, retrying", style="bold")
            text.append(f"  {one_line(self.message, 120)}")
        elif self.paused:
            text.append("❚❚ PAUSED", style="bold reverse")
            text.append("  p resumes, space refreshes once")
        elif self.following:
            text.append("● FOLLOWING newest running run", style="bold")
        else:
            text.append("● LIVE", style="bold")
        if self.last_fetch is not None:
            ago = max(0, int((now - self.last_fetch).total_seconds()))
            # Seconds only once they say something: a fresh list reads "just now".
            when = "just now" if ago < FRESH_S else f"{ago}s ago"
            how = "on change (LISTEN)" if self.listener is not None else "polling"
            text.append(f"   updated {when} · every {self.pacer.next_interval():g}s, {how}")
        slowed = self.pacer.reason(self.slow_hint)
        if slowed and self.disconnected_since is None:
            text.append(f"   {one_line(slowed, 160)}", style="bold")
        text.append(f"   {len(self.order):,} runs")
        if not self.exhausted:
            text.append(" (more below)", style="dim")
        if self.new_above:
            text.append(f"   +{self.new_above} new above", style="bold")
        self.query_one("#list-status", Static).update(text)

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

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self._set_filter(replace(self.run_filter, search=text or None))
        self.table.focus()

    # ---- actions --------------------------------------------------------------------------

    def _open(self, run_id: str | None) -> None:
        if run_id is None or run_id not in self.runs:
            return
        from wflog_tui.ui.run_view import RunScreen

        self.app.push_screen(RunScreen(self.runs[run_id].run_id))

    def action_open_run(self) -> None:
        """Open the selected run."""
        self._open(self._selected_id())

    def action_search(self) -> None:
        """Show the search box: run id or event id prefix, or part of a workflow name."""
        search = self.query_one("#search", Input)
        search.display = True
        search.value = self.run_filter.search or ""
        search.focus()

    def action_escape(self) -> None:
        """Close the search box; a second escape clears the search."""
        search = self.query_one("#search", Input)
        if search.display and search.has_focus:
            search.display = False
            self.table.focus()
        elif self.run_filter.search:
            search.display = False
            self._set_filter(replace(self.run_filter, search=None))

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
        running = [self.runs[rid] for rid in self.order if self.runs[rid].is_running]
        if not running:
            return
        newest = max(running, key=lambda r: r.started_at or datetime.min.replace(tzinfo=UTC))
        self.table.move_cursor(row=self._index(newest.id), scroll=True)

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
        self._set_filter(RunFilter(since=self.run_filter.since, organisation=scope))

    def action_window(self, step: int) -> None:
        """Narrow (-1) or widen (+1) the time window: 15m, 1h, 24h, 7d, all."""
        current = self.run_filter.since
        index = WINDOWS.index(current) if current in WINDOWS else 2
        index = max(0, min(len(WINDOWS) - 1, index + step))
        self._set_filter(replace(self.run_filter, since=WINDOWS[index]))

    def action_cycle_time(self) -> None:
        """Show start times relative, in UTC, or in local time."""
        self.time_mode = TIME_MODES[(TIME_MODES.index(self.time_mode) + 1) % len(TIME_MODES)]
        now = datetime.now(UTC)
        with self.app.batch_update():
            for run_id in self.order:
                started = Text(self._format_started(self.runs[run_id].started_at, now))
                self.table.update_cell(run_id, "started", started)
        self.notify(f"Times: {self.time_mode}", markup=False)

    def action_refresh_rate(self, step: int) -> None:
        """Refresh more often (-1) or less often (+1)."""
        factor = 0.5 if step < 0 else 2.0
        self.refresh_s = max(MIN_REFRESH_S, min(MAX_REFRESH_S, self.refresh_s * factor))
        self.pacer.base_s = self.refresh_s
        self.notify(f"Refreshing every {self.refresh_s:g}s", markup=False)
        if not self.paused and self._next_refresh is not None:
            self._schedule()
        self._show_status()

    def action_sort(self, column: str) -> None:
        """Sort by a column; the same column again reverses the order."""
        if column == "error" or column not in {c.key for c in COLUMNS}:
            column = column if column in {c.key for c in COLUMNS} else "started"
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column = column
            self.sort_reverse = column in ("started", "duration")
        selected = self._selected_id()
        self.order = []
        self._resort(selected, None, reading=True, initial=True)
        if selected is not None:
            self.table.move_cursor(row=self._index(selected), scroll=True)
        self._show_filter()

    def action_copy_run_id(self) -> None:
        """Copy the selected run's run id (OSC 52, works over SSH)."""
        run_id = self._selected_id()
        if run_id is None:
            return
        value = self.runs[run_id].run_id
        self.app.copy_to_clipboard(value)
        self.notify(f"Copied run id {one_line(value, 60)}", markup=False)

    def action_pick_workflow(self) -> None:
        """Choose a workflow to show only its runs."""
        self._pick("Workflow", "workflow", lambda: self.store.workflow_names(self.run_filter))

    def action_pick_organisation(self) -> None:
        """Choose an organisation to show only its runs (not when --org fixes the scope)."""
        if self.store.settings.organisation_scope:
            self.notify("--org fixes the organisation for this session", markup=False)
            return
        self._pick("Organisation", "organisation", self.store.organisations)

    @work(exclusive=True, group="list-picker")
    async def _pick(
        self, title: str, field: str, values: Callable[[], Awaitable[list[str]]]
    ) -> None:
        """Offer the values a filter field can take; the choice (or none) becomes the filter."""
        try:
            async with self._query_lock:
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
        self.run_filter = run_filter
        self._generation += 1
        self._full_pending = True
        self._show_filter()
        self.refresh_list()
