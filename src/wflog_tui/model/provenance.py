"""Where each value of a step's input came from, and which later steps used its output.

The log records values, not references: a step's input holds `"New post from John Doe"`,
not `!ref(trigger.output.post.author)`. Provenance is therefore inferred by matching values.
Each leaf of the input (a scalar, or an empty object or array) is looked up among the leaves
of the candidate sources the caller names: the run's `input_payload`, the trigger's output,
the current item of the enclosing loop's `output.collection`, and the outputs of earlier steps.

A source matches EXACT when it holds an equal value of the same JSON type, CONTAINS when the
input string holds the source string at word boundaries. Matching is deliberately cautious,
because a wrong arrow is worse than none:

- booleans, null, blank strings and empty containers are never matched;
- numbers with an absolute value below `TRIVIAL_NUMBER_LIMIT` and strings shorter than
  `MIN_EXACT_TEXT` are matched only where the nearest object key is the same on both sides
  (`count: 3` ← `count: 3`, never `count: 3` ← `retries: 3`);
- CONTAINS needs a source string of at least `MIN_CONTAINS_TEXT` characters that starts and
  ends on a word boundary of the input string (`user2` in `user2@example.com`, not `user`
  in `username`), and is case-sensitive.

Ranking, best first: EXACT before CONTAINS; then the loop item, then earlier step outputs
nearest first (by `steps_log` position), then the trigger's output, then the run input; then,
for CONTAINS, the longer source string; then a source whose key names the same thing; then
document order. The sources of one leaf are chosen one per source entry first, so three paths
inside one output do not crowd out a second step that also explains the value.

The trigger's output is usually the run's `input_payload` again. Run-input sources are therefore
dropped for a leaf that the trigger's output already explains at least as well: the trigger is
the nearer link of the chain, and listing both would be noise.

Inputs and outputs can be megabytes and nested hundreds of levels deep: every walk uses an
explicit stack and stops at a leaf cap, values are indexed in dicts so that exact matching
costs one lookup per leaf, and CONTAINS scanning runs on a bounded budget. Nothing here raises
on any JSON value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Any, Final

from wflog_tui.model.entries import MISSING, StepEntry

MAX_SOURCES_PER_LEAF: Final = 3
# Below these, values are too common to say anything about where they came from.
MIN_EXACT_TEXT: Final = 3
MIN_CONTAINS_TEXT: Final = 4
TRIVIAL_NUMBER_LIMIT: Final = 100
# Leaves read from one source field, and from all earlier steps together. The loop item,
# trigger and run input each have their own allowance, so many earlier steps cannot crowd
# out the most telling sources.
SOURCE_LEAVES_PER_FIELD: Final = 10_000
SOURCE_LEAVES_EARLIER: Final = 100_000
# CONTAINS reads the first this-many characters of an input string, and stops for the whole
# trace after this many candidate positions and prefix hits; EXACT matching is never cut.
CONTAINS_SCAN_CHARS: Final = 100_000
CONTAINS_BUDGET: Final = 400_000
# How many places one value is remembered at, per source field and in all.
_PLACES_PER_ORIGIN: Final = 4
_PLACES_PER_VALUE: Final = 64
# Reverse lookups keep more places per value: the person picks one output leaf and expects
# its uses even when the same value occurs elsewhere in that output too.
_PLACES_PER_OUTPUT_VALUE: Final = 256
# Later steps' input leaves read, in all, when looking for uses of an output.
USE_LEAVES_TOTAL: Final = 50_000
# Containers entered per walk, relative to the leaf cap: deep chains hold few leaves.
_NODES_PER_LEAF: Final = 10
_NODES_MIN: Final = 1_000
# Bounded so that a string full of unclosed `!ref(` cannot make the search quadratic.
_REF = re.compile(r"!ref\(\s*([^)]{0,1000}?)\s*\)")
# The "grams" at every place a contained source string may start: the first word characters
# of a word, or a non-word character and the word characters after it. A source string is
# filed under its own first gram; `findall` gathers a text's grams in C, so one set
# intersection rules out most source strings at once, and only texts with a hit are walked.
_WORD_GRAMS = re.compile(r"(?<!\w)\w{1,4}")
_OTHER_GRAMS = re.compile(r"\W\w{0,3}")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


class SourceKind(StrEnum):
    """Which of the candidate sources a value was found in."""

    RUN_INPUT = "run_input"
    TRIGGER_OUTPUT = "trigger_output"
    LOOP_ITEM = "loop_item"
    STEP_OUTPUT = "step_output"


class Match(StrEnum):
    """How a source explains a value: equal to it, or a substring of it."""

    EXACT = "exact"
    CONTAINS = "contains"


_KIND_ORDER: Final = {
    SourceKind.LOOP_ITEM: 0,
    SourceKind.STEP_OUTPUT: 1,
    SourceKind.TRIGGER_OUTPUT: 2,
    SourceKind.RUN_INPUT: 3,
}


@dataclass(frozen=True, slots=True)
class Source:
    """One place a value was found.

    `field` is the column or entry field the value is in (`"output"` of an entry, or
    `"input_payload"` of the run) and `json_path` the path inside it, so the UI can select
    it; `path` says the same in words, e.g. `loop_users.output.collection[1].email`.
    """

    kind: SourceKind
    match: Match
    entry_index: int | None
    step_label: str
    path: str
    field: str
    json_path: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LeafTrace:
    """One leaf of an entry's input and the places its value came from, best first."""

    path: str
    json_path: tuple[str | int, ...]
    value: Any
    sources: tuple[Source, ...]
    unresolved_ref: str | None = None

    @property
    def is_literal(self) -> bool:
        """True when nothing explains the value: it was typed into the workflow as is.

        A leaf holding an unresolved `!ref(...)` is not a literal but a reference that
        failed, and is shown as such.
        """
        return not self.sources and self.unresolved_ref is None


@dataclass(frozen=True, slots=True)
class OutputUse:
    """A later step whose input holds a leaf of this entry's output."""

    output_path: str
    json_path: tuple[str | int, ...]
    user_entry_index: int
    user_label: str
    input_path: str
    input_json_path: tuple[str | int, ...]
    match: Match


def format_path(root: str, json_path: Iterable[Any]) -> str:
    """Write a JSON path for people: `a.b[2]["weird key"]`.

    Integers are array positions; keys that are not plain identifiers are quoted as JSON
    strings inside brackets, so a key holding dots or quotes cannot be misread.
    """
    parts = [root]
    for key in json_path:
        if isinstance(key, int) and not isinstance(key, bool):
            parts.append(f"[{_int_text(key)}]")
        elif isinstance(key, str) and _IDENTIFIER.fullmatch(key):
            parts.append(f".{key}" if any(parts) else key)
        else:
            text = key if isinstance(key, str) else _safe_text(key)
            parts.append(f"[{json.dumps(text, ensure_ascii=False)}]")
    return "".join(parts)


def trace_input(
    entry: StepEntry,
    *,
    run_input: Any,
    trigger: StepEntry | None,
    loop: StepEntry | None,
    earlier: Sequence[StepEntry],
    max_leaves: int = 2000,
) -> list[LeafTrace]:
    """Trace every leaf of `entry.input` (at most `max_leaves`) to where its value came from.

    The caller names the candidates: `trigger` the trigger entry, `loop` the loop entry that
    encloses this one (its `output.collection` item for `entry.iteration` is the loop item),
    `earlier` the entries that ran before this one in scope. An absent input gives no leaves.
    """
    value = getattr(entry, "input", MISSING)
    if value is MISSING or max_leaves <= 0:
        return []
    index = _Index(_PLACES_PER_ORIGIN, _PLACES_PER_VALUE)
    _index_sources(index, entry, run_input=run_input, trigger=trigger, loop=loop, earlier=earlier)
    budget = _Budget(CONTAINS_BUDGET)
    # One value is often used by many leaves; its Source is then built once.
    made: dict[tuple[int, int, Match], Source] = {}
    traces: list[LeafTrace] = []
    for node, leaf in _walk(value, max_leaves):
        json_path = _json_path(node)
        found = index.find(leaf, _name(node), budget)
        traces.append(
            LeafTrace(
                path=format_path("input", json_path),
                json_path=json_path,
                value=leaf,
                sources=_choose(found, made) if found else (),
                unresolved_ref=_unresolved_ref(leaf),
            )
        )
    return traces


def trace_output_uses(
    entry: StepEntry,
    later: Iterable[StepEntry],
    *,
    max_uses: int = 500,
    under: Sequence[str | int] = (),
) -> list[OutputUse]:
    """Find the input leaves of `later` entries that hold a leaf of `entry.output`.

    `under` limits the search to the output leaves at or below that JSON path (the leaf the
    person selected): a loop's 50,000-item collection then costs one lookup per later leaf,
    and `max_uses` is not spent on other leaves. Uses come in the order of `later`, then of
    each input; at most `max_uses`. The matching rules are those of `trace_input`.
    """
    output = getattr(entry, "output", MISSING)
    if output is MISSING or max_uses <= 0:
        return []
    base: _Node = None
    for key in under:
        if not _holds(output, key):
            return []
        output = output[key]
        base = (base, key, key if isinstance(key, str) else _name(base))
    index = _Index(_PLACES_PER_OUTPUT_VALUE, _PLACES_PER_OUTPUT_VALUE)
    origin = _Origin(
        kind=SourceKind.STEP_OUTPUT,
        order=(0, 0),
        entry_index=entry.index,
        label=entry.label,
        root="output",
        field="output",
    )
    index.file(origin, _walk(output, SOURCE_LEAVES_PER_FIELD, base))
    budget = _Budget(CONTAINS_BUDGET)
    leaves_left = USE_LEAVES_TOTAL
    uses: list[OutputUse] = []
    for user in later:
        if user is entry or not isinstance(user, StepEntry) or user.index == entry.index:
            continue
        if user.input is MISSING:
            continue
        for node, leaf in _walk(user.input, min(SOURCE_LEAVES_PER_FIELD, leaves_left)):
            leaves_left -= 1
            found = index.find(leaf, _name(node), budget)
            if not found:
                continue
            input_json_path = _json_path(node)
            input_path = format_path("input", input_json_path)
            for _, _, output_node, match in found:
                output_json_path = _json_path(output_node)
                uses.append(
                    OutputUse(
                        output_path=format_path("output", output_json_path),
                        json_path=output_json_path,
                        user_entry_index=user.index,
                        user_label=user.label,
                        input_path=input_path,
                        input_json_path=input_json_path,
                        match=match,
                    )
                )
                if len(uses) >= max_uses:
                    return uses
        if leaves_left <= 0:
            break
    return uses


# A place in a JSON value, as a linked list so that walking a wide or deep source costs
# O(1) per leaf: (parent, key, nearest object key at or above this place). None is the root.
_Node = tuple[Any, str | int, str | None] | None


@dataclass(frozen=True, slots=True)
class _Origin:
    """One source field: what every place found in it shares."""

    kind: SourceKind
    order: tuple[int, int]
    entry_index: int | None
    label: str
    root: str
    field: str


# A candidate source of one leaf: (rank, origin, place, match); the smallest rank is best.
_Found = tuple[tuple[int, int, int, int, bool, int], _Origin, _Node, Match]


class _Budget:
    """Work left for CONTAINS scanning in one trace."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


# Source strings longer than this are compared in place rather than sliced out, when there
# are few of that length: a slice copies, and a 5 MB source would be copied per position.
_LONG_SOURCE = 64
_FEW = 8


class _Index:
    """Source leaves by value, for one lookup per input leaf.

    Trivial values (short strings, small numbers) are filed under the value and the nearest
    key name together, so they only match where the names agree. Strings long enough for
    CONTAINS are also filed under their first characters.
    """

    __slots__ = (
        "_by_named_value",
        "_by_prefix",
        "_by_value",
        "_per_origin",
        "_per_value",
        "_prefixes",
    )

    def __init__(self, per_origin: int, per_value: int) -> None:
        self._by_value: dict[tuple[str, Any], list[tuple[_Origin, _Node]]] = {}
        self._by_named_value: dict[tuple[tuple[str, Any], str], list[tuple[_Origin, _Node]]] = {}
        # First gram → length → strings: a text is then probed with one slice per distinct
        # length rather than one search per string, which matters when thousands of ids or
        # URLs share their first characters.
        self._by_prefix: dict[str, dict[int, set[str]]] = {}
        # First grams of source strings that begin with a word character, and of the others.
        self._prefixes: tuple[set[str], set[str]] = (set(), set())
        self._per_origin = per_origin
        self._per_value = per_value

    def file(self, origin: _Origin, leaves: Iterable[tuple[_Node, Any]]) -> None:
        """File the leaves of one source field, at most a few places per value."""
        by_value = self._by_value
        by_named_value = self._by_named_value
        per_origin = self._per_origin
        per_value = self._per_value
        mine: dict[Any, int] = {}
        for node, value in leaves:
            key = _value_key(value)
            if key is None:
                continue
            if _is_trivial(key):
                name = None if node is None else node[2]
                if name is None:
                    continue
                key = (key, name)
                places = by_named_value.get(key)
                if places is None:
                    places = by_named_value[key] = []
            else:
                places = by_value.get(key)
                if places is None:
                    places = by_value[key] = []
                    self._file_prefix(value)
            count = mine.get(key, 0)
            if count < per_origin and len(places) < per_value:
                mine[key] = count + 1
                places.append((origin, node))

    def _file_prefix(self, value: Any) -> None:
        if isinstance(value, str) and len(value.strip()) >= MIN_CONTAINS_TEXT:
            on_word = _is_word(value[0])
            gram = (_WORD_GRAMS if on_word else _OTHER_GRAMS).match(value)
            if gram is None:
                return
            by_length = self._by_prefix.setdefault(gram.group(), {})
            by_length.setdefault(len(value), set()).add(value)
            self._prefixes[0 if on_word else 1].add(gram.group())

    def find(self, value: Any, name: str | None, budget: _Budget) -> list[_Found]:
        """Every filed place that explains `value` (whose nearest key is `name`)."""
        key = _value_key(value)
        if key is None:
            return []
        found: list[_Found] = []
        if _is_trivial(key):
            places = self._by_named_value.get((key, name), ()) if name is not None else ()
        else:
            places = self._by_value.get(key, ())
        for position, (origin, node) in enumerate(places):
            kind, nearness = origin.order
            same_name = node is not None and node[2] == name
            rank = (0, kind, nearness, 0, not same_name, position)
            found.append((rank, origin, node, Match.EXACT))
        if isinstance(value, str) and self._by_prefix:
            for text in self._contained(value, budget):
                for position, (origin, node) in enumerate(self._by_value.get(("s", text), ())):
                    kind, nearness = origin.order
                    same_name = node is not None and node[2] == name
                    rank = (1, kind, nearness, -len(text), not same_name, position)
                    found.append((rank, origin, node, Match.CONTAINS))
        return found

    def _contained(self, text: str, budget: _Budget) -> list[str]:
        """Filed strings that occur in `text` on word boundaries, other than `text` itself.

        In the order of their first occurrence, so that ties in ranking are stable.
        """
        end = min(len(text), CONTAINS_SCAN_CHARS)
        first_at: dict[str, int] = {}
        for pattern, prefixes in (
            (_WORD_GRAMS, self._prefixes[0]),
            (_OTHER_GRAMS, self._prefixes[1]),
        ):
            if not prefixes or budget.left <= 0:
                continue
            grams = pattern.findall(text, 0, end)
            budget.left -= len(grams)
            hits = prefixes.intersection(grams)
            if not hits:
                continue
            for gram in pattern.finditer(text, 0, end):
                if gram.group() not in hits:
                    continue
                by_length = self._by_prefix[gram.group()]
                budget.left -= len(by_length)
                if budget.left <= 0:
                    break
                pos = gram.start()
                for length, strings in by_length.items():
                    if pos + length > len(text):
                        continue  # cannot fit here; slicing anyway made long texts quadratic
                    if length > _LONG_SOURCE and len(strings) <= _FEW:
                        # Compare in place instead of copying a long slice per position.
                        found = [c for c in strings if text.startswith(c, pos)]
                        part = found[0] if found else ""
                    else:
                        part = text[pos : pos + length]
                    if part in strings and part not in first_at and part != text:
                        after = pos + length
                        if not (after < len(text) and _is_word(text[after]) and _is_word(part[-1])):
                            first_at[part] = pos
        if len(first_at) < 2:
            return list(first_at)
        return sorted(first_at, key=first_at.__getitem__)


def _index_sources(
    index: _Index,
    entry: StepEntry,
    *,
    run_input: Any,
    trigger: StepEntry | None,
    loop: StepEntry | None,
    earlier: Sequence[StepEntry],
) -> None:
    """File the candidate sources, best first, so capped lists keep the best places."""
    item = _loop_item(loop, getattr(entry, "iteration", None))
    if item is not None and loop is not None and loop is not entry:
        position, value = item
        origin = _origin(SourceKind.LOOP_ITEM, loop, 0)
        base: _Node = ((None, "collection", "collection"), position, "collection")
        index.file(origin, _walk(value, SOURCE_LEAVES_PER_FIELD, base))

    skip = {id(entry), id(trigger), id(loop)}
    skip_index = {e.index for e in (entry, trigger, loop) if isinstance(e, StepEntry)}
    steps = [
        e
        for e in earlier
        if isinstance(e, StepEntry)
        and id(e) not in skip
        and e.index not in skip_index
        and e.output is not MISSING
    ]
    # Nearest first: a value recomputed by a later step is more likely to come from it.
    steps.sort(key=lambda e: e.index, reverse=True)
    leaves_left = SOURCE_LEAVES_EARLIER
    for nearness, step in enumerate(steps):
        if leaves_left <= 0:
            break
        origin = _origin(SourceKind.STEP_OUTPUT, step, nearness)
        leaves = list(_walk(step.output, min(SOURCE_LEAVES_PER_FIELD, leaves_left)))
        leaves_left -= len(leaves)
        index.file(origin, leaves)

    if isinstance(trigger, StepEntry) and trigger is not entry and trigger.output is not MISSING:
        origin = _origin(SourceKind.TRIGGER_OUTPUT, trigger, 0)
        index.file(origin, _walk(trigger.output, SOURCE_LEAVES_PER_FIELD))

    if run_input is not MISSING:
        origin = _Origin(
            kind=SourceKind.RUN_INPUT,
            order=(_KIND_ORDER[SourceKind.RUN_INPUT], 0),
            entry_index=None,
            label="run input",
            root="input_payload",
            field="input_payload",
        )
        index.file(origin, _walk(run_input, SOURCE_LEAVES_PER_FIELD))


def _origin(kind: SourceKind, entry: StepEntry, nearness: int) -> _Origin:
    # Named by stepId, which is what a `!ref(...)` in the workflow names; the position in
    # `steps_log` stands in when there is none.
    if entry.step_id is not None:
        root = format_path("", (entry.step_id, "output"))
    else:
        root = f"steps_log[{entry.index}].output"
    return _Origin(
        kind=kind,
        order=(_KIND_ORDER[kind], nearness),
        entry_index=entry.index,
        label=entry.label,
        root=root,
        field="output",
    )


def _loop_item(loop: StepEntry | None, iteration: int | None) -> tuple[int, Any] | None:
    """This iteration's element of the loop's `output.collection`, with its position."""
    if not isinstance(loop, StepEntry) or not isinstance(iteration, int):
        return None
    output = loop.output
    collection = output.get("collection") if isinstance(output, dict) else None
    if not isinstance(collection, list) or not 1 <= iteration <= len(collection):
        return None
    return iteration - 1, collection[iteration - 1]


def _choose(found: list[_Found], made: dict[tuple[int, int, Match], Source]) -> tuple[Source, ...]:
    """The best few sources of one leaf: one per source field first, then the runners-up."""
    kinds = {origin.kind for _, origin, _, _ in found} if len(found) > 1 else ()
    if SourceKind.TRIGGER_OUTPUT in kinds and SourceKind.RUN_INPUT in kinds:
        # The trigger's output is the nearer copy of the run input: keep the run input only
        # where it explains the leaf strictly better.
        trigger_best = min(r[0] for r, o, _, _ in found if o.kind is SourceKind.TRIGGER_OUTPUT)
        found = [
            f for f in found if f[1].kind is not SourceKind.RUN_INPUT or f[0][0] < trigger_best
        ]
    if len(found) > 1:
        found.sort(key=itemgetter(0))
    if len(found) > MAX_SOURCES_PER_LEAF:
        chosen: list[_Found] = []
        rest: list[_Found] = []
        origins: set[int] = set()
        for candidate in found:
            if id(candidate[1]) in origins:
                rest.append(candidate)
            else:
                origins.add(id(candidate[1]))
                chosen.append(candidate)
        chosen = sorted((chosen + rest)[:MAX_SOURCES_PER_LEAF], key=itemgetter(0))
        found = chosen
    sources = []
    for _, origin, node, match in found:
        cache_key = (id(origin), id(node), match)
        source = made.get(cache_key)
        if source is None:
            source = made[cache_key] = _source(origin, node, match)
        sources.append(source)
    return tuple(sources)


def _source(origin: _Origin, node: _Node, match: Match) -> Source:
    json_path = _json_path(node)
    return Source(
        kind=origin.kind,
        match=match,
        entry_index=origin.entry_index,
        step_label=origin.label,
        path=format_path(origin.root, json_path),
        field=origin.field,
        json_path=json_path,
    )


def _walk(value: Any, max_leaves: int, base: _Node = None) -> Iterator[tuple[_Node, Any]]:
    """Yield (place, leaf) in document order, at most `max_leaves`, without recursion."""
    if max_leaves <= 0:
        return
    if not _is_branch(value):
        yield base, value
        return
    max_nodes = max_leaves * _NODES_PER_LEAF + _NODES_MIN
    nodes = 1
    leaves = 0
    stack: list[tuple[_Node, Iterator[tuple[str | int, Any]]]] = [(base, _children(value))]
    while stack:
        parent, children = stack[-1]
        step = next(children, None)
        if step is None:
            stack.pop()
            continue
        key, child = step
        name = key if isinstance(key, str) else _name(parent)
        node: _Node = (parent, key, name)
        if _is_branch(child):
            nodes += 1
            if nodes > max_nodes:
                return
            stack.append((node, _children(child)))
        else:
            yield node, child
            leaves += 1
            if leaves >= max_leaves:
                return


def _holds(value: Any, key: Any) -> bool:
    """True when `value[key]` is a step along a JSON path."""
    if isinstance(value, dict):
        return isinstance(key, str) and key in value
    if isinstance(value, list):
        return isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(value)
    return False


def _is_branch(value: Any) -> bool:
    return isinstance(value, dict | list) and len(value) > 0


def _children(value: dict[Any, Any] | list[Any]) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, list):
        return enumerate(value)
    return ((k if isinstance(k, str) else _safe_text(k), v) for k, v in value.items())


def _json_path(node: _Node) -> tuple[str | int, ...]:
    keys: list[str | int] = []
    while node is not None:
        keys.append(node[1])
        node = node[0]
    keys.reverse()
    return tuple(keys)


def _name(node: _Node) -> str | None:
    return None if node is None else node[2]


def _value_key(value: Any) -> tuple[str, Any] | None:
    """What equal values of the same JSON type share; None for values never matched."""
    if isinstance(value, str):
        return None if not value or value.isspace() else ("s", value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return ("n", value)
    if isinstance(value, float) and math.isfinite(value):
        # 3 and 3.0 are the same JSON number, and Python already hashes them alike.
        return ("n", value)
    return None


def _is_trivial(key: tuple[str, Any]) -> bool:
    kind, value = key
    if kind == "s":
        return len(value) < MIN_EXACT_TEXT or len(value.strip()) < MIN_EXACT_TEXT
    return abs(value) < TRIVIAL_NUMBER_LIMIT


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _unresolved_ref(value: Any) -> str | None:
    """The expression of the first `!ref(...)` left in a string, if any."""
    if not isinstance(value, str) or "!ref(" not in value:
        return None
    match = _REF.search(value)
    if match:
        return match.group(1)
    # An unclosed reference is still one that did not resolve; show what follows it.
    return value[value.index("!ref(") + 5 :][:200].strip()


def _int_text(number: int) -> str:
    try:
        return str(number)
    except ValueError:
        # Beyond Python's int-to-text digit limit; no array is that long.
        return "…"


def _safe_text(value: object) -> str:
    try:
        return str(value)
    except ValueError:
        return type(value).__name__
