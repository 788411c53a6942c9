"""The Timing tab's waterfall: one bar per step on the run's time axis.

A bar starts and ends where the step did, scaled to the span of the whole run, with Unicode
eighth blocks for sub-cell precision at its end. The layout math is in plain functions
(`bar_cells`, `axis_line`, `waterfall_rows`) so it can be tested without a terminal; the
widget only turns rows into styled lines at its current width.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Final

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Static

from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration
from wflog_tui.model.step_tree import LoopNode, StepNode, StepTree
from wflog_tui.ui.widgets.status_text import status_style

EIGHTHS: Final = "▏▎▍▌▋▊▉█"
"""Left-aligned blocks of one to eight eighths of a cell."""

MAX_ROWS: Final = 1_000
"""Rows drawn at most; a run with more top-level steps says how many were left out."""

_LABEL_MIN, _LABEL_MAX = 8, 28
_DURATION_WIDTH: Final = 10
_BAR_MIN: Final = 10


def bar_cells(start: float, end: float, span: float, width: int) -> str:
    """The bar of a step from `start` to `end` (ms from the run's start), `width` cells wide.

    The track covers `span` ms. The start is rounded to a whole cell (blocks only fill from
    the left); the end keeps eighth-of-a-cell precision. A step too short to see still gets
    one eighth, so it is never invisible. The result is always exactly `width` characters.
    """
    if width <= 0:
        return ""
    if span <= 0:
        return (EIGHTHS[0] + " " * width)[:width]
    total = width * 8
    start_eighths = min(max(round(start / span * total), 0), total)
    end_eighths = min(max(round(max(end, start) / span * total), 0), total)
    first = min(round(start_eighths / 8), width - 1)
    length = 1 if end_eighths <= start_eighths else max(1, end_eighths - first * 8)
    length = min(length, (width - first) * 8)
    full, rest = divmod(length, 8)
    bar = "█" * full + (EIGHTHS[rest - 1] if rest else "")
    return (" " * first + bar).ljust(width)


def axis_line(span_ms: float, width: int) -> str:
    """Time labels for a track `width` cells wide: `0`, the middle and the end of the run."""
    if width <= 0:
        return ""
    end = format_duration(span_ms) if span_ms > 0 else "0 ms"
    line = ("0" + " " * width)[:width]
    if len(end) + 2 <= width:
        line = line[: width - len(end)] + end
    middle = format_duration(span_ms / 2) if span_ms > 0 else ""
    if middle and width >= 3 * len(middle) + 8:
        at = width // 2 - len(middle) // 2
        line = line[:at] + middle + line[at + len(middle) :]
    return line


@dataclass(frozen=True, slots=True)
class WaterfallRow:
    """One row of the waterfall: a node, its place on the axis and how deep it is nested.

    `start_ms`/`end_ms` are offsets from the start of the span; `end_ms` is None when the step
    has a start but no end and no duration.
    """

    node: StepNode
    label: str
    status: str
    depth: int
    start_ms: float | None
    end_ms: float | None
    duration_ms: float | None
    selected: bool


@dataclass(frozen=True, slots=True)
class WaterfallLayout:
    """Everything the widget draws: the rows, the span they are scaled to, rows left out."""

    rows: list[WaterfallRow]
    span_ms: float
    left_out: int


def _end_of(node: StepNode) -> datetime | None:
    if node.ended_at is not None:
        return node.ended_at
    if node.started_at is not None and node.duration_ms is not None:
        return node.started_at + timedelta(milliseconds=node.duration_ms)
    return None


def _visible_nodes(
    tree: StepTree, selected: StepNode | None
) -> Iterator[tuple[StepNode, int, bool]]:
    """Top-level nodes in order, opened down the selected node's path.

    A loop opens onto the one iteration on that path, never all of its iterations; any other
    node on the path (an iteration, a retried step) opens onto all its children.
    """
    path = selected.path if selected is not None else ()
    on_path = {id(node) for node in path}
    stack: list[tuple[StepNode, int]] = [(node, 0) for node in reversed(tree.nodes)]
    while stack:
        node, depth = stack.pop()
        yield node, depth, node is selected
        if id(node) not in on_path:
            continue
        if isinstance(node, LoopNode):
            children = [n for n in path if n.parent is node]
        else:
            children = list(node.children)
        stack.extend((child, depth + 1) for child in reversed(children))


def waterfall_rows(
    tree: StepTree,
    selected: StepNode | None,
    *,
    run_started: datetime | None = None,
    run_ended: datetime | None = None,
    max_rows: int = MAX_ROWS,
) -> WaterfallLayout:
    """Lay out the waterfall of `tree` with `selected` highlighted and its iteration opened.

    The span runs from the earliest step start to the latest step end, so no bar falls off
    the axis, widened to the run's own start and end when those lie near the steps.
    """
    picked: list[tuple[StepNode, int, bool]] = []
    left_out = 0
    for item in _visible_nodes(tree, selected):
        if len(picked) < max_rows:
            picked.append(item)
        else:
            left_out += 1
    starts = [n.started_at for n, _, _ in picked if n.started_at is not None]
    ends = [end for n, _, _ in picked if (end := _end_of(n)) is not None]
    origin = min(starts) if starts else None
    finish = max([*ends, *starts]) if starts else None
    if origin is not None and finish is not None:
        # The run's own start and end widen the axis only when they sit near the steps: a
        # column read in the wrong time zone would otherwise squash every bar to a sliver.
        margin = max(finish - origin, timedelta(seconds=1))
        if run_started is not None and origin - margin <= run_started < origin:
            origin = run_started
        if run_ended is not None and finish < run_ended <= finish + margin:
            finish = run_ended
    elif run_started is not None:
        origin = finish = run_started
    span = (finish - origin).total_seconds() * 1000 if origin and finish else 0.0

    rows = []
    for node, depth, is_selected in picked:
        start_ms = end_ms = None
        if origin is not None and node.started_at is not None:
            start_ms = (node.started_at - origin).total_seconds() * 1000
            end = _end_of(node)
            if end is not None:
                end_ms = max(start_ms, (end - origin).total_seconds() * 1000)
        status = node.rollup_status if isinstance(node, LoopNode) else node.status
        rows.append(
            WaterfallRow(
                node=node,
                label=node.label,
                status=status,
                depth=depth,
                start_ms=start_ms,
                end_ms=end_ms,
                duration_ms=node.duration_ms,
                selected=is_selected,
            )
        )
    return WaterfallLayout(rows=rows, span_ms=max(span, 0.0), left_out=left_out)


class Waterfall(Widget):
    """A waterfall of the run's steps: bars on the run's time axis, durations at the right."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"waterfall--selected", "waterfall--quiet"}
    """
    Bars take the theme's status colours (`status_text.status_style`).

    | Class | Description |
    | :- | :- |
    | `waterfall--selected` | The label of the selected step. |
    | `waterfall--quiet` | The axis, "no timing" and other quiet text. |
    """

    DEFAULT_CSS = """
    Waterfall {
        height: 1fr;
        & > #waterfall-axis { height: 1; padding: 0 1; }
        & > #waterfall-scroll { height: 1fr; }
        & #waterfall-rows { padding: 0 1; }
        & > .waterfall--selected { color: $text-accent; text-style: bold; }
        & > .waterfall--quiet { text-style: dim; }
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        """An empty waterfall; `show` fills it."""
        super().__init__(name=name, id=id, classes=classes)
        self._layout = WaterfallLayout(rows=[], span_ms=0.0, left_out=0)

    @property
    def layout_rows(self) -> list[WaterfallRow]:
        """The rows shown now, in order."""
        return self._layout.rows

    def compose(self) -> ComposeResult:
        """The axis above a scrolling list of rows."""
        yield Static("", id="waterfall-axis")
        with VerticalScroll(id="waterfall-scroll"):
            yield Static("", id="waterfall-rows")

    def show(
        self,
        tree: StepTree | None,
        selected: StepNode | None,
        *,
        run_started: datetime | None = None,
        run_ended: datetime | None = None,
    ) -> None:
        """Draw the waterfall of `tree`, highlighting `selected` and opening its iteration."""
        if tree is None:
            self._layout = WaterfallLayout(rows=[], span_ms=0.0, left_out=0)
        else:
            self._layout = waterfall_rows(
                tree, selected, run_started=run_started, run_ended=run_ended
            )
        self._draw()
        if self.is_mounted:
            self.call_after_refresh(self._scroll_to_selected)

    def on_resize(self, event: Resize) -> None:
        """Bars are scaled to the width, so they are drawn again at the new one."""
        self._draw()

    def _widths(self) -> tuple[int, int]:
        """Label and bar widths at the current size (scrollbar and padding left aside)."""
        width = max(self.size.width - 4, 0)
        longest = max(
            (len(one_line(r.label, _LABEL_MAX)) + 2 * r.depth + 2 for r in self._layout.rows),
            default=_LABEL_MIN,
        )
        label = min(max(longest, _LABEL_MIN), _LABEL_MAX)
        bar = max(width - label - _DURATION_WIDTH - 2, _BAR_MIN)
        return label, bar

    def _style(self, kind: str) -> Style:
        return self.get_component_rich_style(f"waterfall--{kind}", partial=True)

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        axis = self.query_one("#waterfall-axis", Static)
        rows_widget = self.query_one("#waterfall-rows", Static)
        layout = self._layout
        if not layout.rows:
            axis.update(Text(""))
            rows_widget.update(Text("No steps to time", style=self._style("quiet")))
            return
        label_width, bar_width = self._widths()
        quiet = self._style("quiet")
        axis.update(Text(" " * (label_width + 1) + axis_line(layout.span_ms, bar_width), quiet))
        text = Text(no_wrap=True, overflow="crop", end="")
        for position, row in enumerate(layout.rows):
            if position:
                text.append("\n")
            text.append_text(self._row_text(row, label_width, bar_width))
        if layout.left_out:
            text.append(f"\n… {layout.left_out:,} more rows not drawn", style=quiet)
        rows_widget.update(text)

    def _row_text(self, row: WaterfallRow, label_width: int, bar_width: int) -> Text:
        marker = "▶ " if row.selected else "  "
        room = max(label_width - 2 - 2 * row.depth, 1)
        label = "  " * row.depth + one_line(row.label, room)
        line = Text(marker, style=self._style("selected") if row.selected else "")
        line.append(
            label.ljust(label_width - 2),
            style=self._style("selected") if row.selected else "",
        )
        line.append(" ")
        bar_style = status_style(row.status, self.app.theme_variables)
        if row.start_ms is None:
            line.append("no timing".ljust(bar_width), style=self._style("quiet"))
        elif row.end_ms is None:
            # Started and never ended: a mark where it began, and no guessed length.
            cells = bar_cells(row.start_ms, row.start_ms, self._layout.span_ms, bar_width)
            line.append(cells, style=bar_style)
        else:
            cells = bar_cells(row.start_ms, row.end_ms, self._layout.span_ms, bar_width)
            line.append(cells, style=bar_style)
        duration = format_duration(row.duration_ms) if row.duration_ms is not None else ""
        if not duration and row.start_ms is not None and row.end_ms is None:
            duration = "no end"
        line.append(" " + duration.rjust(_DURATION_WIDTH - 1), style=self._style("quiet"))
        return line

    def _scroll_to_selected(self) -> None:
        for position, row in enumerate(self._layout.rows):
            if row.selected:
                scroll = self.query_one("#waterfall-scroll", VerticalScroll)
                scroll.scroll_to(y=max(position - 3, 0), animate=False)
                return
