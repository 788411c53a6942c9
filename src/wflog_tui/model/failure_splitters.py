"""What a group's failing runs share that the passing runs of the same workflow do not.

Every run is a set of candidates: each scalar leaf of its `input_payload` as (JSON path,
value), its `organisation_id` and its `workflow_version_id`. A candidate ranks by how much
more often it occurs among the failing runs than among the passing ones (the difference
of the two shares), so `input.invoice.currency = "JPY"` found in 60 of 60 failing runs
and 0 of 300 passing ones comes first.

Cost is bounded by the sample (the store fetches at most `MAX_FAILING` and `MAX_PASSING`
runs) and, per run, by `MAX_ARRAY_ITEMS`, `MAX_LEAVES` and `MAX_VALUE_CHARS`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wflog_tui.model.json_text import to_json_text

MAX_FAILING: Final = 500
MAX_PASSING: Final = 2000
MAX_ARRAY_ITEMS: Final = 10
MAX_LEAVES: Final = 300
MAX_DEPTH: Final = 12
MAX_VALUE_CHARS: Final = 80
TOP_SPLITTERS: Final = 5
ORGANISATION_PATH: Final = "organisation_id"
VERSION_PATH: Final = "workflow_version_id"
_PLAIN_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class SampleRun:
    """One run of a splitter sample: what its candidates are read from."""

    input_payload: Any
    organisation_id: str | None
    workflow_version_id: str | None


@dataclass(frozen=True, slots=True)
class Splitter:
    """A candidate with its evidence: in how many failing and passing runs it occurs."""

    path: str
    value: Any
    failing: int
    failing_total: int
    passing: int
    passing_total: int

    @property
    def value_text(self) -> str:
        """The value as JSON (`"JPY"`, `42`, `null`), for a report."""
        return to_json_text(self.value)

    @property
    def score(self) -> float:
        """The failing share minus the passing share: 1.0 separates perfectly."""
        failing = self.failing / self.failing_total if self.failing_total else 0.0
        passing = self.passing / self.passing_total if self.passing_total else 0.0
        return failing - passing


@dataclass(frozen=True, slots=True)
class SplitterReport:
    """A group's best splitters, and the sizes of the samples they were measured on."""

    splitters: list[Splitter]
    failing_total: int
    passing_total: int


def _child_path(path: str, key: str) -> str:
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{to_json_text(key)}]"


def _scalar(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "…"
    return value


def scalar_leaves(payload: Any, root: str = "input") -> Iterator[tuple[str, Any]]:
    """(JSON path, value) of each scalar leaf of `payload`, depth first, bounded.

    Arrays give their first `MAX_ARRAY_ITEMS` items, long strings are cut to
    `MAX_VALUE_CHARS` (with an ellipsis), and at most `MAX_LEAVES` leaves come out; nesting
    deeper than `MAX_DEPTH` is not followed. An empty object or array is no leaf.
    """
    stack: list[tuple[str, Any, int]] = [(root, payload, 0)]
    emitted = 0
    while stack and emitted < MAX_LEAVES:
        path, value, depth = stack.pop()
        if isinstance(value, dict):
            if depth < MAX_DEPTH:
                children = [(_child_path(path, str(k)), v, depth + 1) for k, v in value.items()]
                stack.extend(reversed(children))
        elif isinstance(value, list):
            if depth < MAX_DEPTH:
                children = [
                    (f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value[:MAX_ARRAY_ITEMS])
                ]
                stack.extend(reversed(children))
        else:
            emitted += 1
            yield path, _scalar(value)


def _candidates(run: SampleRun) -> dict[tuple[str, str], Any]:
    """The run's candidates keyed by (path, value as JSON text), so 1, true and "1" differ."""
    found = {(path, to_json_text(value)): value for path, value in scalar_leaves(run.input_payload)}
    found[(ORGANISATION_PATH, to_json_text(run.organisation_id))] = run.organisation_id
    found[(VERSION_PATH, to_json_text(run.workflow_version_id))] = run.workflow_version_id
    return found


def rank_splitters(
    failing: Sequence[SampleRun], passing: Sequence[SampleRun], *, limit: int = TOP_SPLITTERS
) -> list[Splitter]:
    """The `limit` candidates that most separate `failing` from `passing`, best first.

    Only candidates found more often among the failing runs (a positive score) are
    returned. Ties go to the one in more failing runs, then fewer passing runs, then path.
    """
    in_failing: Counter[tuple[str, str]] = Counter()
    values: dict[tuple[str, str], Any] = {}
    for run in failing:
        candidates = _candidates(run)
        in_failing.update(candidates.keys())
        for candidate, value in candidates.items():
            values.setdefault(candidate, value)
    in_passing: Counter[tuple[str, str]] = Counter()
    for run in passing:
        in_passing.update(c for c in _candidates(run) if c in in_failing)
    splitters = [
        Splitter(
            path, values[(path, text)], count, len(failing), in_passing[(path, text)], len(passing)
        )
        for (path, text), count in in_failing.items()
    ]
    ranked = sorted(
        (s for s in splitters if s.score > 0),
        key=lambda s: (-s.score, -s.failing, s.passing, s.path, s.value_text),
    )
    return ranked[: max(0, limit)]
