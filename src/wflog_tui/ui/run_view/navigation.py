"""Moving about a run: the next or previous failure from the cursor, and where the reader
was before a data-flow jump (for `b` to come back to)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from wflog_tui.model.step_tree import Failure, StepNode, StepTree


@dataclass(frozen=True)
class Location:
    """Where the reader was before a data-flow jump: a node, and what the pane showed."""

    keys: tuple[str, ...]
    field: str | None = None
    json_path: tuple = ()
    tab: str | None = None
    """The detail pane's tab the jump was made from, to land on it again."""


def landing_keys(tree: StepTree, *, running: bool) -> Iterator[tuple[str, ...]]:
    """Where a run opens, best first: each failure; for a running run, its last running
    step; the first node. The first the tree can select wins."""
    for failure in tree.failures:
        if failure.keys:
            yield tuple(failure.keys)
    index = tree.last_running_index() if running else None
    if index is not None:
        keys = tree.keys_of_entry(index)
        if keys:
            yield tuple(keys)
    if tree.nodes:
        yield (tree.nodes[0].key,)


def new_failures(before: StepTree, after: StepTree) -> list[Failure]:
    """The failures on `after` (a tail's tree) that `before` did not have, in log order."""
    known = {failure.entry_index for failure in before.failures}
    return [f for f in after.failures if f.keys and f.entry_index not in known]


@dataclass(frozen=True)
class FailureStep:
    """The failure to move to, and what to say about it."""

    keys: tuple[str, ...]
    message: str


def failure_step(tree: StepTree, here: StepNode | None, direction: int) -> FailureStep | None:
    """The next failure after `here` (`direction` > 0) or the previous one, wrapping around;
    None when the run has no failure on the tree."""
    failures = [f for f in tree.failures if f.keys]
    if not failures:
        return None
    position = _position(here)
    if direction > 0:
        target = next((i for i, f in enumerate(failures) if f.entry_index > position), None)
        wrapped, target = target is None, 0 if target is None else target
    else:
        before = [i for i, f in enumerate(failures) if f.entry_index < position]
        wrapped = not before
        target = before[-1] if before else len(failures) - 1
    message = f"failure {target + 1:,} of {len(failures):,}"
    if wrapped and len(failures) > 1:
        message += " (wrapped around)"
    return FailureStep(tuple(failures[target].keys), message)


def _position(node: StepNode | None) -> int:
    """Where `node` sits in `steps_log` order, for "the next failure after the cursor"."""
    while node is not None:
        if node.entries:
            return node.entries[0].index
        if node.malformed is not None:
            return node.malformed.index
        for child in node.children:
            if child.entries:
                return child.entries[0].index
        node = node.parent
    return -1
