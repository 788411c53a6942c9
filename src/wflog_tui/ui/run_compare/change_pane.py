"""The diff screen's detail pane: one step's changes, path by path, before and after.

Status first, then the duration, the error message when it changed, then every changed
leaf of the input and of the output (`json_diff`), each path on its own line with its value
before (in the baseline) and after (in this run) below it, so it reads the same at 80
columns as at 160.
A step in one run only lists that run's values. Nothing from the data is markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from wflog_tui.model.diff_report import where
from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration
from wflog_tui.model.entries import MalformedEntry, StepEntry
from wflog_tui.model.json_diff import ABSENT, LeafChange, diff_json
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.provenance import format_path
from wflog_tui.model.run_diff import EntryDiff, Mark
from wflog_tui.model.step_tree import StepNode
from wflog_tui.ui.run_compare.marked_tree import mark_text

# Changes listed per side before "… and N more": the pane is for reading, `wflog-tui diff
# --json` holds everything.
MAX_CHANGES: Final = 200
_VALUE_CHARS: Final = 400
_PATH_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class ChangeStyles:
    """How a value before (in the baseline) and after (in this run) is drawn."""

    before: Style | str = ""
    after: Style | str = ""


PLAIN: Final = ChangeStyles()


def value_text(value: Any) -> str:
    """A JSON value on one line, escaped and cut; `(absent)` where a side has none."""
    if value is ABSENT:
        return "(absent)"
    return one_line(to_json_text(value), _VALUE_CHARS)


def _marks_line(marks: Iterable[Mark]) -> Text:
    wanted = set(marks)
    # The symbols without the tree's style names, which only the tree resolves.
    text = Text(mark_text(wanted).plain.rstrip(), style="bold")
    text.append("  " + ", ".join(m.value for m in Mark if m in wanted))
    return text


def _heading(text: Text, title: str) -> None:
    text.append(f"\n{title}\n", style="bold underline")


def _changes(
    text: Text,
    root: str,
    changes: Sequence[LeafChange],
    truncated: bool,
    styles: ChangeStyles,
) -> None:
    if not changes:
        text.append("  no changes\n", style="dim")
        return
    for change in changes[:MAX_CHANGES]:
        text.append(f"  {one_line(format_path(root, change.json_path), _PATH_CHARS)}\n")
        text.append("    before ", style="dim")
        text.append(value_text(change.before) + "\n", style=styles.before)
        text.append("    after  ", style="dim")
        text.append(value_text(change.after) + "\n", style=styles.after)
    hidden = len(changes) - MAX_CHANGES
    if hidden > 0:
        text.append(f"  … and {hidden:,} more changes (wflog-tui diff --json lists all)\n")
    if truncated:
        text.append("  (the values are too big to compare whole; the first leaves only)\n")


def pair_text(pair: EntryDiff, styles: ChangeStyles = PLAIN) -> Text:
    """Everything the pane says about one aligned pair (or a step in one run only)."""
    text = Text()
    text.append(where(pair, " · ") + "\n", style="bold")
    text.append_text(_marks_line(pair.marks))
    text.append("\n")
    if Mark.MISSING in pair.marks or Mark.ADDED in pair.marks:
        _one_side(text, pair, styles)
        return text
    before, after = pair.status_before, pair.status_after
    if before is not None or after is not None:
        text.append("status   ", style="dim")
        if before == after:
            text.append(f"{one_line(after or '—', 30)} in both\n")
        else:
            text.append(f"{one_line(before or '—', 30)} → {one_line(after or '—', 30)}\n")
    this_ms = pair.this.duration_ms if isinstance(pair.this, StepEntry) else None
    base_ms = pair.baseline.duration_ms if isinstance(pair.baseline, StepEntry) else None
    if this_ms is not None or base_ms is not None:
        text.append("duration ", style="dim")
        text.append(f"{format_duration(base_ms)} → {format_duration(this_ms)}\n")
    if pair.by_shape_only:
        text.append(
            "\nCompared by their shape only (same step, status and place): the payloads "
            "are being fetched.\n",
            style="dim",
        )
        return text
    if isinstance(pair.this, MalformedEntry):
        _heading(text, "Malformed entry")
        _changes(text, "entry", pair.output.changes, pair.output.truncated, styles)
        return text
    if Mark.ERROR in pair.marks:
        _heading(text, "Error")
        change = LeafChange(("message",), pair.error_before, pair.error_after)
        _changes(text, "error", [change], False, styles)
        text.append("  (ids, numbers and times in the messages are not counted)\n", style="dim")
    _heading(text, "Input")
    _changes(text, "input", pair.input.changes, pair.input.truncated, styles)
    _heading(text, "Output")
    _changes(text, "output", pair.output.changes, pair.output.truncated, styles)
    return text


def _one_side(text: Text, pair: EntryDiff, styles: ChangeStyles) -> None:
    """A step one run lacks: its status and its values, as the run that has it logged them."""
    only_here = pair.this is not None
    entry = pair.this if only_here else pair.baseline
    word = "this run" if only_here else "the baseline"
    text.append(f"Only {word} has this step.\n", style="dim")
    if isinstance(entry, MalformedEntry):
        _heading(text, "Malformed entry")
        _values(text, "entry", entry.raw, only_here, styles)
        return
    assert isinstance(entry, StepEntry)
    text.append("status   ", style="dim")
    text.append(f"{one_line(entry.status, 30)}\n")
    if entry.payload_pending:
        text.append("\n(its payloads are not fetched yet)\n", style="dim")
        return
    _heading(text, "Input")
    _values(text, "input", entry.input, only_here, styles)
    _heading(text, "Output")
    _values(text, "output", entry.output, only_here, styles)


def _values(text: Text, root: str, value: Any, only_here: bool, styles: ChangeStyles) -> None:
    diff = diff_json(ABSENT, value) if only_here else diff_json(value, ABSENT)
    _changes(text, root, diff.changes, diff.truncated, styles)


def node_text(node: StepNode, marks: Iterable[Mark]) -> Text:
    """A node with no entry of its own (an iteration): its marks, gathered from its steps."""
    text = Text()
    text.append(one_line(node.label, 120) + "\n", style="bold")
    text.append_text(_marks_line(marks))
    text.append("\n\nThe marks gather those of the steps inside; select one to see its changes.\n")
    return text


class ChangePane(VerticalScroll):
    """What changed in the selected step, scrollable."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"change-pane--before", "change-pane--after"}
    """
    | Class | Description |
    | :- | :- |
    | `change-pane--before` | A value as the baseline had it. |
    | `change-pane--after` | A value as this run has it. |
    """

    DEFAULT_CSS = """
    ChangePane { padding: 0 1; }
    ChangePane > #change-text { width: 1fr; }
    ChangePane > .change-pane--before { color: $text-error; }
    ChangePane > .change-pane--after { color: $text-success; }
    """

    @property
    def styles_of_values(self) -> ChangeStyles:
        """The theme's styles for values before and after."""
        return ChangeStyles(
            self.get_component_rich_style("change-pane--before", partial=True),
            self.get_component_rich_style("change-pane--after", partial=True),
        )

    def compose(self) -> ComposeResult:
        """One block of text, replaced whole on every selection."""
        yield Static(id="change-text", markup=False)

    def show(self, text: Text) -> None:
        """Show `text` from its top."""
        self.query_one("#change-text", Static).update(text)
        self.scroll_home(animate=False)
