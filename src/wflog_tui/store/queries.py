"""The statements the store runs, built from a `TableInfo`, and rows turned into model objects.

Every statement here starts from the organisation scope: a `Queries` is made with it and
no method can leave it out. Statements are pure text plus parameters, so they can be read
and tested without a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

import orjson

from wflog_tui.model import status as st
from wflog_tui.model.log_skeleton import LogSkeleton, PackedSkeleton, whole_indexes
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.timestamps import as_utc
from wflog_tui.store.filters import (
    Params,
    RunFilter,
    equals_condition,
    filter_conditions,
    server_now,
    status_condition,
    where,
)
from wflog_tui.store.schema import JSON_COLUMNS, TableInfo, quote_ident
from wflog_tui.store.search_sql import (
    contains_pattern,
    json_expression,
    json_text_pattern,
    query_conditions,
)

# How much of `error` a list row carries: enough for a column and grouping, not megabytes.
ERROR_PREVIEW_CHARS: Final = 500
MAX_PAGE: Final = 1000
MAX_DELTA_NEW: Final = 500
# Rows can commit after rows that started later (a long insert transaction), so a refresh
# asks again for a few seconds before the newest row it has seen; the UI keys rows by id.
DELTA_OVERLAP: Final = timedelta(seconds=5)
# The sparkline counts a failure by when it ended, but bounds the scan on `started_at`
# (the indexed column): runs that ran longer than this before failing are not counted.
SPARKLINE_RUN_SLACK: Final = timedelta(hours=1)
# Pickers read distinct values from this many newest rows at most, so they stay cheap
# on a table of millions with no time window.
PICKER_SCAN_ROWS: Final = 10_000
PICKER_LIMIT: Final = 500

_INTEGER_TYPES: Final = frozenset({"int2", "int4", "int8"})
_SUMMARY_TEXT: Final = (
    "id",
    "run_id",
    "status",
    "workflow_name",
    "workflow_function_id",
    "workflow_id",
    "event_id",
    "event_name",
    "organisation_id",
)


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a page ended: the (started_at, id) of its last row, newest-first order."""

    started_at: datetime
    id: str

    @classmethod
    def after(cls, run: RunSummary) -> PageCursor:
        """The cursor just past `run` (the last row of a page, or the newest row seen)."""
        if run.started_at is None:
            raise ValueError(f"run {run.id} has no started_at to page from")
        return cls(run.started_at, run.id)


@dataclass(frozen=True, slots=True)
class Delta:
    """What a refresh learnt: rows at or after the newest seen, and rows asked about again.

    `new` overlaps the rows already seen by a few seconds (`DELTA_OVERLAP`) and may hold
    some of them again; the UI merges by id. `replica_lag` says the answer may be that
    much behind the primary.
    """

    new: list[RunSummary]
    changed: list[RunSummary]
    # On a hot standby more than a second behind its primary: how far (else None).
    replica_lag: timedelta | None = None


@dataclass(frozen=True, slots=True)
class StepsTail:
    """A running run's state and the `steps_log` elements from `start` on, raw.

    `total` is the length of `steps_log` (0 when it is null or not an array); `entries`
    are its elements `start`, `start + 1`, ... as decoded JSON, unchecked.
    """

    status: str
    ended_at: datetime | None
    duration_ms: int | None
    error: str | None
    total: int
    start: int
    entries: list[Any]


# How far a standby is behind: the age of the last transaction it replayed, unless it has
# replayed everything it received (an idle primary sends nothing, and is not "behind").
# NULL when unknown: not a standby, or nothing replayed since it started.
REPLICA_LAG: Final = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() IS NOT NULL
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN interval '0'
    ELSE now() - pg_last_xact_replay_timestamp()
END
"""


def _column(info: TableInfo, name: str, *, as_text: bool = False) -> str:
    """A select-list item for a spec column: NULL when the table lacks it."""
    if not info.has(name):
        return f"NULL AS {quote_ident(name)}"
    column = quote_ident(name)
    return f"{column}::text AS {column}" if as_text else column


def _timestamp(info: TableInfo, name: str) -> str:
    if not info.has(name):
        return f"NULL::timestamptz AS {quote_ident(name)}"
    return quote_ident(name)


def _duration(info: TableInfo) -> str:
    if not info.has("duration_ms"):
        return 'NULL::bigint AS "duration_ms"'
    if info.columns["duration_ms"].base_type in _INTEGER_TYPES:
        return '"duration_ms"'
    # A numeric or float column: read as a whole number of milliseconds. NaN, ±Infinity
    # and values past bigint are data too: they read as unknown instead of failing the
    # whole page (NaN compares above every number, so BETWEEN excludes it as well).
    return (
        'CASE WHEN "duration_ms" BETWEEN -9e18 AND 9e18 '
        'THEN round("duration_ms"::numeric)::bigint END AS "duration_ms"'
    )


def summary_columns(info: TableInfo, *, error_chars: int | None = ERROR_PREVIEW_CHARS) -> str:
    """The select list of a `RunSummary`: no JSON columns, `error` cut on the server."""
    items = [_column(info, name, as_text=True) for name in _SUMMARY_TEXT]
    items += [_timestamp(info, "started_at"), _timestamp(info, "ended_at"), _duration(info)]
    if not info.has("error"):
        items.append('NULL::text AS "error"')
    elif error_chars is None:
        items.append('"error"::text AS "error"')
    else:
        items.append(f'left("error"::text, {int(error_chars)}) AS "error"')
    return ", ".join(items)


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def summary_from_row(row: Any) -> RunSummary:
    """A `RunSummary` from a row selected with `summary_columns`; times made UTC-aware."""
    return RunSummary(
        id=row["id"],
        run_id=row["run_id"],
        status=row["status"],
        workflow_name=row["workflow_name"],
        workflow_function_id=row["workflow_function_id"],
        workflow_id=row["workflow_id"],
        event_id=row["event_id"],
        event_name=row["event_name"],
        organisation_id=row["organisation_id"],
        started_at=as_utc(row["started_at"]),
        ended_at=as_utc(row["ended_at"]),
        duration_ms=_int_or_none(row["duration_ms"]),
        error=row["error"],
    )


class Queries:
    """Builds each statement of the store for one table and one organisation scope."""

    def __init__(self, info: TableInfo, scope: str | None) -> None:
        self.info = info
        self.scope = scope
        self._table = info.qualified

    def _conditions(self, run_filter: RunFilter, params: Params, **parts: bool) -> list[str]:
        conditions = filter_conditions(run_filter, self.info, params, scope=self.scope, **parts)
        search = {k: v for k, v in parts.items() if k in ("statuses", "workflow")}
        return conditions + query_conditions(run_filter.query, self.info, params, **search)

    def _scope_only(self, params: Params) -> list[str]:
        return self._conditions(RunFilter(), params)

    def _timestamp_param(self, params: Params, value: datetime) -> str:
        """A timestamp parameter of the same kind as `started_at`.

        The store's codec sends both kinds as UTC, and an `ExtremeInstant` exactly as read.
        """
        kind = "timestamptz" if self.info.has_time_zone("started_at") else "timestamp"
        return f"{params.add(as_utc(value))}::{kind}"

    def _id_param(self, params: Params, value: str) -> str:
        return f"{params.add(value)}::text::{self.info.sql_type('id')}"

    def page(
        self, run_filter: RunFilter, before: PageCursor | None, limit: int
    ) -> tuple[str, list[Any]]:
        """Newest first, keyset on (started_at, id): served by an index on both, descending."""
        params = Params()
        conditions = self._conditions(run_filter, params)
        if before is not None:
            conditions.append(
                f'("started_at", "id") < ({self._timestamp_param(params, before.started_at)}, '
                f"{self._id_param(params, before.id)})"
            )
        limit_param = params.add(max(1, min(int(limit), MAX_PAGE)))
        sql = (
            f"SELECT {summary_columns(self.info)} FROM {self._table} {where(conditions)} "
            f'ORDER BY "started_at" DESC, "id" DESC LIMIT {limit_param}'
        )
        return sql, params.values

    def counts(self, run_filter: RunFilter) -> tuple[str, list[Any]]:
        """Runs per status in the filter's window, whatever statuses the filter picks."""
        params = Params()
        conditions = self._conditions(run_filter, params, statuses=False)
        sql = (
            f'SELECT "status"::text AS status, count(*) AS n FROM {self._table} '
            f"{where(conditions)} GROUP BY 1"
        )
        return sql, params.values

    def failures_per_minute(self, run_filter: RunFilter, minutes: int) -> tuple[str, list[Any]]:
        """Failed and timed-out runs per minute over the last `minutes`, by end time.

        `ago` is 0 for the current minute. A failure stamped in the future (a writer's
        clock ahead of the server's, or `infinity`) counts in the current minute.
        """
        params = Params()
        conditions = self._conditions(run_filter, params, statuses=False, since=False)
        conditions.append(status_condition(self.info, st.FAILURES, params))
        at = 'COALESCE("ended_at", "started_at")' if self.info.has("ended_at") else '"started_at"'
        now = server_now(self.info)
        minutes_param = params.add(int(minutes))
        this_minute = f"date_trunc('minute', {now})"
        window_start = f"({this_minute} - ({minutes_param}::int - 1) * interval '1 minute')"
        slack = params.add(SPARKLINE_RUN_SLACK)
        conditions.append(f'"started_at" >= {window_start} - {slack}::interval')
        conditions.append(f"{at} >= {window_start}")
        # LEAST clamps `infinity` (and any future end) to now: PostgreSQL cannot subtract
        # an infinite timestamp, and one such row would fail the whole sparkline.
        sql = (
            "SELECT GREATEST(0, floor(extract(epoch FROM "
            f"({this_minute} - date_trunc('minute', LEAST({at}, {now})))) / 60))::int AS ago, "
            f"count(*) AS n FROM {self._table} {where(conditions)} GROUP BY 1"
        )
        return sql, params.values

    def newer(self, run_filter: RunFilter, newest: PageCursor | None) -> tuple[str, list[Any]]:
        """Rows from `DELTA_OVERLAP` before `newest` on, newest first, at most `MAX_DELTA_NEW`."""
        params = Params()
        conditions = self._conditions(run_filter, params)
        if newest is not None:
            since = self._timestamp_param(params, newest.started_at - DELTA_OVERLAP)
            conditions.append(f'"started_at" >= {since}')
        sql = (
            f"SELECT {summary_columns(self.info)} FROM {self._table} {where(conditions)} "
            f'ORDER BY "started_at" DESC, "id" DESC LIMIT {params.add(MAX_DELTA_NEW)}'
        )
        return sql, params.values

    def by_ids(self, ids: Sequence[str], started: Sequence[datetime] = ()) -> tuple[str, list[Any]]:
        """The current state of rows by primary key, within the scope but no other filter.

        A run that stopped matching the filter (RUNNING → FAILED under a RUNNING filter)
        must still reach the UI, or it would stay RUNNING on screen for ever. `started`,
        the rows' `started_at` when known, bounds the search: on a table partitioned by
        `started_at`, only the partitions holding them are read.
        """
        params = Params()
        conditions = self._scope_only(params)
        ids_param = params.add(list(dict.fromkeys(ids)))
        conditions.append(f'"id" = ANY({ids_param}::text[]::{self.info.sql_type("id")}[])')
        if started:
            low = self._timestamp_param(params, min(started))
            high = self._timestamp_param(params, max(started))
            conditions.append(f'"started_at" BETWEEN {low} AND {high}')
        sql = (
            f"SELECT {summary_columns(self.info)} FROM {self._table} {where(conditions)} "
            'ORDER BY "started_at" DESC, "id" DESC'
        )
        return sql, params.values

    def _run_key(
        self, params: Params, key: str, started_at: datetime | None = None
    ) -> tuple[str, str]:
        """A run by `run_id`, or else by `id`: both are unique, so at most two rows match.

        Returns the condition and an ORDER BY item that puts a `run_id` match first.
        With the run's `started_at` (known once it was fetched), the condition names it
        too, so a partitioned table reads one partition instead of probing each.
        """
        key_param = params.add(key)
        run_id_type, id_type = self.info.sql_type("run_id"), self.info.sql_type("id")
        condition = (
            f'("run_id" = {key_param}::text::{run_id_type} OR "id" = {key_param}::text::{id_type})'
        )
        if started_at is not None:
            condition += f' AND "started_at" = {self._timestamp_param(params, started_at)}'
        return condition, f'("run_id"::text = {key_param}::text) DESC'

    def run(
        self,
        key: str,
        *,
        skeleton_over: int | None = None,
        skeleton_entries: int | None = None,
        started_at: datetime | None = None,
        strict_iterations: bool = False,
    ) -> tuple[str, list[Any]]:
        """One run in full; a `run_id` match wins over an `id` match.

        With `skeleton_over`, a `steps_log` stored in more than that many bytes, or (with
        `skeleton_entries`) an array of more than that many entries, comes as its skeleton
        instead (`_skeleton`): `steps_log` is NULL, `wflog:big` true, and the
        `wflog:`-named arrays hold the log's shape. One statement, so one round trip and
        one snapshot. (A big log that is no array has no skeleton: the arrays are NULL.)

        The stored size alone misleads: 200,000 attempts of one polling step are 38 MB of
        JSON stored in 879 KB. Counting entries reads (decompresses) the value, about
        25 ms for 49 MB here, so it is done only where the stored size did not decide,
        and once per row (`OFFSET 0` keeps the planner from repeating it in every use).
        """
        params = Params()
        conditions = self._scope_only(params)
        condition, run_id_first = self._run_key(params, key, started_at)
        conditions.append(condition)
        info = self.info
        items = [summary_columns(info, error_chars=None)]
        names = [*_SUMMARY_TEXT, "started_at", "ended_at", "duration_ms", "error"]
        for name in ("workflow_version_id", "error_stack"):
            items.append(_column(info, name, as_text=True))
            names.append(name)
        kind = info.json_type("steps_log") if info.has("steps_log") else None
        skeleton = skeleton_over is not None and kind is not None
        big, sized = "", ""
        if skeleton:
            test = f'pg_column_size("steps_log") > {params.add(int(skeleton_over))}::int'
            if skeleton_entries is not None:
                length = params.add(int(skeleton_entries))
                test = (
                    f"CASE WHEN {test} THEN true "
                    f"""WHEN {kind}_typeof("steps_log") = 'array' """
                    f'THEN {kind}_array_length("steps_log") > {length}::int ELSE false END'
                )
            big = '"wflog:sized"."big"'
            sized = f' CROSS JOIN LATERAL (SELECT {test} AS "big" OFFSET 0) AS "wflog:sized"'
        for name in JSON_COLUMNS:
            if name == "steps_log" and skeleton:
                items.append(f'CASE WHEN {big} THEN NULL ELSE "steps_log" END AS "steps_log"')
            else:
                items.append(_column(info, name))
            names.append(name)
        # Columns the spec does not name, as text: whatever their type, they can be shown.
        for extra_index, name in enumerate(info.extra_columns):
            alias = f"extra:{extra_index}"
            items.append(f"{quote_ident(name)}::text AS {quote_ident(alias)}")
            names.append(alias)
        if skeleton:
            items.append(f'{big} AS "wflog:big"')
            items.append(f'CASE WHEN {big} THEN "steps_log" END AS "wflog:log"')
        sql = (
            f"SELECT {', '.join(items)} FROM {self._table}{sized} {where(conditions)} "
            f"ORDER BY {run_id_first} LIMIT 1"
        )
        if skeleton:
            # The row first (one, by index), then its log expanded: the log travels
            # between the two as a pointer, read only when it is big.
            log = 'r."wflog:log"' if kind == "jsonb" else 'r."wflog:log"::jsonb'
            outer = ", ".join(f"r.{quote_ident(name)}" for name in [*names, "wflog:big"])
            sql = (
                f"SELECT {outer}, sk.* FROM ({sql}) AS r "
                f"CROSS JOIN LATERAL ({_skeleton(log, strict_iterations)}) AS sk"
            )
        return sql, params.values

    def entries(
        self, key: str, indexes: Sequence[int], started_at: datetime | None = None
    ) -> tuple[str, list[Any]]:
        """Whole `steps_log` elements by index (`indexes` ascending), for a skeleton's
        plain entries.

        One JSON path with every index: the log is read once, and each element is found by
        position without expanding the array. Indexes past the end are left out, so the
        answer is the elements of a prefix of `indexes`. The path runs on the log made one
        value in memory (`_in_memory`): on the stored one, the same three elements of the
        100,000-entry log took 28 ms instead of 3.
        """
        params = Params()
        conditions = self._scope_only(params)
        condition, run_id_first = self._run_key(params, key, started_at)
        conditions.append(condition)
        kind = self.info.json_type("steps_log")
        log = '"steps_log"' if kind == "jsonb" else '"steps_log"::jsonb'
        path = params.add("$[" + ", ".join(str(int(i)) for i in indexes) + "]")
        row = (
            f"SELECT {log} AS log FROM {self._table} {where(conditions)} "
            f"ORDER BY {run_id_first} LIMIT 1"
        )
        sql = (
            f"SELECT CASE WHEN {_ARRAY_IN_MEMORY} "
            f"THEN jsonb_path_query_array(a.log, {path}::text::jsonpath) END AS entries "
            f"FROM ({_in_memory('r.log')} FROM ({row}) AS r OFFSET 0) AS a"
        )
        return sql, params.values

    def steps_matching(
        self, key: str, text: str, limit: int, started_at: datetime | None = None
    ) -> tuple[str, list[Any]]:
        """Indexes (0-based, ascending) of `steps_log` entries whose step id, name, error
        message, input or output text holds `text` (any case), at most `limit` of them.

        Over the whole stored log, so a run opened as a skeleton is searched entirely.
        The run row is found first (one, by index, in the partition of `started_at` when
        it is known); its log is then expanded once. A run with no matching entry gives
        one row whose index is NULL, and no row means no run (where it was looked for).
        """
        params = Params()
        conditions = self._scope_only(params)
        condition, run_id_first = self._run_key(params, key, started_at)
        conditions.append(condition)
        log = json_expression(self.info, "steps_log") or "NULL::jsonb"
        raw, escaped = params.add(contains_pattern(text)), params.add(json_text_pattern(text))
        fields = (
            ("x.e ->> 'stepId'", raw),
            ("COALESCE(x.e ->> 'stepName', x.e ->> 'name')", raw),
            ("COALESCE(x.e -> 'error' ->> 'message', x.e ->> 'error')", raw),
            # JSON text: the needle is matched as it is written inside a JSON string.
            ("(x.e -> 'input')::text", escaped),
            ("(x.e -> 'output')::text", escaped),
        )
        matches = " OR ".join(f"{field} ILIKE {p} ESCAPE '\\'" for field, p in fields)
        row = (
            f"SELECT {log} AS log FROM {self._table} {where(conditions)} "
            f"ORDER BY {run_id_first} LIMIT 1"
        )
        sql = (
            f"SELECT m.index FROM ({row}) AS r LEFT JOIN LATERAL ("
            "SELECT (x.n - 1)::int AS index FROM jsonb_array_elements("
            "CASE WHEN jsonb_typeof(r.log) = 'array' THEN r.log END) WITH ORDINALITY AS x(e, n) "
            f"WHERE {matches} ORDER BY x.n LIMIT {params.add(max(1, int(limit)))}) AS m ON true "
            "ORDER BY m.index"
        )
        return sql, params.values

    def steps_from(
        self, key: str, start: int, started_at: datetime | None = None
    ) -> tuple[str, list[Any]]:
        """A run's state and its `steps_log` elements from `start` on, sliced on the server.

        Anything but an array counts as empty, so a null or an object is no SQL error.
        The array is expanded once with its ordinals. (`steps_log -> i` per element looks
        cheaper but detoasts the whole value for every element: minutes on a big log.)
        """
        params = Params()
        conditions = self._scope_only(params)
        condition, run_id_first = self._run_key(params, key, started_at)
        conditions.append(condition)
        kind = self.info.json_type("steps_log")
        if kind is not None:
            start_param = params.add(max(0, int(start)))
            array = f"""CASE WHEN {kind}_typeof("steps_log") = 'array' THEN "steps_log" END"""
            total = f"COALESCE({kind}_array_length({array}), 0)"
            entries = (
                f"(SELECT COALESCE({kind}_agg(e ORDER BY n), '[]'::{kind}) "
                f"FROM {kind}_array_elements({array}) WITH ORDINALITY AS x(e, n) "
                f"WHERE n > {start_param}::int)"
            )
        else:
            # Not a JSON type at all (text holding JSON): the store slices it itself.
            total = "NULL::int"
            entries = '"steps_log"::text'
        info = self.info
        sql = (
            f'SELECT "status"::text AS status, {_timestamp(info, "ended_at")}, '
            f"{_duration(info)}, {_column(info, 'error', as_text=True)}, "
            f"{total} AS total, {entries} AS entries "
            f"FROM {self._table} {where(conditions)} ORDER BY {run_id_first} LIMIT 1"
        )
        return sql, params.values

    def baseline(self, run: RunSummary, lookback: timedelta) -> tuple[str, list[Any]] | None:
        """The newest COMPLETED run of `run`'s workflow and organisation that started before
        it, at most `lookback` earlier; None when `run` names no workflow or has no start.

        The workflow is `workflow_id`, or `workflow_name` when the id is missing. The
        organisation is `run`'s own (NULL matches NULL only), on top of the scope, so a
        baseline never comes from another organisation. Bounded on `started_at` both ways
        and ordered as the run list is, so an index on `started_at` serves it.
        """
        info = self.info
        if run.started_at is None:
            return None
        params = Params()
        conditions = self._scope_only(params)
        if run.workflow_id is not None and info.has("workflow_id"):
            conditions.append(equals_condition(info, "workflow_id", run.workflow_id, params))
        elif run.workflow_name is not None and info.has("workflow_name"):
            conditions.append(equals_condition(info, "workflow_name", run.workflow_name, params))
        else:
            return None
        if info.has("organisation_id"):
            if run.organisation_id is None:
                conditions.append('"organisation_id" IS NULL')
            else:
                conditions.append(
                    equals_condition(info, "organisation_id", run.organisation_id, params)
                )
        conditions.append(status_condition(info, frozenset({st.COMPLETED}), params))
        conditions.append(f'"started_at" < {self._timestamp_param(params, run.started_at)}')
        since = self._timestamp_param(params, run.started_at - lookback)
        conditions.append(f'"started_at" >= {since}')
        conditions.append(f'"id" <> {self._id_param(params, run.id)}')
        sql = (
            f"SELECT {summary_columns(info)} FROM {self._table} {where(conditions)} "
            'ORDER BY "started_at" DESC, "id" DESC LIMIT 1'
        )
        return sql, params.values

    def workflow_names(self, run_filter: RunFilter) -> tuple[str, list[Any]]:
        """Distinct workflow names among the newest matching rows (the filter's own aside)."""
        if not self.info.has("workflow_name"):
            return "SELECT NULL::text AS v WHERE FALSE", []
        params = Params()
        conditions = self._conditions(run_filter, params, workflow=False)
        return self._distinct("workflow_name", conditions, params), params.values

    def organisations(self) -> tuple[str, list[Any]]:
        """Distinct organisation ids among the newest rows (only the scope's, when scoped)."""
        if not self.info.has("organisation_id"):
            return "SELECT NULL::text AS v WHERE FALSE", []
        params = Params()
        return self._distinct("organisation_id", self._scope_only(params), params), params.values

    def _distinct(self, column: str, conditions: list[str], params: Params) -> str:
        scan = params.add(PICKER_SCAN_ROWS)
        limit = params.add(PICKER_LIMIT)
        quoted = quote_ident(column)
        return (
            f"SELECT DISTINCT v FROM (SELECT {quoted}::text AS v FROM {self._table} "
            f'{where(conditions)} ORDER BY "started_at" DESC LIMIT {scan}) AS newest '
            f"WHERE v IS NOT NULL ORDER BY v LIMIT {limit}"
        )


def _skeleton(log: str, strict_iterations: bool = False) -> str:
    """The skeleton of the log `log`, packed into one row (see `PackedSkeleton`).

    An entry is *plain* when it is an object with a string `stepId` that completed or was
    canceled, has no `error`, is not the trigger or a loop, and whose name (`stepName`,
    else `name`), if any, is a string that is not blank (`_string`). Plain entries,
    nearly all of a big log, come as their stepId, name, iteration, kind (completed or
    canceled, named or not) and the bit length of their size in bytes (as `jsonb`, what a
    fill will fetch); every other one comes whole, as text.

    A plain entry's iteration must be a whole positive number too. It comes as its text,
    checked by the client (`skeleton_from_row`) in one regular expression over all of
    them: the same test on the server, entry by entry, was a sixth of the statement.
    When the client finds one that is not one to nine digits (`"007"`, `7.0`, `true`),
    it asks again with `strict_iterations`, and the server makes such entries whole.

    Packed into byte strings rather than arrays: 100,000 entries as seven arrays were
    4.9 MB to send and 700,000 Python objects to decode, which took longer than the
    tree built from them. Packed they are about a byte and a number plus the two texts
    per entry, and decode in a few calls (`skeleton_from_row`).

    The elements are read by position (`log -> n`), not expanded with
    `jsonb_array_elements`, which copies all of them into a tuplestore first: 35 MB for
    the 100,000-entry log, written to a temporary file below a `work_mem` of that size.
    For that, the stored log (a pointer to its compressed value) is made one value in
    memory once (`_in_memory`); read through the pointer, each element would decompress
    the whole log again.

    Each field is read from each element once (in the innermost select; `OFFSET 0` keeps
    the planner from copying those expressions into every use). The values are
    aggregated in the order of the positions: `generate_series` in a select list makes
    them one after the other from one row, under an aggregate with no sort, hash or
    parallel worker between that could reorder them. (Sorting 100,000 elements in each
    aggregate was a fifth of the statement; sending the positions to check the order by,
    a twentieth.)
    """
    elements = (
        "SELECT s.n, s.log -> (s.n - 1) AS e FROM ("
        "SELECT b.log, generate_series(1, jsonb_array_length(b.log)) AS n FROM ("
        f"SELECT CASE WHEN {_ARRAY_IN_MEMORY} THEN a.log END AS log FROM ("
        f"{_in_memory('v.log')} FROM (SELECT {log} AS log OFFSET 0) AS v OFFSET 0) AS a"
        ") AS b) AS s OFFSET 0"
    )
    fields = (
        "SELECT x.n, x.e, x.e ->> 'status' AS status, "
        "x.e ->> 'stepId' AS step_id, "
        "x.e ? 'error' AS has_error, x.e ->> 'operation' AS operation, "
        "x.e ->> 'iteration' AS iteration, x.e ->> 'stepName' AS step_name "
        f"FROM ({elements}) AS x OFFSET 0"
    )
    step_name = _string("f.step_name", "stepName", blank=False)
    other_name = _string("f.e ->> 'name'", "name", blank=False)
    # The iteration, where the server checks it: one to nine digits, as a number or a
    # string (`parse_entry` reads both alike), tested without a regular expression,
    # which would cost more than the rest of the test together.
    iteration = (
        "AND (f.iteration IS NULL OR (octet_length(f.iteration) BETWEEN 1 AND 9 "
        "AND translate(f.iteration, '0123456789', '') = '' "
        "AND left(f.iteration, 1) <> '0')) "
        if strict_iterations
        else ""
    )
    # Only an object has a status to compare.
    plain = (
        "COALESCE(f.status IN ('COMPLETED', 'CANCELED') "
        f"AND {_string('f.step_id', 'stepId', blank=True)} "
        "AND NOT f.has_error AND COALESCE(f.operation, '') NOT IN ('trigger', 'builtin:loop') "
        f"{iteration}"
        f"AND CASE WHEN f.step_name IS NOT NULL THEN {step_name} "
        f"ELSE f.e ->> 'name' IS NULL OR {other_name} END, false)"
    )
    # The kinds byte (`log_skeleton.WHOLE` …): what the entry is, whether it has a name,
    # and the bit length of its stored size (below 2**31, so five bits).
    kind = (
        "set_byte('\\x00'::bytea, 0, CASE WHEN NOT p.plain THEN 0 ELSE "
        "(CASE WHEN p.status = 'CANCELED' THEN 2 ELSE 1 END) "
        "+ (CASE WHEN p.name IS NULL THEN 0 ELSE 4 END) "
        "+ 8 * ceil(ln(pg_column_size(p.e) + 1) / ln(2))::int END)"
    )

    def text(name: str) -> str:
        # One text per entry, "" where none, NUL-separated (PostgreSQL text holds no NUL).
        # `textsend` is the text in the client's encoding, UTF-8 (asyncpg's), as
        # `convert_to(…, 'UTF8')` has it, at two thirds of the cost.
        return (
            f"string_agg(textsend(CASE WHEN p.plain THEN COALESCE(p.{name}, '') "
            "ELSE '' END), '\\x00'::bytea)"
        )

    return (
        f"SELECT string_agg({kind}, '') AS \"wflog:kinds\", "
        "string_agg(textsend(CASE WHEN p.plain THEN COALESCE(p.iteration, '0') ELSE '0' END), "
        "'\\x00'::bytea) AS \"wflog:iterations\", "
        f'{text("step_id")} AS "wflog:step_ids", '
        f'{text("name")} AS "wflog:names", '
        'array_agg(p.e::text) FILTER (WHERE NOT p.plain) AS "wflog:whole" '
        f"FROM (SELECT f.*, {plain} AS plain, COALESCE(f.step_name, f.e ->> 'name') AS name "
        f"FROM ({fields}) AS f OFFSET 0) AS p"
    )


def _in_memory(log: str) -> str:
    """SQL: a select list of `log` as `stored` and, as `log`, the same made one value in
    memory (`|| '[]'` returns an array unchanged, decompressed; an object or a scalar it
    wraps in an array of one). Used with `_ARRAY_IN_MEMORY` on the result."""
    return f"SELECT {log} AS stored, {log} || '[]'::jsonb AS log"


# SQL, over `_in_memory`'s columns as `a`: true when the stored log is an array. Only a
# one-element result can be something wrapped, so only then is the stored value asked
# its type: that decompresses it a second time, and a second copy of a big log in memory
# cost 15 ms of page faults in the skeleton's statement.
_ARRAY_IN_MEMORY: Final = "(jsonb_array_length(a.log) <> 1 OR jsonb_typeof(a.stored) = 'array')"


def _string(value: str, key: str, *, blank: bool) -> str:
    """SQL: true when `value`, the `->>` text of the entry's field `key`, came from a
    JSON string (with `blank` false, one whose first character is no whitespace).

    `->>` gives a number, `true` or an object as its JSON text, which `parse_entry`
    reads otherwise (`_text`: `1e2` is "100.0" to it) or not at all, and a name of spaces
    is no name to it. Asking the JSON type costs as much as three fields read, so it is
    asked only of what the text leaves open: one starting with an ASCII letter-like
    character that is no `true` or `false` came from a string, and is no blank one.
    """
    text = f'({value}) COLLATE "C"'
    typed = f"jsonb_typeof(f.e -> '{key}') = 'string'"
    if not blank:
        typed += f" AND ascii({value}) NOT IN ({', '.join(map(str, _WHITESPACE))})"
    return (
        f"(({text} >= 'A' AND {text} < '[') "
        f"OR ({text} >= ']' AND {text} < '{{' AND {text} NOT IN ('true', 'false')) "
        f"OR ({text} >= '|' AND {text} < chr(127)) "
        f"OR ({typed}))"
    )


# The code points Python's `str.isspace` (and so `str.strip`) takes for whitespace.
_WHITESPACE: Final = tuple(code for code in range(0x3001) if chr(code).isspace())


def detail_from_row(row: Any, info: TableInfo, decode: Any) -> RunDetail:
    """A `RunDetail` from a row of `Queries.run`.

    `decode` reads a JSON column that is stored as text; `json`/`jsonb` arrive decoded.
    """
    summary = summary_from_row(row)
    error = summary.error
    if error is not None and len(error) > ERROR_PREVIEW_CHARS:
        summary = replace(summary, error=error[:ERROR_PREVIEW_CHARS])
    payloads = {}
    for name in JSON_COLUMNS:
        value = row[name]
        if isinstance(value, str) and info.has(name) and info.json_type(name) is None:
            # Text JSON columns: the same decoder the codecs use.
            value = decode(value)
        payloads[name] = value
    extra = {name: row[f"extra:{i}"] for i, name in enumerate(info.extra_columns)}
    return RunDetail(
        summary=summary,
        workflow_version_id=row["workflow_version_id"],
        input_payload=payloads["input_payload"],
        output_payload=payloads["output_payload"],
        steps_log=payloads["steps_log"],
        error=error,
        error_stack=row["error_stack"],
        extra=extra,
    )


def skeleton_from_row(row: Any, decode: Any) -> LogSkeleton | None:
    """A `LogSkeleton` from the packed `wflog:` columns of a `Queries.run` row; None when
    an iteration is not one the client reads for sure (ask with `strict_iterations`)."""
    kinds: bytes = row["wflog:kinds"] or b""
    iterations = _iterations(row["wflog:iterations"], len(kinds))
    if iterations is None:
        return None
    step_ids = _texts(row["wflog:step_ids"], len(kinds))
    names = _texts(row["wflog:names"], len(kinds))
    texts = row["wflog:whole"] or []
    whole = {index: decode(text) for index, text in zip(whole_indexes(kinds), texts, strict=True)}
    return LogSkeleton(PackedSkeleton(kinds, step_ids, names, iterations, whole))


def _iterations(packed: bytes | None, count: int) -> list[int] | None:
    """`count` NUL-separated iteration texts as numbers ("0": none); None unless every
    one is 0 or one to nine digits without a leading zero.

    Only those read the same whatever JSON type they had: `"007"`, `7.0` and `true` are
    decided by `parse_entry` from the whole entry. With nothing but digits between the
    NULs, they are a JSON array once the NULs are commas: orjson reads it four times
    faster than `int` one by one, and refuses an empty text and a leading zero. (A
    regular expression over all of them took 10 ms the first time, growing its stack.)
    """
    if not packed:
        return [] if count == 0 else None
    if packed.translate(None, b"0123456789\x00"):
        return None
    try:
        numbers: list[int] = orjson.loads(b"[" + packed.replace(b"\x00", b",") + b"]")
    except orjson.JSONDecodeError:
        return None
    if len(numbers) != count or max(numbers) > _MAX_ITERATION:
        return None
    return numbers


_MAX_ITERATION: Final = 999_999_999


def _texts(packed: bytes | None, count: int) -> list[str]:
    """`count` NUL-separated UTF-8 texts; "" for each when there are none."""
    if packed is None:
        return [""] * count
    texts = packed.decode("utf-8", errors="replace").split("\x00")
    return texts if len(texts) == count else [""] * count
