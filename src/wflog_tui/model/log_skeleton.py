"""A big `steps_log` as it arrives when only its shape is fetched: the skeleton.

A run of 100,000 entries is mostly loop iterations that completed and that nobody opens.
For those, *plain* entries, the server sends only what the tree is shaped by: the stepId,
the iteration, whether it completed or was canceled, and the step's name for its label.
Every other entry (the trigger, loops, failures, anything running, erroring or odd)
comes whole. Plain entries become `StepEntry`s with `payload_pending` set; their inputs,
outputs, times and other fields are fetched by index when a view shows them.

Columns, not dictionaries: 100,000 plain entries are a byte, a number and two short
texts each, a few megabytes instead of the hundreds a decoded log takes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count
from operator import not_
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.entries import EntryFacts, MalformedEntry, StepEntry, entry_facts, parse_entry

# What a skeleton's kinds byte says of its entry (`PackedSkeleton.kinds`): bits 0–1 what it
# is, bit 2 whether a plain entry has a name, bits 3–7 how many bits its stored size takes.
WHOLE: Final = 0
PLAIN_COMPLETED: Final = 1
PLAIN_CANCELED: Final = 2
KIND_BITS: Final = 3
HAS_NAME: Final = 4
SIZE_SHIFT: Final = 3


@dataclass(frozen=True, slots=True)
class PackedSkeleton:
    """The skeleton as the store reads it, one element per `steps_log` entry, packed.

    `kinds` is a byte per entry (`WHOLE`, `PLAIN_COMPLETED`, `PLAIN_CANCELED`, with
    `HAS_NAME` and the bit length of its stored size above them); `step_ids` and `names`
    a text per entry ("" where there is none); `iterations` a number per entry (0: none;
    a plain entry's iteration is at least 1). A non-plain entry's decoded element is in
    `whole`. Packed, because 100,000 entries as seven arrays of Python objects took
    longer to decode than to build the tree from.
    """

    kinds: bytes
    step_ids: Sequence[str]
    names: Sequence[str]
    iterations: Sequence[int]
    whole: Mapping[int, Any]


@dataclass(frozen=True, slots=True)
class SkeletonColumns:
    """A skeleton as lists, one element per entry (how tests and tools write one).

    For a plain entry `step_ids[i]` is its stepId (a string, never None); for every other
    entry it is None and `whole[i]` holds the decoded element. `sizes[i]` is a plain
    entry's size in bytes as stored, what fetching it whole will cost (empty: unknown).
    """

    step_ids: list[str | None]
    names: list[str | None]
    iterations: list[int | None]
    canceled: list[bool | None]
    whole: Mapping[int, Any]
    sizes: Sequence[int | None] = ()

    def packed(self) -> PackedSkeleton:
        """The same skeleton as `PackedSkeleton`."""
        sizes = list(self.sizes) + [None] * (len(self.step_ids) - len(self.sizes))
        kinds = bytes(
            WHOLE
            if step_id is None
            else (PLAIN_CANCELED if canceled else PLAIN_COMPLETED)
            | (HAS_NAME if name is not None else 0)
            | (min(int(size or 0).bit_length(), 31) << SIZE_SHIFT)
            for step_id, name, canceled, size in zip(
                self.step_ids, self.names, self.canceled, sizes, strict=True
            )
        )
        return PackedSkeleton(
            kinds,
            [step_id or "" for step_id in self.step_ids],
            [name or "" for name in self.names],
            [iteration or 0 for iteration in self.iterations],
            self.whole,
        )


class LogSkeleton(Sequence[Any]):
    """`steps_log` with plain entries reduced to their shape; the rest held whole.

    Indexing gives the value an entry is read from: the whole element, or for a plain
    entry a small dict of what is known of it until its whole element is fetched. Until
    then a plain entry has no times, no payloads and no `operation` (plain entries are
    never the trigger or a loop, which is all the tree reads `operation` for), and its
    label is read from `stepName`, else `name`.
    """

    __slots__ = ("_iterations", "_kinds", "_length", "_names", "_plain", "_step_ids", "_whole")

    def __init__(self, columns: PackedSkeleton | SkeletonColumns) -> None:
        """The skeleton of `columns`."""
        if isinstance(columns, SkeletonColumns):
            columns = columns.packed()
        self._kinds = columns.kinds
        self._step_ids = columns.step_ids
        self._names = columns.names
        self._iterations = columns.iterations
        self._whole = dict(columns.whole)
        # Entries from `_plain` on came whole (a running run's tail, see `with_tail`).
        self._plain = self._length = len(self._kinds)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):  # type: ignore[override]  # int or slice, as a list
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        if not self.is_plain(index):
            return self._whole.get(index)
        kind = self._kinds[index]
        value: dict[str, Any] = {
            "stepId": self._step_ids[index],
            "status": st.CANCELED if kind & KIND_BITS == PLAIN_CANCELED else st.COMPLETED,
        }
        if kind & HAS_NAME:
            value["stepName"] = self._names[index]
        iteration = self._iterations[index]
        if iteration:
            value["iteration"] = iteration
        return value

    def __iter__(self) -> Iterator[Any]:
        for index in range(self._length):
            yield self[index]

    def is_plain(self, index: int) -> bool:
        """True when entry `index` came as its shape only (its whole element is to come)."""
        return 0 <= index < self._plain and self._kinds[index] & KIND_BITS != WHOLE

    def size_of(self, index: int) -> int:
        """At least the bytes a plain entry's whole element takes as stored (the next power
        of two less one: the size travels as its bit length); 0 when not known."""
        bits = self._kinds[index] >> SIZE_SHIFT if self.is_plain(index) else 0
        return (1 << bits) - 1 if bits else 0

    def parse(self, index: int) -> StepEntry | MalformedEntry:
        """Entry `index` read as `parse_entry` reads it; a plain one is marked pending."""
        entry = parse_entry(index, self[index])
        if isinstance(entry, StepEntry) and self.is_plain(index):
            entry.payload_pending = True
        return entry

    def facts(self) -> SkeletonFacts:
        """Every entry's `entry_facts`, read from the columns without building an entry."""
        return SkeletonFacts(self)

    def fact_list(self) -> list[EntryFacts | None]:
        """`facts` as a list, all made at once."""
        # The plain entries in one pass over the columns (a stepId of spaces is none, as
        # `entry_facts` has it); the others, a few, are put in their places after.
        status_of = (None, st.COMPLETED, st.CANCELED, None)  # by kind
        kind_bits = KIND_BITS
        plain = self._plain
        result: list[EntryFacts | None] = [
            (
                step_id if step_id and not step_id.isspace() else None,
                status_of[kind & kind_bits],
                iteration or None,
                None,
            )
            if kind & kind_bits
            else None
            for step_id, kind, iteration in zip(
                _first(self._step_ids, plain),
                _first(self._kinds, plain),
                _first(self._iterations, plain),
                strict=True,
            )
        ]
        result.extend([None] * (self._length - len(result)))
        # An entry that is not plain is held whole (`entry_facts(None)` is None anyway).
        for index, value in self._whole.items():
            if index < self._length and not self.is_plain(index):
                result[index] = entry_facts(value)
        return result

    def plain_facts(self, index: int) -> EntryFacts:
        """The facts of plain entry `index` (`is_plain`), from the columns."""
        kind = self._kinds[index]
        step_id = self._step_ids[index]
        return (
            step_id if step_id and not step_id.isspace() else None,
            st.CANCELED if kind & KIND_BITS == PLAIN_CANCELED else st.COMPLETED,
            self._iterations[index] or None,
            None,
        )

    def whole_facts(self) -> dict[int, EntryFacts | None]:
        """The facts of the entries that are not plain, by index."""
        return {
            index: entry_facts(value)
            for index, value in self._whole.items()
            if index < self._length and not self.is_plain(index)
        }

    def plain_mask(self) -> bytearray:
        """1 for each plain entry, 0 for the others (`is_plain` of every index, in C)."""
        mask = bytearray(bytes(_first(self._kinds, self._plain)).translate(_IS_PLAIN))
        mask.extend(bytes(self._length - len(mask)))
        return mask

    def notable_indexes(self) -> list[int]:
        """In order, the indexes of every entry but the plain ones that completed: those
        not plain, and the plain ones canceled. A tree looks for loops, failures and
        unusual iterations among these only (a kinds byte is read in C, not in Python)."""
        kinds = _first(self._kinds, self._plain)
        found = _where(kinds, _NOT_COMPLETED)
        found.extend(range(len(kinds), self._length))
        return found

    def iteration_numbers(self) -> Sequence[int]:
        """Each plain entry's iteration number (0: none), by index; what the column holds
        for the other entries means nothing."""
        return self._iterations

    def stretch_breaks(self, notable: Sequence[int]) -> list[int]:
        """In order, the indexes of the entries that no stretch of loop iterations runs
        through: every one but the plain ones that completed in an iteration (`notable`
        is `notable_indexes`, already found by the caller)."""
        numbers = _first(self._iterations, self._plain)
        unnumbered = compress(count(), map(not_, numbers))
        return sorted(set(notable).union(unnumbered))

    def with_tail(self, start: int, tail: Sequence[Any]) -> LogSkeleton:
        """This log up to `start`, then `tail` (whole entries): a running run's next state."""
        start = max(0, min(start, self._length))
        skeleton = copy.copy(self)  # the columns are shared, never changed
        skeleton._whole = {i: v for i, v in self._whole.items() if i < start}
        skeleton._whole.update((start + offset, value) for offset, value in enumerate(tail))
        skeleton._plain = min(self._plain, start)
        skeleton._length = start + len(tail)
        return skeleton


class SkeletonFacts(Sequence[EntryFacts | None]):
    """A skeleton's `entry_facts`, by index, each made when it is read.

    Landing on a run of 100,000 entries reads the facts of a few hundred of them: the
    loops, the failures, the page of iterations shown. Made all at once they were a third
    of building its tree; they are, the first time something reads them all (a slice,
    a loop over them), and kept.
    """

    __slots__ = ("_list", "_skeleton", "_whole")

    def __init__(self, skeleton: LogSkeleton) -> None:
        self._skeleton = skeleton
        self._whole = skeleton.whole_facts()
        self._list: list[EntryFacts | None] | None = None

    def __len__(self) -> int:
        return len(self._skeleton)

    def __getitem__(self, index):  # type: ignore[override]  # int or slice, as a list
        if self._list is not None or isinstance(index, slice):
            return self.as_list()[index]
        skeleton = self._skeleton
        if index < 0:
            index += len(skeleton)
        if not 0 <= index < len(skeleton):
            raise IndexError(index)
        if skeleton.is_plain(index):
            return skeleton.plain_facts(index)
        return self._whole.get(index)

    def __iter__(self) -> Iterator[EntryFacts | None]:
        return iter(self.as_list())

    def as_list(self) -> list[EntryFacts | None]:
        """All of them, as a list (made once)."""
        if self._list is None:
            self._list = self._skeleton.fact_list()
        return self._list


# Each kinds byte as 1 for a plain entry, 0 for a whole one; and the other way round.
_IS_PLAIN: Final = bytes(0 if kind & KIND_BITS == WHOLE else 1 for kind in range(256))
_IS_WHOLE: Final = bytes(1 if kind & KIND_BITS == WHOLE else 0 for kind in range(256))
_ONE: Final = re.compile(b"\x01")
# Each kinds byte as 1 for any entry but a plain one that completed.
_NOT_COMPLETED: Final = bytes(
    0 if kind & KIND_BITS == PLAIN_COMPLETED else 1 for kind in range(256)
)


def whole_indexes(kinds: bytes) -> list[int]:
    """The indexes whose kinds byte says `WHOLE`, in order, found in C."""
    return _where(kinds, _IS_WHOLE)


def _where(kinds: Sequence[int], table: bytes) -> list[int]:
    """The indexes of the kinds bytes that `table` turns into 1, in order, found in C."""
    return [match.start() for match in _ONE.finditer(bytes(kinds).translate(table))]


def _first(column: Sequence[Any], count: int) -> Sequence[Any]:
    """The first `count` elements of `column`; the column itself when that is all of it
    (a slice would copy 100,000 elements to read them once)."""
    return column if count >= len(column) else column[:count]
