"""A comparison of two runs as plain text or JSON: what `wflog-tui diff` prints.

Also the sentence that says why a baseline was chosen, shared with the screen. Every
string from the data goes through `display_text` before it reaches a terminal; the JSON
form is escaped by `to_json_text`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Final

import humanize

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration
from wflog_tui.model.entries import StepEntry
from wflog_tui.model.json_diff import ABSENT, LeafChange
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.provenance import format_path
from wflog_tui.model.run import RunSummary
from wflog_tui.model.run_diff import Divergence, EntryDiff, Mark, RootCause, RunDiff
from wflog_tui.model.timestamps import is_extreme, iso_text

# Text output stays readable on a huge diff; the JSON holds everything.
MAX_STEPS_SHOWN: Final = 200
MAX_CHANGES_PER_STEP: Final = 20
_VALUE_CHARS: Final = 120


def _workflow(run: RunSummary) -> str:
    return run.workflow_name or run.workflow_id or "this workflow"


def _earlier(run: RunSummary, baseline: RunSummary) -> str:
    if run.started_at is None or baseline.started_at is None:
        return "started at an unknown time"
    if is_extreme(run.started_at) or is_extreme(baseline.started_at):
        return f"started {iso_text(baseline.started_at)}"  # no distance can be computed
    delta = run.started_at - baseline.started_at
    if delta < timedelta(0):
        return f"{humanize.naturaldelta(-delta)} later"
    return f"{humanize.naturaldelta(delta)} earlier"


def default_reason(run: RunSummary, baseline: RunSummary) -> str:
    """`newest COMPLETED run of Publish Post before this one, an hour earlier`."""
    return f"newest COMPLETED run of {_workflow(run)} before this one, {_earlier(run, baseline)}"


def chosen_reason(run: RunSummary, baseline: RunSummary) -> str:
    """Why a baseline the person named is the baseline, and how it stands to this run."""
    parts = [f"chosen by hand, {_earlier(run, baseline)}"]
    if baseline.status != st.COMPLETED:
        parts.append(f"its status is {baseline.status}")
    if (baseline.workflow_id, baseline.workflow_name) != (run.workflow_id, run.workflow_name):
        parts.append(f"a run of {_workflow(baseline)}")
    if baseline.organisation_id != run.organisation_id:
        parts.append(f"of organisation {baseline.organisation_id or '(none)'}")
    return "; ".join(parts)


def no_baseline_reason(run: RunSummary, lookback: timedelta) -> str:
    """Why there is nothing to compare with, naming the organisation searched."""
    if run.started_at is None:
        return "this run has no started_at, so no run is known to come before it"
    if run.workflow_id is None and run.workflow_name is None:
        return "this run names no workflow (neither workflow_id nor workflow_name)"
    org = run.organisation_id or "(none)"
    hours = lookback.total_seconds() / 3600
    span = f"{hours / 24:g} days" if hours >= 24 else f"{hours:g} hours"
    return (
        f"no COMPLETED run of {_workflow(run)} in organisation {org} in the {span} before this one"
    )


def _value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return one_line(to_json_text(value), _VALUE_CHARS)


def where(pair: EntryDiff, between: str = " ") -> str:
    """Which step a pair is, in words: `Label (step_id) iteration 3 attempt 2`, the parts
    after the name joined by `between` (the screen uses " · ")."""
    key = pair.key
    name = one_line(pair.label, 80)
    if key.step_id is not None and key.step_id != pair.label:
        name += f" ({one_line(key.step_id, 60)})"
    parts = [name]
    if key.iteration is not None:
        parts.append(f"iteration {key.iteration:,}")
    if key.attempt > 1 and key[0] == "step":  # a malformed element's ordinal is no attempt
        parts.append(f"attempt {key.attempt}")
    return between.join(parts)


# What each kind of first divergence says after the step's name.
_KINDS: Final = {
    "added": "only in this run",
    "missing": "only in the baseline run",
    "status": "status changed",
    "input": "input changed",
    "error": "error changed",
}


def divergence_kind(first: Divergence) -> str:
    """`only in the baseline run`, `status COMPLETED → FAILED`…: how the first divergence
    differs, in words."""
    if first.kind == "status":
        pair = first.diff
        before, after = pair.status_before or "—", pair.status_after or "—"
        return f"status {one_line(before, 30)} → {one_line(after, 30)}"
    return _KINDS.get(first.kind, first.kind)


def root_cause_line(cause: RootCause) -> str:
    """`first difference: trigger.output.post.platform "linkedin" → "mastodon", reaching …`."""
    line = (
        f"first difference: {one_line(cause.path, 200)} {_value(cause.before)} → "
        f"{_value(cause.after)}"
    )
    if cause.reaches != cause.path:
        line += f", reaching {one_line(cause.reaches, 200)}"
    if cause.through:
        line += " through " + ", ".join(one_line(hop, 200) for hop in cause.through)
    return line


def _change_rows(pair: EntryDiff) -> Iterator[dict[str, Any]]:
    """Each change of one pair as `{side, path, before, after}`: status, error, input,
    output. The error's messages are as logged, though they were compared by signature."""
    if Mark.ADDED in pair.marks or Mark.MISSING in pair.marks:
        before = pair.status_before if pair.baseline is not None else ABSENT
        after = pair.status_after if pair.this is not None else ABSENT
        yield {"side": "status", "path": "status", "before": before, "after": after}
        return
    if pair.status_before != pair.status_after:
        yield {
            "side": "status",
            "path": "status",
            "before": pair.status_before,
            "after": pair.status_after,
        }
    if Mark.ERROR in pair.marks:
        yield {
            "side": "error",
            "path": "error.message",
            "before": pair.error_before,
            "after": pair.error_after,
        }
    side_of_output = "output" if pair.status_before is not None else "entry"
    for side, root, changes in (
        ("input", "input", pair.input.changes),
        (side_of_output, side_of_output, pair.output.changes),
    ):
        for change in changes:
            yield _change_row(side, root, change)


def _change_row(side: str, root: str, change: LeafChange) -> dict[str, Any]:
    return {
        "side": side,
        "path": format_path(root, change.json_path),
        "before": change.before,
        "after": change.after,
    }


def report_lines(
    run: RunSummary, baseline: RunSummary | None, reason: str, diff: RunDiff | None
) -> list[str]:
    """The comparison as lines of text, safe for any terminal."""
    lines = [f"Run        {one_line(run.run_id, 120)}  ({one_line(_workflow(run), 80)})"]
    if baseline is None:
        lines.append(f"Baseline   none: {one_line(reason, 300)}")
        return lines
    lines.append(f"Baseline   {one_line(baseline.run_id, 120)}: {one_line(reason, 300)}")
    if diff is None:
        return lines
    if diff.version_change is not None:
        before, after = diff.version_change
        lines.append(
            f"Version    {one_line(before or '(none)', 80)} → {one_line(after or '(none)', 80)}"
        )
    if diff.is_empty:
        lines.append("no differences")
        return lines
    if not diff.differences:
        lines.append("no differences in the steps")
        return lines
    first = diff.first_divergence
    if first is not None:
        lines.append(f"first divergence: {where(first.diff)} — {divergence_kind(first)}")
    lines.extend(root_cause_line(cause) for cause in diff.root_causes)
    differences = diff.differences
    lines.append("")
    lines.append(f"Differing steps ({len(differences):,})")
    for pair in differences[:MAX_STEPS_SHOWN]:
        marks = ", ".join(_marks(pair))
        lines.append(f"  {where(pair)}  [{marks}]")
        if Mark.SLOWER in pair.marks or Mark.FASTER in pair.marks:
            before = pair.baseline.duration_ms if isinstance(pair.baseline, StepEntry) else None
            after = pair.this.duration_ms if isinstance(pair.this, StepEntry) else None
            lines.append(f"      duration  {format_duration(before)} → {format_duration(after)}")
        rows = list(_change_rows(pair))
        for row in rows[:MAX_CHANGES_PER_STEP]:
            lines.append(
                f"      {one_line(row['path'], 120)}  {_value(row['before'])} → "
                f"{_value(row['after'])}"
            )
        if len(rows) > MAX_CHANGES_PER_STEP:
            lines.append(f"      … and {len(rows) - MAX_CHANGES_PER_STEP:,} more changes")
    if len(differences) > MAX_STEPS_SHOWN:
        lines.append(f"  … and {len(differences) - MAX_STEPS_SHOWN:,} more steps (see --json)")
    if diff.shape_only:
        lines.append(
            f"{diff.shape_only:,} loop entries that completed alike in both runs were compared "
            "by their shape only (their payloads were not fetched)"
        )
    return lines


def _marks(pair: EntryDiff) -> list[str]:
    """The pair's marks in a fixed order (the order `Mark` lists them)."""
    return [mark.value for mark in Mark if mark in pair.marks]


def _json_value(value: Any) -> Any:
    return None if value is ABSENT else value


def report_json(
    run: RunSummary, baseline: RunSummary | None, reason: str, diff: RunDiff | None
) -> dict[str, Any]:
    """The comparison as JSON: run, baseline and why, version, first divergence, root
    causes, and every change. An absent side is `null` with `absent` naming the side."""
    version = None
    if diff is not None and diff.version_change is not None:
        version = {"before": diff.version_change[0], "after": diff.version_change[1]}
    first = diff.first_divergence if diff is not None else None
    changes: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for pair in diff.differences if diff is not None else []:
        key = pair.key
        where = {"step_id": key.step_id, "iteration": key.iteration, "attempt": key.attempt}
        steps.append({**where, "marks": _marks(pair)})
        for row in _change_rows(pair):
            item = {**where, **row}
            item["before"], item["after"] = _json_value(row["before"]), _json_value(row["after"])
            absent = [side for side in ("before", "after") if row[side] is ABSENT]
            if absent:
                item["absent"] = absent[0]
            changes.append(item)
    return {
        "run_id": run.run_id,
        "baseline_run_id": baseline.run_id if baseline is not None else None,
        "baseline_reason": reason,
        "version_change": version,
        "identical": diff is not None and diff.is_empty,
        "first_divergence": None
        if first is None
        else {
            "step_id": first.diff.key.step_id,
            "iteration": first.diff.key.iteration,
            "attempt": first.diff.key.attempt,
            "kind": first.kind,
        },
        "root_causes": [
            {
                "path": cause.path,
                "before": _json_value(cause.before),
                "after": _json_value(cause.after),
                "reaches": cause.reaches,
                "through": list(cause.through),
            }
            for cause in (diff.root_causes if diff is not None else [])
        ],
        "steps": steps,
        "changes": changes,
        "shape_only": diff.shape_only if diff is not None else 0,
    }
