"""The benchmark's data: a month of runs built inside PostgreSQL, one 100,000-entry run,
and one run of a step polled 200,000 times.

The bulk rows are made by `INSERT … SELECT … FROM generate_series`, `steps_log` included,
so a million rows cost the server's time rather than a million round trips. Every "random"
choice is a hash of the row number (`hashint8`), so the same `--rows` always builds the
same table, whichever connection builds which chunk.

Shapes follow the platform: a trigger and 2–8 steps with small inputs and outputs (about
1–3 KB of `steps_log` per row), eleven workflows, fifty organisations (a few big ones),
mostly COMPLETED with FAILED, TIMED_OUT and CANCELED runs, over 30 days, and exactly
`running` RUNNING runs in the last half hour. Rows are written in start order, as the
platform appends them, so the heap is in time order like a production table's.

A second, small table holds only the last `SMALL_DAYS` at the same density: the list's
24-hour window shows the same runs, so comparing a figure on both tables isolates the
effect of table size.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import asyncpg
import orjson

from wflog_tui.demo.table_ddl import (
    STATUS_TYPE,
    TableShape,
    create_table_sql,
    partition_sql,
    quote_ident,
    recommended_index_sql,
)
from wflog_tui.demo.workflows import CATALOG, ORGS

# Bumped whenever the generator changes, so kept data built by an older one is rebuilt.
GENERATOR_VERSION: Final = 6
DAYS: Final = 30
SMALL_DAYS: Final = 1.5
RUNNING_RUNS: Final = 500
CHUNK_ROWS: Final = 50_000
BIG_ITERATIONS: Final = 50_000
BIG_FAIL_ITERATION: Final = 49_999
BIG_RUN_ID: Final = "01BIGLOOP0000000000000000000"
BIG_ROW_ID: Final = "cbigloop000000000000000000"
POLL_ATTEMPTS: Final = 200_000
POLL_RUN_ID: Final = "01POLLSTATUS0000000000000000"
POLL_ROW_ID: Final = "cpollstatus000000000000000"
# The big run's last good run (issue 13's baseline): the same import an hour earlier,
# all 50,000 rows completed (100,002 entries), on the previous version.
BIG_BASELINE_RUN_ID: Final = "01BIGLOOPGOOD000000000000000"
BIG_BASELINE_ROW_ID: Final = "cbigloopgood00000000000000"
# Kept data older than this is rebuilt: the list's window and the RUNNING rows are
# relative to the server's clock.
MAX_DATA_AGE: Final = timedelta(hours=2)

_STATUSES: Final = ("COMPLETED", "FAILED", "TIMED_OUT", "CANCELED", "RUNNING")
_MIN_STEPS: Final = 2
_LENGTHS: Final = 7
VARIANTS: Final = 4

MAIN_SHAPE: Final = TableShape(schema="bench", recommended_indexes=False)
PARTITIONED_SCHEMA: Final = "bench_part"
# Daily partitions ahead of the newest run, as a partition-making job would keep them.
PARTITIONS_AHEAD: Final = 2
SMALL_SHAPE: Final = TableShape(schema="bench_small", recommended_indexes=False)

_LOREM: Final = (
    "Quarterly pipeline review moved to Thursday; please add your accounts to the sheet "
    "before the call. New post from the product team about the spring release, with notes "
    "on pricing, the onboarding checklist and the partner programme. Customer asked for an "
    "invoice copy and a refund of the duplicate charge on their card ending 4242. Lead "
    "enriched from the website form: company size 51-200, industry software, region EMEA, "
    "source webinar. Weekly digest: 14 new issues, 9 closed, 3 waiting for a reply from "
    "the customer, 2 escalated to engineering after the outage on the billing service. "
    "Reminder that the data export for the compliance audit runs tonight at 02:00 UTC "
    "and may delay nightly syncs for a few minutes while the snapshot is taken."
)
_OPERATIONS: Final = (
    "http",
    "slack",
    "hubspot",
    "email",
    "notion",
    "openai",
    "stripe",
    "github",
    "zendesk",
    "clearbit",
    "transform",
)
_ERRORS: Final = (
    ("channel_not_found", "SlackAPIError"),
    ("Request failed with status code 429", "AxiosError"),
    ("read ECONNRESET", "FetchError"),
    ("Invalid email address format", "ValidationError"),
    ("Contact already exists", "HubSpotError"),
    ("Rate limit reached for requests", "OpenAIError"),
    ("body failed validation: properties.Status.select.name", "NotionClientError"),
    ("No such charge: ch_3OaB", "StripeInvalidRequestError"),
)


@dataclass(frozen=True)
class Dataset:
    """What was built (or found kept), for the report and for the scenarios."""

    table: str
    small_table: str
    rows: int
    small_rows: int
    running: int
    big_run_id: str
    big_baseline_run_id: str
    big_entries: int
    big_fail_index: int
    big_json_bytes: int
    poll_run_id: str
    poll_entries: int
    poll_fail_index: int
    poll_json_bytes: int
    built_at: datetime
    reused: bool
    build_seconds: dict[str, float]
    table_bytes: int


def _sql_text_array(values: tuple[str, ...] | list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _u(salt: int) -> str:
    """A uniform number in [0, 1) from the row number `i` and `salt`, as SQL."""
    return f"((hashint8(i::bigint * 64 + {salt}) & 2147483647)::float8 / 2147483648.0)"


def _org_ids() -> list[str]:
    return [org.id for org in ORGS] + [f"org_{n:04d}" for n in range(len(ORGS) + 1, 51)]


def _steps_sql(shape: TableShape) -> str:
    """`bench_steps`: `steps_log` values for every (workflow, length, outcome) shape.

    `$1` = now (UTC). Building `steps_log` entry by entry in SQL costs about 40 µs an
    entry: minutes for a million rows on two cores. So bulk rows take theirs from here,
    `VARIANTS` per shape, keyed as `_template_key` numbers them. Their entry times are
    the template's, not the row's; sizes, shapes, final statuses and errors match the row.
    """
    workflows = list(CATALOG.values())
    slugs = _sql_text_array([w.key.replace("_", "-") for w in workflows])
    events = _sql_text_array([w.event_name for w in workflows])
    operations = _sql_text_array(_OPERATIONS)
    messages = _sql_text_array([m for m, _ in _ERRORS])
    error_names = _sql_text_array([n for _, n in _ERRORS])
    statuses = _sql_text_array(_STATUSES)
    lorem = "'" + _LOREM.replace("'", "''") + "'"
    iso = """'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'"""
    orgs = _org_ids()
    per_workflow = _LENGTHS * len(_STATUSES) * VARIANTS
    # OFFSET 0 keeps each subquery from being flattened into its users, which would
    # evaluate its expressions again at every reference.
    base = f"""
        SELECT i, i - 1 AS key,
            1 + (i - 1) / {per_workflow} AS wf,
            {_MIN_STEPS} + ((i - 1) / {len(_STATUSES) * VARIANTS}) % {_LENGTHS} AS k,
            ({statuses})[1 + ((i - 1) / {VARIANTS}) % {len(_STATUSES)}] AS status,
            ({_sql_text_array(orgs)})[1 + floor(power({_u(2)}, 2) * {len(orgs)})::int] AS org,
            $1::timestamp - {_u(5)} * interval '{DAYS} days' AS started_at,
            150 + floor(power({_u(6)}, 3) * 30000)::int AS duration_ms,
            1 + floor({_u(7)} * {len(_ERRORS)})::int AS err,
            substr(md5('tid' || i), 1, 24) AS h_id,
            upper(substr(md5('trun' || i), 1, 24)) AS h_run,
            {_u(8)} AS u8
        FROM generate_series(1, {len(workflows) * per_workflow}) AS i
        OFFSET 0
    """
    trigger_output = f"""jsonb_build_object(
            'post', jsonb_build_object(
                'id', 'post_' || b.i,
                'platform', (ARRAY['linkedin','twitter','facebook','instagram'])[1 + b.i % 4],
                'author', 'user' || (b.i % 9973) || '@' || b.org || '.example.com',
                'content', substr({lorem}, 1 + floor(b.u8 * 300)::int, 90 + floor(b.u8 * 260)::int)
            ),
            'receivedAt', to_char(b.started_at, {iso})
        )"""
    # Entry j of a run: 0 is the trigger, 1…k the steps; the last step carries the run's end.
    entries = f"""
        SELECT jsonb_agg(jsonb_strip_nulls(CASE WHEN j = 0 THEN jsonb_build_object(
                'status', 'COMPLETED',
                'stepId', 'trigger_' || replace(({slugs})[r.wf], '-', '_'),
                'operation', 'trigger',
                'stepName', ({events})[r.wf] || ' trigger',
                'output', r.trigger_output,
                'startedAt', to_char(r.started_at, {iso}),
                'endedAt', to_char(r.started_at + interval '10 ms', {iso}),
                'durationMs', 10)
            ELSE jsonb_build_object(
                'status', CASE WHEN j < r.k THEN 'COMPLETED' ELSE r.status END,
                'stepId', op || '_' || j,
                'operation', op,
                'stepName', initcap(op) || ' step ' || j,
                'input', jsonb_build_object(
                    'recordId', 'rec_' || substr(md5(r.h_id || j), 1, 10),
                    'channel', '#' || r.org,
                    'message', substr({lorem}, 1 + (r.i * 7 + j * 31) % 400, 60 + (r.i + j) % 90)),
                'output', CASE WHEN j < r.k OR r.status = 'COMPLETED' THEN jsonb_build_object(
                    'ok', true,
                    'id', substr(md5(r.h_run || j), 1, 16),
                    'status', 200) END,
                'error', CASE WHEN j = r.k AND r.status IN ('FAILED', 'TIMED_OUT')
                    THEN jsonb_build_object(
                        'message', CASE WHEN r.status = 'FAILED' THEN ({messages})[r.err]
                                        ELSE 'Step timed out after 30s' END,
                        'name', CASE WHEN r.status = 'FAILED' THEN ({error_names})[r.err]
                                     ELSE 'TimeoutError' END) END,
                'startedAt', to_char(r.started_at
                    + make_interval(secs => r.duration_ms * j / (r.k + 1) / 1000.0), {iso}),
                'endedAt', CASE WHEN j = r.k AND r.status = 'RUNNING' THEN NULL
                    ELSE to_char(r.started_at
                    + make_interval(secs => r.duration_ms * (j + 1) / (r.k + 1) / 1000.0), {iso})
                    END,
                'durationMs', CASE WHEN j = r.k AND r.status = 'RUNNING' THEN NULL
                    ELSE r.duration_ms / (r.k + 1) END)
            END) ORDER BY j) AS steps_log
        FROM generate_series(0, r.k) AS j,
            LATERAL (SELECT ({operations})[1 + (hashint4(r.i * 16 + j) & 1023) % {len(_OPERATIONS)}]
                     AS op) o
    """
    return f"""
        CREATE TABLE {quote_ident(shape.schema)}.bench_steps AS
        SELECT r.key, r.err, s.steps_log, s.steps_log -> -1 ->> 'operation' AS last_op
        FROM (SELECT b.*, {trigger_output} AS trigger_output FROM ({base}) b OFFSET 0) r
        CROSS JOIN LATERAL ({entries}) s
    """


def _template_key(wf: str, k: str, status: str, variant: str) -> str:
    """SQL for the `bench_steps` key of a row's shape, numbered as `_steps_sql` numbers them."""
    statuses = _sql_text_array(_STATUSES)
    return (
        f"((({wf} - 1) * {_LENGTHS} + ({k} - {_MIN_STEPS})) * {len(_STATUSES)}"
        f" + array_position({statuses}, {status}) - 1) * {VARIANTS} + {variant}"
    )


def generate_sql(shape: TableShape) -> str:
    """`INSERT … SELECT` of rows `$1`…`$2` of `$5` (1-based): `$3` RUNNING, `$4` = now (UTC).

    Rows are numbered in start order over the `$6` days before `$4`, as the platform
    appends them, so the heap is in time order as a real table's is (an index range scan
    over the last day reads the last day's pages, not pages all over the table). The last
    `$3` rows are the RUNNING ones, started in the last half hour. Needs `bench_steps`.
    """
    workflows = list(CATALOG.values())
    names = _sql_text_array([w.name for w in workflows])
    slugs = _sql_text_array([w.key.replace("_", "-") for w in workflows])
    events = _sql_text_array([w.event_name for w in workflows])
    orgs = _org_ids()
    messages = _sql_text_array([m for m, _ in _ERRORS])
    error_names = _sql_text_array([n for _, n in _ERRORS])
    status_type = f"{quote_ident(shape.schema)}.{quote_ident(STATUS_TYPE)}"
    # Per row: which workflow, organisation (squared: a few organisations run most), status,
    # how many steps, which variant of that shape, when, how long.
    base = f"""
        SELECT i,
            1 + floor({_u(1)} * {len(workflows)})::int AS wf,
            ({_sql_text_array(orgs)})[1 + floor(power({_u(2)}, 2) * {len(orgs)})::int] AS org,
            CASE WHEN i > $5::int - $3::int THEN 'RUNNING'
                 WHEN {_u(3)} < 0.86 THEN 'COMPLETED'
                 WHEN {_u(3)} < 0.955 THEN 'FAILED'
                 WHEN {_u(3)} < 0.985 THEN 'TIMED_OUT'
                 ELSE 'CANCELED' END AS status,
            {_MIN_STEPS} + floor({_u(4)} * {_LENGTHS})::int AS k,
            floor({_u(9)} * {VARIANTS})::int AS variant,
            CASE WHEN i > $5::int - $3::int
                 THEN $4::timestamp - make_interval(secs => ($5::int - i) * 3.4 + {_u(5)} * 3)
                 ELSE $4::timestamp - make_interval(
                     secs => $6::float8 * 86400 * ($5::int - $3::int - i + {_u(5)})
                             / ($5::int - $3::int))
                 END AS started_at,
            150 + floor(power({_u(6)}, 3) * 30000)::int AS duration_ms,
            substr(md5('id' || i), 1, 24) AS h_id,
            upper(substr(md5('run' || i), 1, 24)) AS h_run,
            upper(substr(md5('evt' || i), 1, 24)) AS h_evt
        FROM generate_series($1::int, $2::int) AS i
        OFFSET 0
    """
    key = _template_key("r.wf", "r.k", "r.status", "r.variant")
    stack = (
        "E'\\n    at ' || initcap(t.last_op) || 'Action.execute (/app/dist/actions/' "
        "|| t.last_op || E'.js:118:19)\\n    at async executeStep "
        "(/app/dist/inngest/execute-step.js:142:24)\\n    at async "
        "/app/node_modules/inngest/components/execution/v1.js:702:22'"
    )
    return f"""
        INSERT INTO {shape.qualified} (
            id, run_id, workflow_function_id, workflow_name, event_id, event_name,
            input_payload, status, started_at, ended_at, duration_ms, steps_log,
            output_payload, error, error_stack, workflow_id, organisation_id,
            workflow_version_id)
        SELECT
            'c' || r.h_id,
            '01' || r.h_run,
            'workflow-' || ({slugs})[r.wf],
            ({names})[r.wf],
            '01' || r.h_evt,
            ({events})[r.wf],
            t.steps_log -> 0 -> 'output',
            r.status::{status_type},
            r.started_at,
            CASE WHEN r.status <> 'RUNNING'
                 THEN r.started_at + make_interval(secs => r.duration_ms / 1000.0) END,
            CASE WHEN r.status <> 'RUNNING' THEN r.duration_ms END,
            t.steps_log,
            CASE WHEN r.status = 'COMPLETED'
                 THEN jsonb_build_object('success', true, 'steps', r.k) END,
            CASE r.status
                 WHEN 'FAILED' THEN 'Action failed: ' || ({messages})[t.err]
                 WHEN 'TIMED_OUT' THEN 'Step ' || quote_literal(initcap(t.last_op) || ' step '
                                       || r.k) || ' timed out after 30s'
                 WHEN 'CANCELED' THEN 'Run canceled by user'
                 END,
            CASE WHEN r.status = 'FAILED'
                 THEN ({error_names})[t.err] || ': ' || ({messages})[t.err] || {stack} END,
            'wf_' || substr(md5(r.org || r.wf), 1, 7),
            r.org,
            'wfv_' || substr(md5(r.org || r.wf), 1, 7) || '_v' || (1 + r.wf % 5)
        FROM ({base}) r
        JOIN {quote_ident(shape.schema)}.bench_steps t ON t.key = {key}
    """


def big_steps_log(
    iterations: int = BIG_ITERATIONS,
    fail_at: int | None = BIG_FAIL_ITERATION,
    *,
    start: datetime,
) -> list[dict[str, Any]]:
    """A CSV import: trigger, a loop of `iterations` rows of two steps, failing at `fail_at`.

    Every iteration before `fail_at` looks a contact up and emails it; in iteration
    `fail_at` the email step fails (a malformed address) and the run ends there. With the
    defaults that is exactly 100,000 entries, the last one the failure. With `fail_at`
    None every row is imported (the run's last good run).
    """
    epoch_ms = round(start.timestamp() * 1000)

    def iso(offset_ms: int) -> str:
        moment = datetime.fromtimestamp((epoch_ms + offset_ms) / 1000, UTC)
        # Whole seconds, as the spec's examples write them.
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    emails = [f"u{n}@acme.io" for n in range(1, iterations + 1)]
    if fail_at is not None:
        emails[fail_at - 1] = "invalid-email"
    entries: list[dict[str, Any]] = [
        {
            "status": "COMPLETED",
            "stepId": "trigger_csv_uploaded",
            "operation": "trigger",
            "stepName": "CSV Uploaded",
            "output": {
                "file": {"name": "contacts-2026-11.csv", "rows": iterations, "bytes": 4_812_331},
                "uploadedBy": "ops@acme.io",
            },
            "startedAt": iso(0),
            "endedAt": iso(12),
            "durationMs": 12,
        },
        {
            "status": "COMPLETED",
            "stepId": "loop_rows",
            "operation": "builtin:loop",
            "stepName": "Process Each Row",
            "output": {"collection": emails, "totalItems": iterations},
            "startedAt": iso(20),
            "endedAt": iso(25),
            "durationMs": 5,
        },
    ]
    # Iteration entries carry no stepName, as the platform's loop steps often don't; that
    # keeps an entry near the 270 bytes of the production log this run stands for.
    clock = 30
    for number in range(1, (iterations if fail_at is None else fail_at) + 1):
        email = emails[number - 1]
        entries.append(
            {
                "status": "COMPLETED",
                "stepId": "lookup",
                "operation": "hubspot",
                "input": {"email": email},
                "output": {"contactId": f"hs_{1_000_000 + number}"},
                "startedAt": iso(clock),
                "endedAt": iso(clock + 41),
                "durationMs": 41,
                "iteration": number,
                "totalItems": iterations,
            }
        )
        send: dict[str, Any] = {
            "status": "COMPLETED",
            "stepId": "send_email",
            "operation": "email",
            "input": {"to": email},
            "output": {"messageId": f"msg_{number:06d}"},
            "startedAt": iso(clock + 45),
            "endedAt": iso(clock + 97),
            "durationMs": 52,
            "iteration": number,
            "totalItems": iterations,
        }
        if number == fail_at:
            del send["output"]
            send["status"] = "FAILED"
            send["error"] = {"message": "Invalid email address format", "name": "ValidationError"}
        entries.append(send)
        clock += 100
    return entries


def poll_steps_log(attempts: int = POLL_ATTEMPTS, *, start: datetime) -> list[dict[str, Any]]:
    """A wait on an export: trigger, then one polling step run `attempts` times, no loop.

    The platform logs every attempt of a polling step under one stepId and no `iteration`.
    All but the last say "pending"; the last gives up (FAILED). With the defaults that is
    200,001 entries and about 40 MB of JSON that compresses about 40 times.
    """
    epoch_ms = round(start.timestamp() * 1000)

    def iso(offset_ms: int) -> str:
        moment = datetime.fromtimestamp((epoch_ms + offset_ms) / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    entries: list[dict[str, Any]] = [
        {
            "status": "COMPLETED",
            "stepId": "trigger_export_requested",
            "operation": "trigger",
            "stepName": "Export Requested",
            "output": {"exportId": "exp_4812", "format": "csv"},
            "startedAt": iso(0),
            "endedAt": iso(5),
            "durationMs": 5,
        }
    ]
    for number in range(1, attempts + 1):
        clock = 10 + 1000 * number
        entries.append(
            {
                "status": "COMPLETED",
                "stepId": "poll_status",
                "operation": "http",
                "stepName": "poll status",
                "output": {"state": "pending"},
                "startedAt": iso(clock),
                "endedAt": iso(clock + 38),
                "durationMs": 38,
            }
        )
    last = entries[-1]
    del last["output"]
    last["status"] = "FAILED"
    last["error"] = {"message": "Export still pending after 200000 polls", "name": "TimeoutError"}
    return entries


async def _one(conn: asyncpg.Connection, sql: str, *args: Any) -> Any:
    return await conn.fetchval(sql, *args)


async def _create(conn: asyncpg.Connection, shape: TableShape) -> None:
    """The table as Prisma makes it, without indexes (added after the load, much faster)."""
    q = quote_ident
    await conn.execute(f"DROP SCHEMA IF EXISTS {q(shape.schema)} CASCADE")
    await conn.execute(create_table_sql(shape))
    await conn.execute(
        f"ALTER TABLE {shape.qualified} DROP CONSTRAINT {q(shape.table + '_pkey')};"
        f"DROP INDEX {q(shape.schema)}.{q(shape.table + '_run_id_key')};"
        # The bulk rows are written once and only read: no WAL needed for a throwaway table.
        f"ALTER TABLE {shape.qualified} SET UNLOGGED"
    )


async def _key_indexes(conn: asyncpg.Connection, shape: TableShape) -> None:
    """The primary key and the unique `run_id`, named as `create_table_sql` names them."""
    q = quote_ident
    await conn.execute(
        f"ALTER TABLE {shape.qualified} ADD CONSTRAINT {q(shape.table + '_pkey')} "
        f"PRIMARY KEY ({q('id')})"
    )
    await conn.execute(
        f"CREATE UNIQUE INDEX {q(shape.table + '_run_id_key')} ON {shape.qualified} ({q('run_id')})"
    )


async def set_recommended_indexes(dsn: str, shape: TableShape, present: bool) -> float:
    """Create (or drop) the recommended indexes; returns the seconds it took."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET maintenance_work_mem = '256MB'")
        if present:
            for statement in recommended_index_sql(shape, concurrently=False):
                await conn.execute(statement)
        else:
            for statement in recommended_index_sql(shape, concurrently=False):
                name = statement.split("IF NOT EXISTS ", 1)[1].split(" ON ", 1)[0]
                await conn.execute(f"DROP INDEX IF EXISTS {quote_ident(shape.schema)}.{name}")
        await conn.execute(f"ANALYZE {shape.qualified}")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def _load(
    dsn: str,
    shape: TableShape,
    rows: int,
    running: int,
    now: datetime,
    workers: int,
    days: float,
) -> None:
    """Fill the table in chunks, `workers` connections at a time."""
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute(_steps_sql(shape), now)
        steps = f"{quote_ident(shape.schema)}.bench_steps"
        await setup.execute(f"ALTER TABLE {steps} ADD PRIMARY KEY (key); ANALYZE {steps}")
    finally:
        await setup.close()
    sql = generate_sql(shape)
    chunks = [(lo, min(rows, lo + CHUNK_ROWS - 1)) for lo in range(1, rows + 1, CHUNK_ROWS)]
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def worker() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("SET synchronous_commit = off")
            while not queue.empty():
                lo, hi = queue.get_nowait()
                await conn.execute(sql, lo, hi, running, now, rows, days)
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(max(1, workers))))


async def _insert_big_run(conn: asyncpg.Connection, shape: TableShape, now: datetime) -> int:
    """The 100,000-entry run, and before it its last good run (the diff figures' baseline)."""
    start = now - timedelta(hours=2)
    entries = big_steps_log(start=start.replace(tzinfo=UTC))
    end = start + timedelta(milliseconds=30 + 100 * BIG_FAIL_ITERATION)
    good_start = start - timedelta(hours=1)
    good = big_steps_log(fail_at=None, start=good_start.replace(tzinfo=UTC))
    good_end = good_start + timedelta(milliseconds=30 + 100 * BIG_ITERATIONS)
    csv_import = ("workflow-csv-import", "CSV Import", "import/csv.uploaded")
    await _insert_run(
        conn,
        shape,
        (BIG_BASELINE_ROW_ID, BIG_BASELINE_RUN_ID, *csv_import),
        good,
        (good_start, good_end),
        (None, "wf_bigloop", "org_acme"),
        version="wf_bigloop_v0",
    )
    return await _insert_run(
        conn,
        shape,
        (BIG_ROW_ID, BIG_RUN_ID, *csv_import),
        entries,
        (start, end),
        ("Action failed: Invalid email address format", "wf_bigloop", "org_acme"),
    )


async def _insert_poll_run(conn: asyncpg.Connection, shape: TableShape, now: datetime) -> int:
    start = now - timedelta(hours=3)
    entries = poll_steps_log(start=start.replace(tzinfo=UTC))
    end = start + timedelta(milliseconds=48 + 1000 * POLL_ATTEMPTS)
    return await _insert_run(
        conn,
        shape,
        (POLL_ROW_ID, POLL_RUN_ID, "workflow-export-wait", "Export Wait", "export/requested"),
        entries,
        (start, end),
        ("Export still pending after 200000 polls", "wf_export", "org_acme"),
    )


async def _insert_run(
    conn: asyncpg.Connection,
    shape: TableShape,
    names: tuple[str, str, str, str, str],
    entries: list[dict[str, Any]],
    span: tuple[datetime, datetime],
    failure: tuple[str | None, str, str],
    *,
    version: str | None = None,
) -> int:
    """Insert one run with `steps_log` `entries`; its JSON size in bytes.

    `names`: row id, run id, function id, workflow name, event name; `failure`: the run's
    error (None: it COMPLETED, else it FAILED), workflow id and organisation.
    """
    row_id, run_id, function_id, workflow, event = names
    error, workflow_id, organisation = failure
    start, end = span
    text = orjson.dumps(entries).decode()
    status_type = f"{quote_ident(shape.schema)}.{quote_ident(STATUS_TYPE)}"
    await conn.execute(
        f"""INSERT INTO {shape.qualified} (id, run_id, workflow_function_id, workflow_name,
            event_id, event_name, input_payload, status, started_at, ended_at, duration_ms,
            steps_log, output_payload, error, error_stack, workflow_id, organisation_id,
            workflow_version_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $16::text::{status_type},
            $8, $9, $10, $11::text::jsonb, NULL, $12, $12, $13, $14, $15)""",
        row_id,
        run_id,
        function_id,
        workflow,
        f"{run_id}EVENT",
        event,
        orjson.dumps(entries[0]["output"]).decode(),
        start,
        end,
        round((end - start).total_seconds() * 1000),
        text,
        error,
        workflow_id,
        organisation,
        version or f"{workflow_id}_v1",
        "COMPLETED" if error is None else "FAILED",
    )
    return len(text.encode())


async def _meta(conn: asyncpg.Connection, shape: TableShape) -> dict[str, Any] | None:
    exists = await conn.fetchval(
        "SELECT to_regclass($1) IS NOT NULL", f"{quote_ident(shape.schema)}.bench_meta"
    )
    if not exists:
        return None
    value = await conn.fetchval(
        f"SELECT value::text FROM {quote_ident(shape.schema)}.bench_meta WHERE key = 'dataset'"
    )
    return orjson.loads(value) if value else None


async def build(dsn: str, rows: int, *, reuse: bool, workers: int = 2) -> Dataset:
    """Build both tables (or find them kept and fresh), with the recommended indexes on."""
    conn = await asyncpg.connect(dsn)
    timings: dict[str, float] = {}
    try:
        meta = await _meta(conn, MAIN_SHAPE) if reuse else None
        server_now = await conn.fetchval("SELECT now() AT TIME ZONE 'UTC'")
        # The small table has the main table's last SMALL_DAYS at the same density: the
        # list's window holds the same number of runs, only the table is smaller.
        small_rows = max(1_000, round(rows * SMALL_DAYS / DAYS))
        if (
            meta is not None
            and meta.get("version") == GENERATOR_VERSION
            and meta.get("rows") == rows
            and server_now - datetime.fromisoformat(meta["built_at"]) < MAX_DATA_AGE
        ):
            timings["recommended_indexes"] = await set_recommended_indexes(dsn, MAIN_SHAPE, True)
            return _dataset(meta, reused=True, timings=timings, table_bytes=await _size(conn))
        now = server_now
        for shape, count, days in ((MAIN_SHAPE, rows, DAYS), (SMALL_SHAPE, small_rows, SMALL_DAYS)):
            started = time.perf_counter()
            await _create(conn, shape)
            await _load(dsn, shape, count, RUNNING_RUNS, now, workers, days)
            key = "load" if shape is MAIN_SHAPE else "small_table"
            timings[key] = time.perf_counter() - started
            if shape is MAIN_SHAPE:
                started = time.perf_counter()
                json_bytes = await _insert_big_run(conn, shape, now)
                timings["big_run"] = time.perf_counter() - started
                started = time.perf_counter()
                poll_json_bytes = await _insert_poll_run(conn, shape, now)
                timings["poll_run"] = time.perf_counter() - started
            started = time.perf_counter()
            await conn.execute("SET maintenance_work_mem = '256MB'")
            await _key_indexes(conn, shape)
            if shape is MAIN_SHAPE:
                timings["key_indexes"] = time.perf_counter() - started
                started = time.perf_counter()
                await conn.execute(f"VACUUM (ANALYZE) {shape.qualified}")
                timings["vacuum_analyze"] = time.perf_counter() - started
                timings["recommended_indexes"] = await set_recommended_indexes(dsn, shape, True)
            else:
                await conn.execute(f"VACUUM (ANALYZE) {shape.qualified}")
                await set_recommended_indexes(dsn, shape, True)
        meta = {
            "version": GENERATOR_VERSION,
            "rows": rows,
            "small_rows": small_rows,
            "small_days": SMALL_DAYS,
            "running": RUNNING_RUNS,
            "built_at": now.isoformat(),
            "big_json_bytes": json_bytes,
            "poll_json_bytes": poll_json_bytes,
            "build_seconds": timings,
        }
        schema = quote_ident(MAIN_SHAPE.schema)
        # Unlogged like the tables it describes: a server that stopped uncleanly empties
        # them, and then it too, so the next run rebuilds instead of measuring empty tables.
        await conn.execute(
            f"CREATE UNLOGGED TABLE {schema}.bench_meta (key text PRIMARY KEY, value jsonb)"
        )
        await conn.execute(
            f"INSERT INTO {schema}.bench_meta VALUES ('dataset', $1::text::jsonb)",
            orjson.dumps(meta).decode(),
        )
        return _dataset(meta, reused=False, timings=timings, table_bytes=await _size(conn))
    finally:
        await conn.close()


async def _size(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT pg_total_relation_size($1)", MAIN_SHAPE.qualified)


def _dataset(
    meta: dict[str, Any], *, reused: bool, timings: dict[str, float], table_bytes: int
) -> Dataset:
    # Kept data reports how long it once took to build, and what this run spent on it.
    seconds = {**meta["build_seconds"], **timings} if reused else timings
    return Dataset(
        table=f"{MAIN_SHAPE.schema}.{MAIN_SHAPE.table}",
        small_table=f"{SMALL_SHAPE.schema}.{SMALL_SHAPE.table}",
        rows=meta["rows"],
        small_rows=meta["small_rows"],
        running=meta["running"],
        big_run_id=BIG_RUN_ID,
        big_baseline_run_id=BIG_BASELINE_RUN_ID,
        big_entries=2 + 2 * BIG_FAIL_ITERATION,
        big_fail_index=2 * BIG_FAIL_ITERATION + 1,
        big_json_bytes=meta["big_json_bytes"],
        poll_run_id=POLL_RUN_ID,
        poll_entries=1 + POLL_ATTEMPTS,
        poll_fail_index=POLL_ATTEMPTS,
        poll_json_bytes=meta["poll_json_bytes"],
        built_at=datetime.fromisoformat(meta["built_at"]),
        reused=reused,
        build_seconds={k: round(v, 2) for k, v in seconds.items()},
        table_bytes=table_bytes,
    )


@dataclass(frozen=True)
class Partitioned:
    """The main table copied into a table partitioned by day on started_at."""

    table: str
    partitions: int
    build_seconds: float


async def build_partitioned(dsn: str, data: Dataset) -> Partitioned:
    """The main table's rows (the big run included) in one partition per day they span,
    plus `PARTITIONS_AHEAD` days ahead, with the same keys and recommended indexes.

    Rebuilt every run: it is a copy, and costs a fraction of generating the rows.
    """
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        oldest, newest = await conn.fetchrow(
            f"SELECT min(started_at)::date, max(started_at)::date FROM {MAIN_SHAPE.qualified}"
        )
        days = (newest - oldest).days + 1 + PARTITIONS_AHEAD
        shape = replace(
            MAIN_SHAPE,
            schema=PARTITIONED_SCHEMA,
            partition_by="day",
            first_partition=oldest,
            partitions=days,
        )
        q = quote_ident
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(shape.schema)} CASCADE")
        await conn.execute(create_table_sql(shape))
        # Keys and indexes after the load (faster), the partitions unlogged like the source.
        await conn.execute(
            f"ALTER TABLE {shape.qualified} DROP CONSTRAINT {q(shape.table + '_pkey')};"
            f"DROP INDEX {q(shape.schema)}.{q(shape.table + '_run_id_idx')}"
        )
        for statement in partition_sql(shape):
            name = statement.split("IF NOT EXISTS ", 1)[1].split(" PARTITION OF ", 1)[0]
            await conn.execute(f"ALTER TABLE {name} SET UNLOGGED")
        await conn.execute("SET synchronous_commit = off")
        # Each schema has its own status enum: the copy goes through text.
        status_type = f"{q(shape.schema)}.{q(STATUS_TYPE)}"
        columns = [
            r["attname"]
            for r in await conn.fetch(
                "SELECT attname::text FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                MAIN_SHAPE.qualified,
            )
        ]
        select = ", ".join(
            f"{q(c)}::text::{status_type}" if c == "status" else q(c) for c in columns
        )
        await conn.execute(
            f"INSERT INTO {shape.qualified} ({', '.join(q(c) for c in columns)}) "
            f"SELECT {select} FROM {MAIN_SHAPE.qualified} ORDER BY started_at"
        )
        await conn.execute("SET maintenance_work_mem = '256MB'")
        await conn.execute(
            f"ALTER TABLE {shape.qualified} ADD CONSTRAINT {q(shape.table + '_pkey')} "
            f"PRIMARY KEY ({q('id')}, {q('started_at')})"
        )
        await conn.execute(
            f"CREATE INDEX {q(shape.table + '_run_id_idx')} ON {shape.qualified} ({q('run_id')})"
        )
        for statement in recommended_index_sql(shape, concurrently=False):
            await conn.execute(statement)
        await conn.execute(f"VACUUM (ANALYZE) {shape.qualified}")
    finally:
        await conn.close()
    return Partitioned(
        table=f"{shape.schema}.{shape.table}",
        partitions=days,
        build_seconds=round(time.perf_counter() - started, 2),
    )
