"""The incident report: one Markdown document, written section by section.

What `wflog-tui report` writes: the window and filters used, each failure group with its
blast radius and splitters, then for the top groups their newest failing run (where it
landed, its diff against the last good run, the root cause) and the command lines that
reopen each run on its step. Each function returns the lines of one section, so the
command can write a section as soon as its data is read and forget it.

Every value from the data goes through `markdown_text` (code spans and fences longer
than any backtick run in them, or escaped text), so a payload cannot forge a heading,
a link, HTML or a list item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from wflog_tui.model.diff_report import report_lines as diff_lines
from wflog_tui.model.diff_report import root_cause_line
from wflog_tui.model.durations import format_instant
from wflog_tui.model.failure_groups import FailureGroup, TimeWindow
from wflog_tui.model.failure_splitters import SplitterReport
from wflog_tui.model.markdown_text import code, fenced, plain
from wflog_tui.model.run import RunSummary
from wflog_tui.model.run_diff import RunDiff
from wflog_tui.model.run_markdown import failing_focus, focus_lines, step_link
from wflog_tui.model.step_link import StepLink, command_line, link_run_id, reopen_argv
from wflog_tui.model.step_tree import StepTree

# A group's blast radius lists this many organisations and versions, then "N more".
SHOWN_VALUES: Final = 8
# Lines of `diff`'s text output carried per explained run; the rest is counted.
DIFF_LINES: Final = 60
_COMMAND_CHARS: Final = 4000


def _instant(value: datetime | None) -> str:
    if value is None:
        return "the beginning"
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _command(link: StepLink, scope: Sequence[str]) -> str:
    """The command line that reopens `link`, as a code span."""
    return code(command_line(reopen_argv(link, scope)), _COMMAND_CHARS)


def header_lines(
    window: TimeWindow,
    filters: Sequence[tuple[str, str | None]],
    generated_at: datetime,
    *,
    version: str,
) -> list[str]:
    """The title, the exact window and every filter used (unset ones say "any")."""
    lines = [
        f"# Incident report: failures from {_instant(window.start)} to {_instant(window.end)}",
        "",
        f"- Window: runs started from {_instant(window.start)} to {_instant(window.end)} "
        "(server clock)",
    ]
    for name, value in filters:
        lines.append(f"- {name}: {code(value, 300) if value is not None else 'any'}")
    lines.append(f"- Written: {_instant(generated_at)} by wflog-tui {plain(version, 40)}")
    return lines


def _counts(values: Mapping[str | None, int]) -> str:
    shown = [f"{code(k, 80)} {n:,}" for k, n in list(values.items())[:SHOWN_VALUES]]
    more = len(values) - SHOWN_VALUES
    return " · ".join(shown) + (f" · {more:,} more" if more > 0 else "")


def _workflow(group: FailureGroup) -> str:
    key = group.key
    if key.workflow is None:
        return "(no workflow)"
    if key.by_name or group.workflow_name in (None, key.workflow):
        return code(key.workflow, 120)
    return f"{code(group.workflow_name, 120)} ({code(key.workflow, 120)})"


def group_title(number: int, group: FailureGroup) -> str:
    """`### 3. NEW `Workflow` › `step`: 12 failures` (the step is `(no step)` when none)."""
    step = code(group.key.step_id, 120) if group.key.step_id is not None else "(no step)"
    badge = "NEW " if group.new else ""
    failures = "failure" if group.count == 1 else "failures"
    return f"### {number}. {badge}{_workflow(group)} › {step}: {group.count:,} {failures}"


def groups_summary(groups: int, failures: int, *, truncated: bool) -> list[str]:
    """The count line under "Failure groups", and the cap's note when it was reached."""
    lines = [
        f"{groups:,} group{'' if groups == 1 else 's'}, {failures:,} "
        f"failure{'' if failures == 1 else 's'}, newest activity first."
    ]
    if truncated:
        lines.append("")
        lines.append("Reading stopped at the newest failures: older ones are not counted.")
    return lines


def group_lines(
    number: int,
    group: FailureGroup,
    splitters: SplitterReport | None,
    now: datetime,
    scope: Sequence[str] = (),
) -> list[str]:
    """One group: its error, when, its blast radius, what its failing runs share, and the
    command line that opens its newest run on the failing step."""
    lines = [
        group_title(number, group),
        "",
        f"- Error: {code(group.key.signature, 400)}",
        f"- First seen {format_instant(group.first_seen, now)} · last seen "
        f"{format_instant(group.last_seen, now)}",
        f"- Organisations: {_counts(group.organisations)}",
        f"- Versions: {_counts(group.versions)}",
        f"- Newest runs: {', '.join(code(r, 80) for r in group.sample_run_ids[:5])}",
    ]
    if splitters is not None:
        sampled = (
            f"{splitters.failing_total:,} failing and {splitters.passing_total:,} passing "
            "runs sampled"
        )
        if not splitters.splitters:
            lines.append(f"- Nothing sets the failing runs apart ({sampled})")
        else:
            lines.append(f"- What the failing runs share ({sampled}):")
            lines.extend(
                f"  - {code(s.path, 200)} = {code(s.value_text, 200)}: {s.failing:,} of "
                f"{s.failing_total:,} failing, {s.passing:,} of {s.passing_total:,} passing"
                for s in splitters.splitters
            )
    if group.run_ids:
        run_id = link_run_id(group.run_ids[0], group.ids[0] if group.ids else None)
        link = StepLink(run_id, group.key.step_id, None, "error")
        lines.append(f"- Open the newest: {_command(link, scope)}")
    return lines


def explained_lines(
    number: int,
    group: FailureGroup,
    run: RunSummary,
    tree: StepTree,
    comparison: tuple[RunSummary | None, str, RunDiff | None],
    scope: Sequence[str] = (),
) -> list[str]:
    """One top group's newest failing run: where it landed, its root cause, its diff
    against the last good run (as `wflog-tui diff` prints it, fenced), and links."""
    baseline, reason, diff = comparison
    lines = [f"### {number}. Newest failing run {code(run.run_id, 120)}", ""]
    run_id = link_run_id(run.run_id, run.id)
    focus = failing_focus(tree)
    if focus is None:
        lines.append("- No failed step in its log (the run's own error decided its group)")
        link = StepLink(run_id)
    else:
        node, entry = focus
        lines.extend(focus_lines(node, entry))
        link = step_link(run_id, node, entry, "data-flow")
    if diff is not None and diff.root_causes:
        lines.extend(f"- Root cause: {code(root_cause_line(c), 600)}" for c in diff.root_causes)
    elif diff is not None:
        lines.append("- Root cause: no changed input traced back to a changed value")
    lines.append(f"- Baseline: {plain(reason, 400)}")
    lines.append(f"- Reopen the run: {_command(StepLink(run_id), scope)}")
    lines.append(f"- Reopen the step: {_command(link, scope)}")
    if baseline is not None and diff is not None:
        text = diff_lines(run, baseline, reason, diff)
        cut = len(text) - DIFF_LINES
        lines += ["", f"Diff against the last good run {code(baseline.run_id, 120)}:", ""]
        lines += fenced("\n".join(text[:DIFF_LINES]), "text")
        if cut > 0:
            lines.append(f"({cut:,} more lines: `wflog-tui diff` prints them all)")
    return lines
