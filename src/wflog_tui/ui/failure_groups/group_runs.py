"""The failure groups screen's runs panel: the selected group's newest failing runs, each with
how long ago it failed (and its organisation, when wide), the row to open with `enter`.

The panel keeps what it shows, so the screen need not: it redraws only when the runs
change, or for their ages at most every `AGES_REDRAW_S`, and keeps the cursor on the run
it was on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from rich.text import Text
from textual.widgets import DataTable

from wflog_tui.model.display_text import one_line
from wflog_tui.model.failure_groups import Failure, GroupKey
from wflog_tui.ui.failure_groups.lines import short_age

# The panel lists this many of a group's newest runs; `>`/`<` in a run reach them all.
SHOWN_RUNS: Final = 200
# The runs' ages ("3m") are redrawn this often when the runs themselves did not change.
AGES_REDRAW_S: Final = 30.0


class GroupRuns(DataTable):
    """The selected group's runs, newest first: run id, when it failed, organisation."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        super().__init__(**kwargs)
        self._shown: list[Failure] = []
        self._shown_key: GroupKey | None = None
        self._drawn_at = datetime.min.replace(tzinfo=UTC)

    @property
    def selected(self) -> Failure | None:
        """The run under the cursor; None when the panel is empty."""
        if not self._shown:
            return None
        return self._shown[min(self.cursor_row, len(self._shown) - 1)]

    @property
    def empty(self) -> bool:
        """True when no run is listed."""
        return not self._shown

    def fit(self, wide: bool) -> None:
        """The columns for the screen's width: narrow, a run id and its age are what fit
        beside the splitters; wide, when it failed and the organisation too."""
        if self.columns and (len(self.columns) == 3) == wide:
            return
        self.clear(columns=True)
        self.add_column(Text("run"), key="run")
        self.add_column(Text("failed" if wide else "ago"), key="at")
        if wide:
            self.add_column(Text("organisation"), key="org")
        self._shown, self._shown_key = [], None

    def show(self, key: GroupKey | None, failures: list[Failure], now: datetime) -> None:
        """List the newest of `failures`, the runs of the group `key` as of `now`."""
        failures = failures[:SHOWN_RUNS]
        same_group = key == self._shown_key
        # The same runs are drawn again only for their ages, at most every AGES_REDRAW_S.
        if (
            same_group
            and [f.id for f in failures] == [f.id for f in self._shown]
            and (now - self._drawn_at).total_seconds() < AGES_REDRAW_S
        ):
            return
        selected = self.selected if same_group else None
        self.clear()
        wide = len(self.columns) == 3
        for failure in failures:
            age = short_age(now - failure.at)
            cells = [Text(one_line(failure.run_id, 40)), Text(f"{age} ago" if wide else age)]
            if wide:
                cells.append(Text(one_line(failure.organisation_id or "—", 30)))
            self.add_row(*cells, key=failure.id)
        self._shown, self._shown_key, self._drawn_at = failures, key, now
        if selected is not None:
            for index, failure in enumerate(failures):
                if failure.id == selected.id:
                    self.move_cursor(row=index)
                    break
