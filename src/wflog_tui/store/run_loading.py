"""Opening a run: fetch it and build its step tree, the one way every view does it.

Kept apart from the screens so the command line can start it before the UI is even
imported: with `--run`, the database works on the run while the terminal UI starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from wflog_tui.model.run import RunDetail
from wflog_tui.store.connection import Store

if TYPE_CHECKING:
    from wflog_tui.model.step_tree import StepTree

# A steps_log stored in more bytes than this (compressed, as pg_column_size counts) opens
# as a skeleton: plain entries' payloads and times are fetched as a view shows them.
# Logs of repeated iterations compress 15–30 times, so below this a log is at most a few
# megabytes of JSON, which comes whole faster than a skeleton and its fills.
SKELETON_OVER_BYTES: Final = 256 * 1024
# Or holding more entries than this: a log of one step polled 200,000 times compresses
# 40 times, so its stored size says "small" for 38 MB of JSON.
SKELETON_OVER_ENTRIES: Final = 20_000
# Whole entries fetched at most per query when a skeleton is filled outside the UI.
FILL_BATCH: Final = 400


@dataclass(frozen=True, slots=True)
class LoadedRun:
    """A run and the step tree built from it."""

    detail: RunDetail
    tree: StepTree


async def load_run(store: Store, run_id: str) -> LoadedRun | None:
    """Fetch run `run_id` (a log over `SKELETON_OVER_BYTES` stored or `SKELETON_OVER_ENTRIES`
    entries as its skeleton) and build its tree; None when there is no such run.

    The tree is built right here, on the event loop, the moment the row is read (see
    `Store.fetch_run_as`). Even a run of 100,000 entries (as a skeleton) builds in about
    30 ms; in a thread it took half as long again, because the interpreter lock is shared
    with the screen being drawn meanwhile, and only "Loading run …" is on screen until it
    is done. (Tails of a running run, merged while the reader works, are built in a
    thread: see `RunTail._merge`.) Raises `StoreError`s as the store does.
    """
    return await store.fetch_run_as(
        run_id,
        _loaded,
        skeleton_over=SKELETON_OVER_BYTES,
        skeleton_entries=SKELETON_OVER_ENTRIES,
    )


def start_loading(store: Store, run_id: str) -> asyncio.Future[LoadedRun | None]:
    """`load_run(store, run_id)`, started now, as a future that is done the moment the
    tree is built: the store then still ends the statement's transaction and gives its
    connection back, two round trips in which a starting app composes for 10–20 ms, and
    the store's next query waits for that anyway. Cancelling the future cancels the
    load; its error (a `StoreError`) is the future's."""
    ready: asyncio.Future[LoadedRun | None] = asyncio.get_running_loop().create_future()

    def built(detail: RunDetail) -> LoadedRun:
        loaded = _loaded(detail)
        if not ready.done():
            ready.set_result(loaded)
        return loaded

    async def load() -> None:
        try:
            found = await store.fetch_run_as(
                run_id,
                built,
                skeleton_over=SKELETON_OVER_BYTES,
                skeleton_entries=SKELETON_OVER_ENTRIES,
            )
        except asyncio.CancelledError:
            ready.cancel()
            raise
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)
            return
        if not ready.done():
            ready.set_result(found)

    task = asyncio.ensure_future(load())
    ready.add_done_callback(lambda future: task.cancel() if future.cancelled() else None)
    return ready


def _loaded(detail: RunDetail) -> LoadedRun:
    # The step tree's module is imported here, not at the top: the command line imports
    # this one before it sends a run's query, and the tree is not needed until the answer
    # comes (the UI, importing meanwhile in a thread, has usually imported it by then).
    from wflog_tui.model.step_tree import build_tree

    run = detail.summary
    tree = build_tree(detail.steps_log, run_status=run.status, run_ended_at=run.ended_at)
    return LoadedRun(detail, tree)


async def fill_entries(store: Store, run_id: str, tree: StepTree, indexes: Sequence[int]) -> None:
    """Fetch entries `indexes` of a skeleton's tree whole and fill them in, `FILL_BATCH`
    per query (each query reads the log once, so the caller keeps `indexes` few)."""
    wanted = sorted(set(indexes))
    for start in range(0, len(wanted), FILL_BATCH):
        batch = wanted[start : start + FILL_BATCH]
        found = await store.fetch_entries(run_id, batch)
        for index in batch:
            if index < len(tree.entries):
                tree.entries.fill(index, found.get(index))


async def load_run_to_print(
    store: Store, run_id: str, *, as_json: bool = False
) -> LoadedRun | None:
    """Open run `run_id` as `load_run` does, then fetch whole the entries of a skeleton
    that `show` prints, and only those: its text report's (`report_entry_indexes`) or,
    `as_json`, its JSON report's (`json_entry_indexes`)."""
    from wflog_tui.model.log_skeleton import LogSkeleton
    from wflog_tui.model.run_report import (
        json_entry_indexes,
        refresh_json,
        refresh_report,
        report_entry_indexes,
    )

    loaded = await load_run(store, run_id)
    if loaded is not None and isinstance(loaded.detail.steps_log, LogSkeleton):
        tree = loaded.tree
        wanted = json_entry_indexes(tree) if as_json else report_entry_indexes(tree)
        await fill_entries(store, run_id, tree, wanted)
        if as_json:
            refresh_json(tree)
        else:
            refresh_report(tree)
    return loaded
