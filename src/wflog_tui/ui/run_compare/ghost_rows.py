"""Rows for the steps only the baseline ran, placed where they would sit in this run's tree.

A step the baseline ran and this run did not has no node in this run's tree. It gets a
"ghost" node drawn from the baseline's entry, among the children of the node that would
hold it (the top level, or the loop iteration it ran in), right after the step that ran
before it in run order. A step of an iteration this run never reached has no such place:
its loop carries the mark instead (`RunDiff.node_marks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from wflog_tui.model import status as st
from wflog_tui.model.entries import MalformedEntry, StepEntry
from wflog_tui.model.run_diff import EntryDiff, RunDiff
from wflog_tui.model.step_tree import NodeKind, StepNode, StepTree

# Pairs looked back through for the step a ghost follows; past that it goes first.
MAX_LOOK_BACK: Final = 2_000
# A key no real node has: real keys are `s3`, `s3/i12`, `s3/i12/s5`, `…/a2`.
GHOST_MARK: Final = "~b"


@dataclass(frozen=True, slots=True)
class GhostRow:
    """One step only in the baseline: where it goes, and the node that shows it.

    `parent_keys` is the key path of the node holding it (empty at the top level);
    `after` the key of the sibling it follows (None: first among them).
    """

    parent_keys: tuple[str, ...]
    after: str | None
    node: StepNode
    pair: EntryDiff

    @property
    def keys(self) -> tuple[str, ...]:
        """The ghost's own key path, for `select_keys`."""
        return (*self.parent_keys, self.node.key)


def ghost_rows(diff: RunDiff, tree: StepTree) -> list[GhostRow]:
    """A row for every step only in the baseline that has a place in `tree`."""
    rows: list[GhostRow] = []
    pairs = diff.pairs
    for position, pair in enumerate(pairs):
        if pair.this is not None or pair.baseline is None:
            continue
        parent_keys = diff.keys_in_this(pair, tree)
        parent = tree.find(parent_keys) if parent_keys else None
        if parent_keys and (parent is None or parent.kind is not NodeKind.ITERATION):
            continue
        after = _sibling_before(pairs, position, tree, parent_keys)
        rows.append(GhostRow(parent_keys, after, _ghost_node(pair, parent), pair))
    return rows


def _sibling_before(
    pairs: Sequence[EntryDiff], position: int, tree: StepTree, parent_keys: tuple[str, ...]
) -> str | None:
    """The key of the child of `parent_keys` that shows the nearest earlier pair of this run."""
    depth = len(parent_keys)
    for pair in pairs[max(0, position - MAX_LOOK_BACK) : position][::-1]:
        if pair.this is None:
            continue
        keys = tree.keys_of_entry(pair.this.index)
        if keys is not None and len(keys) > depth and tuple(keys[:depth]) == parent_keys:
            return keys[depth]
    return None


def _ghost_node(pair: EntryDiff, parent: StepNode | None) -> StepNode:
    entry = pair.baseline
    prefix = f"{parent.key}/" if parent is not None else ""
    assert entry is not None
    key = f"{prefix}{GHOST_MARK}{entry.index}"
    if isinstance(entry, MalformedEntry):
        return StepNode(
            NodeKind.MALFORMED, key, pair.label, st.UNKNOWN, parent=parent, malformed=entry
        )
    assert isinstance(entry, StepEntry)
    return StepNode(
        NodeKind.STEP,
        key,
        entry.label,
        entry.status,
        parent=parent,
        entries=[entry],
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        duration_ms=entry.duration_ms,
    )
