"""Opening a run: fetch it and build its step tree, the one way every view does it.

Kept apart from the screens so the command line can start it before the UI is even
imported: with `--run`, the database works on the run while the terminal UI starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_tree import StepTree, build_tree
from wflog_tui.store.connection import Store

# A steps_log stored in more bytes than this (compressed, as pg_column_size counts) opens
# as a skeleton: plain entries' payloads and times are fetched as a view shows them.
# Logs of repeated iterations compress 15–30 times, so below this a log is at most a few
# megabytes of JSON, which comes whole faster than a skeleton and its fills.
SKELETON_OVER_BYTES: Final = 256 * 1024


@dataclass(frozen=True, slots=True)
class LoadedRun:
    """A run and the step tree built from it."""

    detail: RunDetail
    tree: StepTree


async def load_run(store: Store, run_id: str) -> LoadedRun | None:
    """Fetch run `run_id` (a log over `SKELETON_OVER_BYTES` as its skeleton) and build its
    tree; None when there is no such run.

    The tree is built right here, on the event loop. Even a run of 100,000 entries (as a
    skeleton) builds in about 0.1 s; in a thread it took half as long again, because the
    interpreter lock is shared with the screen being drawn meanwhile, and only "Loading
    run …" is on screen until it is done. (Tails of a running run, merged while the
    reader works, are built in a thread: see `RunScreen._merge`.) Raises `StoreError`s as
    the store does.
    """
    detail = await store.fetch_run(run_id, skeleton_over=SKELETON_OVER_BYTES)
    if detail is None:
        return None
    run = detail.summary
    tree = build_tree(detail.steps_log, run_status=run.status, run_ended_at=run.ended_at)
    return LoadedRun(detail, tree)
