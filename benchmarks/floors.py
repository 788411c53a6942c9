"""Floors: the least any program could do for each figure, with asyncpg and orjson alone.

Run as `python -m benchmarks.floors NAME SPEC_JSON OUT_PATH`, one fresh process per
measurement, so a floor pays the same process start-up the app does, minus the app.
The SQL is written out here, not taken from the store: a floor built from the app's own
statements would hide a bad statement.
"""

import time

MODULE_START = time.monotonic()

import asyncio  # noqa: E402
from datetime import timedelta  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
import orjson  # noqa: E402

from benchmarks import probes  # noqa: E402

IMPORTED = time.monotonic()

# The list's columns (the store's `summary_columns`): no JSON, `error` cut on the server.
SUMMARY = (
    "id, run_id, status::text AS status, workflow_name, workflow_function_id, workflow_id, "
    "event_id, event_name, organisation_id, started_at, ended_at, duration_ms, "
    "left(error, 500) AS error"
)
WINDOW = "started_at >= (now() AT TIME ZONE 'UTC') - $1::interval"


def _page_sql(table: str) -> str:
    return (
        f"SELECT {SUMMARY} FROM {table} WHERE {WINDOW} ORDER BY started_at DESC, id DESC LIMIT 100"
    )


async def _window_query_from_start(spec: dict[str, Any], sql: str) -> dict[str, Any]:
    """Connect and fetch `sql` over the window: the time from process start to its rows,
    with where it went (interpreter, imports, connect, query)."""
    connect_start = probes.now()
    conn = await asyncpg.connect(spec["dsn"])
    connected = probes.now()
    rows = await conn.fetch(sql, _seconds(spec["since_s"]))
    done = probes.now()
    await conn.close()
    return {
        **_from_start(spec, done),
        "connect_s": connected - connect_start,
        "query_s": done - connected,
        "rows": len(rows),
    }


async def list_page(spec: dict[str, Any]) -> dict[str, Any]:
    """Connect and fetch the list's first page: the floor of the list's first paint."""
    return await _window_query_from_start(spec, _page_sql(spec["table"]))


async def open_run(spec: dict[str, Any]) -> dict[str, Any]:
    """Fetch the run's `steps_log` whole and `orjson.loads` it: the floor of opening it."""
    conn = await asyncpg.connect(spec["dsn"])
    probes.reset_peak()
    before = probes.rss_mb()
    fetch_start = probes.now()
    text = await conn.fetchval(
        f"SELECT steps_log FROM {spec['table']} WHERE run_id = $1", spec["run_id"]
    )
    fetched = probes.now()
    entries = orjson.loads(text)
    done = probes.now()
    failing = [i for i, e in enumerate(entries) if e.get("status") == "FAILED"]
    await conn.close()
    return {
        **_from_start(spec, done),
        "fetch_s": fetched - fetch_start,
        "loads_s": done - fetched,
        "in_process_s": done - fetch_start,
        "json_text_bytes": len(text),
        "entries": len(entries),
        "first_failure_index": failing[0] if failing else None,
        "rss_before_mb": round(before, 1),
        "rss_rise_mb": round(probes.peak_rss_mb() - before, 1),
    }


async def open_run_slim(spec: dict[str, Any]) -> dict[str, Any]:
    """Each entry's status, ids, iteration and timings only, expanded on the server.

    Not a floor of the app as built (it decodes every entry whole) but the cheaper design
    the issue measured: what a lazy run view could cost.
    """
    conn = await asyncpg.connect(spec["dsn"])
    probes.reset_peak()
    before = probes.rss_mb()
    start = probes.now()
    rows = await conn.fetch(
        f"""SELECT n - 1 AS index, e->>'status' AS status, e->>'stepId' AS step_id,
                   e->>'operation' AS operation, (e->>'iteration')::int AS iteration,
                   e->>'startedAt' AS started_at, e->>'endedAt' AS ended_at,
                   e->>'durationMs' AS duration_ms
            FROM {spec["table"]}, jsonb_array_elements(steps_log) WITH ORDINALITY AS x(e, n)
            WHERE run_id = $1""",
        spec["run_id"],
    )
    fetched = probes.now()
    failing = next((r["index"] for r in rows if r["status"] == "FAILED"), None)
    payload = await conn.fetchval(
        f"SELECT steps_log -> $2::int FROM {spec['table']} WHERE run_id = $1",
        spec["run_id"],
        failing,
    )
    done = probes.now()
    await conn.close()
    return {
        "value_s": done - spec["spawned_at"],
        "entries_s": fetched - start,
        "one_entry_s": done - fetched,
        "entries": len(rows),
        "first_failure_index": failing,
        "failing_entry_bytes": len(payload or ""),
        "rss_rise_mb": round(probes.peak_rss_mb() - before, 1),
    }


async def delta(spec: dict[str, Any]) -> dict[str, Any]:
    """The refresh's delta with bare SQL, `cycles` times: new RUNNING rows, then the shown ones.

    The first query asks for RUNNING rows from five seconds before the newest one seen,
    the second for the current state of every RUNNING row shown (by primary key), as
    the app's refresh does; the counts and sparkline the app also fetches are not part
    of this floor.
    """
    table, since = spec["table"], _seconds(spec["since_s"])
    conn = await asyncpg.connect(spec["dsn"])
    shown = await conn.fetch(
        f"SELECT id, started_at FROM {table} WHERE status = 'RUNNING' AND {WINDOW}", since
    )
    ids = [r["id"] for r in shown]
    newest = max(r["started_at"] for r in shown)
    newer = (
        f"SELECT {SUMMARY} FROM {table} WHERE status = 'RUNNING' AND {WINDOW} "
        "AND started_at >= $2 ORDER BY started_at DESC, id DESC LIMIT 500"
    )
    by_ids = f"SELECT {SUMMARY} FROM {table} WHERE id = ANY($1::text[]) ORDER BY started_at DESC"
    times, rows = [], []
    for _ in range(spec["cycles"]):
        start = time.perf_counter()
        new = await conn.fetch(newer, since, newest - _seconds(5))
        changed = await conn.fetch(by_ids, ids)
        times.append((time.perf_counter() - start) * 1000)
        rows.append(len(new) + len(changed))
        await asyncio.sleep(spec.get("pause_s", 0.05))
    await conn.close()
    return {
        "ms": probes.summary(times),
        "rows_per_cycle": probes.summary(rows, 0),
        "shown": len(ids),
    }


# Each search of the run list's `/`, written by hand: `$1` the window, `$2` the value.
_SEARCH_CONDITIONS = {
    "payload_eq": "input_payload @> $2::jsonb",
    "step_error": (
        "EXISTS (SELECT 1 FROM jsonb_array_elements(steps_log) AS s(e) "
        "WHERE e -> 'error' ->> 'message' ILIKE $2)"
    ),
}
# In-run search by hand: the fields the run view's `/` searches, of one run's entries.
_IN_RUN = """
    SELECT n - 1 AS index
    FROM {table}, jsonb_array_elements(steps_log) WITH ORDINALITY AS x(e, n)
    WHERE run_id = $1 AND (e ->> 'stepId' ILIKE $2
        OR COALESCE(e ->> 'stepName', e ->> 'name') ILIKE $2
        OR COALESCE(e -> 'error' ->> 'message', e ->> 'error') ILIKE $2
        OR (e -> 'input')::text ILIKE $2 OR (e -> 'output')::text ILIKE $2)
    ORDER BY n LIMIT 1000
"""


async def search(spec: dict[str, Any]) -> dict[str, Any]:
    """A search written by hand, `times` times on one connection after one unmeasured run.

    `kind` `payload_eq` is the list's page narrowed by containment of `document`;
    `step_error` by an entry whose error message holds `needle`; `in_run` the indexes of
    the big run's entries that mention `needle`.
    """
    table = spec["table"]
    conn = await asyncpg.connect(spec["dsn"])
    if spec["kind"] == "in_run":
        sql = _IN_RUN.format(table=table)
        args: tuple[Any, ...] = (spec["run_id"], f"%{spec['needle']}%")
    else:
        sql = (
            f"SELECT {SUMMARY} FROM {table} WHERE {WINDOW} "
            f"AND {_SEARCH_CONDITIONS[spec['kind']]} ORDER BY started_at DESC, id DESC LIMIT 100"
        )
        value = spec.get("document") or f"%{spec['needle']}%"
        args = (_seconds(spec["since_s"]), value)
    await conn.fetch(sql, *args)
    times = []
    for _ in range(spec["times"]):
        start = time.perf_counter()
        rows = await conn.fetch(sql, *args)
        times.append((time.perf_counter() - start) * 1000)
    await conn.close()
    return {
        "median_ms": probes.summary(times, 1)["median"],
        "ms": probes.summary(times, 1),
        "answer": [r[0] for r in rows],
    }


async def failures_page(spec: dict[str, Any]) -> dict[str, Any]:
    """Connect and fetch the window's failures with their failing step and message, from
    process start: the floor of the groups screen's first paint."""
    return await _window_query_from_start(spec, _failures_sql(spec["table"]))


_FAILED = "status IN ('FAILED', 'TIMED_OUT')"
_FAILURE_COLUMNS = (
    "id, run_id, status::text AS status, workflow_id, workflow_name, organisation_id, "
    "workflow_version_id, started_at, ended_at, left(error, 500) AS error, "
    "e ->> 'stepId' AS step_id, left(e -> 'error' ->> 'message', 500) AS message"
)
# OFFSET 0: the path query runs once per row, not once per use of `e`.
_FIRST_FAILED = "jsonb_path_query_first(steps_log, '$[*] ? (@.status == \"FAILED\")') AS e"


def _failures_sql(table: str, window: str = WINDOW) -> str:
    return (
        f"SELECT {_FAILURE_COLUMNS} FROM {table} "
        f"CROSS JOIN LATERAL (SELECT {_FIRST_FAILED} OFFSET 0) AS f WHERE {_FAILED} AND {window}"
    )


async def failures(spec: dict[str, Any]) -> dict[str, Any]:
    """The failures of the window, then of the one before it, with the first FAILED
    entry's stepId and message found on the server, fetched whole with no grouping: the
    floor of failure groups. Then the floor of splitters: the newest 500 failing and 2,000
    COMPLETED payloads of the workflow with most failures, decoded with orjson.
    """
    table, since = spec["table"], _seconds(spec["since_s"])
    conn = await asyncpg.connect(spec["dsn"])
    current = _failures_sql(table)
    previous = _failures_sql(
        table,
        "started_at >= (now() AT TIME ZONE 'UTC') - 2 * $1::interval "
        "AND started_at < (now() AT TIME ZONE 'UTC') - $1::interval",
    )
    start = time.perf_counter()
    rows = await conn.fetch(current, since)
    fetched = time.perf_counter()
    before = await conn.fetch(previous, since)
    previous_done = time.perf_counter()
    workflow = max(
        {r["workflow_id"] for r in rows}, key=lambda w: sum(r["workflow_id"] == w for r in rows)
    )
    ids = [r["id"] for r in rows if r["workflow_id"] == workflow][:500]
    split_start = time.perf_counter()
    failing = await conn.fetch(
        f"SELECT input_payload::text AS p, organisation_id, workflow_version_id FROM {table} "
        "WHERE id = ANY($1::text[])",
        ids,
    )
    passing = await conn.fetch(
        f"SELECT input_payload::text AS p, organisation_id, workflow_version_id FROM {table} "
        f"WHERE workflow_id = $2 AND status = 'COMPLETED' AND {WINDOW} "
        "ORDER BY started_at DESC, id DESC LIMIT 2000",
        since,
        workflow,
    )
    payloads = [orjson.loads(r["p"]) for r in [*failing, *passing] if r["p"] is not None]
    split_done = time.perf_counter()
    await conn.close()
    return {
        "db_ms": round((fetched - start) * 1000, 2),
        "failures": len(rows),
        "previous_failures": len(before),
        "previous_db_ms": round((previous_done - fetched) * 1000, 2),
        "splitters_ms": round((split_done - split_start) * 1000, 2),
        "splitter_sample": [len(failing), len(passing)],
        "payloads": len(payloads),
    }


def textual_line(spec: dict[str, Any]) -> dict[str, Any]:
    """A minimal Textual app that paints one static line: the floor of any Textual screen.

    From process start to the end of the first frame the compositor renders (the headless
    driver, as the app's scenarios use), then it exits.
    """
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import Static

    imported = probes.now()
    marks: dict[str, float] = {}
    original = Screen._compositor_refresh

    def compositor_refresh(screen: Screen) -> None:
        original(screen)
        if "painted" not in marks and screen.query(Static):
            marks["painted"] = probes.now()
            screen.app.exit()

    Screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]

    class OneLine(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("wflog-tui", markup=False)

    OneLine().run()
    return {
        "value_s": marks["painted"] - spec["spawned_at"],
        "interpreter_s": MODULE_START - spec["spawned_at"],
        "imports_s": imported - MODULE_START,
        "app_s": marks["painted"] - imported,
    }


async def skeleton(spec: dict[str, Any]) -> dict[str, Any]:
    """Fetch only the run's skeleton (stepId, iteration, status, error message per entry),
    expanded on the server, and print its first failure: the floor of landing on it."""
    connect_start = probes.now()
    conn = await asyncpg.connect(spec["dsn"])
    connected = probes.now()
    rows = await conn.fetch(
        f"""SELECT e->>'stepId' AS step_id, e->>'iteration' AS iteration,
                   e->>'status' AS status, e->'error'->>'message' AS message
            FROM {spec["table"]}, jsonb_array_elements(steps_log) AS x(e)
            WHERE run_id = $1""",
        spec["run_id"],
    )
    fetched = probes.now()
    failure = next(
        (i for i, r in enumerate(rows) if r["status"] == "FAILED"),
        None,
    )
    if failure is not None:
        row = rows[failure]
        print(f"{row['step_id']} iteration {row['iteration']}: {row['message']}", flush=True)
    done = probes.now()
    await conn.close()
    return {
        **_from_start(spec, done),
        "connect_s": connected - connect_start,
        "query_s": fetched - connected,
        "entries": len(rows),
        "first_failure_index": failure,
    }


def _from_start(spec: dict[str, Any], done: float) -> dict[str, float]:
    """The time from the process's spawn to `done`, and the interpreter's and the imports'
    share of it."""
    return {
        "value_s": done - spec["spawned_at"],
        "interpreter_s": MODULE_START - spec["spawned_at"],
        "imports_s": IMPORTED - MODULE_START,
    }


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


FLOORS = {
    "failures": failures,
    "failures_page": failures_page,
    "list_page": list_page,
    "open_run": open_run,
    "open_run_slim": open_run_slim,
    "delta": delta,
    "search": search,
    "skeleton": skeleton,
}
# Floors that run their own event loop.
PLAIN_FLOORS = {"textual_line": textual_line}


def main() -> None:
    """Run one floor and write its result."""
    name, spec, out = probes.child_args()
    plain = PLAIN_FLOORS.get(name)
    result = plain(spec) if plain is not None else asyncio.run(FLOORS[name](spec))
    probes.write_result(out, result)


if __name__ == "__main__":
    main()
