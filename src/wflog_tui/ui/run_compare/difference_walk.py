"""Where `n` and `N` are among a comparison's differences, and which pair a row of the marked
tree stands for.

The differences are the `RunDiff`'s differing pairs in run order. A difference found late
(a pair compared by its shape, fetched and compared again) is taken in without losing the
reader's place. A step only the baseline ran is shown by a ghost row (`ghost_rows.py`): its
pair is found by the ghost node's key, and the ghost's key path by its pair. Pairs are
told apart by identity, as `RunDiff` holds them.
"""

from __future__ import annotations

from collections.abc import Sequence

from wflog_tui.model.run_diff import EntryDiff, Mark, RunDiff
from wflog_tui.model.step_tree import StepNode
from wflog_tui.ui.run_compare.ghost_rows import GhostRow


class DifferenceWalk:
    """The differences of the comparison shown, the one the reader is at, the ghost rows."""

    def __init__(self) -> None:
        self.differences: list[EntryDiff] = []
        self.position = -1
        """The difference the reader is at (-1: none yet)."""
        self._position_of: dict[int, int] = {}
        self._ghost_pairs: dict[str, EntryDiff] = {}
        self._ghost_keys: dict[int, tuple[str, ...]] = {}

    def take(self, diff: RunDiff) -> frozenset[Mark]:
        """Hold `diff`'s differences (the one the reader is at stays current); the marks
        they carry, for the legend."""
        current = self.differences[self.position] if self.position >= 0 else None
        self.differences = diff.differences
        self._position_of = {id(pair): i for i, pair in enumerate(self.differences)}
        self.position = self._position_of.get(id(current), -1)
        return frozenset(mark for pair in self.differences for mark in pair.marks)

    def place_ghosts(self, rows: Sequence[GhostRow]) -> None:
        """Remember the ghost rows drawn for the steps only the baseline ran."""
        self._ghost_pairs = {row.node.key: row.pair for row in rows}
        self._ghost_keys = {id(row.pair): row.keys for row in rows}

    def reset(self) -> None:
        """Forget everything: another baseline is being compared."""
        self.differences, self._position_of, self.position = [], {}, -1
        self._ghost_pairs, self._ghost_keys = {}, {}

    def index(self, pair: EntryDiff) -> int:
        """Where the difference `pair` is among the differences."""
        return self._position_of[id(pair)]

    def visit(self, pair: EntryDiff) -> None:
        """The reader is at `pair`: `n` goes on from there, if it is a difference."""
        self.position = self._position_of.get(id(pair), self.position)

    def next(self, direction: int) -> int:
        """The difference after (1) or before (-1) the current one, wrapping around; from
        none yet, the first or the last. There must be differences."""
        count = len(self.differences)
        if self.position < 0:
            return 0 if direction > 0 else count - 1
        return (self.position + direction) % count

    def ghost_keys(self, pair: EntryDiff) -> tuple[str, ...] | None:
        """The key path of the ghost row showing `pair`; None when it has none."""
        return self._ghost_keys.get(id(pair))

    def pair_of(self, node: StepNode, diff: RunDiff | None) -> EntryDiff | None:
        """The pair the tree's `node` shows: a ghost's, or the one of its entry in `diff`."""
        ghost = self._ghost_pairs.get(node.key)
        if ghost is not None:
            return ghost
        entry = node.entry if node.entry is not None else node.malformed
        if diff is None or entry is None:
            return None
        return diff.for_entry(entry.index)
