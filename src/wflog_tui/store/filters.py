"""What the user asked to see, and the one place it becomes SQL.

Every query of the store builds its WHERE clause through `filter_conditions`, so a filter
(and the organisation scope) means the same thing in the list, the counts, the sparkline
and the refresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.search_query import SearchQuery
from wflog_tui.store.schema import TableInfo, quote_ident

_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SINCE: Final = re.compile(r"(\d{1,6})\s*([smhdw])", re.IGNORECASE)
_LONGEST_WINDOW: Final = timedelta(days=365_250 * 6)


@dataclass(frozen=True)
class RunFilter:
    """Which runs to show. Empty fields do not filter.

    `workflow`, `organisation` and `event_name` match exactly (they come from pickers and
    flags); `search` matches a run id or event id prefix, or part of a workflow name.
    `since` is a window ending at the server's clock. `query` is a parsed search
    (`model.search_query`), compiled by `store.search_sql` into the same WHERE clause.
    """

    statuses: frozenset[str] = frozenset()
    workflow: str | None = None
    organisation: str | None = None
    event_name: str | None = None
    since: timedelta | None = None
    search: str | None = None
    query: SearchQuery | None = None


def parse_since(text: str) -> timedelta | None:
    """`15m`, `1h`, `24h`, `7d`, `30s`, `2w` → a window; `all` → None (no window)."""
    cleaned = text.strip()
    if cleaned.lower() == "all":
        return None
    match = _SINCE.fullmatch(cleaned)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(
            f"--since takes a number and a unit (s, m, h, d, w), e.g. 15m, or 'all'; got {text!r}"
        )
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def parse_statuses(text: str) -> frozenset[str]:
    """`failed,RUNNING` → {"FAILED", "RUNNING"}; blank → no status filter.

    The spec's five statuses are matched in any case (and `CANCELLED` means `CANCELED`).
    Any other name is kept as typed rather than refused, because tables hold statuses
    the spec does not list (`PAUSED`) and stores them verbatim; `unknown_statuses` tells
    the caller which names those are, to warn about a likely typo.
    """
    return frozenset(st.normalise(part) for part in text.split(",") if part.strip())


def unknown_statuses(statuses: frozenset[str]) -> frozenset[str]:
    """The names among `statuses` that are not one of the spec's five."""
    return frozenset(s for s in statuses if s not in st.KNOWN)


class Params:
    """Positional parameters of one statement: `add` returns the placeholder to write."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        """Append a value; return `$n` for it."""
        self.values.append(value)
        return f"${len(self.values)}"


def escape_like(text: str) -> str:
    """Make user text literal inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def server_now(info: TableInfo) -> str:
    """The server's current time, of the same kind as `started_at`.

    A `timestamp` column holds UTC wall-clock time; comparing it with `now()` (a
    timestamptz) would read it in the session's time zone.
    """
    return "now()" if info.has_time_zone("started_at") else "(now() AT TIME ZONE 'UTC')"


def status_condition(info: TableInfo, statuses: frozenset[str], params: Params) -> str:
    """`status` is one of `statuses`, written so that an index on `status` can serve it.

    For an enum column only the labels the enum has are sent, cast to the enum: casting
    the column to text would hide it from its indexes, and casting a label the enum lacks
    would be an SQL error. Such a label can match no row, so dropping it changes nothing.
    A text column compares with the names as given.
    """
    column = quote_ident("status")
    labels = info.status_labels
    if labels is not None:
        present = sorted(s for s in statuses if s in labels)
        if not present:
            return "FALSE"
        return f"{column} = ANY({params.add(present)}::text[]::{info.status_type}[])"
    return f"{column}::text = ANY({params.add(sorted(statuses))}::text[])"


def equals_condition(info: TableInfo, column: str, value: str, params: Params) -> str:
    """`column = value`; FALSE when the table lacks the column, as NULL would match nothing."""
    if not info.has(column):
        return "FALSE"
    return f"{quote_ident(column)} = {params.add(value)}::{info.sql_type(column)}"


def filter_conditions(
    run_filter: RunFilter,
    info: TableInfo,
    params: Params,
    *,
    scope: str | None,
    statuses: bool = True,
    since: bool = True,
    workflow: bool = True,
) -> list[str]:
    """The filter (and the organisation scope) as conditions to AND together.

    `scope` is the `--org` tenant restriction and is always applied; callers that show
    every status (the header counts), their own window (the sparkline) or the workflow
    picker turn the matching part of the filter off.
    """
    conditions: list[str] = []
    if scope is not None:
        conditions.append(equals_condition(info, "organisation_id", scope, params))
    if statuses and run_filter.statuses:
        conditions.append(status_condition(info, run_filter.statuses, params))
    if workflow and run_filter.workflow is not None:
        conditions.append(equals_condition(info, "workflow_name", run_filter.workflow, params))
    if run_filter.organisation is not None:
        conditions.append(
            equals_condition(info, "organisation_id", run_filter.organisation, params)
        )
    if run_filter.event_name is not None:
        conditions.append(equals_condition(info, "event_name", run_filter.event_name, params))
    # A window reaching back past PostgreSQL's first timestamp (4713 BC; --since 999999w)
    # holds every row, and spelling it out would fail every query as out of range.
    if since and run_filter.since is not None and run_filter.since <= _LONGEST_WINDOW:
        conditions.append(
            f"{quote_ident('started_at')} >= {server_now(info)} - "
            f"{params.add(run_filter.since)}::interval"
        )
    search = (run_filter.search or "").strip()
    if search:
        conditions.append(search_condition(info, search, params))
    return conditions


def search_condition(info: TableInfo, text: str, params: Params) -> str:
    """Run id or event id starting with `text`, or workflow name containing it (any case)."""
    escaped = escape_like(text)
    prefix = params.add(escaped + "%")
    terms = [f"{quote_ident('run_id')}::text LIKE {prefix} ESCAPE '\\'"]
    if info.has("event_id"):
        terms.append(f"{quote_ident('event_id')}::text LIKE {prefix} ESCAPE '\\'")
    if info.has("workflow_name"):
        contains = params.add("%" + escaped + "%")
        terms.append(f"{quote_ident('workflow_name')}::text ILIKE {contains} ESCAPE '\\'")
    return "(" + " OR ".join(terms) + ")"


def where(conditions: list[str]) -> str:
    """`WHERE a AND b`, or nothing for no conditions."""
    return "WHERE " + " AND ".join(f"({c})" for c in conditions) if conditions else ""
