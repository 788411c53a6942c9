"""Two JSON values compared leaf by leaf: every path whose value differs, before and after.

A leaf is a scalar or an empty object or array. A path present on one side only is a
change whose other side is `ABSENT`, which is not `null`: `{"a": null}` and `{}` differ.
Values can be megabytes and hundreds of levels deep, so the walk uses an explicit stack
and stops at a leaf cap; `LeafDiff.truncated` says when it did. Never raises.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final

from wflog_tui.model.entries import MISSING

MAX_LEAVES: Final = 5_000


class _Absent:
    """No value at this path on this side (the key or element is not there)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LeafChange:
    """One path whose leaf differs: `before` in the baseline, `after` in this run."""

    json_path: JsonPath
    before: Any
    after: Any

    def mirrored(self) -> LeafChange:
        """The same change seen from the other run."""
        return LeafChange(self.json_path, self.after, self.before)


@dataclass(frozen=True, slots=True)
class LeafDiff:
    """The changes between two values, in document order (this run's, then the baseline's)."""

    changes: tuple[LeafChange, ...]
    truncated: bool = False

    def __bool__(self) -> bool:
        return bool(self.changes)


def same_json(a: Any, b: Any) -> bool:
    """True when two decoded JSON values are equal as JSON (`1` and `true` are not)."""
    return not diff_json(a, b).changes


def diff_json(before: Any, after: Any, max_leaves: int = MAX_LEAVES) -> LeafDiff:
    """The leaf-level differences from `before` to `after`; `MISSING` counts as absent."""
    if before is MISSING:
        before = ABSENT
    if after is MISSING:
        after = ABSENT
    if (
        before is not ABSENT
        and after is not ABSENT
        and before == after
        and _plain_equal(before)
        and _plain_equal(after)
    ):
        return LeafDiff(())
    old = dict(_leaves(before, max_leaves))
    new = dict(_leaves(after, max_leaves))
    truncated = len(old) >= max_leaves or len(new) >= max_leaves
    changes: list[LeafChange] = []
    for path, value in new.items():
        was = old.get(path, ABSENT)
        if was is ABSENT or _key(was) != _key(value):
            changes.append(LeafChange(path, was, value))
    changes.extend(LeafChange(p, value, ABSENT) for p, value in old.items() if p not in new)
    return LeafDiff(tuple(changes), truncated)


def _plain_equal(value: Any) -> bool:
    # Python says 1 == True and 1 == 1.0; JSON-wise the first pair differs. Equal values
    # without booleans anywhere are equal as JSON; the rest are compared leaf by leaf.
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_LEAVES:
            return False
        if isinstance(item, bool):
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return False
    return True


def _is_leaf(value: Any) -> bool:
    return not (isinstance(value, dict | list) and value)


def _key(value: Any) -> tuple[str, Any]:
    """What equal JSON leaves share: the type as JSON sees it, and the value."""
    if value is ABSENT:
        return ("absent", None)
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return ("nan", None)
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", len(value))
    if isinstance(value, dict):
        return ("object", len(value))
    return ("other", repr(value))


def _leaves(value: Any, max_leaves: int) -> Iterator[tuple[JsonPath, Any]]:
    """(path, leaf) in document order, at most `max_leaves`, without recursion."""
    if value is ABSENT:
        return
    if _is_leaf(value):
        yield (), value
        return
    count = 0
    stack: list[tuple[JsonPath, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if _is_leaf(item):
            yield path, item
            count += 1
            if count >= max_leaves:
                return
            continue
        # Each child gives at least one leaf, so no more than the leaves still wanted are
        # ever reached: a loop's collection of 50,000 items is not spelled out whole.
        wanted = max_leaves - count
        children = (
            [((*path, i), v) for i, v in enumerate(islice(item, wanted))]
            if isinstance(item, list)
            else [
                ((*path, k if isinstance(k, str) else str(k)), v)
                for k, v in islice(item.items(), wanted)
            ]
        )
        stack.extend(reversed(children))


NO_CHANGES: Final = LeafDiff(())
