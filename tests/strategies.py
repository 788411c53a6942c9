"""Hypothesis strategies shared by the fuzz tests: `steps_log` values and search queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as s

from wflog_tui.model import status
from wflog_tui.model.search_query import (
    COLUMNS,
    SOURCES,
    ColumnMatch,
    PayloadMatch,
    SearchQuery,
    StepField,
    StepMatch,
    Words,
)

# The spec's statuses, one it does not know, and an empty one.
statuses = s.sampled_from(["RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "CANCELED", "odd", ""])


def json_trees(
    scalars: s.SearchStrategy[Any],
    keys: s.SearchStrategy[str],
    *,
    max_size: int = 4,
    max_leaves: int = 20,
) -> s.SearchStrategy[Any]:
    """JSON-shaped values: `scalars`, and lists and objects (keyed by `keys`) of them, nested.

    Each fuzz test picks the leaves that matter to it (what PostgreSQL can store, strings
    its matching looks for); the shape is the same everywhere.
    """
    return s.recursive(
        scalars,
        lambda inner: (
            s.lists(inner, max_size=max_size) | s.dictionaries(keys, inner, max_size=max_size)
        ),
        max_leaves=max_leaves,
    )


# Python values as a JSON decoder hands them to the model.
scalars = s.none() | s.booleans() | s.integers() | s.floats(allow_nan=False) | s.text()
json_values = json_trees(scalars, s.text(max_size=8))
dates = s.sampled_from(["2024-01-15T12:00:00Z", "2024-01-15T12:00:01.5+02:00", "nope", ""]) | (
    s.integers(min_value=-(10**15), max_value=10**15)
)
# Entries that look like steps, with every field possibly wrong, so the grouping,
# loop and attempt logic is exercised and not only the malformed path.
step_like = s.fixed_dictionaries(
    {},
    optional={
        "status": statuses | json_values,
        "stepId": s.sampled_from(["a", "b", "loop", ""]) | json_values,
        "operation": s.sampled_from(["trigger", "builtin:loop", "http"]) | json_values,
        "stepName": s.text(max_size=10) | json_values,
        "input": json_values,
        "output": json_values
        | s.fixed_dictionaries(
            {"collection": s.lists(json_values, max_size=5)},
            optional={"totalItems": s.integers(-3, 20) | json_values},
        ),
        "error": json_values,
        "startedAt": dates | json_values,
        "endedAt": dates | json_values,
        "durationMs": s.integers() | s.floats(allow_nan=False) | json_values,
        "iteration": s.integers(-2, 12) | json_values,
        "totalItems": s.integers(-2, 12) | json_values,
    },
)
steps_logs = s.none() | json_values | s.lists(step_like | json_values, max_size=25)


# --- search queries ----------------------------------------------------------------------

_text = s.text(
    alphabet=s.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)
_number = s.from_regex(
    r"-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)
_segment = s.text(max_size=8)
_path = s.lists(_segment, min_size=1, max_size=3).map(tuple)
_scalar = s.one_of(_text, s.just(""), _number.map(Decimal), s.sampled_from([True, False, None]))


def _payload(source: str) -> s.SearchStrategy[PayloadMatch]:
    equal = s.builds(PayloadMatch, s.just(source), _path, s.just("="), _scalar, s.booleans())
    compare = s.builds(
        PayloadMatch,
        s.just(source),
        _path,
        s.sampled_from([">", "<", ">=", "<="]),
        _number.map(Decimal),
        s.booleans(),
    )
    contains = s.builds(
        PayloadMatch,
        s.just(source),
        s.lists(_segment, max_size=3).map(tuple),
        s.just("~"),
        _text,
        s.booleans(),
    )
    return s.one_of(equal, compare, contains)


_status_value = _text.map(status.normalise)
_step_field = s.one_of(
    s.builds(StepField, s.sampled_from(["id", "name", "error"]), _text, s.booleans()),
    s.builds(StepField, s.just("status"), _status_value, s.booleans()),
)
_step_condition = s.one_of(_step_field, s.sampled_from(SOURCES).flatmap(_payload))
_column = s.sampled_from(COLUMNS).flatmap(
    lambda c: s.builds(
        ColumnMatch, s.just(c), _status_value if c == "status" else _text, s.booleans()
    )
)
_term = s.one_of(
    s.builds(Words, _text.filter(lambda t: t.strip() == t and t), s.booleans()),
    _column,
    s.sampled_from(SOURCES).flatmap(_payload),
    s.builds(StepMatch, s.lists(_step_condition, min_size=1, max_size=3).map(tuple), s.booleans()),
)
# Any query the search language can express.
search_queries = s.lists(_term, max_size=5).map(lambda ts: SearchQuery(tuple(ts)))
