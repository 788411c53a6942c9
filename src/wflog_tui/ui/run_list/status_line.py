"""The run list's status line, and the facts about the connection it reports.

Live, paused or following; how fresh the rows are and how the list learns of changes; an
outage and since when; why refreshes are slowed (a missing index, a lock, a search no index
serves); how many rows are shown. The feed and the screen tell it what happened; the line is
put together from the pieces in `lines.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from textual.widgets import Static

from wflog_tui.model.display_text import one_line
from wflog_tui.model.refresh_pacing import LOCK_WAIT_HINT
from wflog_tui.model.search_query import SearchQuery
from wflog_tui.store import StoreError
from wflog_tui.store.indexes import indexes_missing_hint
from wflog_tui.store.search_indexes import search_index_hint
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.connection_state import outage_state, polling_how, replica_note
from wflog_tui.ui.run_list.lines import freshness, mode_line, outage_line, size_note

if TYPE_CHECKING:
    from wflog_tui.ui.run_list.screen import RunListScreen


class ListStatus(Static):
    """The line under the run table: the list's mode, freshness, outage, slowness, size."""

    DEFAULT_CSS = """
    ListStatus { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last_fetch: datetime | None = None
        self.disconnected_since: datetime | None = None
        # The word the line shows while refreshes fail (see connection_state).
        self.outage = "DISCONNECTED"
        self.message = ""
        """The error of the last failed refresh."""
        # How far behind a hot standby was at the last refresh (None: not behind).
        self.replica_lag: timedelta | None = None
        self.slow_hint: str | None = None
        """Which index the list's own queries miss, if any."""
        self.search_hint: str | None = None
        """Why the current search reads every run of the window, if it does."""
        self.search_slow = False
        """True when the current search's last page took longer than `SLOW_SEARCH_S`."""

    def on_mount(self) -> None:
        """Find out once which index the list's queries would want and miss."""
        store = wflog_app(self).store
        self.slow_hint = indexes_missing_hint(
            store.info, organisation_scope=bool(store.settings.organisation_scope)
        )

    def search_changed(self, query: SearchQuery | None) -> None:
        """A new search: say why it will be slow, if no index serves it."""
        self.search_hint = search_index_hint(wflog_app(self).store.info, query)
        self.search_slow = False

    def fetched(self) -> None:
        """A refresh came back: the list is connected and fresh as of now."""
        self.last_fetch = datetime.now(UTC)
        self.disconnected_since = None

    def failed(self, exc: StoreError) -> None:
        """A query failed: say what, and since when the list has been out of touch."""
        if self.disconnected_since is None:
            self.disconnected_since = datetime.now(UTC)
        self.message = exc.message
        self.outage = outage_state(exc)

    def show(self, screen: RunListScreen) -> None:
        """Put the line together from what `screen`, its feed and its pacer know."""
        feed, pacer = screen.feed, screen.live.pacer
        if self.disconnected_since is not None:
            line = outage_line(self.outage, self.disconnected_since, self.message)
        else:
            line = mode_line(paused=feed.paused, following=screen.following)
        if self.last_fetch is not None:
            store = wflog_app(self).store
            how = "on change (LISTEN)" if feed.listener is not None else polling_how(store)
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
        line.append_text(size_note(len(screen.order), feed.exhausted, feed.new_above))
        self.update(line)
