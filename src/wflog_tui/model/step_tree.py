"""`steps_log` as a tree: the trigger, the steps in order, loops owning their iterations,
retries grouped as attempts, and a visible node for everything that is not a step.

Building never raises, whatever `steps_log` holds. Only what the top of the tree shows is
parsed: entries inside loops are read for four fields (`entry_facts`) and parsed in full
when their iteration is opened, so a run of 100,000 entries opens in a fraction of the time
its JSON takes to decode. Iteration nodes are built on demand too.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import compress
from operator import itemgetter
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.collector_pause import paused_collector
from wflog_tui.model.display_text import one_line
from wflog_tui.model.entries import (
    LOOP_OPERATION,
    EntryFacts,
    MalformedEntry,
    StepEntry,
    describe_json_type,
    entry_facts,
    parse_entry,
)
from wflog_tui.model.log_skeleton import LogSkeleton

Entry = StepEntry | MalformedEntry

# A step that ran more often than this keeps its attempts as indexes (`RetriedNode`):
# a polling step can log 200,000 attempts, which as parsed entries and nodes would take
# gigabytes. It is also how many attempts a view reads and fills at most for one node.
EAGER_ATTEMPTS: Final = 100


class EntryList(Sequence[Entry]):
    """The entries of `steps_log`, each parsed the first time it is asked for.

    `raw` is the decoded array, or a `LogSkeleton` whose plain entries come pending.
    """

    __slots__ = ("_lock", "_overrides", "_parse", "_parsed", "_raw", "_run_ended")

    def __init__(
        self,
        raw: Sequence[Any],
        *,
        run_ended: bool,
        reuse: Sequence[Entry | None] = (),
        overrides: Mapping[int, Entry] | None = None,
    ) -> None:
        self._raw = raw
        self._parse: Any = (
            raw.parse if isinstance(raw, LogSkeleton) else lambda i: parse_entry(i, raw[i])
        )
        self._run_ended = run_ended
        self._overrides = dict(overrides or {})
        self._parsed: list[Entry | None] = [None] * len(raw)
        # The data-flow tab parses later entries in a worker thread while the UI parses
        # what it shows; one lock keeps a single object per entry.
        self._lock = threading.Lock()
        for index, entry in enumerate(reuse[: len(raw)]):
            if entry is not None:
                self._mark(entry)
                self._parsed[index] = entry

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, index):  # type: ignore[override]  # int or slice, as a list
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._raw)))]
        if index < 0:
            index += len(self._raw)
        entry = self._parsed[index]
        if entry is None:
            with self._lock:
                entry = self._parsed[index]
                if entry is None:
                    entry = self._overrides.get(index) or self._parse(index)
                    self._mark(entry)
                    self._parsed[index] = entry
        return entry

    def __iter__(self) -> Iterator[Entry]:
        for index in range(len(self._raw)):
            yield self[index]

    def parsed(self) -> list[Entry | None]:
        """What has been parsed so far, by index (None where not yet)."""
        return list(self._parsed)

    def is_pending(self, index: int) -> bool:
        """True while entry `index` waits for its whole element; it is not parsed to tell."""
        raw = self._raw
        if not isinstance(raw, LogSkeleton) or not raw.is_plain(index):
            return False
        entry = self._parsed[index]
        return entry is None or (isinstance(entry, StepEntry) and entry.payload_pending)

    def pending_mask(self) -> bytearray:
        """`is_pending` of every entry at once (1 where pending): the skeleton's plain
        entries, found in C, less those already parsed whole."""
        raw = self._raw
        if not isinstance(raw, LogSkeleton):
            return bytearray(len(self._parsed))
        mask = raw.plain_mask()
        parsed = self._parsed
        # The few parsed entries, found in C (an entry is truthy, a gap None).
        for index in compress(range(len(parsed)), parsed):
            entry = parsed[index]
            if not (isinstance(entry, StepEntry) and entry.payload_pending):
                mask[index] = 0
        return mask

    def stored_size(self, index: int) -> int:
        """Bytes fetching entry `index` whole costs, for a skeleton's plain entry (else 0)."""
        raw = self._raw
        return raw.size_of(index) if isinstance(raw, LogSkeleton) else 0

    def pending_after(self, index: int) -> list[int]:
        """The entries after `index` still waiting for their whole element, in order."""
        if not isinstance(self._raw, LogSkeleton):
            return []
        return [later for later in range(index + 1, len(self._raw)) if self.is_pending(later)]

    def fill(self, index: int, value: object) -> None:
        """Give pending entry `index` its whole element, fetched after the skeleton."""
        entry = self[index]
        if isinstance(entry, StepEntry) and entry.payload_pending:
            with self._lock:
                entry.load_full(value)
                self._mark(entry)

    def _mark(self, entry: Entry) -> None:
        # Whether a step ended unexpectedly depends on the run, which may have ended since
        # the entry was parsed (a tail of a running run), so it is set on every hand-over.
        if isinstance(entry, StepEntry):
            entry.unexpected_termination = (
                self._run_ended
                and entry.ended_at is None
                and entry.status in (st.FAILED, st.RUNNING)
            )


class _MemberView(Mapping[int, list[Entry]]):
    """A loop's iterations → their entries, parsed when looked at."""

    def __init__(self, indexes: Mapping[int, list[int]], entries: EntryList) -> None:
        self._indexes = indexes
        self._entries = entries

    def __getitem__(self, number: int) -> list[Entry]:
        return [self._entries[i] for i in self._indexes[number]]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indexes)

    def __len__(self) -> int:
        return len(self._indexes)


class LoopMembers(Mapping[int, list[int]]):
    """A loop's entries by iteration number, read as `dict[int, list[int]]` is, without a
    list for each iteration of a big loop.

    A stretch of the log whose iterations follow one another in step (each `width`
    entries, numbered on from `first`) is held as that stretch, a block; every other
    entry is in `lists`. 50,000 lists of two entries were a third of building the
    100,000-entry run's tree. Keys come block by block, then those only `lists` holds.
    """

    __slots__ = ("_blocks", "_keys", "_lists")

    def __init__(self, blocks: list[tuple[int, int, int, int]], lists: dict[int, list[int]]):
        """`blocks` as (first position, width, first number, count of numbers), their
        numbers apart; `lists` the other entries (a number may be in both)."""
        self._blocks = blocks
        self._lists = lists
        self._keys: list[int] | None = None

    def _span(self, number: object) -> range | None:
        if type(number) is int:
            for start, width, first, count in self._blocks:
                if first <= number < first + count:
                    begin = start + (number - first) * width
                    return range(begin, begin + width)
        return None

    def __getitem__(self, number: int) -> list[int]:
        span = self._span(number)
        listed = self._lists.get(number)
        if span is None:
            if listed is None:
                raise KeyError(number)
            return listed
        return list(span) if listed is None else sorted((*span, *listed))

    def __contains__(self, number: object) -> bool:
        return number in self._lists or self._span(number) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self._ordered())

    def __len__(self) -> int:
        return len(self._ordered())

    def _ordered(self) -> list[int]:
        if self._keys is None:
            keys: list[int] = []
            for _, _, first, count in self._blocks:
                keys.extend(range(first, first + count))
            keys.extend(number for number in self._lists if self._span(number) is None)
            self._keys = keys
        return self._keys

    def entry_count(self) -> int:
        """How many entries all iterations hold together."""
        in_blocks = sum(width * count for _, width, _, count in self._blocks)
        return in_blocks + sum(map(len, self._lists.values()))

    def bounds(self) -> tuple[int, int]:
        """The first and the last position any iteration holds."""
        ends = [(start, start + width * count - 1) for start, width, _, count in self._blocks]
        ends += [(positions[0], positions[-1]) for positions in self._lists.values()]
        return min(first for first, _ in ends), max(last for _, last in ends)


def member_count(members: Mapping[int, list[int]]) -> int:
    """How many entries a loop's iterations hold together (`LoopNode.member_indexes`)."""
    if isinstance(members, LoopMembers):
        return members.entry_count()
    return sum(map(len, members.values()))


class EntryView(Sequence[StepEntry]):
    """Some entries of the log, by index, parsed when read: a step retried 200,000 times
    holds its attempts as indexes, not as 200,000 parsed entries."""

    __slots__ = ("_entries", "indexes")

    def __init__(self, indexes: Sequence[int], entries: EntryList) -> None:
        self.indexes = indexes
        self._entries = entries

    def __len__(self) -> int:
        return len(self.indexes)

    def __getitem__(self, index):  # type: ignore[override]  # int or slice, as a list
        if isinstance(index, slice):
            return [self._entries[i] for i in self.indexes[index]]
        return self._entries[self.indexes[index]]


class NodeKind(StrEnum):
    """What a node of the step tree stands for."""

    TRIGGER = "trigger"
    STEP = "step"
    LOOP = "loop"
    ITERATION = "iteration"
    ATTEMPT = "attempt"
    MALFORMED = "malformed"


@dataclass(eq=False, slots=True)
class StepNode:
    """A node of the step tree.

    `entries` are the `steps_log` entries the node stands for: one for a plain step, every
    attempt in order for a retried step, the loop's own entries for a loop, none for an
    iteration (its steps are its children) or a malformed element. Views read children
    through `child_count`, `child_at` and `child_position`, which the nodes that build
    their children on demand (loops, steps of very many attempts) override.
    """

    kind: NodeKind
    key: str
    label: str
    status: str
    parent: StepNode | None = None
    entries: Sequence[StepEntry] = field(default_factory=list)
    children: list[StepNode] = field(default_factory=list)
    malformed: MalformedEntry | None = None
    iteration: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: float | None = None

    @property
    def entry(self) -> StepEntry | None:
        """The entry the detail pane shows: the last attempt, or the only entry."""
        return self.entries[-1] if self.entries else None

    @property
    def attempts(self) -> int:
        """How many times the step ran (1 for a step that was not retried)."""
        return len(self.entries)

    @property
    def path(self) -> tuple[StepNode, ...]:
        """The nodes from the top of the tree down to this one, this one last."""
        nodes: list[StepNode] = []
        node: StepNode | None = self
        while node is not None:
            nodes.append(node)
            node = node.parent
        return tuple(reversed(nodes))

    @property
    def has_children(self) -> bool:
        """True when the node can be opened (attempts, steps of an iteration, iterations)."""
        return bool(self.children)

    def child_count(self) -> int:
        """How many children the node shows, built or not."""
        return len(self.children)

    def child_at(self, position: int) -> StepNode:
        """Child `position` (0-based), built on first use where children are lazy."""
        return self.children[position]

    def child_position(self, key: str) -> int | None:
        """Where the child keyed `key` sits, without building children; None if absent."""
        return next((i for i, child in enumerate(self.children) if child.key == key), None)

    @property
    def attempt_number(self) -> int | None:
        """For an attempt node, which attempt it is (1-based), read from its key."""
        if self.kind is not NodeKind.ATTEMPT:
            return None
        tail = self.key.rsplit("/", 1)[-1]
        return int(tail[1:]) if tail.startswith("a") and tail[1:].isdecimal() else None

    @property
    def rollup_status(self) -> str:
        """The worst status of the node and everything below it."""
        return self.status

    @property
    def unexpected_termination(self) -> bool:
        """True when the step stopped without an end while the run had ended."""
        entry = self.entry
        return entry is not None and entry.unexpected_termination

    def summary(self) -> str:
        """What a person reads beside the label: attempts, for now; loops say more."""
        if self.kind is NodeKind.STEP and self.attempts > 1:
            return f"{self.attempts:,} attempts"
        return ""


@dataclass(eq=False, slots=True)
class LoopNode(StepNode):
    """A `builtin:loop` step. Its iterations are built when asked for, one at a time.

    `total` is the number of items the loop was given; iterations up to `total` that no
    entry reports are "not reached".
    """

    total: int = 0
    collection: list[Any] | None = None
    member_indexes: Mapping[int, list[int]] = field(default_factory=dict)
    iteration_status: dict[int, str] = field(default_factory=dict)
    # The first and last entries of its iterations, whose times bound the loop's span.
    span_indexes: tuple[int, ...] = ()
    _entries: EntryList | None = None
    _facts: Sequence[EntryFacts | None] | None = None
    _built: dict[int, StepNode] = field(default_factory=dict)
    _rollup: str = st.UNKNOWN
    _counted: tuple[int, Counter[str]] | None = None
    # The highest iteration number any entry reports, found on first use.
    _last_number: int | None = None

    @property
    def members(self) -> Mapping[int, list[Entry]]:
        """Iteration number → the entries that ran in it, in order."""
        assert self._entries is not None
        return _MemberView(self.member_indexes, self._entries)

    @property
    def rollup_status(self) -> str:
        """The loop's own status, or a worse one from its iterations."""
        return self._rollup

    def counts(self) -> Counter[str]:
        """Iterations by status, with NOT_REACHED for those no entry reports."""
        # Counted once per `total`: 50,000 iterations take milliseconds, the loop's label
        # and the detail pane both ask as a big run lands, and the statuses never change
        # once the loop is built.
        if self._counted is None or self._counted[0] != self.total:
            numbers = self.iteration_status
            counts = Counter(numbers.values())
            # Iterations reported beyond `total` are rare: counted only when there are any.
            beyond = (
                sum(1 for n in numbers if n > self.total)
                if numbers and self.iteration_count > self.total
                else 0
            )
            unreached = self.total - (len(numbers) - beyond)
            if unreached > 0:
                counts[st.NOT_REACHED] += unreached
            self._counted = (self.total, counts)
        return Counter(self._counted[1])

    def summary(self) -> str:
        """`3 items · 1 failed · 1 not reached`: every count that is not "completed"."""
        counts = self.counts()
        parts = [f"{self.total:,} item{'s' if self.total != 1 else ''}"]
        for status in (st.FAILED, st.TIMED_OUT, st.RUNNING, st.CANCELED, st.UNKNOWN):
            if counts.get(status):
                parts.append(f"{counts[status]:,} {st.word(status).lower()}")
        for other in sorted(set(counts) - set(st.KNOWN) - {st.UNKNOWN, st.NOT_REACHED}):
            # A status the spec does not know is the data's own text: escaped like a label.
            parts.append(f"{counts[other]:,} {one_line(st.word(other).lower(), 24)}")
        if counts.get(st.NOT_REACHED):
            parts.append(f"{counts[st.NOT_REACHED]:,} not reached")
        if self.attempts > 1:
            parts.append(f"{self.attempts:,} attempts")
        return " · ".join(parts)

    @property
    def has_children(self) -> bool:
        """A loop opens onto its iterations, which are built only then."""
        return self.iteration_count > 0

    @property
    def iteration_count(self) -> int:
        """How many iteration rows the loop shows: every item, and any reported beyond."""
        if self._last_number is None:
            self._last_number = max(self.member_indexes, default=0)
        return max(self.total, self._last_number)

    def child_count(self) -> int:
        """A loop's children are its iterations, 1 … iteration_count."""
        return self.iteration_count

    def child_at(self, position: int) -> StepNode:
        """Iteration `position + 1`, built on first use."""
        return self.iteration_node(position + 1)

    def child_position(self, key: str) -> int | None:
        """Where iteration `<loop key>/i<n>` sits: n - 1, if the loop shows it."""
        return _numbered_position(key, f"{self.key}/i", self.iteration_count)

    def iteration_numbers(self) -> range:
        """1 … iteration_count, the rows a view pages through."""
        return range(1, self.iteration_count + 1)

    def iteration_node(self, number: int) -> StepNode:
        """The node of iteration `number` (1-based), built on first use."""
        node = self._built.get(number)
        if node is None:
            node = self._build_iteration(number)
            self._built[number] = node
        return node

    def item(self, number: int) -> Any:
        """The collection item iteration `number` worked on, when the loop logged it."""
        if self.collection is not None and 0 < number <= len(self.collection):
            return self.collection[number - 1]
        return None

    def _build_iteration(self, number: int) -> StepNode:
        assert self._entries is not None and self._facts is not None
        status = self.iteration_status.get(number, st.NOT_REACHED)
        label = f"iteration {number:,}"
        node = StepNode(
            kind=NodeKind.ITERATION,
            key=f"{self.key}/i{number}",
            label=label,
            status=status,
            parent=self,
            iteration=number,
        )
        members = self.member_indexes.get(number, [])
        # Grouped on facts like the top level: a step polled 5,000 times in one iteration
        # is one `RetriedNode`, not 5,000 parsed entries and attempt nodes.
        grouped = _group_positions(members, self._entries, self._facts, node, node.key + "/")
        node.children = [grouped[position] for position in sorted(grouped)]
        _set_span(node, _entries_of(node.children))
        return node


@dataclass(eq=False, slots=True)
class RetriedNode(StepNode):
    """A step that ran more than `EAGER_ATTEMPTS` times (a polling step: 200,000 attempts).

    Its `entries` are an `EntryView` parsed when read, and its attempt nodes are built
    when asked for, one at a time, as a loop's iterations are.
    """

    _built: dict[int, StepNode] = field(default_factory=dict)
    _facts: Sequence[EntryFacts | None] | None = None

    @property
    def has_children(self) -> bool:
        """A retried step opens onto its attempts, which are built only then."""
        return True

    def child_count(self) -> int:
        """One child per attempt."""
        return len(self.entries)

    def child_at(self, position: int) -> StepNode:
        """Attempt `position + 1`, built on first use."""
        return self.attempt_node(position + 1)

    def child_position(self, key: str) -> int | None:
        """Where attempt `<step key>/a<n>` sits: n - 1, if the step ran that often."""
        return _numbered_position(key, f"{self.key}/a", len(self.entries))

    def attempt_node(self, number: int) -> StepNode:
        """The node of attempt `number` (1-based), built on first use."""
        node = self._built.get(number)
        if node is None:
            node = self._built[number] = _attempt_node(self.entries[number - 1], number, self)
        return node

    def built_attempts(self) -> list[StepNode]:
        """The attempt nodes built so far."""
        return list(self._built.values())

    def attempt_runs(self) -> list[tuple[int, int, str]]:
        """Consecutive attempts of one status as (first, last, status), 1-based, read from
        the entries' facts without parsing them: 200,000 polls are a run or two."""
        runs: list[list[Any]] = []
        facts = self._facts
        indexes = self.entries.indexes  # type: ignore[attr-defined]
        for number, index in enumerate(indexes, start=1):
            item = facts[index] if facts is not None else None
            status = item[1] if item is not None else st.UNKNOWN
            if runs and runs[-1][2] == status:
                runs[-1][1] = number
            else:
                runs.append([number, number, status])
        return [(first, last, status) for first, last, status in runs]


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed entry and where it sits in the tree, for `n`/`N` and landing on open."""

    entry_index: int
    keys: tuple[str, ...]
    label: str
    status: str
    iteration: int | None
    message: str


@dataclass(eq=False)
class StepTree:
    """The whole tree of one run, with its failure index."""

    nodes: list[StepNode]
    entries: EntryList
    failures: list[Failure]
    notes: list[str]
    _node_of_entry: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _facts: Sequence[EntryFacts | None] = field(default_factory=list, repr=False)
    _loops: list[LoopNode] = field(default_factory=list, repr=False)
    # For each entry, which of `_loops` ran it (-1: none). An array, not a dict: it is one
    # slot per entry of a log that can hold hundreds of thousands.
    _loop_of_index: array = field(default_factory=lambda: array("i"), repr=False)
    # Top-level steps of very many attempts, whose entries have no `_node_of_entry` key.
    _retried: list[RetriedNode] = field(default_factory=list, repr=False)

    def walk(self) -> Iterator[StepNode]:
        """Every node that exists without opening a loop, depth first, in order."""
        stack = list(reversed(self.nodes))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, keys: Sequence[str]) -> StepNode | None:
        """The node at the end of a key path, building loop iterations on the way."""
        level: Sequence[StepNode] = self.nodes
        node: StepNode | None = None
        for key in keys:
            if node is None:
                node = next((n for n in level if n.key == key), None)
            else:
                position = node.child_position(key)
                node = None if position is None else node.child_at(position)
            if node is None:
                return None
        return node

    @property
    def facts(self) -> Sequence[EntryFacts | None]:
        """Every entry's `entry_facts` by index, read without parsing the entries."""
        return self._facts

    def keys_of_entry(self, index: int) -> tuple[str, ...] | None:
        """The key path of the node that shows entry `index`, if any."""
        keys = self._node_of_entry.get(index)
        if keys is not None or not 0 <= index < len(self._loop_of_index):
            return keys
        ordinal = self._loop_of_index[index]
        if ordinal < 0:
            return self._retried_keys(index)
        loop = self._loops[ordinal]
        facts = self._facts[index]
        number = facts[2] if facts is not None else None
        if number is None:
            return None
        return _member_keys(loop, number, loop.member_indexes[number], index, self._facts)

    def _retried_keys(self, index: int) -> tuple[str, ...] | None:
        for node in self._retried:
            indexes = node.entries.indexes  # type: ignore[attr-defined]
            position = bisect.bisect_left(indexes, index)
            if position < len(indexes) and indexes[position] == index:
                return (node.key, f"{node.key}/a{position + 1}")
        return None

    def node_of_entry(self, index: int) -> StepNode | None:
        """The node that shows entry `index` (building its iteration if needed)."""
        keys = self.keys_of_entry(index)
        return self.find(keys) if keys else None

    def first_unfinished_index(self) -> int:
        """Where a tail of a running run must start: the first entry not yet terminal."""
        for index, facts in enumerate(self._facts):
            if facts is not None and facts[1] not in st.TERMINAL:
                return index
        return len(self._facts)

    def last_running_index(self) -> int | None:
        """The newest entry still RUNNING, where a view of a running run starts."""
        every = list(self._facts)  # made once, not one by one from the back
        for index in range(len(every) - 1, -1, -1):
            facts = every[index]
            if facts is not None and facts[1] == st.RUNNING:
                return index
        return None

    @property
    def trigger(self) -> StepEntry | None:
        """The trigger's entry, whose output is the start of every data flow."""
        for node in self.nodes:
            if node.kind is NodeKind.TRIGGER:
                return node.entry
        return None

    def loop_of(self, entry: StepEntry) -> LoopNode | None:
        """The loop whose iteration ran `entry`, if any."""
        if 0 <= entry.index < len(self._loop_of_index):
            ordinal = self._loop_of_index[entry.index]
            if ordinal >= 0:
                return self._loops[ordinal]
        return None

    def earlier_in_scope(self, entry: StepEntry) -> list[StepEntry]:
        """Entries that ran before `entry` and could have fed it: earlier top-level steps,
        and the earlier steps of the same iteration. Nearest first."""
        loop = self.loop_of(entry)
        earlier: list[StepEntry] = []
        if loop is not None and entry.iteration is not None:
            before = [i for i in loop.member_indexes.get(entry.iteration, []) if i < entry.index]
            # Of a step retried thousands of times in the iteration, only its latest
            # `EAGER_ATTEMPTS` attempts, as at the top level: not all 5,000 polls.
            seen: Counter[str] = Counter()
            for index in reversed(before):
                facts = self._facts[index]
                group = facts[0] if facts is not None and facts[0] is not None else f"#{index}"
                seen[group] += 1
                member = self.entries[index]
                if seen[group] <= EAGER_ATTEMPTS and isinstance(member, StepEntry):
                    earlier.append(member)
        if loop is not None and loop.entries:
            top_level_before = loop.entries[0].index + 1
        else:
            top_level_before = entry.index
        for node in self.nodes:
            own_entries = node.entries
            if isinstance(own_entries, EntryView):
                # Only the latest attempts before `entry` of a step retried thousands of
                # times: the one before is what can have fed it, not all 200,000.
                stop = bisect.bisect_left(own_entries.indexes, top_level_before)
                own_entries = own_entries[max(0, stop - EAGER_ATTEMPTS) : stop]
            for own in own_entries:
                if own.index < top_level_before and not own.is_trigger:
                    earlier.append(own)
        earlier.sort(key=lambda e: e.index, reverse=True)
        return earlier

    def later_than(self, entry: StepEntry) -> Iterator[StepEntry]:
        """Entries after `entry`, in order: the candidates that may have used its output."""
        for index in range(entry.index + 1, len(self.entries)):
            other = self.entries[index]
            if isinstance(other, StepEntry):
                yield other

    def sibling_iteration(self, node: StepNode, delta: int) -> StepNode | None:
        """The same step in the next (`delta=1`) or previous (`-1`) iteration that ran it.

        Works from an iteration node too (then the neighbouring reached iteration).
        """
        iteration_node = node
        while iteration_node is not None and iteration_node.kind is not NodeKind.ITERATION:
            iteration_node = iteration_node.parent
        if iteration_node is None or not isinstance(iteration_node.parent, LoopNode):
            return None
        loop = iteration_node.parent
        numbers = sorted(loop.member_indexes)
        current = iteration_node.iteration or 0
        if delta > 0:
            candidates = numbers[bisect.bisect_right(numbers, current) :]
        else:
            candidates = list(reversed(numbers[: bisect.bisect_left(numbers, current)]))
        step_id = node.entry.step_id if node is not iteration_node and node.entry else None
        for number in candidates:
            target = loop.iteration_node(number)
            if step_id is None:
                return target
            for child in target.children:
                if child.entry is not None and child.entry.step_id == step_id:
                    return child
        return None


def _entries_of(nodes: Iterable[StepNode]) -> Iterator[StepEntry]:
    for node in nodes:
        if isinstance(node, RetriedNode):
            # Attempts run one after another: the first and the last bound the span, and
            # reading the thousands between would parse (and have a skeleton fill) them all.
            yield node.entries[0]
            yield node.entries[-1]
            continue
        yield from node.entries
        for child in node.children:
            if child.kind is not NodeKind.ATTEMPT:
                yield from _entries_of([child])


def _set_span(node: StepNode, entries: Iterable[StepEntry]) -> None:
    """Give a group node the span of its entries: first start to last end."""
    starts, ends, total = [], [], 0.0
    have_total = False
    for entry in entries:
        if entry.started_at is not None:
            starts.append(entry.started_at)
        if entry.ended_at is not None:
            ends.append(entry.ended_at)
        if entry.duration_ms is not None:
            total += entry.duration_ms
            have_total = True
    node.started_at = min(starts) if starts else None
    node.ended_at = max(ends) if ends else None
    if node.started_at is not None and node.ended_at is not None:
        node.duration_ms = max(0.0, (node.ended_at - node.started_at).total_seconds() * 1000)
    elif have_total:
        node.duration_ms = total


def _step_node(entries: list[StepEntry], parent: StepNode | None, key: str) -> StepNode:
    last = entries[-1]
    kind = NodeKind.TRIGGER if last.is_trigger and parent is None else NodeKind.STEP
    node = StepNode(
        kind=kind,
        key=key,
        label=last.label,
        status=last.status,
        parent=parent,
        entries=entries,
        iteration=last.iteration,
        started_at=last.started_at,
        ended_at=last.ended_at,
        duration_ms=last.duration_ms,
    )
    if len(entries) > 1:
        node.children = [
            _attempt_node(entry, number, node) for number, entry in enumerate(entries, start=1)
        ]
    return node


def _attempt_node(entry: StepEntry, number: int, parent: StepNode) -> StepNode:
    return StepNode(
        kind=NodeKind.ATTEMPT,
        key=f"{parent.key}/a{number}",
        label=f"attempt {number:,}",
        status=entry.status,
        parent=parent,
        entries=[entry],
        iteration=entry.iteration,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        duration_ms=entry.duration_ms,
    )


def _retried_node(
    indexes: list[int],
    entries: EntryList,
    facts: Sequence[EntryFacts | None],
    parent: StepNode | None,
    key: str,
) -> RetriedNode:
    """A step of more than `EAGER_ATTEMPTS` attempts: one of them parsed."""
    view = EntryView(array("i", indexes), entries)
    last = view[-1]
    return RetriedNode(
        kind=NodeKind.TRIGGER if last.is_trigger and parent is None else NodeKind.STEP,
        key=key,
        label=last.label,
        status=last.status,
        parent=parent,
        entries=view,
        iteration=last.iteration,
        started_at=last.started_at,
        ended_at=last.ended_at,
        duration_ms=last.duration_ms,
        _facts=facts,
    )


def _malformed_node(entry: MalformedEntry, parent: StepNode | None, prefix: str) -> StepNode:
    return StepNode(
        kind=NodeKind.MALFORMED,
        key=f"{prefix}m{entry.index}",
        label=f"malformed entry #{entry.index}",
        status=st.UNKNOWN,
        parent=parent,
        malformed=entry,
    )


def _positive(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _loop_total(loop_entries: list[StepEntry], first_member: StepEntry | None, members: int) -> int:
    """Items the loop was given: declared by the loop, its collection, or its iterations."""
    total = 0
    for entry in loop_entries:
        output = entry.output
        if isinstance(output, dict):
            total = max(total, _positive(output.get("totalItems")))
            if isinstance(output.get("collection"), list):
                total = max(total, len(output["collection"]))
        total = max(total, entry.total_items or 0)
    if first_member is not None:
        total = max(total, first_member.total_items or 0)
    return max(total, members)


def _iteration_status(indexes: list[int], facts: Sequence[EntryFacts | None]) -> str:
    """An iteration's status: the worst of its steps' latest attempts."""
    first = facts[indexes[0]]
    if len(indexes) == 1:
        return first[1] if first is not None else st.UNKNOWN
    if first is not None and all(
        (item := facts[i]) is not None and item[1] == first[1] for i in indexes
    ):
        return first[1]  # the common case, 50,000 times in a big loop: one status
    latest: dict[str, str] = {}
    for index in indexes:
        item = facts[index]
        if item is None:
            latest[f"m{index}"] = st.UNKNOWN
        else:
            latest[item[0] if item[0] is not None else f"#{index}"] = item[1]
    return st.worst(latest.values()) or st.UNKNOWN


class _LoopScope:
    """A loop being assembled: its own entries and its iterations' entries, by index."""

    def __init__(self, first: int, synthetic: bool = False) -> None:
        self.first = first
        self.own: list[int] = [] if synthetic else [first]
        self.members: dict[int, list[int]] = {}
        # Stretches of iterations in step (`LoopMembers`): (position, width, number, count).
        self.blocks: list[tuple[int, int, int, int]] = []

    def member_indexes(self) -> Mapping[int, list[int]]:
        """Its iterations' entries by number, as the loop node keeps them."""
        return LoopMembers(self.blocks, self.members) if self.blocks else self.members

    def add_in_step(self, numbers: Sequence[int], start: int, end: int) -> int:
        """Add positions `start` on (iterations all, `numbers` theirs) as one block, as
        far as their iterations follow one another in step: each the same number of
        entries, numbered on by one from numbers no entry of the loop has yet. Returns
        where the block ends (`start` when there is none): the rest is for the caller.
        Checked a column at a time, in C."""
        first = numbers[start]
        width = 1
        while start + width < end and numbers[start + width] == first and width <= _MAX_WIDTH:
            width += 1
        count = (end - start) // width
        if width > _MAX_WIDTH or count < 2:
            return start
        stop = start + count * width
        expected = list(range(first, first + count))
        if any(numbers[start + offset : stop : width] != expected for offset in range(width)):
            return start
        last = first + count
        if any(first <= number < last for number in self.members) or any(
            b_first < last and first < b_first + b_count for _, _, b_first, b_count in self.blocks
        ):
            return start
        self.blocks.append((start, width, first, count))
        return stop


# The most entries an iteration has for its stretch to be held as a block.
_MAX_WIDTH: Final = 64


def build_tree(
    steps_log: Any,
    *,
    run_status: str | None = None,
    run_ended_at: datetime | None = None,
    previous: StepTree | None = None,
    start: int = 0,
) -> StepTree:
    """Build the step tree of a run from its raw `steps_log`. Never raises.

    With `previous` and `start`, entries before `start` are reused from `previous` instead
    of being read again: that is how a tail of a running run is merged.
    """
    with paused_collector():
        return _build(steps_log, run_status, run_ended_at, previous, start)


def _build(
    steps_log: Any,
    run_status: str | None,
    run_ended_at: datetime | None,
    previous: StepTree | None,
    start: int,
) -> StepTree:
    notes: list[str] = []
    overrides: dict[int, Entry] = {}
    if steps_log is None:
        notes.append("steps_log is null: the run recorded no steps")
        items: Sequence[Any] = []
    elif isinstance(steps_log, list | LogSkeleton):
        items = steps_log
    else:
        notes.append(f"steps_log is {describe_json_type(steps_log)}, not an array")
        items = [steps_log]
        overrides[0] = MalformedEntry(0, steps_log, notes[-1])

    run_ended = run_ended_at is not None or (
        run_status is not None and st.normalise(run_status) in st.TERMINAL
    )
    start = max(0, min(start, len(items)))
    reuse: Sequence[Entry | None] = ()
    if (previous is None or not start) and isinstance(steps_log, LogSkeleton):
        # A big log: its facts read from the skeleton's columns when asked for, its loops
        # found among the entries that are not plain, its iterations a stretch at a time.
        numbers = steps_log.iteration_numbers()
        notable = steps_log.notable_indexes()
        # Counted in C first: a log of 200,000 attempts of one step has no stretch to add.
        mostly_iterations = numbers.count(0) * 4 < len(numbers)
        return _assemble(
            EntryList(items, run_ended=run_ended, overrides=overrides),
            steps_log.facts(),
            notes,
            notable,
            (numbers, steps_log.stretch_breaks(notable)) if mostly_iterations else None,
        )
    facts: list[EntryFacts | None] = []
    if previous is not None and start and isinstance(steps_log, list | LogSkeleton):
        reuse = previous.entries.parsed()[:start]
        facts = list(previous._facts[:start])
    facts.extend(
        None if index in overrides else entry_facts(items[index])
        for index in range(len(facts), len(items))
    )
    entries = EntryList(items, run_ended=run_ended, reuse=reuse, overrides=overrides)
    return _assemble(entries, facts, notes)


def _assemble(
    entries: EntryList,
    facts: Sequence[EntryFacts | None],
    notes: list[str],
    notable: Sequence[int] | None = None,
    stretches: tuple[Sequence[int], list[int]] | None = None,
) -> StepTree:
    """The tree of `entries`. `notable`, when known, holds (in order) every index whose
    entry is anything but a plain step that completed: the loops, failures and odd
    statuses are looked for there, not in every one of 100,000 entries.

    `stretches`, when known, is every entry's iteration number and (in order) the
    indexes of the entries that are no plain iteration: the entries between two of those
    are added to their loop a stretch at a time (`_LoopScope.add_in_step`)."""
    if notable is None:
        notable = range(len(facts))
    loop_positions = [
        i
        for i in notable
        if (f := facts[i]) is not None and f[3] == LOOP_OPERATION and f[2] is None
    ]
    # Top level, in order: plain entries (by index) and loops (by their first appearance).
    top: list[int | _LoopScope] = []
    loops_by_step: dict[str, _LoopScope] = {}
    scope_of_position: dict[int, _LoopScope] = {}
    current: _LoopScope | None = None

    def loop_for(position: int) -> _LoopScope:
        nonlocal current
        if current is not None:
            return current
        # Iterations logged before their loop's entry belong to the next loop entry.
        following = bisect.bisect_right(loop_positions, position)
        if following < len(loop_positions):
            target = loop_positions[following]
            scope = scope_of_position.get(target)
            if scope is None:
                scope = scope_of_position[target] = _LoopScope(target)
                step_id = facts[target][0]  # type: ignore[index]
                if step_id is not None:
                    loops_by_step[step_id] = scope
                top.append(scope)
            return scope
        scope = current = _LoopScope(position, synthetic=True)
        top.append(scope)
        return scope

    def visit(position: int, item: EntryFacts | None) -> None:
        # An entry that is no loop iteration: a step, a loop's own entry, or no step.
        nonlocal current
        if item is None:
            top.append(position)
            return
        step_id, operation = item[0], item[3]
        if operation == LOOP_OPERATION:
            scope = scope_of_position.get(position)
            if scope is None:
                same = loops_by_step.get(step_id) if step_id is not None else None
                if same is not None:
                    same.own.append(position)  # a retried loop keeps one node
                    scope = same
                else:
                    scope = _LoopScope(position)
                    if step_id is not None:
                        loops_by_step[step_id] = scope
                    top.append(scope)
                scope_of_position[position] = scope
            current = scope
        else:
            top.append(position)

    if stretches is None:
        for position, item in enumerate(facts):
            iteration = item[2] if item is not None else None
            if iteration is not None:
                # The hot path: a big log is iterations. Written out for speed.
                members = (current or loop_for(position)).members
                group = members.get(iteration)
                if group is None:
                    members[iteration] = [position]
                else:
                    group.append(position)
            else:
                visit(position, item)
    else:
        numbers, breaks = stretches
        after = 0
        for position in [*breaks, len(facts)]:
            if after < position:
                scope = current or loop_for(after)
                members = scope.members
                for index in range(scope.add_in_step(numbers, after, position), position):
                    members.setdefault(numbers[index], []).append(index)
            after = position + 1
            if position == len(facts):
                break
            item = facts[position]
            iteration = item[2] if item is not None else None
            if iteration is not None:
                (current or loop_for(position)).members.setdefault(iteration, []).append(position)
            else:
                visit(position, item)

    # Plain steps are grouped across the whole top level (a retry can come after a loop),
    # and placed where their first attempt was.
    plain = [i for i in top if not isinstance(i, _LoopScope)]
    plain_by_first = _group_positions(plain, entries, facts)

    nodes: list[StepNode] = []
    loops: list[LoopNode] = []
    node_of_entry: dict[int, tuple[str, ...]] = {}
    loop_of_index = array("i", [-1]) * len(facts)
    retried: list[RetriedNode] = []
    for item in top:
        if isinstance(item, _LoopScope):
            loop = _loop_node(item, entries, facts, notable)
            ordinal = len(loops)
            loops.append(loop)
            nodes.append(loop)
            for entry in loop.entries:
                node_of_entry[entry.index] = (loop.key,)
            span = loop.span_indexes
            members = member_count(loop.member_indexes)
            if span and members == span[-1] - span[0] + 1:
                # Its iterations fill one stretch of the log, nothing else inside: marked
                # in one slice rather than 100,000 stores.
                loop_of_index[span[0] : span[-1] + 1] = array("i", [ordinal]) * members
            else:
                for indexes in loop.member_indexes.values():
                    for index in indexes:
                        loop_of_index[index] = ordinal
        else:
            node = plain_by_first.get(item)
            if node is None:
                continue
            nodes.append(node)
            if node.malformed is not None:
                node_of_entry[item] = (node.key,)
            if isinstance(node, RetriedNode):
                # Its attempts are found by index (`keys_of_entry`), not one key each.
                retried.append(node)
                continue
            for number, entry in enumerate(node.entries, start=1):
                node_of_entry[entry.index] = (
                    (node.key, f"{node.key}/a{number}") if node.attempts > 1 else (node.key,)
                )

    tree = StepTree(nodes, entries, [], notes, node_of_entry, facts, loops, loop_of_index, retried)
    tree.failures = _failures(tree, notable)
    return tree


def _group_positions(
    positions: list[int],
    entries: EntryList,
    facts: Sequence[EntryFacts | None],
    parent: StepNode | None = None,
    prefix: str = "",
) -> dict[int, StepNode]:
    """Steps by the index of their first attempt, grouped by stepId, keyed
    `<prefix>s<first index>` (a malformed element: `<prefix>m<index>`).

    Grouped on `facts`, so only what a node shows is parsed: a step of 200,000 attempts
    reads one of them (`_retried_node`).
    """
    groups: dict[str, list[int]] = {}
    order: list[list[int] | int] = []
    for position in positions:
        item = facts[position]
        if item is None:
            order.append(position)  # not a step: shown as a malformed entry
            continue
        group_key = item[0] if item[0] is not None else f"#{position}"
        group = groups.get(group_key)
        if group is None:
            group = groups[group_key] = []
            order.append(group)
        group.append(position)
    nodes: dict[int, StepNode] = {}
    for member in order:
        if isinstance(member, int):
            entry = entries[member]
            if isinstance(entry, MalformedEntry):
                nodes[member] = _malformed_node(entry, parent, prefix)
            else:
                nodes[member] = _step_node([entry], parent, f"{prefix}s{member}")
        elif len(member) > EAGER_ATTEMPTS:
            key = f"{prefix}s{member[0]}"
            nodes[member[0]] = _retried_node(member, entries, facts, parent, key)
        else:
            group_entries = [e for e in (entries[i] for i in member) if isinstance(e, StepEntry)]
            nodes[member[0]] = _step_node(group_entries, parent, f"{prefix}s{member[0]}")
    return nodes


def _member_keys(
    loop: LoopNode,
    number: int,
    members: list[int],
    index: int,
    facts: Sequence[EntryFacts | None],
) -> tuple[str, ...]:
    """The key path of an entry inside an iteration, without building the iteration."""
    iteration_key = f"{loop.key}/i{number}"
    own = facts[index]
    if own is None:
        return (loop.key, iteration_key, f"{iteration_key}/m{index}")

    def group_of(i: int) -> str | None:
        item = facts[i]
        if item is None:
            return None
        return item[0] if item[0] is not None else f"#{i}"

    group = group_of(index)
    same = [i for i in members if group_of(i) == group]
    step_key = f"{iteration_key}/s{same[0]}"
    if len(same) == 1:
        return (loop.key, iteration_key, step_key)
    return (loop.key, iteration_key, step_key, f"{step_key}/a{same.index(index) + 1}")


def _loop_node(
    scope: _LoopScope,
    entries: EntryList,
    facts: Sequence[EntryFacts | None],
    notable: Sequence[int],
) -> LoopNode:
    own = [e for e in (entries[i] for i in scope.own) if isinstance(e, StepEntry)]
    key = f"s{scope.own[0] if scope.own else scope.first}"
    members = scope.member_indexes()
    # Nearly every iteration of a big loop only completed: those are COMPLETED without a
    # look at each; the few with anything else (all among `notable`) are worked out one
    # by one.
    completed = st.COMPLETED
    unusual = set()
    for index in notable:
        item = facts[index]
        if item is None or item[1] == completed or item[2] is None:
            continue
        group = members.get(item[2])
        if group is not None and index in group:
            unusual.add(item[2])
    statuses = dict.fromkeys(members, completed)
    for number in unusual:
        statuses[number] = _iteration_status(members[number], facts)
    bounds = _member_bounds(members)
    first_index = bounds[0] if bounds is not None else None
    first_member = entries[first_index] if first_index is not None else None
    loop = LoopNode(
        kind=NodeKind.LOOP,
        key=key,
        label=own[-1].label if own else "iterations with no loop step",
        status=own[-1].status if own else st.worst(set(statuses.values())) or st.UNKNOWN,
        entries=own,
        member_indexes=members,
        iteration_status=statuses,
        _entries=entries,
        _facts=facts,
    )
    loop.total = _loop_total(
        own,
        first_member if isinstance(first_member, StepEntry) else None,
        max(members, default=0) if not own else 0,
    )
    last_output = own[-1].output if own else None
    if isinstance(last_output, dict) and isinstance(last_output.get("collection"), list):
        loop.collection = last_output["collection"]
    loop._rollup = st.worst({loop.status, *statuses.values()}) or loop.status
    if bounds is not None:
        loop.span_indexes = bounds
    _set_loop_span(loop)
    return loop


def _member_bounds(members: Mapping[int, list[int]]) -> tuple[int, int] | None:
    """The first and the last position of a loop's iterations' entries; None if none."""
    if not members:
        return None
    if isinstance(members, LoopMembers):
        return members.bounds()
    # Positions are appended in order, so the first iteration's first is the smallest.
    return next(iter(members.values()))[0], max(map(itemgetter(-1), members.values()))


def _set_loop_span(loop: LoopNode) -> None:
    # The loop spans from its first to its last entry; reading every iteration's timestamps
    # to be exact would cost what lazy parsing saves.
    assert loop._entries is not None
    members = [loop._entries[i] for i in loop.span_indexes]
    bounds = [e for e in (*loop.entries, *members) if isinstance(e, StepEntry)]
    _set_span(loop, bounds)
    own = loop.entries
    if own and own[-1].duration_ms is not None and loop.started_at is None:
        loop.duration_ms = own[-1].duration_ms


def refresh_spans(node: StepNode) -> None:
    """Read `node`'s times from its entries again, after pending entries were filled in.

    A node copies its times when it is built; a skeleton's plain entries have none until
    their whole elements arrive. Iterations and attempts below `node` that exist are
    refreshed too.
    """
    if isinstance(node, LoopNode):
        _set_loop_span(node)
        return
    if node.kind is NodeKind.ITERATION:
        for child in node.children:
            refresh_spans(child)
        _set_span(node, _entries_of(node.children))
        return
    entry = node.entry
    if entry is None:
        return
    if isinstance(node, RetriedNode):
        for attempt in node.built_attempts():
            refresh_spans(attempt)
    node.started_at, node.ended_at, node.duration_ms = (
        entry.started_at,
        entry.ended_at,
        entry.duration_ms,
    )
    if node.kind is not NodeKind.ATTEMPT:
        node.label = entry.label
    for child in node.children:
        refresh_spans(child)


def entries_to_show(node: StepNode, *, detail: bool = True) -> list[StepEntry]:
    """The entries a view of `node` reads: all of a small node's; of a step of very many
    attempts its last (what its label shows) and, for its `detail`, its first
    `EAGER_ATTEMPTS` and the attempts built so far.

    What a skeleton must fill for the node stays bounded, however often the step ran.
    """
    if not isinstance(node, RetriedNode):
        return list(node.entries)
    if not detail:
        return [node.entries[-1]]
    shown = list(node.entries[:EAGER_ATTEMPTS])
    shown += [attempt.entries[0] for attempt in node.built_attempts()]
    shown.append(node.entries[-1])
    return list({entry.index: entry for entry in shown}.values())


def _failures(tree: StepTree, notable: Sequence[int]) -> list[Failure]:
    failures = []
    failing = st.FAILURES
    facts = tree._facts
    for index in notable:
        item = facts[index]
        if item is None or item[1] not in failing:
            continue
        entry = tree.entries[index]
        if not isinstance(entry, StepEntry):
            continue
        message = entry.error.message if entry.error is not None else ""
        failures.append(
            Failure(
                entry_index=index,
                keys=tree.keys_of_entry(index) or (),
                label=entry.label,
                status=entry.status,
                iteration=entry.iteration,
                message=one_line(message, 500),
            )
        )
    return failures


def _numbered_position(key: str, prefix: str, count: int) -> int | None:
    """n - 1 for a key `<prefix><n>` with 1 <= n <= count (an iteration or an attempt)."""
    digits = key[len(prefix) :]
    if not key.startswith(prefix) or not digits.isdecimal():
        return None
    number = int(digits)
    return number - 1 if 1 <= number <= count else None
