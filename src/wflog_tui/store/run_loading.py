"""Opening a run: fetch it and build its step tree, the one way every view does it.

Kept apart from the screens so the command line can start it before the UI is even
imported: with `--run`, the database works on the run while the terminal UI starts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_tree import StepTree, build_tree
from wflog_tui.store.connection import Store

# A steps_log stored in more bytes than this (compressed, as pg_column_size counts) opens
# as a skeleton: plain entries' payloads and times are fetched as a view shows them.
SKELETON_OVER_BYTES: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class LoadedRun:
    """A run and the step tree built from it."""

    detail: RunDetail
    tree: StepTree


async def load_run(store: Store, run_id: str) -> LoadedRun | None:
    """Fetch run `run_id` (a log over `SKELETON_OVER_BYTES` as its skeleton) and build its
    tree; None when there is no such run.

    The tree is built in a thread: 100,000 entries take a noticeable moment to index, and
    the event loop has a screen to draw meanwhile. Raises `StoreError`s as the store does.
    """
    detail = await store.fetch_run(run_id, skeleton_over=SKELETON_OVER_BYTES)
    if detail is None:
        return None
    run = detail.summary
    tree = await asyncio.to_thread(
        build_tree, detail.steps_log, run_status=run.status, run_ended_at=run.ended_at
    )
    return LoadedRun(detail, tree)
