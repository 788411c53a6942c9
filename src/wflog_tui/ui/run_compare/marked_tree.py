"""This run's step tree with a mark beside every node: how it differs from the baseline.

The tree is the run view's own `StepTreeView` (built lazily, paged, filled from a skeleton
as nodes come into view); only each label gains a short column of symbols in front. A
symbol says what a colour only repeats, and `legend` spells every one of them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from rich.text import Text

from wflog_tui.model import status as st
from wflog_tui.model.run_diff import Mark
from wflog_tui.model.step_tree import StepNode, StepTree
from wflog_tui.ui.run_view.step_tree_view import StepTreeView

# Symbol and label style per mark, in the order a node's symbols are written. Styles are
# the step tree's own names (`status:…` takes the theme's status colour).
MARK_SYMBOLS: Final[dict[Mark, tuple[str, str]]] = {
    Mark.STATUS: ("!", f"status:{st.FAILED}"),
    Mark.INPUT: ("i", "step-tree--warning"),
    Mark.OUTPUT: ("o", "step-tree--warning"),
    Mark.ADDED: ("+", f"status:{st.COMPLETED}"),
    Mark.MISSING: ("-", f"status:{st.CANCELED}"),
    Mark.SLOWER: ("»", "step-tree--warning"),
    Mark.SAME: ("=", "step-tree--muted"),
}
# Short words for the legend, where the full ones would not fit 80 columns.
_LEGEND_WORDS: Final = {
    Mark.SAME: "same",
    Mark.STATUS: "status",
    Mark.INPUT: "input",
    Mark.OUTPUT: "output",
    Mark.ADDED: "only here",
    Mark.MISSING: "only baseline",
    Mark.SLOWER: "2× slower",
}
# Wide enough for the most marks a node shows in practice (status, input, output).
MARK_WIDTH: Final = 3
_SAME: Final = frozenset({Mark.SAME})


def mark_text(marks: Iterable[Mark]) -> Text:
    """The symbols of `marks`, in a fixed order, padded to `MARK_WIDTH` (or wider)."""
    wanted = set(marks) or set(_SAME)
    if len(wanted) > 1:
        wanted.discard(Mark.SAME)
    text = Text()
    for mark, (symbol, style) in MARK_SYMBOLS.items():
        if mark in wanted:
            text.append(symbol, style=style)
    text.pad_right(max(0, MARK_WIDTH - text.cell_len))
    return text


def legend() -> Text:
    """Every symbol and what it means, on one line."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for mark in (Mark.SAME, *(m for m in MARK_SYMBOLS if m is not Mark.SAME)):
        symbol, _style = MARK_SYMBOLS[mark]
        if text:
            text.append("  ")
        text.append(symbol, style="bold")
        text.append(f" {_LEGEND_WORDS[mark]}")
    return text


class MarkedTreeView(StepTreeView):
    """A step tree whose every label starts with the node's marks (`=` when the same)."""

    def __init__(self, *, id: str | None = None) -> None:
        """An empty tree; `show_marked` fills it."""
        self._marks: Mapping[str, frozenset[Mark]] = {}
        super().__init__(id=id)

    def show_marked(self, tree_marks: Mapping[str, frozenset[Mark]], tree: StepTree) -> None:
        """Show `tree` with `tree_marks` (node key → marks; a key not there is the same)."""
        self._marks = tree_marks
        self.show_tree(tree)

    def marks_of(self, node: StepNode) -> frozenset[Mark]:
        """The marks `node` is shown with."""
        return self._marks.get(node.key, _SAME)

    def add_marks(self, keys: Iterable[str], marks: frozenset[Mark]) -> None:
        """Give the nodes keyed `keys` `marks` too (a pair compared again once its payloads
        came), and redraw those that exist."""
        merged = dict(self._marks)
        changed = []
        for key in keys:
            before = merged.get(key, frozenset())
            after = before | marks
            if len(after) > 1:
                after = after - _SAME
            if after != before:
                merged[key] = after
                changed.append(key)
        self._marks = merged
        if changed:
            self.refresh_nodes(changed)

    def label_for(self, node: StepNode) -> Text:
        """The run view's label, after the node's marks."""
        text = mark_text(self.marks_of(node))
        text.append(" ")
        text.append_text(super().label_for(node))
        return text
