"""Writing the incident report from an open store, section by section as it is read.

The one writer behind `wflog-tui report` (which opens a store and writes to stdout) and the
app's "Write incident report" (which writes the list's window and filters to a file
through the app's own store). The window's failures are read once
(`failure_loading.open_failure_log`, capped, so memory is bounded whatever the window);
then each group's section is written as soon as its splitters are read, and each top
group's newest run is loaded, compared with its last good run, written and dropped before
the next one is loaded. One statement at a time, every one inside the organisation scope,
and all but the baseline's (looked for up to 30 days back, as `diff` does) inside the
window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final, TextIO

from wflog_tui.model.incident_report import (
    explained_lines,
    group_lines,
    groups_summary,
    header_lines,
)
from wflog_tui.model.run_markdown import failing_focus
from wflog_tui.model.step_tree import StepTree
from wflog_tui.store.connection import Store
from wflog_tui.store.failure_loading import group_splitters, load_previous_keys, open_failure_log
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.run_comparison import load_comparison
from wflog_tui.store.run_loading import LoadedRun

MAX_TOP: Final = 20
"""The most groups explained with their newest run (each is a run loaded and compared)."""
# Whole entries asked for per statement when a big run's skeleton is filled for tracing.
FILL_BATCH: Final = 2_000


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


async def fill_whole_entries(store: Store, run: LoadedRun, indexes: list[int]) -> None:
    """Give a skeleton's pending entries `indexes` their whole elements, in batches."""
    key = run.detail.summary.id
    for start in range(0, len(indexes), FILL_BATCH):
        batch = indexes[start : start + FILL_BATCH]
        for index, value in (await store.fetch_entries(key, batch)).items():
            run.tree.entries.fill(index, value)


def _write(out: TextIO, lines: list[str]) -> None:
    out.write("\n".join(lines) + "\n\n")
    out.flush()


async def stream_incident_report(
    store: Store,
    run_filter: RunFilter,
    out: TextIO,
    *,
    top: int,
    scope: Sequence[str],
    filters: Sequence[tuple[str, str | None]],
    version: str,
) -> None:
    """Write the report of `run_filter`'s window, organisation and workflow to `out`.

    `top` groups (at most `MAX_TOP`) are explained with their newest run; `scope` is what
    links carry to reopen a run (`model.step_link.scope_arguments`); `filters` are the
    header's lines (name, value or None for "any"). Raises `StoreError`s as the store
    does, and ValueError for a `top` out of range.
    """
    if not 0 <= top <= MAX_TOP:
        raise ValueError(f"--top takes 0 to {MAX_TOP}; got {top}")
    log = await open_failure_log(store, run_filter)
    await load_previous_keys(store, log, run_filter)
    now = datetime.now(UTC)
    groups = log.groups()
    _write(out, header_lines(log.window, filters, now, version=version))
    failures = sum(group.count for group in groups)
    _write(
        out,
        ["## Failure groups", "", *groups_summary(len(groups), failures, truncated=log.truncated)],
    )
    for number, group in enumerate(groups, start=1):
        splitters = await group_splitters(store, run_filter, log.window, group)
        _write(out, group_lines(number, group, splitters, now, scope))
    chosen = groups[:top]
    if chosen:
        _write(out, ["## The top groups, explained"])
    for number, group in enumerate(chosen, start=1):
        loaded = await load_comparison(store, group.run_ids[0])
        if loaded is None:  # deleted since the failures were read
            _write(out, [f"### {number}. Its newest run is no longer in the table"])
            continue
        await fill_whole_entries(store, loaded.this, entries_to_trace(loaded.this.tree))
        baseline = loaded.baseline.detail.summary if loaded.baseline is not None else None
        lines = explained_lines(
            number,
            group,
            loaded.this.detail.summary,
            loaded.this.tree,
            (baseline, loaded.reason, loaded.diff),
            scope,
        )
        del loaded
        _write(out, lines)
