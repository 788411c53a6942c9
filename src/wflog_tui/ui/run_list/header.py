"""The run list's header: the window's runs by status, and the failures of the last hour."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from wflog_tui.model.display_text import one_line
from wflog_tui.store import Header
from wflog_tui.ui.run_list.lines import counts_line, spark_label


class ListHeader(Horizontal):
    """Counts by status on the left; a sparkline of failures per minute on the right."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[Header, timedelta | None] | None = None

    def on_resize(self) -> None:
        """Break the counts into lines again for the new width."""
        if self._shown is not None:
            # Once the children have their new widths, which the counts are broken to.
            self.call_after_refresh(self.show, *self._shown)

    def compose(self) -> ComposeResult:
        """The counts, and the sparkline under its label."""
        yield Static(id="counts")
        with Vertical(id="spark-box"):
            yield Static(Text("failures in last hour"), id="spark-label")
            yield Sparkline([0] * 60, id="failures")

    def show(self, header: Header, since: timedelta | None) -> None:
        """Show what `header` holds; a part that failed says so (and in the log) and leaves
        the other as is."""
        for problem in header.problems:
            self.log.warning(problem)
        self._shown = (header, since)
        counts, spark = header.counts, header.spark
        if counts is None:
            self.query_one("#counts", Static).update(
                Text(f"counts unavailable: {one_line(header.problems[0], 200)}", style="italic")
            )
        else:
            shown = self.query_one("#counts", Static)
            width = shown.size.width or self.size.width
            shown.update(counts_line(counts, since, self.app.theme_variables, width))
        label = self.query_one("#spark-label", Static)
        if spark is None:
            label.update(Text(f"failures/min unavailable: {one_line(header.problems[-1], 200)}"))
        else:
            self.query_one("#failures", Sparkline).data = [float(n) for n in spark]
            label.update(spark_label(sum(spark)))
