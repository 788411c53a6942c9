"""`steps_log` as a tree: the trigger, the steps in order, loops owning their iterations,
retries grouped as attempts, and a visible node for everything that is not a step.

Building never raises, whatever `steps_log` holds. Iterations are materialised on demand:
a loop of 50,000 items costs one dictionary of entry lists until someone opens it.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from wflog_tui.model import status as st
from wflog_tui.model.display_text import one_line
from wflog_tui.model.entries import MalformedEntry, StepEntry, describe_json_type, parse_entry

Entry = StepEntry | MalformedEntry


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
    iteration (its steps are its children) or a malformed element.
    """

    kind: NodeKind
    key: str
    label: str
    status: str
    parent: StepNode | None = None
    entries: list[StepEntry] = field(default_factory=list)
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
            return f"{self.attempts} attempts"
        if self.kind is NodeKind.ITERATION and self.status == st.NOT_REACHED:
            return ""
        return ""


@dataclass(eq=False, slots=True)
class LoopNode(StepNode):
    """A `builtin:loop` step. Its iterations are built when asked for, one at a time.

    `total` is the number of items the loop was given; iterations up to `total` that no
    entry reports are "not reached".
    """

    total: int = 0
    collection: list[Any] | None = None
    members: dict[int, list[Entry]] = field(default_factory=dict)
    iteration_status: dict[int, str] = field(default_factory=dict)
    _built: dict[int, StepNode] = field(default_factory=dict)
    _rollup: str = st.UNKNOWN

    @property
    def rollup_status(self) -> str:
        """The loop's own status, or a worse one from its iterations."""
        return self._rollup

    def counts(self) -> Counter[str]:
        """Iterations by status, with NOT_REACHED for those no entry reports."""
        counts = Counter(self.iteration_status.values())
        unreached = self.total - sum(1 for n in self.iteration_status if n <= self.total)
        if unreached > 0:
            counts[st.NOT_REACHED] += unreached
        return counts

    def summary(self) -> str:
        """`3 items · 1 failed · 1 not reached`: every count that is not "completed"."""
        counts = self.counts()
        parts = [f"{self.total:,} item{'s' if self.total != 1 else ''}"]
        for status in (st.FAILED, st.TIMED_OUT, st.RUNNING, st.CANCELED, st.UNKNOWN):
            if counts.get(status):
                parts.append(f"{counts[status]:,} {st.word(status).lower()}")
        for other in sorted(set(counts) - set(st.KNOWN) - {st.UNKNOWN, st.NOT_REACHED}):
            parts.append(f"{counts[other]:,} {st.word(other).lower()}")
        if counts.get(st.NOT_REACHED):
            parts.append(f"{counts[st.NOT_REACHED]:,} not reached")
        if self.attempts > 1:
            parts.append(f"{self.attempts} attempts")
        return " · ".join(parts)

    @property
    def has_children(self) -> bool:
        """A loop opens onto its iterations, which are built only then."""
        return self.iteration_count > 0

    @property
    def iteration_count(self) -> int:
        """How many iteration rows the loop shows: every item, and any reported beyond."""
        return max(self.total, max(self.members, default=0))

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
        members = self.members.get(number, [])
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
        node.children = _group_steps(members, node, node.key + "/")
        _set_span(node, _entries_of(node.children))
        return node


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
    entries: list[Entry]
    failures: list[Failure]
    notes: list[str]
    _node_of_entry: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)

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
        for depth, key in enumerate(keys):
            node = next((n for n in level if n.key == key), None)
            if node is None and depth > 0:
                parent = self.find(keys[:depth])
                if isinstance(parent, LoopNode):
                    number = _iteration_from_key(key)
                    if number is not None and 1 <= number <= parent.iteration_count:
                        node = parent.iteration_node(number)
            if node is None:
                return None
            level = node.children
        return node

    def keys_of_entry(self, index: int) -> tuple[str, ...] | None:
        """The key path of the node that shows entry `index`, if any."""
        return self._node_of_entry.get(index)

    def node_of_entry(self, index: int) -> StepNode | None:
        """The node that shows entry `index` (building its iteration if needed)."""
        keys = self.keys_of_entry(index)
        return self.find(keys) if keys else None

    def first_unfinished_index(self) -> int:
        """Where a tail of a running run must start: the first entry not yet terminal."""
        for entry in self.entries:
            if isinstance(entry, StepEntry) and not entry.is_finished:
                return entry.index
        return len(self.entries)

    @property
    def trigger(self) -> StepEntry | None:
        """The trigger's entry, whose output is the start of every data flow."""
        for node in self.nodes:
            if node.kind is NodeKind.TRIGGER:
                return node.entry
        return None

    def loop_of(self, entry: StepEntry) -> LoopNode | None:
        """The loop whose iteration ran `entry`, if any."""
        keys = self.keys_of_entry(entry.index)
        if not keys:
            return None
        top = self.find(keys[:1])
        return top if isinstance(top, LoopNode) and len(keys) > 1 else None

    def earlier_in_scope(self, entry: StepEntry) -> list[StepEntry]:
        """Entries that ran before `entry` and could have fed it: earlier top-level steps,
        and the earlier steps of the same iteration. Nearest first."""
        loop = self.loop_of(entry)
        earlier: list[StepEntry] = []
        if loop is not None and entry.iteration is not None:
            earlier.extend(
                e
                for e in loop.members.get(entry.iteration, [])
                if isinstance(e, StepEntry) and e.index < entry.index
            )
        top_level_before = entry.index if loop is None else loop.entries[0].index + 1
        for node in self.nodes:
            for own in node.entries:
                if own.index < top_level_before and not own.is_trigger:
                    earlier.append(own)
        earlier.sort(key=lambda e: e.index, reverse=True)
        return earlier

    def later_than(self, entry: StepEntry) -> Iterator[StepEntry]:
        """Entries after `entry`, in order: the candidates that may have used its output."""
        for other in self.entries[entry.index + 1 :]:
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
        numbers = sorted(loop.members)
        current = iteration_node.iteration or 0
        position = bisect.bisect_right(numbers, current) if delta > 0 else None
        candidates = (
            numbers[position:]
            if position is not None
            else list(reversed(numbers[: bisect.bisect_left(numbers, current)]))
        )
        step_id = node.entry.step_id if node is not iteration_node and node.entry else None
        for number in candidates:
            target = loop.iteration_node(number)
            if step_id is None:
                return target
            for child in target.children:
                if child.entry is not None and child.entry.step_id == step_id:
                    return child
        return None


def _iteration_from_key(key: str) -> int | None:
    tail = key.rsplit("/", 1)[-1]
    if tail.startswith("i") and tail[1:].isdigit():
        return int(tail[1:])
    return None


def _entries_of(nodes: Iterable[StepNode]) -> Iterator[StepEntry]:
    for node in nodes:
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
            StepNode(
                kind=NodeKind.ATTEMPT,
                key=f"{key}/a{number}",
                label=f"attempt {number}",
                status=entry.status,
                parent=node,
                entries=[entry],
                iteration=entry.iteration,
                started_at=entry.started_at,
                ended_at=entry.ended_at,
                duration_ms=entry.duration_ms,
            )
            for number, entry in enumerate(entries, start=1)
        ]
    return node


def _malformed_node(entry: MalformedEntry, parent: StepNode | None, prefix: str) -> StepNode:
    return StepNode(
        kind=NodeKind.MALFORMED,
        key=f"{prefix}m{entry.index}",
        label=f"malformed entry #{entry.index}",
        status=st.UNKNOWN,
        parent=parent,
        malformed=entry,
    )


def _group_steps(entries: Sequence[Entry], parent: StepNode | None, prefix: str) -> list[StepNode]:
    """Steps in order of first appearance; one stepId repeated becomes one node of attempts."""
    groups: dict[str, list[StepEntry]] = {}
    order: list[tuple[str, list[StepEntry]] | MalformedEntry] = []
    for entry in entries:
        if isinstance(entry, MalformedEntry):
            order.append(entry)
            continue
        group_key = entry.step_id if entry.step_id is not None else f"#{entry.index}"
        group = groups.get(group_key)
        if group is None:
            group = groups[group_key] = []
            order.append((f"{prefix}s{entry.index}", group))
        group.append(entry)
    nodes = []
    for item in order:
        if isinstance(item, MalformedEntry):
            nodes.append(_malformed_node(item, parent, prefix))
        else:
            nodes.append(_step_node(item[1], parent, item[0]))
    return nodes


def _loop_total(loop_entries: list[StepEntry], members: dict[int, list[Entry]]) -> int:
    total = 0
    collection_length = None
    for entry in loop_entries:
        output = entry.output
        if isinstance(output, dict):
            declared = output.get("totalItems")
            if isinstance(declared, int) and not isinstance(declared, bool) and declared > 0:
                total = max(total, declared)
            if isinstance(output.get("collection"), list):
                collection_length = len(output["collection"])
        if entry.total_items:
            total = max(total, entry.total_items)
    if collection_length is not None:
        total = max(total, collection_length)
    for entries in members.values():
        for entry in entries:
            if isinstance(entry, StepEntry) and entry.total_items:
                total = max(total, entry.total_items)
                break
    return total


def _iteration_status(entries: list[Entry]) -> str:
    """An iteration's status: the worst of its steps' latest attempts."""
    latest: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, StepEntry):
            latest[entry.step_id if entry.step_id is not None else f"#{entry.index}"] = entry.status
        else:
            latest[f"m{entry.index}"] = st.UNKNOWN
    return st.worst(latest.values()) or st.UNKNOWN


class _LoopScope:
    """A loop being assembled: its own entries and its iterations' entries."""

    def __init__(self, first: StepEntry, synthetic: bool = False) -> None:
        self.first = first
        self.own: list[StepEntry] = [] if synthetic else [first]
        self.members: dict[int, list[Entry]] = {}
        self.synthetic = synthetic


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
    of being parsed again: that is how a tail of a running run is merged.
    """
    notes: list[str] = []
    if steps_log is None:
        notes.append("steps_log is null: the run recorded no steps")
        items: Sequence[Any] = []
    elif isinstance(steps_log, list):
        items = steps_log
    else:
        notes.append(f"steps_log is {describe_json_type(steps_log)}, not an array")
        items = [steps_log]

    reuse = previous.entries[:start] if previous is not None else []
    entries: list[Entry] = list(reuse)
    for index in range(len(reuse), len(items)):
        entries.append(parse_entry(index, items[index]))
    if not isinstance(steps_log, list) and entries and steps_log is not None:
        entries = [MalformedEntry(0, steps_log, notes[-1])]

    run_ended = run_ended_at is not None or (
        run_status is not None and st.normalise(run_status) in st.TERMINAL
    )
    for entry in entries:
        if isinstance(entry, StepEntry):
            entry.unexpected_termination = (
                run_ended and entry.ended_at is None and entry.status in (st.FAILED, st.RUNNING)
            )
    return _assemble(entries, notes)


def _assemble(entries: list[Entry], notes: list[str]) -> StepTree:
    loop_positions = [
        i
        for i, e in enumerate(entries)
        if isinstance(e, StepEntry) and e.is_loop and e.iteration is None
    ]
    # Top level, in order: plain entries, loops (by first entry) and malformed elements.
    top: list[Entry | _LoopScope] = []
    loops_by_step: dict[str, _LoopScope] = {}
    scope_of_position: dict[int, _LoopScope] = {}
    current: _LoopScope | None = None

    def loop_for(position: int, entry: StepEntry) -> _LoopScope:
        nonlocal current
        if current is not None:
            return current
        # Iterations logged before their loop's entry belong to the next loop entry.
        following = bisect.bisect_right(loop_positions, position)
        if following < len(loop_positions):
            target = loop_positions[following]
            scope = scope_of_position.get(target)
            if scope is None:
                loop_entry = entries[target]
                assert isinstance(loop_entry, StepEntry)
                scope = _LoopScope(loop_entry)
                scope_of_position[target] = scope
                if loop_entry.step_id is not None:
                    loops_by_step[loop_entry.step_id] = scope
                top.append(scope)
            return scope
        scope = _LoopScope(entry, synthetic=True)
        top.append(scope)
        current = scope
        return scope

    for position, entry in enumerate(entries):
        if isinstance(entry, StepEntry) and entry.is_loop and entry.iteration is None:
            scope = scope_of_position.get(position)
            if scope is None:
                same = loops_by_step.get(entry.step_id) if entry.step_id is not None else None
                if same is not None:
                    same.own.append(entry)  # a retried loop keeps one node
                    scope = same
                else:
                    scope = _LoopScope(entry)
                    if entry.step_id is not None:
                        loops_by_step[entry.step_id] = scope
                    top.append(scope)
                scope_of_position[position] = scope
            current = scope
        elif isinstance(entry, StepEntry) and entry.iteration is not None:
            scope = loop_for(position, entry)
            scope.members.setdefault(entry.iteration, []).append(entry)
        else:
            top.append(entry)

    nodes: list[StepNode] = []
    node_of_entry: dict[int, tuple[str, ...]] = {}
    # Plain steps are grouped across the whole top level (a retry can come after a loop),
    # so collect them first and keep loops in their place by first appearance.
    plain_groups = _group_steps([e for e in top if not isinstance(e, _LoopScope)], None, "")
    plain_by_first: dict[int, StepNode] = {}
    for node in plain_groups:
        first = node.entries[0].index if node.entries else node.malformed.index  # type: ignore[union-attr]
        plain_by_first[first] = node

    for item in top:
        if isinstance(item, _LoopScope):
            loop = _loop_node(item)
            nodes.append(loop)
            for entry in loop.entries:
                node_of_entry[entry.index] = (loop.key,)
            for number, members in item.members.items():
                for member in members:
                    node_of_entry[member.index] = _member_keys(loop, number, members, member)
        else:
            node = plain_by_first.get(item.index)
            if node is not None:
                nodes.append(node)
                if node.malformed is not None:
                    node_of_entry[item.index] = (node.key,)
                for number, entry in enumerate(node.entries, start=1):
                    node_of_entry[entry.index] = (
                        (node.key, f"{node.key}/a{number}") if node.attempts > 1 else (node.key,)
                    )

    failures = _failures(entries, node_of_entry)
    return StepTree(nodes, entries, failures, notes, node_of_entry)


def _member_keys(
    loop: LoopNode, number: int, members: list[Entry], member: Entry
) -> tuple[str, ...]:
    """The key path of an entry inside an iteration, without building the iteration."""
    iteration_key = f"{loop.key}/i{number}"
    if isinstance(member, MalformedEntry):
        return (loop.key, iteration_key, f"{iteration_key}/m{member.index}")
    group_id = member.step_id if member.step_id is not None else f"#{member.index}"
    same = [
        e
        for e in members
        if isinstance(e, StepEntry)
        and (e.step_id if e.step_id is not None else f"#{e.index}") == group_id
    ]
    step_key = f"{iteration_key}/s{same[0].index}"
    if len(same) == 1:
        return (loop.key, iteration_key, step_key)
    attempt = next(i for i, e in enumerate(same, start=1) if e is member)
    return (loop.key, iteration_key, step_key, f"{step_key}/a{attempt}")


def _loop_node(scope: _LoopScope) -> LoopNode:
    own = scope.own
    first = own[0] if own else scope.first
    key = f"s{first.index}"
    loop = LoopNode(
        kind=NodeKind.LOOP,
        key=key,
        label=own[-1].label if own else "iterations with no loop step",
        status=own[-1].status if own else st.worst(_statuses(scope)) or st.UNKNOWN,
        entries=list(own),
        members=scope.members,
    )
    loop.total = _loop_total(own, scope.members)
    last_output = own[-1].output if own else None
    if isinstance(last_output, dict) and isinstance(last_output.get("collection"), list):
        loop.collection = last_output["collection"]
    loop.iteration_status = {
        number: _iteration_status(members) for number, members in scope.members.items()
    }
    loop._rollup = st.worst([loop.status, *loop.iteration_status.values()]) or loop.status
    _set_span(
        loop,
        [
            *own,
            *(e for ms in scope.members.values() for e in ms if isinstance(e, StepEntry)),
        ],
    )
    if own and own[-1].duration_ms is not None and loop.started_at is None:
        loop.duration_ms = own[-1].duration_ms
    return loop


def _statuses(scope: _LoopScope) -> list[str]:
    return [_iteration_status(members) for members in scope.members.values()]


def _failures(entries: list[Entry], node_of_entry: dict[int, tuple[str, ...]]) -> list[Failure]:
    failures = []
    for entry in entries:
        if isinstance(entry, StepEntry) and st.is_failure(entry.status):
            keys = node_of_entry.get(entry.index, ())
            message = entry.error.message if entry.error is not None else ""
            failures.append(
                Failure(
                    entry_index=entry.index,
                    keys=keys,
                    label=entry.label,
                    status=entry.status,
                    iteration=entry.iteration,
                    message=one_line(message, 500),
                )
            )
    return failures
