"""Two runs of one workflow side by side: what differs, where it first diverged, and why.

Entries are aligned by (stepId, iteration, attempt): the n-th entry of a step in a given
loop iteration (or at the top level) meets the n-th entry of the same step and iteration
in the baseline, so loop iterations meet by item index and retries attempt by attempt.
Entries with no stepId meet in order among themselves; malformed elements likewise.

A skeleton's plain entries (`payload_pending`) hold no input or output. Two pending
entries of the same shape are compared by that shape only (`EntryDiff.by_shape_only`);
`entries_to_fetch` names the entries whose payloads a comparison needs, for the store.

Error messages are compared by their signatures (`error_signature.normalise_message`), so
request ids, timestamps and other per-run values in them are no change; the raw messages
stay on the entries for display.

The root of a divergence is found by following data flow (`provenance.trace_input`)
upstream in both runs from each changed input of the failing step: input ← an earlier
step's output ← that step's input … ← the trigger or run input. The earliest place on
either chain whose value differs between the runs is the root cause.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import compress
from operator import and_, eq
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.entries import MISSING, EntryFacts, MalformedEntry, StepEntry
from wflog_tui.model.error_signature import normalise_message
from wflog_tui.model.json_diff import ABSENT, NO_CHANGES, LeafChange, LeafDiff, diff_json, same_json
from wflog_tui.model.provenance import SourceKind, format_path, trace_input
from wflog_tui.model.step_tree import LoopNode, StepTree, member_count

Entry = StepEntry | MalformedEntry
# A slower step is "much slower" past both bounds: relative, and absolute so that 1 ms
# against 3 ms is not news. "Much faster" is the same test the other way round, so that a
# comparison seen from the baseline is the mirror image of this one.
SLOWER_FACTOR: Final = 2.0
SLOWER_MIN_MS: Final = 100.0
# Hops followed upstream from one changed input, and changed inputs traced per run.
MAX_HOPS: Final = 20
MAX_TRACED_INPUTS: Final = 10


class Mark(StrEnum):
    """How an aligned entry (and a node above it) differs from the baseline."""

    SAME = "same"
    STATUS = "status changed"
    INPUT = "input changed"
    OUTPUT = "output changed"
    ERROR = "error changed"
    ADDED = "only in this run"
    MISSING = "only in baseline"
    SLOWER = "much slower"
    FASTER = "much faster"


_MIRROR: Final = {
    Mark.ADDED: Mark.MISSING,
    Mark.MISSING: Mark.ADDED,
    Mark.SLOWER: Mark.FASTER,
    Mark.FASTER: Mark.SLOWER,
}


class AlignKey(tuple):
    """(kind, stepId, iteration, attempt): kind is "step" or "malformed"; attempt from 1."""

    __slots__ = ()

    def __new__(cls, kind: str, step_id: str | None, iteration: int | None, attempt: int):
        """The key of one entry."""
        return super().__new__(cls, (kind, step_id, iteration, attempt))

    @property
    def step_id(self) -> str | None:
        """The stepId both entries share (None for malformed or id-less entries)."""
        return self[1]

    @property
    def iteration(self) -> int | None:
        """The loop iteration (item index, from 1), None at the top level."""
        return self[2]

    @property
    def attempt(self) -> int:
        """Which attempt of the step in that iteration, from 1."""
        return self[3]


# A skip mask's byte as 1 where the entry is not skipped (any byte but 0 skips).
_NOT_SKIPPED: Final = bytes([1]) + bytes(255)


def align_keys(
    tree: StepTree, skip: bytearray | None = None
) -> dict[int, tuple[str, str | None, int | None, int]]:
    """Entry index → alignment key, read from the tree's facts (nothing parsed), for every
    entry not marked in `skip`.

    Plain tuples, equal to and hashed like `AlignKey`s. Iterations skipped as alike are
    skipped whole in both runs, so the attempts counted for the rest still agree.
    """
    seen: dict[tuple[str, str | None, int | None], int] = {}
    keys: dict[int, tuple[str, str | None, int | None, int]] = {}
    get = seen.get
    all_facts = tree.facts
    # The entries not skipped, found in C: in a diff of two big loops, a handful.
    indexes = (
        range(len(all_facts))
        if skip is None
        else compress(range(len(all_facts)), skip.translate(_NOT_SKIPPED))
    )
    for index in indexes:
        facts = all_facts[index]
        if facts is None:
            base: tuple[str, str | None, int | None] = ("malformed", None, None)
        else:
            base = ("step", facts[0], facts[2])
        attempt = get(base, 0) + 1
        seen[base] = attempt
        keys[index] = (*base, attempt)
    return keys


def alike_iterations(this: StepTree, baseline: StepTree) -> tuple[array, bytearray]:
    """Loop iterations that are alike by their skeletons in both runs, entry by entry.

    An iteration is alike when both runs ran it in the same loop with entries of the same
    facts (stepId, status, iteration, operation), in the same order, every one of them
    still pending (known by its shape only). Returns this run's index → the baseline's
    (-1 where not alike), and a mask of the baseline's alike entries. Loops are matched by
    the stepId of their own entry, in order. Nothing is parsed.
    """
    alike = array("i", [-1]) * len(this.facts)
    base_mask = bytearray(len(baseline.facts))
    base_loops = _loops_by_key(baseline)
    this_facts, base_facts = this.facts, baseline.facts
    this_pending, base_pending = this.entries.pending_mask(), baseline.entries.pending_mask()
    for key, loop in _loops_by_key(this).items():
        other = base_loops.get(key)
        if other is None:
            continue
        numbers: Iterable[int] = loop.member_indexes.keys()
        in_step = _in_step(loop, other, this_facts, base_facts, this_pending, base_pending)
        if in_step is not None:
            first, base_first, count, odd = in_step
            alike[first : first + count] = array("i", range(base_first, base_first + count))
            base_mask[base_first : base_first + count] = b"\x01" * count
            for number in odd:
                for index in loop.member_indexes[number]:
                    if index < first + count:
                        alike[index] = -1
                        base_mask[base_first + index - first] = 0
            numbers = odd
        theirs = other.member_indexes
        for number in numbers:
            mine = loop.member_indexes[number]
            them = theirs.get(number)
            if them is None or len(them) != len(mine):
                continue
            if all(
                this_facts[i] == base_facts[j] and this_pending[i] and base_pending[j]
                for i, j in zip(mine, them, strict=True)
            ):
                for i, j in zip(mine, them, strict=True):
                    alike[i] = j
                    base_mask[j] = 1
    return alike, base_mask


def _span(loop: LoopNode) -> tuple[int, int] | None:
    """`loop`'s iterations' stretch of the log (first, last + 1) when its iterations'
    entries fill it and nothing else does; None otherwise."""
    if not loop.span_indexes:
        return None
    first, last = loop.span_indexes[0], loop.span_indexes[-1] + 1
    members = member_count(loop.member_indexes)
    return (first, last) if members == last - first else None


def _in_step(
    loop: LoopNode,
    other: LoopNode,
    this_facts: Sequence[EntryFacts | None],
    base_facts: Sequence[EntryFacts | None],
    this_pending: bytearray,
    base_pending: bytearray,
) -> tuple[int, int, int, set[int]] | None:
    """When both loops' iterations fill stretches of the log: where they start (this
    run's, the baseline's), how long a stretch of each is compared (the shorter's
    length), and the iterations left to compare one by one: those at a position where
    the two differ (facts, or an entry not pending, in either run) or past the compared
    length. The stretches are compared position by position in C; every other
    iteration is alike in step. None when a loop's iterations do not fill a stretch.

    In step is enough for alike: where the facts (the iteration number among them) agree
    at every position of an iteration in this run, the baseline holds that iteration at
    those positions and nowhere else (an entry of it elsewhere would sit across an entry
    of another iteration, a difference, or past the compared length: either sets the
    iteration apart).
    """
    mine, theirs = _span(loop), _span(other)
    if mine is None or theirs is None:
        return None
    (first, last), (base_first, base_last) = mine, theirs
    count = min(last - first, base_last - base_first)
    same = list(map(eq, this_facts[first : first + count], base_facts[base_first:base_last]))
    both = bytes(map(and_, this_pending[first:last], base_pending[base_first:base_last]))
    odd: set[int] = set()
    for offset in (*_positions(same, False), *_positions(both, 0)):
        for facts in (this_facts[first + offset], base_facts[base_first + offset]):
            if facts is not None and facts[2] is not None:
                odd.add(facts[2])
    for facts in (*this_facts[first + count : last], *base_facts[base_first + count : base_last]):
        if facts is not None and facts[2] is not None:
            odd.add(facts[2])
    return first, base_first, count, odd & loop.member_indexes.keys()


def _positions(values: Sequence[Any], wanted: Any) -> Iterator[int]:
    """The offsets in `values` that hold `wanted`, found by `index` (in C)."""
    start = 0
    while True:
        try:
            start = values.index(wanted, start)
        except ValueError:
            return
        yield start
        start += 1


def _loops_by_key(tree: StepTree) -> dict[tuple[str | None, int], LoopNode]:
    """The tree's loops by (stepId of the loop's own entry, ordinal among the same)."""
    loops: dict[tuple[str | None, int], LoopNode] = {}
    counts: dict[str | None, int] = {}
    for node in tree.nodes:
        if isinstance(node, LoopNode):
            facts = tree.facts[node.entries[0].index] if node.entries else None
            step_id = facts[0] if facts is not None else None
            counts[step_id] = counts.get(step_id, 0) + 1
            loops[(step_id, counts[step_id])] = node
    return loops


@dataclass(frozen=True, slots=True)
class EntryDiff:
    """One aligned pair (or a lone entry) and how it differs.

    `this` is the entry in the run being explained, `baseline` in the baseline; either is
    None for a step present in one run only. `input` and `output` are leaf-level diffs
    (for a malformed element, `output` compares the whole element).
    """

    key: AlignKey
    this: Entry | None
    baseline: Entry | None
    marks: frozenset[Mark]
    input: LeafDiff = NO_CHANGES
    output: LeafDiff = NO_CHANGES
    by_shape_only: bool = False
    # The alignment key of the loop step whose iteration ran this entry, if any.
    loop: AlignKey | None = None

    @property
    def differs(self) -> bool:
        """True unless the pair is the same."""
        return self.marks != {Mark.SAME}

    @property
    def status_before(self) -> str | None:
        """The baseline entry's status (None when absent or malformed)."""
        return self.baseline.status if isinstance(self.baseline, StepEntry) else None

    @property
    def status_after(self) -> str | None:
        """This run's entry status (None when absent or malformed)."""
        return self.this.status if isinstance(self.this, StepEntry) else None

    @property
    def error_before(self) -> Any:
        """The baseline entry's error message as logged (`ABSENT` when it has none)."""
        return _error_message(self.baseline)

    @property
    def error_after(self) -> Any:
        """This run's entry error message as logged (`ABSENT` when it has none)."""
        return _error_message(self.this)

    @property
    def label(self) -> str:
        """The step as a person knows it, from this run's entry or else the baseline's."""
        entry = self.this if self.this is not None else self.baseline
        if isinstance(entry, StepEntry):
            return entry.label
        assert entry is not None
        return f"malformed entry #{entry.index}"

    def mirrored(self) -> EntryDiff:
        """The same pair seen from the baseline: sides, ADDED/MISSING, SLOWER/FASTER and
        before/after swap."""
        return replace(
            self,
            this=self.baseline,
            baseline=self.this,
            marks=frozenset(_MIRROR.get(m, m) for m in self.marks),
            input=_mirror(self.input),
            output=_mirror(self.output),
        )


def _error_message(entry: Entry | None) -> Any:
    if isinstance(entry, StepEntry) and entry.error is not None:
        return entry.error.message
    return ABSENT


def _mirror(diff: LeafDiff) -> LeafDiff:
    return LeafDiff(tuple(c.mirrored() for c in diff.changes), diff.truncated)


@dataclass(frozen=True, slots=True)
class RootCause:
    """The earliest differing value upstream of one changed input of the failing step.

    `path` names the place (`trigger.output.post.platform`), `reaches` the changed input
    (`post_to_network.input.network`), and `through` the places in between, upstream first.
    """

    path: str
    before: Any
    after: Any
    reaches: str
    through: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first entry in run order whose input or status differs, or that is in one run only.

    `kind` is "added", "missing", "status", "input" or "error". A step one run lacks is a
    divergence: the run took another path there, which is often the answer itself.
    """

    diff: EntryDiff
    kind: str


@dataclass(slots=True)
class RunDiff:
    """Everything one comparison found. `pairs` hold every aligned entry, in run order."""

    pairs: list[EntryDiff]
    version_change: tuple[str | None, str | None] | None
    first_divergence: Divergence | None
    root_causes: list[RootCause]
    # Iterations alike by their skeletons are not held as pairs (`alike_iterations`):
    # this run's index → the baseline's, -1 for every other entry.
    _trees: tuple[StepTree, StepTree] | None = field(default=None, repr=False)
    _alike: array = field(default_factory=lambda: array("i"), repr=False)
    _by_this: dict[int, EntryDiff] = field(default_factory=dict, repr=False)
    _by_baseline: dict[int, EntryDiff] = field(default_factory=dict, repr=False)
    _by_key: dict[AlignKey, EntryDiff] = field(default_factory=dict, repr=False)
    # Each pair's place in run order, beside `pairs`: (this run's index, 0, 0), or for a
    # step only in the baseline (this run's index it follows, 1, the baseline's index).
    _order: list[tuple[int, int, int]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        for pair in self.pairs:
            self._by_key[pair.key] = pair
            if pair.this is not None:
                self._by_this[pair.this.index] = pair
            if pair.baseline is not None:
                self._by_baseline[pair.baseline.index] = pair

    @property
    def differences(self) -> list[EntryDiff]:
        """The pairs that differ, in run order: what `n`/`N` step through."""
        return [pair for pair in self.pairs if pair.differs]

    @property
    def is_empty(self) -> bool:
        """True when the runs differ nowhere (version included)."""
        return self.version_change is None and not any(p.differs for p in self.pairs)

    @property
    def shape_only(self) -> int:
        """How many pairs were compared by their skeleton only (payloads not fetched)."""
        alike = sum(1 for base in self._alike if base >= 0)
        return alike + sum(1 for pair in self.pairs if pair.by_shape_only)

    def for_entry(self, index: int) -> EntryDiff | None:
        """The pair holding this run's entry `index` (what a selected node shows).

        A loop entry compared by its shape only is made into a pair when asked for.
        """
        pair = self._by_this.get(index)
        if pair is not None or self._trees is None or not 0 <= index < len(self._alike):
            return pair
        base_index = self._alike[index]
        if base_index < 0:
            return None
        this, baseline = self._trees
        entry = this.entries[index]
        assert isinstance(entry, StepEntry)
        loop = this.loop_of(entry)
        members = loop.member_indexes.get(entry.iteration or 0, []) if loop else []
        step_ids = [facts[0] if facts else None for facts in map(this.facts.__getitem__, members)]
        attempt = 1 + sum(
            1
            for i, step_id in zip(members, step_ids, strict=True)
            if i < index and step_id == entry.step_id
        )
        key = AlignKey("step", entry.step_id, entry.iteration, attempt)
        return EntryDiff(
            key,
            this.entries[index],
            baseline.entries[base_index],
            frozenset({Mark.SAME}),
            by_shape_only=True,
        )

    def refine(self, pair: EntryDiff) -> EntryDiff:
        """Take `pair`, this run's entry compared again once its payloads came
        (`compare_entries`), in place of what its shape said; returns the pair as held.

        From then on it is among the `differences` (`n`/`N` visit it) if it differs, in
        its place in run order, and the first divergence counts it. The root causes stay:
        they follow the failing step, which is never compared by its shape only.
        """
        assert pair.this is not None
        index = pair.this.index
        place = (index, 0, 0)
        position = bisect_left(self._order, place)
        old = self._by_this.get(index)
        if old is not None and position < len(self._order) and self._order[position] == place:
            pair = replace(pair, loop=old.loop)
            self.pairs[position] = pair
        else:
            self.pairs.insert(position, pair)
            self._order.insert(position, place)
        if 0 <= index < len(self._alike):
            self._alike[index] = -1  # no longer known by its shape only
        self._by_this[index] = pair
        self._by_key[pair.key] = pair
        if pair.baseline is not None:
            self._by_baseline[pair.baseline.index] = pair
        self.first_divergence = _first_divergence(self.pairs)
        return pair

    def for_baseline_entry(self, index: int) -> EntryDiff | None:
        """The pair holding the baseline's entry `index`."""
        return self._by_baseline.get(index)

    def node_marks(self, tree: StepTree) -> dict[str, frozenset[Mark]]:
        """Marks by node key of this run's `tree`, each node also carrying its children's.

        A step present only in the baseline has no node here; it marks the loop and the
        iteration it would sit in, when those exist in this run.
        """
        marks: dict[str, set[Mark]] = {}
        for pair in self.pairs:
            if not pair.differs:
                continue
            keys = self.keys_in_this(pair, tree)
            for key in keys:
                marks.setdefault(key, set()).update(pair.marks)
        return {key: frozenset(value) for key, value in marks.items()}

    def keys_in_this(self, pair: EntryDiff, tree: StepTree) -> tuple[str, ...]:
        """The key path in this run's tree of the node showing `pair` (or of its nearest
        ancestor there, for a step that is only in the baseline); empty when none."""
        if pair.this is not None:
            return tree.keys_of_entry(pair.this.index) or ()
        if pair.loop is None or pair.key.iteration is None:
            return ()
        loop_pair = self._by_key.get(pair.loop)
        if loop_pair is None or loop_pair.this is None:
            return ()
        keys = tree.keys_of_entry(loop_pair.this.index) or ()
        node = tree.find(keys) if keys else None
        if not isinstance(node, LoopNode):
            return keys
        if pair.key.iteration <= node.iteration_count:
            return (*keys, f"{node.key}/i{pair.key.iteration}")
        return keys


def compare_runs(
    this: StepTree,
    baseline: StepTree,
    *,
    this_input: Any = MISSING,
    baseline_input: Any = MISSING,
    this_version: str | None = None,
    baseline_version: str | None = None,
    alike: tuple[array, bytearray] | None = None,
) -> RunDiff:
    """Compare run `this` with `baseline`: every aligned pair, the first divergence, the
    root causes of the failing step's changed inputs, and a version change. Never raises.

    `*_input` are the runs' `input_payload`s (a data-flow source); versions are the runs'
    `workflow_version_id`s. `alike` is `alike_iterations(this, baseline)` when the caller
    has it already (it still holds once the entries it did not name are filled).
    """
    alike, base_mask = alike if alike is not None else alike_iterations(this, baseline)
    this_mask = bytearray(map((-1).__ne__, alike))  # in C: 1 where alike
    sides = (_Side(this, this_input, this_mask), _Side(baseline, baseline_input, base_mask))
    this_side, base_side = sides
    ordered: list[tuple[tuple[int, int, int], EntryDiff]] = []
    for index, key in this_side.keys.items():
        base_index = base_side.index.get(key)
        ordered.append(((index, 0, 0), this_side.pair(key, index, base_index, base_side)))
    anchor = -1
    for base_index, key in base_side.keys.items():
        index = this_side.index.get(key)
        if index is not None:
            anchor = index
        else:
            pair = base_side.pair(key, base_index, None, this_side).mirrored()
            ordered.append(((anchor, 1, base_index), pair))
    ordered.sort(key=lambda item: item[0])
    pairs = [pair for _, pair in ordered]
    version = None if this_version == baseline_version else (baseline_version, this_version)
    first = _first_divergence(pairs)
    causes = _root_causes(pairs, first, sides)
    order = [place for place, _ in ordered]
    return RunDiff(pairs, version, first, causes, (this, baseline), alike, _order=order)


def compare_entries(key: AlignKey, this: Entry | None, baseline: Entry | None) -> EntryDiff:
    """One aligned pair compared on its own: a view calls it again once a pair compared
    by its shape only (`EntryDiff.by_shape_only`) has had its payloads fetched."""
    return _compare(key, this, baseline)


def _compare(key: AlignKey, this: Entry | None, baseline: Entry | None) -> EntryDiff:
    if this is None:
        return EntryDiff(key, None, baseline, frozenset({Mark.MISSING}))
    if baseline is None:
        return EntryDiff(key, this, None, frozenset({Mark.ADDED}))
    if isinstance(this, MalformedEntry) or isinstance(baseline, MalformedEntry):
        # Keys keep malformed elements apart from steps, so both are malformed: the
        # elements are compared whole.
        output = diff_json(baseline.raw, this.raw)
        marks = frozenset({Mark.OUTPUT} if output else {Mark.SAME})
        return EntryDiff(key, this, baseline, marks, output=output)
    marks: set[Mark] = set()
    if this.status != baseline.status:
        marks.add(Mark.STATUS)
    if this.payload_pending or baseline.payload_pending:
        return EntryDiff(key, this, baseline, frozenset(marks or {Mark.SAME}), by_shape_only=True)
    input_diff = diff_json(baseline.input, this.input)
    output_diff = diff_json(baseline.output, this.output)
    if input_diff:
        marks.add(Mark.INPUT)
    if output_diff:
        marks.add(Mark.OUTPUT)
    if Mark.STATUS not in marks and _signature(this) != _signature(baseline):
        # With the status changed, a new or gone error is what the status says already.
        marks.add(Mark.ERROR)
    if _much_slower(this.duration_ms, baseline.duration_ms):
        marks.add(Mark.SLOWER)
    elif _much_slower(baseline.duration_ms, this.duration_ms):
        marks.add(Mark.FASTER)
    return EntryDiff(
        key, this, baseline, frozenset(marks or {Mark.SAME}), input=input_diff, output=output_diff
    )


def _signature(entry: StepEntry) -> str | None:
    return None if entry.error is None else normalise_message(entry.error.message)


def _much_slower(after: float | None, before: float | None) -> bool:
    if after is None or before is None:
        return False
    return after > SLOWER_FACTOR * before and after - before > SLOWER_MIN_MS


def _first_divergence(pairs: Sequence[EntryDiff]) -> Divergence | None:
    for pair in pairs:
        if Mark.ADDED in pair.marks:
            return Divergence(pair, "added")
        if Mark.MISSING in pair.marks:
            return Divergence(pair, "missing")
        if Mark.STATUS in pair.marks:
            return Divergence(pair, "status")
        if Mark.INPUT in pair.marks:
            return Divergence(pair, "input")
        if Mark.ERROR in pair.marks:
            return Divergence(pair, "error")
    return None


def entries_to_fetch(
    this: StepTree, baseline: StepTree, alike: tuple[array, bytearray] | None = None
) -> tuple[list[int], list[int]]:
    """Indexes of pending entries whose payloads a comparison needs, in each run.

    Everything pending except the iterations alike by their skeletons
    (`alike_iterations`, or `alike` when the caller has it): top-level steps (few, and
    data flow runs through them), and every entry of an iteration that is not alike (data
    flow is traced through its other steps). Nothing is parsed to tell.
    """
    alike, base_mask = alike if alike is not None else alike_iterations(this, baseline)
    this_pending, base_pending = this.entries.is_pending, baseline.entries.is_pending
    wanted_this = [i for i in range(len(alike)) if alike[i] < 0 and this_pending(i)]
    wanted_base = [j for j in range(len(base_mask)) if not base_mask[j] and base_pending(j)]
    return wanted_this, wanted_base


class _Side:
    """One run of the comparison: its tree, run input, and entries by alignment key."""

    def __init__(self, tree: StepTree, run_input: Any, skip: bytearray) -> None:
        self.tree = tree
        self.run_input = run_input
        self.keys = align_keys(tree, skip)
        self.index = {key: i for i, key in self.keys.items()}

    def entry(self, key: tuple | None) -> Entry | None:
        """This run's entry with alignment key `key`, if any."""
        index = self.index.get(key) if key is not None else None
        return None if index is None else self.tree.entries[index]

    def pair(self, key: tuple, index: int, other_index: int | None, other: _Side) -> EntryDiff:
        """Entry `index` of this run compared with `other`'s entry `other_index`."""
        baseline = None if other_index is None else other.tree.entries[other_index]
        pair = _compare(AlignKey(*key), self.tree.entries[index], baseline)
        return replace(pair, loop=self.loop_key(index))

    def loop_key(self, index: int) -> AlignKey | None:
        """The alignment key of the loop step whose iteration ran entry `index`."""
        entry = self.tree.entries[index]
        loop = self.tree.loop_of(entry) if isinstance(entry, StepEntry) else None
        if loop is None or not loop.entries:
            return None
        key = self.keys.get(loop.entries[0].index)
        return None if key is None else AlignKey(*key)


@dataclass(frozen=True, slots=True)
class _Hop:
    """One place on a data-flow chain: an entry's field (or the run input) at a path."""

    entry_index: int | None  # None: the run's input_payload
    field: str
    json_path: tuple[str | int, ...]
    text: str


def _root_causes(
    pairs: Sequence[EntryDiff], first: Divergence | None, sides: tuple[_Side, _Side]
) -> list[RootCause]:
    target = next(
        (
            p
            for p in pairs
            if Mark.INPUT in p.marks
            and isinstance(p.this, StepEntry)
            and p.this.status in st.FAILURES
        ),
        None,
    )
    if target is None and first is not None and Mark.INPUT in first.diff.marks:
        target = first.diff
    if target is None:
        return []
    this_entry, base_entry = target.this, target.baseline
    assert isinstance(this_entry, StepEntry) and isinstance(base_entry, StepEntry)
    causes: list[RootCause] = []
    seen: set[tuple[str, str]] = set()
    for change in target.input.changes[:MAX_TRACED_INPUTS]:
        chains = (
            _chain(sides[0], this_entry, change.json_path),
            _chain(sides[1], base_entry, change.json_path),
        )
        cause = _earliest_difference(chains, sides, change)
        if (cause.path, cause.reaches) not in seen:
            seen.add((cause.path, cause.reaches))
            causes.append(cause)
    return causes


def _earliest_difference(
    chains: tuple[list[_Hop], list[_Hop]],
    sides: tuple[_Side, _Side],
    change: LeafChange,
) -> RootCause:
    reaches = chains[0][0].text
    for own in (0, 1):
        chain = chains[own]
        other = 1 - own
        # Upstream first: the last hop of a chain is the earliest place.
        for position in range(len(chain) - 1, 0, -1):
            hop = chain[position]
            mine = _value_at_hop(sides[own], hop)
            theirs = _counterpart_value(hop, sides[own], sides[other])
            if not same_json(mine, theirs):
                after, before = (mine, theirs) if own == 0 else (theirs, mine)
                through = tuple(h.text for h in reversed(chain[1:position]))
                return RootCause(hop.text, before, after, reaches, through)
    return RootCause(reaches, change.before, change.after, reaches)


def _value_at_hop(side: _Side, hop: _Hop) -> Any:
    if hop.entry_index is None:
        return _at(side.run_input, hop.json_path)
    entry = side.tree.entries[hop.entry_index]
    if not isinstance(entry, StepEntry):
        return ABSENT
    return _at(getattr(entry, hop.field, MISSING), hop.json_path)


def _counterpart_value(hop: _Hop, own: _Side, other: _Side) -> Any:
    if hop.entry_index is None:
        return _at(other.run_input, hop.json_path)
    entry = other.entry(own.keys.get(hop.entry_index))
    if not isinstance(entry, StepEntry):
        return ABSENT
    return _at(getattr(entry, hop.field, MISSING), hop.json_path)


def _at(value: Any, json_path: Sequence[str | int]) -> Any:
    for key in json_path:
        in_object = isinstance(value, dict) and isinstance(key, str) and key in value
        in_array = (
            isinstance(value, list)
            and isinstance(key, int)
            and not isinstance(key, bool)
            and 0 <= key < len(value)
        )
        if in_object or in_array:
            value = value[key]
        else:
            return ABSENT
    return ABSENT if value is MISSING else value


def _joined(root: str, field_name: str, json_path: Sequence[str | int]) -> str:
    return format_path("", (root, field_name, *json_path))


def _chain(side: _Side, entry: StepEntry, json_path: tuple[str | int, ...]) -> list[_Hop]:
    """The data-flow chain of one input leaf, from the leaf upstream as far as it goes."""
    tree = side.tree
    start = _Hop(entry.index, "input", json_path, _joined(_root(entry), "input", json_path))
    hops = [start]
    current, path = entry, json_path
    visited = {(entry.index, "input", json_path)}
    trigger = tree.trigger
    for _ in range(MAX_HOPS):
        loop = tree.loop_of(current)
        traces = trace_input(
            current,
            run_input=side.run_input,
            trigger=trigger,
            loop=loop.entry if loop is not None else None,
            earlier=tree.earlier_in_scope(current),
        )
        leaf = next((t for t in traces if t.json_path == path), None)
        if leaf is None or not leaf.sources:
            break
        source = leaf.sources[0]
        if source.kind is SourceKind.RUN_INPUT:
            hops.append(_Hop(None, "input_payload", source.json_path, source.path))
            break
        assert source.entry_index is not None
        hops.append(_Hop(source.entry_index, source.field, source.json_path, source.path))
        if source.kind is SourceKind.TRIGGER_OUTPUT:
            break
        upstream = tree.entries[source.entry_index]
        if not isinstance(upstream, StepEntry):
            break
        value = _at(upstream.output, source.json_path)
        next_path = _input_holding(upstream, value)
        if next_path is None or (upstream.index, "input", next_path) in visited:
            break
        visited.add((upstream.index, "input", next_path))
        current, path = upstream, next_path
    return hops


def _root(entry: StepEntry) -> str:
    return entry.step_id if entry.step_id is not None else f"steps_log[{entry.index}]"


def _input_holding(entry: StepEntry, value: Any) -> tuple[str | int, ...] | None:
    """The path of the input leaf a step's output value was made from: equal to it, else
    (for text) the longest input string it contains."""
    if entry.input is MISSING or value is ABSENT:
        return None
    leaves = diff_json(ABSENT, entry.input).changes
    for change in leaves:
        if same_json(change.after, value):
            return change.json_path
    if isinstance(value, str):
        contained = [
            c for c in leaves if isinstance(c.after, str) and len(c.after) >= 4 and c.after in value
        ]
        if contained:
            return max(contained, key=lambda c: len(c.after)).json_path
    return None
