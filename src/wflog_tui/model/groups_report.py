"""Failure groups as plain text or JSON: what `wflog-tui groups` prints.

Every string from the data goes through `display_text`, so the report can be written to
any terminal or pasted into an incident channel with no escape sequence acting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_instant
from wflog_tui.model.failure_groups import FailureGroup, TimeWindow
from wflog_tui.model.failure_splitters import Splitter, SplitterReport

_BARS: Final = "▁▂▃▄▅▆▇█"
# A group's blast radius lists this many organisations and versions; the JSON has all.
_SHOWN_VALUES: Final = 5


def sparkline(counts: Sequence[int]) -> str:
    """Counts as block characters, the highest as a full block; all zero is a flat line."""
    top = max(counts, default=0)
    if top == 0:
        return _BARS[0] * len(counts)
    return "".join(_BARS[round(c / top * (len(_BARS) - 1))] for c in counts)


def _workflow(group: FailureGroup) -> str:
    key = group.key
    if key.workflow is None:
        return "(no workflow)"
    if key.by_name or group.workflow_name in (None, key.workflow):
        return one_line(key.workflow, 80)
    return f"{one_line(group.workflow_name or '', 60)} ({one_line(key.workflow, 60)})"


def _counts(values: Mapping[str | None, int]) -> str:
    shown = [f"{one_line(str(k), 40) if k is not None else '—'} {n:,}" for k, n in values.items()]
    more = len(shown) - _SHOWN_VALUES
    return " · ".join(shown[:_SHOWN_VALUES]) + (f" · {more:,} more" if more > 0 else "")


def splitter_line(splitter: Splitter) -> str:
    """`input.invoice.currency = "JPY"   60 of 60 failing · 0 of 300 passing`."""
    return (
        f"{one_line(splitter.path, 80)} = {one_line(splitter.value_text, 80)}   "
        f"{splitter.failing:,} of {splitter.failing_total:,} failing · "
        f"{splitter.passing:,} of {splitter.passing_total:,} passing"
    )


def report_lines(
    groups: Sequence[tuple[FailureGroup, SplitterReport | None]],
    window: TimeWindow,
    now: datetime,
    *,
    truncated: bool = False,
) -> list[str]:
    """Each group with its blast radius, newest runs and splitters, as lines of text."""
    since = "all time" if window.start is None else f"since {format_instant(window.start)}"
    total = sum(g.count for g, _ in groups)
    lines = [f"Failure groups {since}: {len(groups):,} groups, {total:,} failures"]
    if truncated:
        lines.append("(stopped reading at the newest failures: older ones are not counted)")
    for group, report in groups:
        badge = "NEW " if group.new else "    "
        step = one_line(group.key.step_id, 80) if group.key.step_id is not None else "(no step)"
        lines += [
            "",
            f"{badge}{_workflow(group)} › {step}   {group.count:,} failures   "
            f"{sparkline(group.buckets)}",
            f"    {one_line(group.key.signature, 200)}",
            f"    first {format_instant(group.first_seen, now)}",
            f"    last  {format_instant(group.last_seen, now)}",
            f"    organisations  {_counts(group.organisations)}",
            f"    versions       {_counts(group.versions)}",
            f"    newest runs    {', '.join(one_line(r, 60) for r in group.sample_run_ids[:3])}",
        ]
        if report is None:
            continue
        if not report.splitters:
            lines.append(
                f"    nothing sets the failing runs apart ({report.failing_total:,} failing, "
                f"{report.passing_total:,} passing sampled)"
            )
            continue
        lines.append(
            f"    what the failing runs share ({report.failing_total:,} failing, "
            f"{report.passing_total:,} passing sampled):"
        )
        lines += [f"      {splitter_line(s)}" for s in report.splitters]
    return lines


def _mapping(values: Mapping[str | None, int]) -> dict[str, int]:
    # JSON keys are strings: a run without organisation or version is counted under "".
    merged: dict[str, int] = {}
    for key, count in values.items():
        merged[key or ""] = merged.get(key or "", 0) + count
    return merged


def report_json(
    groups: Sequence[tuple[FailureGroup, SplitterReport | None]],
) -> list[dict[str, Any]]:
    """The groups as JSON-ready objects, in the order given (newest activity first)."""
    result = []
    for group, report in groups:
        result.append(
            {
                "workflow": group.key.workflow,
                "workflow_name": group.workflow_name,
                "step_id": group.key.step_id,
                "signature": group.key.signature,
                "count": group.count,
                "first_seen": group.first_seen.isoformat(),
                "last_seen": group.last_seen.isoformat(),
                "new": group.new,
                "buckets": list(group.buckets),
                "organisations": _mapping(group.organisations),
                "versions": _mapping(group.versions),
                "sample_run_ids": list(group.sample_run_ids),
                "splitters": [
                    {
                        "path": s.path,
                        "value": s.value,
                        "failing": s.failing,
                        "failing_total": s.failing_total,
                        "passing": s.passing,
                        "passing_total": s.passing_total,
                    }
                    for s in (report.splitters if report is not None else [])
                ],
            }
        )
    return result
