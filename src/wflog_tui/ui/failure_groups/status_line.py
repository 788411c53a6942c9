"""The failure groups screen's status line, and the state of its reading it reports.

Loading and how many failures are read so far; an outage and since when; paused or live,
and as of when; the NEW badges still to come; a window cut to its newest failures; why the
refresh is slowed. The screen tells it what happened and asks it to show itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from wflog_tui.model.display_text import one_line
from wflog_tui.store import QueryTimeout, StoreError
from wflog_tui.ui.run_list.lines import window_label

if TYPE_CHECKING:
    from wflog_tui.ui.failure_groups.screen import FailureGroupsScreen


class GroupsStatus(Static):
    """The line above the footer: loading, failing, paused or live, and what is missing."""

    DEFAULT_CSS = """
    GroupsStatus { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.read_so_far: int | None = None
        """Failures read by the first load, while it lasts (None: not loading)."""
        self.problem: str | None = None
        """What the last refresh failed with, while refreshes fail."""
        self.problem_since: datetime | None = None

    def loading(self, read: int | None) -> None:
        """The first load has read `read` failures so far (None: it is over)."""
        self.read_so_far = read

    def connected(self) -> None:
        """A read came back: no problem to report."""
        self.problem = self.problem_since = None

    def failed(self, exc: StoreError) -> None:
        """A read failed: say what, and since when reads have been failing."""
        if self.problem_since is None:
            self.problem_since = datetime.now(UTC)
        state = "TOO SLOW" if isinstance(exc, QueryTimeout) else "DISCONNECTED"
        self.problem = f"{state}: {exc.message}"
        self.read_so_far = None

    def show(self, screen: FailureGroupsScreen, now: datetime) -> None:
        """Put the line together from what `screen` and its loop know, as of `now`."""
        log, live = screen.failure_log, screen.live
        if self.read_so_far is not None:
            line = Text("LOADING", style="bold reverse")
            line.append(
                f" failures of the last {window_label(screen.run_filter.since)}: "
                f"{self.read_so_far:,} read …"
            )
        elif self.problem is not None and self.problem_since is not None:
            line = Text(one_line(self.problem, 200), style="bold")
            line.append(f" (since {self.problem_since:%H:%M:%S} UTC, retrying)")
        elif screen.paused:
            line = Text("❚❚ PAUSED", style="bold reverse")
            line.append("  p resumes, space refreshes once")
        else:
            line = Text("● LIVE", style="bold")
            if log is not None:
                # The server's clock at the last refresh: what the groups are as of.
                line.append(f"  as of {now:%H:%M:%S} UTC · every {live.interval():g} s")
        if log is not None and not screen.previous_read and self.read_so_far is None:
            line.append("  · reading the window before, for NEW …")
        if log is not None and log.truncated:
            line.append("  · only the newest failures were read", style="bold")
        slowed = live.pacer.reason()
        if slowed and self.problem is None:
            line.append(f"  · {one_line(slowed, 120)}")
        line.no_wrap, line.overflow = True, "ellipsis"
        self.update(line)
