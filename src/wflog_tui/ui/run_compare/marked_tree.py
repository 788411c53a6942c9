"""This run's step tree with a mark beside every node: how it differs from the baseline.

The tree is the run view's own `StepTreeView` (built lazily, paged, filled from a skeleton
as nodes come into view); only each label gains a short column of symbols in front. A
symbol says what a colour only repeats, and `legend` spells out those in the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from rich.text import Text

from wflog_tui.model import status as st
from wflog_tui.model.run_diff import Mark
from wflog_tui.model.step_tree import StepNode, StepTree
from wflog_tui.ui.run_compare.ghost_rows import GHOST_MARK, GhostRow
from wflog_tui.ui.run_view.step_tree_view import StepTreeView

# Symbol and label style per mark, in the order a node's symbols are written. Styles are
# the step tree's own names (`status:…` takes the theme's status colour).
MARK_SYMBOLS: Final[dict[Mark, tuple[str, str]]] = {
    Mark.STATUS: ("!", f"status:{st.FAILED}"),
    Mark.INPUT: ("i", "step-tree--warning"),
    Mark.OUTPUT: ("o", "step-tree--warning"),
    Mark.ERROR: ("e", f"status:{st.FAILED}"),
    Mark.ADDED: ("+", f"status:{st.COMPLETED}"),
    Mark.MISSING: ("-", f"status:{st.CANCELED}"),
    Mark.SLOWER: ("»", "step-tree--warning"),
    Mark.FASTER: ("«", "step-tree--muted"),
    Mark.SAME: ("=", "step-tree--muted"),
}
# Short words for the legend, where the full ones would not fit 80 columns.
_LEGEND_WORDS: Final = {
    Mark.SAME: "same",
    Mark.STATUS: "status",
    Mark.INPUT: "input",
    Mark.OUTPUT: "output",
    Mark.ERROR: "error",
    Mark.ADDED: "only here",
    Mark.MISSING: "only baseline",
    Mark.SLOWER: "2× slower",
    Mark.FASTER: "2× faster",
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


def legend(shown: Iterable[Mark]) -> Text:
    """`=` and the symbols of the marks `shown` in the tree, with what they mean, on one
    line (all nine would not fit 80 columns; the README lists them)."""
    wanted = set(shown)
    text = Text(no_wrap=True, overflow="ellipsis")
    for mark in (Mark.SAME, *(m for m in MARK_SYMBOLS if m is not Mark.SAME and m in wanted)):
        symbol, _style = MARK_SYMBOLS[mark]
        if text:
            text.append("  ")
        text.append(symbol, style="bold")
        text.append(f" {_LEGEND_WORDS[mark]}")
    return text


class MarkedTreeView(StepTreeView):
    """A step tree whose every label starts with the node's marks (`=` when the same),
    with a row for each step only the baseline ran (`ghost_rows`) where it would sit."""

    def __init__(self, *, id: str | None = None) -> None:
        """An empty tree; `show_marked` fills it."""
        self._marks: Mapping[str, frozenset[Mark]] = {}
        # Ghost rows by the key of the node holding them (None: the top level), and those
        # nodes' children with the ghosts in place, made when first asked for.
        self._ghosts: dict[str | None, list[GhostRow]] = {}
        self._merged: dict[str | None, list[StepNode]] = {}
        super().__init__(id=id)

    def show_marked(
        self,
        tree_marks: Mapping[str, frozenset[Mark]],
        tree: StepTree,
        ghosts: Sequence[GhostRow] = (),
    ) -> None:
        """Show `tree` with `tree_marks` (node key → marks; a key not there is the same)
        and the baseline's steps of `ghosts` among the nodes that would hold them."""
        marks = dict(tree_marks)
        self._ghosts = {}
        for row in ghosts:
            parent = row.parent_keys[-1] if row.parent_keys else None
            self._ghosts.setdefault(parent, []).append(row)
            marks[row.node.key] = row.pair.marks
        self._merged = {}
        self._marks = marks
        self.show_tree(tree)

    def _children_with_ghosts(self, node: StepNode | None) -> list[StepNode] | None:
        """`node`'s children (the top level for None) with its ghosts in place; None when
        it holds no ghost."""
        key = None if node is None else node.key
        rows = self._ghosts.get(key)
        if not rows:
            return None
        merged = self._merged.get(key)
        if merged is None:
            following: dict[str | None, list[StepNode]] = {}
            for row in rows:
                following.setdefault(row.after, []).append(row.node)
            merged = list(following.pop(None, []))
            # child_at, not .children: a loop or a step of many attempts builds lazily.
            children = (
                self.step_tree.nodes
                if node is None
                else [node.child_at(i) for i in range(node.child_count())]
            )
            for child in children:
                merged.append(child)
                merged.extend(following.pop(child.key, []))
            # A sibling that is not there (it cannot be, but a ghost is never dropped).
            merged.extend(n for nodes in following.values() for n in nodes)
            self._merged[key] = merged
        return merged

    # The three places the base class reads a node's children; `item` is its private
    # `_StepItem` (the node a tree row stands for).

    def _count(self, item) -> int:
        merged = self._children_with_ghosts(item.node)
        return super()._count(item) if merged is None else len(merged)

    def _child(self, item, position: int) -> StepNode:
        merged = self._children_with_ghosts(item.node)
        return super()._child(item, position) if merged is None else merged[position]

    def _position_of(self, item, key: str) -> int | None:
        merged = self._children_with_ghosts(item.node)
        if merged is None:
            return super()._position_of(item, key)
        return next((i for i, child in enumerate(merged) if child.key == key), None)

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
        """The run view's label, after the node's marks; a ghost row says what it is."""
        text = mark_text(self.marks_of(node))
        text.append(" ")
        label = super().label_for(node)
        if GHOST_MARK in node.key:
            label.stylize("step-tree--muted")
            label.append("  only in baseline", style="step-tree--muted")
        text.append_text(label)
        return text
