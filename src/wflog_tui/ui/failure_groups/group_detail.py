"""The failure groups screen's detail pane: the selected group's signature, its splitters
(what its failing runs share that the passing ones do not) and its blast radius.

The text is laid out again for every width (`lines.detail_text`): in a narrow pane a
splitter's evidence goes on a line of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rich.text import Text
from textual.widgets import Static

from wflog_tui.model.failure_groups import FailureGroup
from wflog_tui.model.failure_splitters import SplitterReport
from wflog_tui.ui.failure_groups.lines import detail_text
from wflog_tui.ui.failure_groups.splitter_measures import SplitterMeasures
from wflog_tui.ui.run_list.lines import window_label


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

    def show(self, group: FailureGroup | None, now: datetime, splitters: SplitterMeasures) -> None:
        """Show `group` as of `now` (None: no group selected), with its splitters so far."""
        self.group, self.now = group, now
        if group is not None:
            self.report, self.updating, self.problem = splitters.of(group)
        self.refresh(layout=True)

    def show_no_failures(self, since: timedelta | None) -> None:
        """Say the window (`since`, None: all time) has no failure to group."""
        self.empty = Text(
            f"No failures in the last {window_label(since)}." if since else "No failures."
        )

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
