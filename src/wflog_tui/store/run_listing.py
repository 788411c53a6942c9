"""Runs of the list for a script: as many as asked for, page by page, newest first."""

from __future__ import annotations

from typing import Final

from wflog_tui.model.run import RunSummary
from wflog_tui.store.connection import Store
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.queries import MAX_PAGE, PageCursor

MAX_RUNS: Final = 100_000


async def fetch_runs(store: Store, run_filter: RunFilter, limit: int) -> list[RunSummary]:
    """The newest `limit` runs matching `run_filter` (at most `MAX_RUNS`).

    Pages by keyset as the list does, so each statement stays one bounded index walk
    under the statement timeout, however many runs are asked for.
    """
    wanted = max(0, min(int(limit), MAX_RUNS))
    runs: list[RunSummary] = []
    before: PageCursor | None = None
    while len(runs) < wanted:
        size = min(MAX_PAGE, wanted - len(runs))
        page = await store.fetch_page(run_filter, before=before, limit=size)
        runs.extend(page)
        if len(page) < size:
            break
        before = PageCursor.after(page[-1])
    return runs
