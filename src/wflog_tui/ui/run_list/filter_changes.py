"""What the run list's filter keys do: statuses on `1`–`5`, `0` and `ctrl+z`, the time window
on `[` and `]`, a workflow or organisation picked on `w` and `o`, the search typed after `/`
(and `esc` to drop it), every filter cleared on `x`.

Each function works out the list's next `RunFilter` and hands it to the screen's
`set_filter`, which alone restarts the feed; the screen's actions only call them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from wflog_tui.model import status as st
from wflog_tui.model.search_query import SearchQuery
from wflog_tui.store import RunFilter
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.run_list.saved_views import remember_list_state
from wflog_tui.ui.widgets.picker import Picker

if TYPE_CHECKING:
    from wflog_tui.ui.run_list.screen import RunListScreen

# The time windows `[` and `]` step through, narrowest first (None: all time).
WINDOWS: Final[tuple[timedelta | None, ...]] = (
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=24),
    timedelta(days=7),
    None,
)
STATUS_KEYS: Final = {
    "1": st.RUNNING,
    "2": st.COMPLETED,
    "3": st.FAILED,
    "4": st.TIMED_OUT,
    "5": st.CANCELED,
}


def toggle_failures_only(screen: RunListScreen) -> None:
    """Show only FAILED and TIMED_OUT runs; again to show every status."""
    failures = frozenset(st.FAILURES)
    statuses = frozenset() if screen.run_filter.statuses == failures else failures
    screen.set_filter(replace(screen.run_filter, statuses=statuses))


def toggle_status(screen: RunListScreen, status: str) -> None:
    """Add `status` to the filter, or take it out."""
    statuses = frozenset(screen.run_filter.statuses ^ {status})
    screen.set_filter(replace(screen.run_filter, statuses=statuses))


def clear_statuses(screen: RunListScreen) -> None:
    """Show every status."""
    screen.set_filter(replace(screen.run_filter, statuses=frozenset()))


def search_for(screen: RunListScreen, query: SearchQuery, *, submitted: bool) -> None:
    """Show the runs `query` finds (an empty one: every run); a submitted search also
    closes the box."""
    # The language's bare words are today's search, so the old `search` field goes.
    found = None if query.is_empty else query
    screen.set_filter(replace(screen.run_filter, query=found, search=None))
    if submitted:
        screen.search_box.close()
        screen.table.focus()


def escape_search(screen: RunListScreen) -> None:
    """Close the search box (what it narrowed stays); a second escape clears the search."""
    box = screen.search_box
    if box.display and box.input.has_focus:
        box.close()
        screen.table.focus()
    elif screen.run_filter.search or screen.run_filter.query:
        box.close()
        box.reset()
        screen.set_filter(replace(screen.run_filter, search=None, query=None))


def clear_filters(screen: RunListScreen) -> None:
    """Back to the start-up state: every filter and the search dropped, the time window the
    list opened with (the --org scope stays: it is fixed for the session)."""
    scope = screen.store.settings.organisation_scope
    box = screen.search_box
    box.reset()
    box.close()
    screen.table.focus()
    start = wflog_app(screen).config.run_filter.since
    screen.set_filter(RunFilter(since=start, organisation=scope))


def step_window(screen: RunListScreen, step: int) -> None:
    """Narrow (-1) or widen (+1) the time window along `WINDOWS`, and remember it."""
    current = screen.run_filter.since
    index = WINDOWS.index(current) if current in WINDOWS else 2
    index = max(0, min(len(WINDOWS) - 1, index + step))
    screen.set_filter(replace(screen.run_filter, since=WINDOWS[index]))
    remember_list_state(screen)


def pick_workflow(screen: RunListScreen) -> None:
    """Offer the window's workflows; the one chosen (or none) becomes the filter."""
    _pick(screen, "Workflow", "workflow", lambda: screen.store.workflow_names(screen.run_filter))


def pick_organisation(screen: RunListScreen) -> None:
    """Offer the organisations, unless --org fixes the scope for the session."""
    if screen.store.settings.organisation_scope:
        screen.notify("--org fixes the organisation for this session", markup=False)
        return
    _pick(screen, "Organisation", "organisation", screen.store.organisations)


def _pick(
    screen: RunListScreen, title: str, field: str, values: Callable[[], Awaitable[list[str]]]
) -> None:
    """Offer the values a filter field can take; the choice (or none) becomes the filter."""

    def chosen(choice: str | None) -> None:
        if choice is not None:
            screen.set_filter(replace(screen.run_filter, **{field: choice or None}))

    current = getattr(screen.run_filter, field)
    Picker.open(screen, title, current, values, screen.live.lock, chosen)
