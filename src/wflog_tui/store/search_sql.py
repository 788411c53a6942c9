"""A parsed search query (`model.search_query`) as SQL conditions on the execution log.

Every value and every JSON path segment is a query parameter: a path travels as a
`text[]` for `#>`/`#>>`, an exact value as a `jsonb` document for `@>`. Nothing the user
typed is spliced into the statement, and no JSONPath is built from it.

`=` terms become containment (`input_payload @> '{"invoice": {"currency": "JPY"}}'`),
which a GIN index (`jsonb_path_ops`) serves; for a step group, the exact conditions become
one containment of `steps_log` (`[{"stepId": …, "status": …}]`), which keeps the array
scan for the rows that can match. A path segment of digits can be an array position,
which containment cannot express, so such a term compares with `#>` instead.
"""

from __future__ import annotations

from typing import Final

import orjson

from wflog_tui.model.search_query import (
    ColumnMatch,
    PayloadMatch,
    SearchQuery,
    StepCondition,
    StepField,
    StepMatch,
    Term,
    Words,
)
from wflog_tui.store.filters import (
    Params,
    equals_condition,
    escape_like,
    search_condition,
    status_condition,
)
from wflog_tui.store.schema import TableInfo, quote_ident

_COLUMN_OF: Final = {
    "workflow": "workflow_name",
    "org": "organisation_id",
    "version": "workflow_version_id",
    "event": "event_name",
}
_PAYLOAD_COLUMN: Final = {"input": "input_payload", "output": "output_payload"}
_STEP_KEY: Final = {"id": "stepId", "status": "status"}


def query_conditions(
    query: SearchQuery | None,
    info: TableInfo,
    params: Params,
    *,
    statuses: bool = True,
    workflow: bool = True,
) -> list[str]:
    """The query's terms as conditions to AND together (none for no query).

    As in `filter_conditions`, callers that show every status or pick a workflow turn
    the `status:` or `workflow:` terms off.
    """
    if query is None:
        return []
    conditions = []
    for term in query.terms:
        if isinstance(term, ColumnMatch) and (
            (term.column == "status" and not statuses)
            or (term.column == "workflow" and not workflow)
        ):
            continue
        conditions.append(_negated(_term(term, info, params), term.negated))
    return conditions


def json_expression(info: TableInfo, column: str) -> str | None:
    """The column as `jsonb` for SQL; None when it is missing or not a JSON type."""
    kind = info.json_type(column)
    if kind is None:
        return None
    return quote_ident(column) if kind == "jsonb" else f"{quote_ident(column)}::jsonb"


def contains_pattern(text: str) -> str:
    """An ILIKE pattern for `text` anywhere, with `%`, `_` and `\\` literal."""
    return "%" + escape_like(text) + "%"


def json_text_pattern(text: str) -> str:
    """An ILIKE pattern for `text` inside a JSON document's text, where a string's quotes,
    backslashes and control characters appear escaped: the needle is escaped alike."""
    return contains_pattern(orjson.dumps(text).decode()[1:-1])


def _negated(condition: str, negated: bool) -> str:
    # NOT would drop rows where the condition is NULL (no error, no such path): a run
    # without the thing asked for is a run that does not have it.
    return f"({condition}) IS NOT TRUE" if negated else condition


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, tuple):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, (Words, ColumnMatch, PayloadMatch, StepField, StepMatch)):
        return any(_holds_nul(getattr(value, name)) for name in value.__slots__)
    return False


def _term(term: Term, info: TableInfo, params: Params) -> str:
    if _holds_nul(term):
        # PostgreSQL text and jsonb cannot hold NUL, so nothing stored matches it (and
        # the server would refuse the parameter).
        return "FALSE"
    if isinstance(term, Words):
        return search_condition(info, term.text, params)
    if isinstance(term, ColumnMatch):
        return _column(term, info, params)
    if isinstance(term, PayloadMatch):
        column = _PAYLOAD_COLUMN[term.source]
        document = json_expression(info, column)
        if document is None:
            if term.op == "~" and not term.path and info.has(column):
                # JSON kept in a text column: its text can still be searched.
                pattern = params.add(json_text_pattern(str(term.value)))
                return f"{quote_ident(column)}::text ILIKE {pattern} ESCAPE '\\'"
            return "FALSE"
        return _payload(term, document, params, containment=True)
    return _step(term, info, params)


def _column(term: ColumnMatch, info: TableInfo, params: Params) -> str:
    if term.column == "status":
        return status_condition(info, frozenset({term.value}), params)
    if term.column == "error":
        if not info.has("error"):
            return "FALSE"
        pattern = params.add(contains_pattern(term.value))
        return f"{quote_ident('error')}::text ILIKE {pattern} ESCAPE '\\'"
    return equals_condition(info, _COLUMN_OF[term.column], term.value, params)


def _json_text(value: object) -> str:
    """A JSON scalar of the query as JSON text (a `Decimal` exactly as typed)."""
    if value is None or isinstance(value, (bool, str)):
        return orjson.dumps(value).decode()
    return str(value)


def _nested(path: tuple[str, ...], leaf: str) -> str:
    """`{"a": {"b": leaf}}` as JSON text, `leaf` being JSON text already."""
    text = leaf
    for segment in reversed(path):
        text = "{" + orjson.dumps(segment).decode() + ":" + text + "}"
    return text


def _containable(match: PayloadMatch) -> bool:
    """True for an `=` term whose path names only object keys (no digits-only segment)."""
    return match.op == "=" and not any(segment.isdigit() for segment in match.path)


def _payload(match: PayloadMatch, document: str, params: Params, *, containment: bool) -> str:
    """`match` on the jsonb expression `document`; with `containment`, `=` uses `@>`."""
    if match.op == "~" and not match.path:
        return (
            f"{document}::text ILIKE {params.add(json_text_pattern(str(match.value)))} ESCAPE '\\'"
        )
    if match.op == "=" and containment and _containable(match):
        doc = params.add(_nested(match.path, _json_text(match.value)))
        return f"{document} @> {doc}::text::jsonb"
    path = params.add(list(match.path))
    if match.op == "=":
        return (
            f"({document} #> {path}::text[]) = {params.add(_json_text(match.value))}::text::jsonb"
        )
    if match.op == "~":
        pattern = params.add(contains_pattern(str(match.value)))
        return f"({document} #>> {path}::text[]) ILIKE {pattern} ESCAPE '\\'"
    value = f"{document} #> {path}::text[]"
    # CASE, not AND: SQL does not promise to test the type before casting.
    return (
        f"CASE WHEN jsonb_typeof({value}) = 'number' "
        f"THEN ({value})::numeric {match.op} {params.add(str(match.value))}::numeric END"
    )


def _step(term: StepMatch, info: TableInfo, params: Params) -> str:
    log = json_expression(info, "steps_log")
    if log is None:
        return "FALSE"
    exact = [c for c in term.conditions if not c.negated and _exact(c)]
    parts = []
    if exact:
        element = _step_document(exact)
        if element is None:
            return "FALSE"
        parts.append(f"{log} @> {params.add('[' + element + ']')}::text::jsonb")
    if len(exact) < len(term.conditions):
        # The containment holds for some entry; every condition, exact ones included,
        # must hold for the same one, so the entries are checked one by one.
        checks = [_negated(_step_condition(c, params), c.negated) for c in term.conditions]
        array = f"CASE WHEN jsonb_typeof({log}) = 'array' THEN {log} END"
        parts.append(
            f"EXISTS (SELECT 1 FROM jsonb_array_elements({array}) AS step(e) "
            f"WHERE {' AND '.join(f'({c})' for c in checks)})"
        )
    return " AND ".join(f"({p})" for p in parts)


def _exact(condition: StepCondition) -> bool:
    if isinstance(condition, StepField):
        return condition.field in _STEP_KEY
    return _containable(condition)


def _step_document(conditions: list[StepCondition]) -> str | None:
    """One entry's exact `conditions` as a JSON object for containment; None when two of
    them ask for different values at one place, which no entry can hold."""
    merged: dict[str, object] = {}
    for condition in conditions:
        if isinstance(condition, StepField):
            path: tuple[str, ...] = (_STEP_KEY[condition.field],)
        else:
            path = (condition.source, *condition.path)
        if not _merge(merged, path, condition.value):
            return None
    return _dump(merged)


def _merge(into: dict[str, object], path: tuple[str, ...], value: object) -> bool:
    node = into
    for segment in path[:-1]:
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            return False
        node = child
    last = path[-1]
    if last not in node:
        node[last] = value
        return True
    # True == Decimal(1) in Python, but not in JSON: compare the kinds too.
    old = node[last]
    return not isinstance(old, dict) and (type(old), old) == (type(value), value)


def _dump(node: object) -> str:
    if isinstance(node, dict):
        items = (orjson.dumps(key).decode() + ":" + _dump(value) for key, value in node.items())
        return "{" + ",".join(items) + "}"
    return _json_text(node)


def _step_condition(condition: StepCondition, params: Params) -> str:
    if isinstance(condition, PayloadMatch):
        return _payload(condition, f"(step.e -> '{condition.source}')", params, containment=False)
    if condition.field in _STEP_KEY:
        return f"step.e ->> '{_STEP_KEY[condition.field]}' = {params.add(condition.value)}::text"
    pattern = params.add(contains_pattern(condition.value))
    if condition.field == "name":
        text = "COALESCE(step.e ->> 'stepName', step.e ->> 'name')"
    else:
        # The spec's error is an object with a message; some writers store a string.
        text = "COALESCE(step.e -> 'error' ->> 'message', step.e ->> 'error')"
    return f"{text} ILIKE {pattern} ESCAPE '\\'"
