"""Opening a comparison: this run, its baseline and why, payloads where shapes differ.

The baseline is the newest COMPLETED run of the same workflow and organisation that
started before this run, looked for at most `BASELINE_LOOKBACK` back (one indexed,
bounded query), or a run the person names. Big runs come as skeletons: only the entries
whose shapes differ, and the top-level steps data flow is traced through, are fetched
whole (`run_diff.entries_to_fetch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from wflog_tui.model.diff_report import chosen_reason, default_reason, no_baseline_reason
from wflog_tui.model.entries import MISSING
from wflog_tui.model.run_diff import RunDiff, alike_iterations, compare_runs, entries_to_fetch
from wflog_tui.store.connection import Store
from wflog_tui.store.errors import RunNotFound
from wflog_tui.store.run_loading import LoadedRun, load_run

# How far back the default baseline is looked for: the query's lower bound on started_at.
BASELINE_LOOKBACK: Final = timedelta(days=30)
# Whole entries asked for per statement when filling a skeleton for a comparison.
FILL_BATCH: Final = 2_000


@dataclass(frozen=True, slots=True)
class LoadedComparison:
    """This run, its baseline (None when there is none) and why, and what differs."""

    this: LoadedRun
    baseline: LoadedRun | None
    reason: str
    diff: RunDiff | None


async def load_comparison(
    store: Store,
    run_id: str,
    against: str | None = None,
    *,
    loaded: LoadedRun | None = None,
) -> LoadedComparison | None:
    """Compare run `run_id` with `against`, or with its default baseline.

    `loaded` is run `run_id` already open (a run view's), used instead of fetching it
    again; its pending entries that the comparison needs are filled in place. None when
    `run_id` is not there (in the organisation scope). Raises `RunNotFound` when
    `against` is not there, and `StoreError`s as the store does.
    """
    this = loaded if loaded is not None else await load_run(store, run_id)
    if this is None:
        return None
    run = this.detail.summary
    if against is not None:
        baseline = await load_run(store, against)
        if baseline is None:
            raise RunNotFound(f"no baseline run with run_id or id {against.strip()}")
        reason = chosen_reason(run, baseline.detail.summary)
    else:
        summary = await store.fetch_baseline(run, BASELINE_LOOKBACK)
        if summary is None:
            return LoadedComparison(this, None, no_baseline_reason(run, BASELINE_LOOKBACK), None)
        baseline = await load_run(store, summary.id)
        if baseline is None:  # deleted between the two statements
            return LoadedComparison(this, None, no_baseline_reason(run, BASELINE_LOOKBACK), None)
        reason = default_reason(run, summary)
    # Computed once: filling the entries it leaves out keeps the alike ones alike.
    alike = alike_iterations(this.tree, baseline.tree)
    wanted_this, wanted_baseline = entries_to_fetch(this.tree, baseline.tree, alike)
    await _fill(store, this, wanted_this)
    await _fill(store, baseline, wanted_baseline)
    diff = compare_runs(
        this.tree,
        baseline.tree,
        this_input=_run_input(this),
        baseline_input=_run_input(baseline),
        this_version=this.detail.workflow_version_id,
        baseline_version=baseline.detail.workflow_version_id,
        alike=alike,
    )
    return LoadedComparison(this, baseline, reason, diff)


def _run_input(run: LoadedRun) -> object:
    payload = run.detail.input_payload
    return MISSING if payload is None else payload


async def _fill(store: Store, run: LoadedRun, indexes: Sequence[int]) -> None:
    """Give the skeleton's pending entries `indexes` their whole elements, in batches."""
    key = run.detail.summary.id
    for start in range(0, len(indexes), FILL_BATCH):
        batch = indexes[start : start + FILL_BATCH]
        for index, value in (await store.fetch_entries(key, batch)).items():
            run.tree.entries.fill(index, value)
