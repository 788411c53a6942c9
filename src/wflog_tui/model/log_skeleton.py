"""A big `steps_log` as it arrives when only its shape is fetched: the skeleton.

A run of 100,000 entries is mostly loop iterations that completed and that nobody opens.
For those, *plain* entries, the server sends only what the tree is shaped by: the stepId,
the iteration, whether it completed or was canceled, and the step's name for its label.
Every other entry (the trigger, loops, failures, anything running, erroring or odd)
comes whole. Plain entries become `StepEntry`s with `payload_pending` set; their inputs,
outputs, times and other fields are fetched by index when a view shows them.

Columns, not dictionaries: 100,000 plain entries are a few lists of shared strings and
numbers, a few megabytes instead of the hundreds a decoded log takes.
"""

from __future__ import annotations

import copy
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wflog_tui.model import status as st
from wflog_tui.model.entries import EntryFacts, MalformedEntry, StepEntry, entry_facts, parse_entry


@dataclass(frozen=True, slots=True)
class SkeletonColumns:
    """The skeleton as the store reads it: one list element per `steps_log` entry.

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


class LogSkeleton(Sequence[Any]):
    """`steps_log` with plain entries reduced to their shape; the rest held whole.

    Indexing gives the value an entry is read from: the whole element, or for a plain
    entry a small dict of what is known of it until its whole element is fetched. Until
    then a plain entry has no times, no payloads and no `operation` (plain entries are
    never the trigger or a loop, which is all the tree reads `operation` for), and its
    label is read from `stepName`, else `name`.
    """

    __slots__ = (
        "_canceled",
        "_iterations",
        "_length",
        "_names",
        "_plain",
        "_sizes",
        "_step_ids",
        "_whole",
    )

    def __init__(self, columns: SkeletonColumns) -> None:
        """The skeleton of `columns`."""
        self._step_ids = _shared(columns.step_ids)
        self._names = _shared(columns.names)
        self._iterations = columns.iterations
        self._canceled = columns.canceled
        self._whole = dict(columns.whole)
        # Compact, one machine integer each: a size per entry of a log of a million.
        self._sizes = array("q", [size or 0 for size in columns.sizes])
        # Entries from `_plain` on came whole (a running run's tail, see `with_tail`).
        self._plain = self._length = len(self._step_ids)

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
        value: dict[str, Any] = {
            "stepId": self._step_ids[index],
            "status": st.CANCELED if self._canceled[index] else st.COMPLETED,
        }
        name = self._names[index]
        if name is not None:
            value["stepName"] = name
        iteration = self._iterations[index]
        if iteration is not None:
            value["iteration"] = iteration
        return value

    def __iter__(self) -> Iterator[Any]:
        for index in range(self._length):
            yield self[index]

    def is_plain(self, index: int) -> bool:
        """True when entry `index` came as its shape only (its whole element is to come)."""
        return 0 <= index < self._plain and self._step_ids[index] is not None

    def size_of(self, index: int) -> int:
        """Bytes a plain entry's whole element takes as stored; 0 when not known."""
        return self._sizes[index] if self.is_plain(index) and index < len(self._sizes) else 0

    def parse(self, index: int) -> StepEntry | MalformedEntry:
        """Entry `index` read as `parse_entry` reads it; a plain one is marked pending."""
        entry = parse_entry(index, self[index])
        if isinstance(entry, StepEntry) and self.is_plain(index):
            entry.payload_pending = True
        return entry

    def facts(self) -> list[EntryFacts | None]:
        """Every entry's `entry_facts`, read from the columns without building an entry."""
        completed, cancel = st.COMPLETED, st.CANCELED
        plain = self._plain
        # The plain entries in one pass over the columns (a stepId of spaces is none, as
        # `entry_facts` has it); the others, a few, are put in their places after.
        result: list[EntryFacts | None] = [
            (
                step_id if step_id and not step_id.isspace() else None,
                cancel if canceled else completed,
                iteration,
                None,
            )
            if step_id is not None
            else None
            for step_id, canceled, iteration in zip(
                self._step_ids[:plain],
                self._canceled[:plain],
                self._iterations[:plain],
                strict=True,
            )
        ]
        result.extend([None] * (self._length - len(result)))
        # An entry that is not plain is held whole (`entry_facts(None)` is None anyway).
        for index, value in self._whole.items():
            if index < self._length and not self.is_plain(index):
                result[index] = entry_facts(value)
        return result

    def with_tail(self, start: int, tail: Sequence[Any]) -> LogSkeleton:
        """This log up to `start`, then `tail` (whole entries): a running run's next state."""
        start = max(0, min(start, self._length))
        skeleton = copy.copy(self)  # the columns are shared, never changed
        skeleton._whole = {i: v for i, v in self._whole.items() if i < start}
        skeleton._whole.update((start + offset, value) for offset, value in enumerate(tail))
        skeleton._plain = min(self._plain, start)
        skeleton._length = start + len(tail)
        return skeleton


def _shared(texts: list[str | None]) -> list[str | None]:
    """The same texts with each distinct one held once: 100,000 stepIds are a handful."""
    seen: dict[str, str] = {}
    return [None if text is None else seen.setdefault(text, text) for text in texts]
