"""The statements behind failure groups: failures of a window, and splitter samples.

Only what grouping needs travels: ids, workflow, organisation, version, times, the top
`error` cut, and, for a `jsonb` log, the first FAILED entry's `stepId` and
`error.message` found on the server by a JSON path (which stops at the first match and
cannot fail on a log that is no array, or holds entries that are not objects). A `json`
or text log travels whole and is read by `facts_from_log`: casting it to `jsonb` would
fail the statement on a `\\u0000` in any string of any row.

Like every statement of the store, each starts from the organisation scope and is
bounded by the window on `started_at` (served by the list index) and a LIMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.error_signature import MAX_MESSAGE_CHARS
from wflog_tui.model.failure_groups import (
    MAX_STEP_ID_CHARS,
    Failure,
    FailureFacts,
    GroupKey,
    facts_from_log,
    group_key,
)
from wflog_tui.model.failure_splitters import SampleRun
from wflog_tui.model.timestamps import as_utc
from wflog_tui.store.filters import Params, RunFilter, equals_condition, status_condition, where
from wflog_tui.store.queries import PageCursor, Queries
from wflog_tui.store.schema import quote_ident

FAILURE_PAGE: Final = 5000
# A failure row commits after the moment it is stamped with; a refresh asks again from a
# little before the newest failure seen, and the log merges by id.
FAILURE_OVERLAP: Final = timedelta(seconds=5)
# Strict mode with errors silenced: a log that is no array matches nothing (lax mode would
# read an object as a one-element array), and the column is read (and detoasted) once,
# where testing its type first would read it twice.
_FIRST_FAILED: Final = 'strict $[*] ? (@.status == "FAILED")'
# For a TIMED_OUT run: entries still open when it was stopped; the last one is the step.
# Lax, because strict mode makes a missing key unknown, and an entry without `endedAt` is
# the point; only TIMED_OUT runs without a failed entry pay for the array test.
_OPEN: Final = (
    'lax $[*] ? (@.type() == "object" && (@.status == "RUNNING" || @.status == "TIMED_OUT" '
    "|| !exists(@.endedAt)))"
)
_TEXT: Final = (
    "id",
    "run_id",
    "status",
    "workflow_id",
    "workflow_name",
    "organisation_id",
    "workflow_version_id",
)


@dataclass(frozen=True, slots=True)
class FailurePage:
    """Which page of a window's failures to read: runs started in [start, end), newest
    first; `newer_than` keeps only runs that failed from `FAILURE_OVERLAP` before it on (a
    refresh); `before` pages on from a cursor; at most `limit` runs."""

    start: datetime | None
    end: datetime | None = None
    newer_than: datetime | None = None
    before: PageCursor | None = None
    limit: int = FAILURE_PAGE


class FailureQueries(Queries):
    """Builds the failure-group statements for one table and one organisation scope."""

    def _text(self, name: str) -> str:
        if not self.info.has(name):
            return f"NULL::text AS {quote_ident(name)}"
        return f"{quote_ident(name)}::text AS {quote_ident(name)}"

    def _time(self, name: str) -> str:
        if not self.info.has(name):
            return f"NULL::timestamptz AS {quote_ident(name)}"
        return quote_ident(name)

    def _log_facts(self, params: Params) -> tuple[str, str]:
        """The select items that carry a run's `FailureFacts`, and the FROM clause."""
        if self.info.json_type("steps_log") != "jsonb":
            return '"steps_log"::text AS "steps_log"', f"FROM {self._table}"
        silent = "'{}'::jsonb, true"
        first = (
            f'jsonb_path_query_first("steps_log", {params.add(_FIRST_FAILED)}::text::jsonpath, '
            f"{silent})"
        )
        is_timed_out = f"\"status\"::text = '{st.TIMED_OUT}'"
        array = """CASE WHEN jsonb_typeof("steps_log") = 'array' THEN "steps_log" END"""
        open_steps = f"jsonb_path_query_array({array}, {params.add(_OPEN)}::text::jsonpath)"
        failed_step = _scalar_step_id("f.e")
        open_step = _scalar_step_id(f"({open_steps} -> -1)")
        items = (
            f"{failed_step} AS failed_step_id, "
            f"left(f.e -> 'error' ->> 'message', {MAX_MESSAGE_CHARS}) AS failed_message, "
            "f.e IS NOT NULL AS has_failed_entry, "
            f"CASE WHEN f.e IS NULL AND {is_timed_out} THEN {open_step} END AS open_step_id"
        )
        # OFFSET 0 keeps the planner from copying the path query into each use of `f.e`:
        # it would read and search the log five times over.
        return items, f"FROM {self._table} CROSS JOIN LATERAL (SELECT {first} AS e OFFSET 0) AS f"

    def _window(
        self, params: Params, conditions: list[str], start: datetime | None, end: datetime | None
    ) -> None:
        if start is not None:
            conditions.append(f'"started_at" >= {self._timestamp_param(params, start)}')
        if end is not None:
            conditions.append(f'"started_at" < {self._timestamp_param(params, end)}')

    def server_now(self) -> tuple[str, list[Any]]:
        """The server's clock, which every window is measured from."""
        return "SELECT now() AS now", []

    def failures(self, run_filter: RunFilter, page: FailurePage) -> tuple[str, list[Any]]:
        """The FAILED and TIMED_OUT runs of `page`, newest first, keyset-paged.

        The filter's workflow and organisation apply; its statuses, window and search do
        not (a group is about every failure of the window).
        """
        params = Params()
        facts, source = self._log_facts(params)
        conditions = self._conditions(
            RunFilter(workflow=run_filter.workflow, organisation=run_filter.organisation), params
        )
        conditions.append(status_condition(self.info, st.FAILURES, params))
        self._window(params, conditions, page.start, page.end)
        if page.newer_than is not None:
            at = (
                'COALESCE("ended_at", "started_at")'
                if self.info.has("ended_at")
                else '"started_at"'
            )
            since = self._timestamp_param(params, page.newer_than - FAILURE_OVERLAP)
            conditions.append(f"{at} >= {since}")
        if page.before is not None:
            cursor = page.before
            conditions.append(
                f'("started_at", "id") < ({self._timestamp_param(params, cursor.started_at)}, '
                f"{self._id_param(params, cursor.id)})"
            )
        columns = [self._text(name) for name in _TEXT]
        columns += [self._time("started_at"), self._time("ended_at")]
        error = f'left("error"::text, {MAX_MESSAGE_CHARS})' if self.info.has("error") else "NULL"
        columns.append(f'{error} AS "error"')
        sql = (
            f"SELECT {', '.join(columns)}, {facts} {source} {where(conditions)} "
            f'ORDER BY "started_at" DESC, "id" DESC LIMIT {params.add(max(1, int(page.limit)))}'
        )
        return sql, params.values

    def _sample_columns(self) -> str:
        # As text whatever its type, so that one decoder reads it (a jsonb string would
        # otherwise arrive decoded and look like text JSON).
        payload = '"input_payload"::text' if self.info.has("input_payload") else "NULL::text"
        return (
            f'{payload} AS "input_payload", {self._text("organisation_id")}, '
            f"{self._text('workflow_version_id')}"
        )

    def failing_sample(
        self, ids: Sequence[str], *, start: datetime | None
    ) -> tuple[str, list[Any]]:
        """The sample columns of the runs with these primary keys, within the scope.

        `start` is the window's, the one the failures were read in: every run asked for
        started from it on, and a table partitioned by `started_at` reads only the
        window's partitions.
        """
        params = Params()
        conditions = self._scope_only(params)
        ids_param = params.add(list(dict.fromkeys(ids)))
        conditions.append(f'"id" = ANY({ids_param}::text[]::{self.info.sql_type("id")}[])')
        self._window(params, conditions, start, None)
        sql = f"SELECT {self._sample_columns()} FROM {self._table} {where(conditions)}"
        return sql, params.values

    def passing_sample(
        self, run_filter: RunFilter, key: GroupKey, *, start: datetime | None, limit: int
    ) -> tuple[str, list[Any]]:
        """The newest COMPLETED runs of the group's workflow started in the window."""
        params = Params()
        conditions = self._conditions(RunFilter(organisation=run_filter.organisation), params)
        conditions.append(status_condition(self.info, frozenset({st.COMPLETED}), params))
        column = "workflow_name" if key.by_name else "workflow_id"
        if key.workflow is None:
            conditions += [
                f"{quote_ident(name)} IS NULL"
                for name in ("workflow_id", "workflow_name")
                if self.info.has(name)
            ]
        else:
            conditions.append(equals_condition(self.info, column, key.workflow, params))
        self._window(params, conditions, start, None)
        sql = (
            f"SELECT {self._sample_columns()} FROM {self._table} {where(conditions)} "
            f'ORDER BY "started_at" DESC, "id" DESC LIMIT {params.add(max(1, int(limit)))}'
        )
        return sql, params.values


def _scalar_step_id(entry: str) -> str:
    """The entry's `stepId` as text when it is a string, number or boolean, else NULL."""
    return (
        f"CASE WHEN jsonb_typeof({entry} -> 'stepId') IN ('string', 'number', 'boolean') "
        f"THEN left({entry} ->> 'stepId', {MAX_STEP_ID_CHARS}) END"
    )


def failure_from_row(row: Any, decode: Any) -> Failure:
    """A `Failure` from a row of `FailureQueries.failures`; `decode` reads a text log."""
    status = row["status"]
    if "steps_log" in row:
        log = row["steps_log"]
        facts = facts_from_log(None if log is None else decode(log), status, row["error"])
    else:
        facts = FailureFacts(
            status=status,
            top_error=row["error"],
            has_failed_entry=row["has_failed_entry"],
            failed_step_id=row["failed_step_id"],
            failed_message=row["failed_message"],
            open_step_id=row["open_step_id"],
        )
    started_at = as_utc(row["started_at"])
    ended_at = as_utc(row["ended_at"])
    return Failure(
        id=row["id"],
        run_id=row["run_id"],
        status=status,
        key=group_key(row["workflow_id"], row["workflow_name"], facts),
        workflow_name=row["workflow_name"],
        organisation_id=row["organisation_id"],
        workflow_version_id=row["workflow_version_id"],
        started_at=started_at,
        at=ended_at or started_at,
    )


def sample_from_row(row: Any, decode: Any) -> SampleRun:
    """A `SampleRun` from a row of a sample statement; `decode` reads the payload's text."""
    payload = row["input_payload"]
    return SampleRun(
        input_payload=None if payload is None else decode(payload),
        organisation_id=row["organisation_id"],
        workflow_version_id=row["workflow_version_id"],
    )
