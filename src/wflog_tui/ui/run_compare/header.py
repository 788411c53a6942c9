"""The diff screen's header: this run, the baseline and why, the version change, and the
first divergence with its root source."""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual.widgets import Static

from wflog_tui.model.diff_report import divergence_kind, root_cause_line
from wflog_tui.model.display_text import one_line
from wflog_tui.model.run_diff import Divergence, RunDiff
from wflog_tui.store.run_comparison import LoadedComparison

# Root causes shown at most: one per changed input of the failing step, usually one.
MAX_CAUSES: Final = 2


def _divergence(first: Divergence) -> str:
    pair = first.diff
    where = one_line(pair.label, 80)
    if pair.key.iteration is not None:
        where += f", iteration {pair.key.iteration:,}"
    if pair.key.attempt > 1 and pair.key[0] == "step":
        where += f", attempt {pair.key.attempt}"
    return f"first divergence: {where} — {divergence_kind(first)}"


def _findings(text: Text, diff: RunDiff) -> None:
    if diff.version_change is not None:
        before, after = diff.version_change
        text.append("\nversion ", style="dim")
        text.append(f"{one_line(before or '(none)', 60)} → {one_line(after or '(none)', 60)}")
        text.append("  a new version ran", style="dim")
    if diff.is_empty:
        text.append("\nno differences: the runs did the same", style="bold")
        return
    differences = diff.differences
    if not differences:
        text.append("\nno differences in the steps")
        return
    # As `wflog-tui diff` prints them: where the runs first part, then the source behind it.
    first = diff.first_divergence
    if first is not None:
        text.append("\n")
        text.append(_divergence(first), style="bold")
    for cause in diff.root_causes[:MAX_CAUSES]:
        text.append("\n")
        text.append(root_cause_line(cause), style="bold")
    count = len(differences)
    text.append(f"\n{count:,} differing step{'s' if count != 1 else ''}", style="dim")
    text.append(" · n / N to move between them", style="dim")
    if diff.shape_only:
        text.append(f" · {diff.shape_only:,} alike by their shape", style="dim")


def comparison_text(comparison: LoadedComparison) -> Text:
    """Everything the header says about a comparison, safe for any terminal."""
    run = comparison.this.detail.summary
    text = Text()
    text.append("Compare ", style="bold")
    text.append(f"run {one_line(run.run_id, 60)}")
    text.append(f"  {one_line(run.workflow_name or run.workflow_id or '—', 60)}", style="dim")
    text.append("\nbaseline ", style="dim")
    baseline = comparison.baseline
    if baseline is None:
        text.append("none: ", style="bold")
        text.append(one_line(comparison.reason, 300))
        text.append("\nPress D to compare with a run you name, esc to go back.", style="dim")
        return text
    text.append(one_line(baseline.detail.summary.run_id, 60))
    text.append(f": {one_line(comparison.reason, 300)}")
    if comparison.diff is not None:
        _findings(text, comparison.diff)
    return text


class CompareHeader(Static):
    """Which runs are compared and why, and what the comparison found first."""

    DEFAULT_CSS = """
    CompareHeader { height: auto; max-height: 9; padding: 0 1; background: $boost; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        """An empty header; `show_message` or `show_comparison` fills it."""
        super().__init__(Text("Comparing …"), id=id)

    def show_message(self, message: Text) -> None:
        """Show a message instead of a comparison (loading, an error)."""
        self.update(message)

    def show_comparison(self, comparison: LoadedComparison) -> None:
        """Show what `comparison` compared and found."""
        self.update(comparison_text(comparison))
