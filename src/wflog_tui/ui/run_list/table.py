"""The run list's table: rows keyed by the row `id`, updated in place, sorted by summaries.

It holds the row bookkeeping the list screen would otherwise carry: which runs are shown,
in what order, which row the reader is on, and how new rows go in without moving what the
reader is looking at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration, list_time
from wflog_tui.model.run import RunSummary
from wflog_tui.ui.widgets.status_text import status_text

TIME_MODES = ("relative", "utc", "local")


@dataclass(frozen=True)
class Column:
    """A column of the list: its key, header and width when there is room for it."""

    key: str
    label: str
    width: int


COLUMNS = (
    Column("status", "Status", 11),
    Column("workflow", "Workflow", 24),
    Column("run_id", "Run id", 26),
    Column("event", "Event", 18),
    Column("started", "Started", 15),
    Column("duration", "Duration", 9),
    Column("organisation", "Organisation", 13),
    Column("error", "Error", 36),
)
"""In the order shown; the error column takes whatever width the others leave."""
COLUMN_KEYS = frozenset(c.key for c in COLUMNS)
# Each column's cells are padded by one character on either side.
_PADDING = 2
# As the table narrows: shrink (key, to width) or drop (key, None), in this order. Status,
# started, workflow and error stay to the end: they are what an incident needs.
_NARROWING: tuple[tuple[str, int | None], ...] = (
    ("run_id", 20),
    ("event", None),
    ("organisation", None),
    ("workflow", 18),
    ("run_id", 12),
    ("run_id", None),
    ("duration", None),
    ("workflow", 12),
    ("error", 12),
)


def fit_columns(width: int, keys: frozenset[str] = COLUMN_KEYS) -> dict[str, int]:
    """The columns of `keys` that fit a table `width` cells wide and the width of each, in
    `COLUMNS` order: narrowed and dropped as `_NARROWING` says, the error column (or the
    last one shown, when a saved view leaves the error out) taking the rest."""
    widths = {c.key: c.width for c in COLUMNS if c.key in keys}

    def over() -> int:
        return sum(w + _PADDING for w in widths.values()) - width

    for key, least in _NARROWING:
        if over() <= 0:
            break
        if key not in widths:
            continue
        if least is None:
            del widths[key]
        else:
            widths[key] = max(least, widths[key] - over())
    last = "error" if "error" in widths else next(reversed(widths), None)
    if last is not None:
        widths[last] = max(12, widths[last] - over())
    return widths


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
    """The run table, with the vi and pager keys people use in k9s and less.

    Rows are keyed by the row `id` (unique, unlike `run_id`); `runs` maps it to the run.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g,home", "first_row", "First run", show=False),
        Binding("G,end", "last_row", "Last run", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runs: dict[str, RunSummary] = {}
        """The runs shown, by row id."""
        self.order: list[str] = []
        """Row ids, in the order shown."""
        self.sort_column = "started"
        self.sort_reverse = True
        self.time_mode = "relative"
        self.widths: dict[str, int] = {}
        """The width of each column shown, by key (`fit_columns`)."""
        self.wanted: frozenset[str] = COLUMN_KEYS
        """The columns the reader wants (a saved view may name fewer); those that fit show."""
        self._width = 160

    def add_run_columns(self, width: int = 160) -> None:
        """Lay the columns out for a table `width` cells wide (on mount and on resize):
        the ones that fit, cut with an ellipsis where narrowed; the rows stay."""
        self._width = width
        widths = fit_columns(width, self.wanted)
        if widths == self.widths:
            return
        self.widths = widths
        selected = self.selected_id()
        with self.app.batch_update():
            self.clear(columns=True)
            for column in COLUMNS:
                if column.key in widths:
                    label = Text(column.label)
                    label.truncate(widths[column.key], overflow="ellipsis")
                    self.add_column(label, key=column.key, width=widths[column.key])
            now = datetime.now(UTC)
            for row_id in self.order:
                self.add_row(*self.cells(self.runs[row_id], now), key=row_id)
            if selected is not None:
                self.move_cursor(row=self.index_of(selected), scroll=True)

    def show_columns(self, keys: Iterable[str] | None) -> None:
        """Show only the columns `keys` (in `COLUMNS` order; all of them for None or none
        known), laid out again at the last width."""
        wanted = frozenset(keys or ()) & COLUMN_KEYS or COLUMN_KEYS
        if wanted != self.wanted:
            self.wanted = wanted
            self.widths = {}
            self.add_run_columns(self._width)

    def action_first_row(self) -> None:
        """Move to the newest run (the top)."""
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """Move to the last loaded run; older ones then load."""
        self.move_cursor(row=max(0, self.row_count - 1))

    # ---- where the reader is --------------------------------------------------------------

    def selected_id(self) -> str | None:
        """The row id under the cursor, or None when the table is empty."""
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        except Exception:
            return None
        return key.value

    def index_of(self, row_id: str | None) -> int:
        """The row index of `row_id`; 0 when it is not shown."""
        if row_id is None:
            return 0
        try:
            return self.get_row_index(row_id)
        except Exception:
            return 0

    def _top_visible_id(self) -> str | None:
        index = int(self.scroll_y)
        if self.row_count == 0 or index >= self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
        except Exception:
            return None

    def _reading(self) -> bool:
        """True when the reader has moved away from the top: new rows must not move them."""
        return self.cursor_row > 0 or self.scroll_y > 0

    # ---- rows -----------------------------------------------------------------------------

    def clear_runs(self) -> None:
        """Drop every row."""
        self.clear()
        self.runs.clear()
        self.order.clear()

    def apply(
        self,
        new: Iterable[RunSummary],
        changed: Iterable[RunSummary],
        *,
        keep: Callable[[RunSummary], bool],
        initial: bool = False,
        older: bool = False,
    ) -> int:
        """Add new rows (those `keep` accepts) and update changed ones in place, keeping the
        reader's place; return how many rows went in above a reader's view."""
        now = datetime.now(UTC)
        selected = self.selected_id()
        top_key = self._top_visible_id()
        reading = self._reading()
        added: list[str] = []
        changed = list(changed)
        with self.app.batch_update():
            for run in changed:
                if run.id in self.runs:
                    self._update_row(run, now)
            for run in new:
                if run.id in self.runs:
                    self._update_row(run, now)
                    continue
                if not keep(run):
                    continue
                self.runs[run.id] = run
                self.add_row(*self.cells(run, now), key=run.id)
                added.append(run.id)
            if added or changed:
                self._resort(selected, top_key, reading=reading, initial=initial or older)
        if added and not initial and not older and reading:
            top = self.index_of(top_key)
            return sum(1 for row_id in added if self.index_of(row_id) < top)
        return 0

    def _update_row(self, run: RunSummary, now: datetime) -> None:
        old = self.runs[run.id]
        self.runs[run.id] = run
        if old == run:
            return
        shown = [c.key for c in COLUMNS if c.key in self.widths]
        for key, before, after in zip(
            shown, self.cells(old, now), self.cells(run, now), strict=True
        ):
            if before != after:
                self.update_cell(run.id, key, after)

    def sort_by(self, column: str) -> None:
        """Sort by a column; the same column again reverses the order."""
        if column == "error" or column not in COLUMN_KEYS:
            column = column if column in COLUMN_KEYS else "started"
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column = column
            self.sort_reverse = column in ("started", "duration")
        selected = self.selected_id()
        self.order = []
        self._resort(selected, None, reading=True, initial=True)
        if selected is not None:
            self.move_cursor(row=self.index_of(selected), scroll=True)

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
                self.move_cursor(row=self.index_of(selected), scroll=False)
            return
        self._keep_place(selected, top_key, reading)

    def _place_rows(self, order: list[str]) -> None:
        """Put the table's rows in `order` without rebuilding them.

        DataTable sorts only by cell values, and ours are styled Text; the order comes from
        the summaries instead. This is what `DataTable.sort` does with the order it computes
        (Textual private state: check `DataTable.sort` on a Textual upgrade).
        """
        self._row_locations = TwoWayDict(
            {RowKey(row_id): index for index, row_id in enumerate(order)}
        )
        self._update_count += 1
        self.refresh()

    def _keep_place(self, selected: str | None, top_key: str | None, reading: bool) -> None:
        """Rows inserted above must not move what the reader is looking at.

        At the top of the list nobody is reading yet: the newest row stays under the
        cursor, as a tail does.
        """
        if selected is None:
            return
        if not reading:
            self.move_cursor(row=0, scroll=False)
            self.scroll_to(y=0, animate=False, immediate=True)
            return
        if top_key is not None:
            self.scroll_to(y=self.index_of(top_key), animate=False, immediate=True)
        self.move_cursor(row=self.index_of(selected), scroll=False)

    # ---- cells ----------------------------------------------------------------------------

    def cells(self, run: RunSummary, now: datetime) -> tuple[Text, ...]:
        """The row of `run`, one Text per column shown, cut with an ellipsis to fit."""
        cells = {
            "status": status_text(run.status, self.app.theme_variables),
            "workflow": Text(one_line(run.workflow_name or "—", 60)),
            "run_id": Text(one_line(run.run_id, 60)),
            "event": Text(one_line(run.event_name or "—", 60)),
            "started": Text(self._format_started(run.started_at, now)),
            "duration": self._duration_cell(run, now),
            "organisation": Text(one_line(run.organisation_id or "—", 40)),
            "error": Text(one_line(run.error or "", 300), style="italic" if run.error else ""),
        }
        shown = []
        for key, width in self.widths.items():
            cell = cells[key]
            cell.truncate(width, overflow="ellipsis")
            shown.append(cell)
        return tuple(shown)

    @staticmethod
    def _duration_cell(run: RunSummary, now: datetime) -> Text:
        text = format_duration(run.elapsed_ms(now)) + (" …" if run.is_running else "")
        return Text(text, justify="right")

    def _format_started(self, value: datetime | None, now: datetime) -> str:
        return list_time(value, self.time_mode, now)

    def tick(self) -> None:
        """Running durations and relative times move on, with no query."""
        now = datetime.now(UTC)
        with self.app.batch_update():
            # Only cells whose text moved: any change redraws every row on screen, and a
            # run going for an hour reads the same for a minute.
            for row_id in self.order:
                run = self.runs[row_id]
                if run.is_running and "duration" in self.widths:
                    duration = self._duration_cell(run, now)
                    if self.get_cell(row_id, "duration") != duration:
                        self.update_cell(row_id, "duration", duration)
                if self.time_mode == "relative" and "started" in self.widths:
                    started = Text(self._format_started(run.started_at, now))
                    if self.get_cell(row_id, "started") != started:
                        self.update_cell(row_id, "started", started)

    def cycle_time_mode(self) -> str:
        """Show start times relative, in UTC, or in local time (the next of them); the mode."""
        self.time_mode = TIME_MODES[(TIME_MODES.index(self.time_mode) + 1) % len(TIME_MODES)]
        if "started" not in self.widths:  # a saved view without the column
            return self.time_mode
        now = datetime.now(UTC)
        with self.app.batch_update():
            for row_id in self.order:
                started = Text(self._format_started(self.runs[row_id].started_at, now))
                self.update_cell(row_id, "started", started)
        return self.time_mode

    def follow_newest_running(self) -> None:
        """Put the cursor on the newest running run, if any runs."""
        running = [run for run in self.runs.values() if run.is_running]
        if not running:
            return
        newest = max(running, key=lambda r: r.started_at or datetime.min.replace(tzinfo=UTC))
        self.move_cursor(row=self.index_of(newest.id), scroll=True)
