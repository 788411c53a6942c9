"""The failure groups screen's text: ages, sparklines, splitters, the blast radius, the header.

Every string from the database goes through `one_line` into a `rich.text.Text`, never
through markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

from rich.text import Text

from wflog_tui.model.display_text import one_line
from wflog_tui.model.failure_groups import FailureGroup
from wflog_tui.model.failure_splitters import Splitter, SplitterReport
from wflog_tui.model.groups_report import sparkline, splitter_line
from wflog_tui.store import RunFilter
from wflog_tui.ui.run_list.lines import window_label

# The blast radius names this many organisations and versions, then says how many more.
SHOWN_VALUES: Final = 5
SORT_NAMES: Final = {"count": "count", "last_seen": "last seen"}


def short_age(delta: timedelta) -> str:
    """`45s`, `3m`, `2h`, `5d`: how long ago, in the fewest characters a column can spare."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _squeezed(buckets: Sequence[int], width: int) -> list[int]:
    counts = list(buckets)
    while len(counts) > max(1, width):
        counts = [sum(counts[i : i + 2]) for i in range(0, len(counts), 2)]
    return counts


def squeezed_sparkline(buckets: Sequence[int], width: int) -> str:
    """The buckets as a sparkline at most `width` characters wide, adjacent slices summed."""
    return sparkline(_squeezed(buckets, width))


def sparkline_text(buckets: Sequence[int], width: int) -> Text:
    """`squeezed_sparkline` with the slices that had failures in the error colour and the
    empty ones dimmed, so a quiet stretch reads as quiet rather than as a red line."""
    counts = _squeezed(buckets, width)
    text = Text()
    for count, bar in zip(counts, sparkline(counts), strict=True):
        text.append(bar, style="bold red" if count else "dim")
    return text


def workflow_label(group: FailureGroup) -> str:
    """The workflow's name, else its id; `(no workflow)` when the run had neither."""
    name = group.workflow_name or group.key.workflow
    return "(no workflow)" if name is None else name


def step_label(group: FailureGroup) -> str:
    """The failing step's id, or `(no step)` for a failure read from the top-level error."""
    return group.key.step_id if group.key.step_id is not None else "(no step)"


def organisations_cell(organisations: Mapping[str | None, int]) -> str:
    """The most hit organisation, and how many others: `org_hooli +2`."""
    if not organisations:
        return "—"
    first = next(iter(organisations))
    name = one_line(first, 40) if first is not None else "—"
    more = len(organisations) - 1
    return f"{name} +{more}" if more else name


def splitter_text(splitter: Splitter, width: int) -> Text:
    """`input.invoice.currency = "JPY"   60 of 60 failing · 0 of 300 passing`, on one line
    when `width` allows, else the evidence on a second, indented line."""
    line = splitter_line(splitter)
    if len(line) <= width:
        return Text(line)
    subject = f"{one_line(splitter.path, 80)} = {one_line(splitter.value_text, 80)}"
    evidence = (
        f"{splitter.failing:,} of {splitter.failing_total:,} failing · "
        f"{splitter.passing:,} of {splitter.passing_total:,} passing"
    )
    text = Text(one_line(subject, max(10, width)))
    text.append("\n    " + evidence, style="dim")
    return text


def _counts_line(label: str, values: Mapping[str | None, int]) -> Text:
    shown = [
        f"{one_line(str(value), 40) if value is not None else '—'} {count:,}"
        for value, count in list(values.items())[:SHOWN_VALUES]
    ]
    more = len(values) - SHOWN_VALUES
    text = Text(f"{label:<14}", style="bold")
    text.append(" · ".join(shown) + (f" · {more:,} more" if more > 0 else ""))
    return text


def detail_text(
    group: FailureGroup,
    report: SplitterReport | None,
    *,
    width: int,
    now: datetime,
    updating: bool,
    problem: str | None,
) -> Text:
    """A selected group: its signature, splitters with sample sizes, and blast radius."""
    text = Text(no_wrap=False)
    text.append("NEW " if group.new else "", style="bold reverse")
    text.append(one_line(f"{workflow_label(group)} › {step_label(group)}", 200), style="bold")
    text.append(f"\n{one_line(group.key.signature, 500)}\n", style="italic")
    text.append(
        f"{group.count:,} failures · first {short_age(now - group.first_seen)} · "
        f"last {short_age(now - group.last_seen)} ago\n"
    )
    text.append("\n")
    if problem is not None:
        text.append(f"Splitters: {one_line(problem, 200)}\n", style="bold")
    elif report is None:
        text.append("Comparing the failing runs with the passing ones …\n", style="dim")
    elif not report.splitters:
        text.append(
            f"Nothing sets the failing runs apart ({report.failing_total:,} failing, "
            f"{report.passing_total:,} passing sampled)\n"
        )
    else:
        text.append(
            f"What the failing runs share ({report.failing_total:,} failing, "
            f"{report.passing_total:,} passing sampled)"
            + (", updating …" if updating else "")
            + "\n",
            style="bold",
        )
        for splitter in report.splitters:
            text.append("  ")
            text.append_text(splitter_text(splitter, width - 2))
            text.append("\n")
    text.append("\n")
    text.append_text(_counts_line("organisations", group.organisations))
    text.append("\n")
    text.append_text(_counts_line("versions", group.versions))
    return text


def header_line(
    run_filter: RunFilter, sort: str, groups: Sequence[FailureGroup], *, shown: int
) -> Text:
    """What the screen shows: window, scope, filter, sort, the totals, and how many of the
    groups the table lists when it cannot list them all (`shown`)."""
    text = Text("Failure groups", style="bold")
    text.append(f" · window {window_label(run_filter.since)}")
    if run_filter.organisation:
        text.append(f" · org {one_line(run_filter.organisation, 40)}")
    if run_filter.workflow:
        text.append(f" · workflow {one_line(run_filter.workflow, 40)}")
    failures = sum(g.count for g in groups)
    new = sum(1 for g in groups if g.new)
    text.append(f" · {len(groups):,} groups, {failures:,} failures")
    if new:
        text.append(f", {new:,} new", style="bold")
    if len(groups) > shown:
        text.append(f" · the top {shown:,} by {SORT_NAMES[sort]}", style="bold")
    else:
        text.append(f" · by {SORT_NAMES[sort]}")
    return text
