"""Loading failure groups for a filter: the whole window once, then only what is newer.

The API a live screen needs, and what `wflog-tui groups` uses:

- `open_failure_log` reads the window's failures (page by page, reporting progress);
  `PendingFailureLog` starts it before the screen exists (`--groups`);
- `load_previous_keys` reads the keys of the window before, of the same length, so that
  groups can say NEW (a screen paints the groups first, then the badges);
- `refresh_failure_log` slides the window to the server's clock and asks only for
  failures newer than the newest one held;
- `group_splitters` compares one group's failing runs with its workflow's passing runs;
- a group's runs, newest first, for moving from one to the next, are
  `FailureGroup.run_ids` (or `FailureLog.run_ids` for the current state).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Final

from wflog_tui.model.failure_groups import Failure, FailureGroup, FailureLog, GroupKey, TimeWindow
from wflog_tui.model.failure_splitters import (
    MAX_FAILING,
    MAX_PASSING,
    SplitterReport,
    rank_splitters,
)
from wflog_tui.store.connection import Store
from wflog_tui.store.failure_queries import FAILURE_PAGE, FailurePage
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.queries import PageCursor

# Past this many failures in a window the log stops reading (and says so): grouping a
# million failures is not what an incident needs, and memory must stay bounded.
MAX_FAILURES: Final = 200_000

Progress = Callable[[int], None]


def failure_filter(run_filter: RunFilter) -> RunFilter:
    """What of a run list's filter failure groups use: the window, the organisation and the
    workflow (statuses, search and event filters do not apply: a group is of failures)."""
    return RunFilter(
        since=run_filter.since,
        organisation=run_filter.organisation,
        workflow=run_filter.workflow,
    )


class PendingFailureLog:
    """`open_failure_log` started before the screen that shows it exists (`--groups`), as
    the command line starts a `--run`'s load before importing the UI; `read` counts the
    failures read so far, for the screen's progress."""

    def __init__(self, store: Store, run_filter: RunFilter) -> None:
        """Start reading `run_filter`'s failures now, in the running event loop."""
        self.run_filter = run_filter
        self.read = 0
        self.task: asyncio.Future[FailureLog] = asyncio.ensure_future(
            open_failure_log(store, run_filter, on_progress=self._progress)
        )

    def _progress(self, read: int) -> None:
        self.read = read

    def discard(self) -> None:
        """Cancel the load if nobody took it, and mark its error as seen if it failed."""
        if self.task.done() and not self.task.cancelled():
            self.task.exception()
        self.task.cancel()


def window_at(run_filter: RunFilter, now: datetime) -> TimeWindow:
    """The filter's window (`since`, or no bound) ending at `now`."""
    try:
        start = now - run_filter.since if run_filter.since else None
    except OverflowError:
        start = None  # reaching back past year 1 (--since 999999w): every row is in it
    return TimeWindow(start, now)


async def _read_pages(
    store: Store,
    run_filter: RunFilter,
    *,
    start: datetime | None,
    end: datetime | None = None,
    newer_than: datetime | None = None,
    on_page: Callable[[list[Failure]], None],
) -> bool:
    """Every page of failures, handed to `on_page`; False when `MAX_FAILURES` stopped it."""
    before: PageCursor | None = None
    read = 0
    while True:
        page = await store.fetch_failures(
            run_filter, FailurePage(start, end=end, newer_than=newer_than, before=before)
        )
        on_page(page)
        read += len(page)
        if len(page) < FAILURE_PAGE:
            return True
        if read >= MAX_FAILURES:
            return False
        last = page[-1]
        before = PageCursor(last.started_at, last.id)


async def open_failure_log(
    store: Store, run_filter: RunFilter, *, on_progress: Progress | None = None
) -> FailureLog:
    """The failures of the filter's window, grouped on demand by `FailureLog.groups()`.

    No group is NEW until `load_previous_keys` has run. `on_progress` gets the number of
    failures read so far after each page. Raises `StoreError`s as the store does.
    """
    log = FailureLog(window_at(run_filter, await store.server_now()))

    def add(page: list[Failure]) -> None:
        log.merge(page)
        if on_progress is not None:
            on_progress(len(log))

    complete = await _read_pages(store, run_filter, start=log.window.start, on_page=add)
    log.truncated = not complete
    return log


async def load_previous_keys(store: Store, log: FailureLog, run_filter: RunFilter) -> None:
    """Read the keys of the window before `log`'s (same length), so groups can say NEW.

    Separate from `open_failure_log` so a screen can show the groups first and mark the
    new ones when this returns. Without a window start there is no previous window, and
    nothing is new.
    """
    previous = log.window.previous
    if previous is None:
        return
    keys: set[GroupKey] = set()
    await _read_pages(
        store,
        run_filter,
        start=previous.start,
        end=previous.end,
        on_page=lambda page: keys.update(f.key for f in page),
    )
    log.previous_keys = frozenset(keys)


async def refresh_failure_log(store: Store, log: FailureLog, run_filter: RunFilter) -> int:
    """Slide `log` to the server's clock and add the failures newer than the newest held.

    Returns how many failures the refresh read (some may be ones already held, read
    again because of the overlap).
    """
    log.move_to(window_at(run_filter, await store.server_now()))
    read = 0

    def add(page: list[Failure]) -> None:
        nonlocal read
        log.merge(page)
        read += len(page)

    await _read_pages(
        store, run_filter, start=log.window.start, newer_than=log.newest_at, on_page=add
    )
    return read


async def group_splitters(
    store: Store, run_filter: RunFilter, window: TimeWindow, group: FailureGroup
) -> SplitterReport:
    """What `group`'s newest failing runs share that its workflow's passing runs do not.

    At most `MAX_FAILING` failing and `MAX_PASSING` passing runs, the newest of the
    window; payloads are fetched for those only.
    """
    failing, passing = await store.fetch_splitter_sample(
        run_filter,
        group.key,
        group.ids[:MAX_FAILING],
        start=window.start,
        passing_limit=MAX_PASSING,
    )
    return SplitterReport(rank_splitters(failing, passing), len(failing), len(passing))


async def groups_with_splitters(
    store: Store, run_filter: RunFilter, *, on_progress: Progress | None = None
) -> tuple[FailureLog, list[tuple[FailureGroup, SplitterReport]]]:
    """Every group of the filter's window with its splitters, newest activity first.

    One splitter sample per group, one statement at a time: for a report, not a screen
    (which asks for the selected group's only).
    """
    log = await open_failure_log(store, run_filter, on_progress=on_progress)
    await load_previous_keys(store, log, run_filter)
    groups = []
    for group in log.groups():
        groups.append((group, await group_splitters(store, run_filter, log.window, group)))
    return log, groups
