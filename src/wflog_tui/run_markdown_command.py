"""`wflog-tui show RUN_ID --format markdown`: the run as Markdown for an incident channel."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from wflog_tui.cli import UsageError
from wflog_tui.model.display_text import one_line
from wflog_tui.model.run_markdown import failing_focus, run_markdown
from wflog_tui.model.step_tree import StepTree
from wflog_tui.store import LoadedRun, Store, StoreSettings, load_run, open_store

# Whole entries asked for per statement when a big run's skeleton is filled for tracing.
FILL_BATCH = 2_000


def entries_to_trace(tree: StepTree) -> list[int]:
    """The pending entries a trace of the first failure reads: the failing entry, the
    trigger, the enclosing loop, and the entries that ran before it in scope."""
    focus = failing_focus(tree)
    if focus is None or focus[1] is None:
        return []
    entry = focus[1]
    wanted = {entry.index, *(e.index for e in tree.earlier_in_scope(entry))}
    loop = tree.loop_of(entry)
    if loop is not None and loop.entry is not None:
        wanted.add(loop.entry.index)
    if tree.trigger is not None:
        wanted.add(tree.trigger.index)
    return sorted(i for i in wanted if tree.entries.is_pending(i))


async def fill_entries(store: Store, run: LoadedRun, indexes: list[int]) -> None:
    """Give a skeleton's pending entries `indexes` their whole elements, in batches."""
    key = run.detail.summary.id
    for start in range(0, len(indexes), FILL_BATCH):
        batch = indexes[start : start + FILL_BATCH]
        for index, value in (await store.fetch_entries(key, batch)).items():
            run.tree.entries.fill(index, value)


async def print_markdown(settings: StoreSettings, args: argparse.Namespace) -> int:
    """Fetch the run, fill what its trace needs, print its Markdown; exit code."""
    if args.json:
        raise UsageError("--json is --format json; give one of them")
    store = await open_store(settings)
    try:
        loaded = await load_run(store, args.run_id)
        if loaded is not None:
            await fill_entries(store, loaded, entries_to_trace(loaded.tree))
    finally:
        await store.close()
    if loaded is None:
        org = settings.organisation_scope
        where = f" in organisation {one_line(org, 80)}" if org else ""
        raise UsageError(f"no run with run_id or id {one_line(args.run_id, 120)!s}{where}")
    resolution = getattr(args, "resolution", None)
    scope = resolution.link_scope if resolution is not None else ()
    lines = run_markdown(loaded.detail, loaded.tree, datetime.now(UTC), scope)
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 0
