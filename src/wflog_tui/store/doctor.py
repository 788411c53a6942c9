"""`wflog-tui doctor`: what the tool finds on this database, and what would make it cheaper.

It reports the connection, the server, the session's read-only setting, the role's
privileges, the table, its types, its size, the recommended indexes (with the exact
`CREATE INDEX CONCURRENTLY` statements for the missing ones), the measured cost of the
queries the TUI runs, and whether push refresh is installed (with the trigger SQL).

It never changes the database: one connection, opened with the store's read-only,
time-limited session settings; plain `EXPLAIN` (no ANALYZE) for plans; the store's own
SELECTs, timed, a few times at most; the row count from `pg_class`, never `count(*)`.

`diagnose` never raises for anything a user can cause: an unreachable server or a missing
table is a failed check in the report, whose `exit_code` is then 2 (as the TUI would exit).
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg
import orjson

from wflog_tui.model import status as st
from wflog_tui.model.display_text import escape_control
from wflog_tui.model.refresh_pacing import DEFAULT_REFRESH_S, LOCK_WAIT_HINT, RefreshPacer
from wflog_tui.store.codecs import install_codecs
from wflog_tui.store.connection import APPLICATION_NAME, StoreSettings, read_waits_on_a_lock
from wflog_tui.store.dsn import (
    WAYS_TO_A_DATABASE,
    describe_target,
    mask_secrets,
    nothing_configured,
)
from wflog_tui.store.error_translation import translate
from wflog_tui.store.errors import ConfigurationError, QueryTimeout, StoreError
from wflog_tui.store.failure_loading import window_at
from wflog_tui.store.failure_queries import FAILURE_PAGE, FailureQueries
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.indexes import (
    create_index_sql,
    finder,
    index_statements,
    indexes_missing_hint,
    missing_index_statements,
    partitioned_index_statements,
    recommended,
    workflow_index,
    workflow_suggestion,
)
from wflog_tui.store.notify import (
    NOTIFY_CHANNEL_DEFAULT,
    notify_triggers,
    quote_literal,
    trigger_sql,
)
from wflog_tui.store.partitions import (
    PARTITION_HORIZON,
    Partitioning,
    partition_table_info,
    read_partitioning,
)
from wflog_tui.store.queries import PageCursor, Queries, summary_from_row
from wflog_tui.store.schema import (
    DEFAULT_TABLE,
    JSON_COLUMNS,
    SPEC_COLUMNS,
    IndexInfo,
    TableInfo,
    introspect,
    parse_table_name,
    quote_ident,
    similar_tables,
)
from wflog_tui.store.search_indexes import search_index_advice

MIN_SERVER_VERSION: Final = 120000
DEFAULT_SAMPLES: Final = 3
# The list's first page, as the run list asks for it.
LIST_PAGE: Final = 100
# A query slower than this is timed once, not `samples` times: doctor is run on
# databases in trouble, and one slow sample already says what there is to say.
REPEAT_BELOW_MS: Final = 500.0
# Below this many rows a sequential scan costs nothing worth reporting.
SMALL_TABLE_ROWS: Final = 10_000
SMALL_TABLE_BYTES: Final = 8 * 1024 * 1024
_CLIENT_SLACK_S: Final = 5.0

# Words for `Check.ok`; plain words, so the report reads the same without colour.
OK, WARN, FAIL, INFO = "ok", "warn", "FAIL", "info"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report.

    `ok` is True (fine), False (something to fix) or None (information, or not
    applicable). `fix` is what to do, possibly several lines of SQL. `blocking` marks a
    failure that keeps the TUI from starting at all.
    """

    name: str
    ok: bool | None
    detail: str
    fix: str | None = None
    blocking: bool = False

    @property
    def status(self) -> str:
        """`ok`, `warn`, `FAIL` (blocking) or `info`."""
        if self.ok is None:
            return INFO
        if self.ok:
            return OK
        return FAIL if self.blocking else WARN

    def to_json(self) -> dict[str, Any]:
        """The check as plain JSON values."""
        return {
            "name": self.name,
            "status": self.status,
            "ok": self.ok,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass
class DoctorReport:
    """Everything `diagnose` found. No field holds a password."""

    target: str
    table: str
    checks: list[Check] = field(default_factory=list)
    index_statements: list[str] = field(default_factory=list)
    trigger_sql: str | None = None
    # A partitioned table's partitions, one line each: name and bound.
    partitions: list[str] = field(default_factory=list)

    @property
    def fatal(self) -> str | None:
        """The first blocking failure's message (one line, for stderr); None if none."""
        return next((c.detail for c in self.checks if c.blocking and c.ok is False), None)

    @property
    def exit_code(self) -> int:
        """2 when the TUI could not start here (unreachable, no table...), else 0."""
        return 2 if self.fatal is not None else 0

    @property
    def problems(self) -> list[Check]:
        """The checks that found something to fix."""
        return [c for c in self.checks if c.ok is False]

    def check(self, name: str) -> Check | None:
        """The check called `name`, if it ran."""
        return next((c for c in self.checks if c.name == name), None)

    def render_text(self) -> str:
        """The report as plain text: one line per check, fixes indented below."""
        # Names and messages come from the database: escape control characters, so a
        # table name cannot drive the terminal it is printed on.
        width = max((len(c.name) for c in self.checks), default=0)
        lines = [escape_control(f"wflog-tui doctor: {self.table} at {self.target}"), ""]
        for check in self.checks:
            lines.append(
                f"{check.status:<4}  {check.name:<{width}}  {escape_control(check.detail)}"
            )
            if check.fix and check not in self._fixes_below():
                pad = " " * (6 + width + 2)
                for i, fix_line in enumerate(check.fix.splitlines()):
                    fix_line = escape_control(fix_line)
                    lines.append(f"{pad}{'fix: ' if i == 0 else '     '}{fix_line}")
        lines.append("")
        problems = len(self.problems)
        lines.append(
            "no problems found." if not problems else f"{problems} to fix (marked warn or FAIL)."
        )
        if self.partitions:
            lines += ["", f"Partitions ({len(self.partitions)}):", ""]
            lines += [escape_control(line) for line in self.partitions]
        if self.index_statements:
            lines += [
                "",
                "Missing indexes. Run these as the table's owner, one at a time, outside a",
                "transaction: CONCURRENTLY does not block the platform's writes, but takes a",
                "while on a big table.",
            ]
            if self.partitions:
                lines += [
                    "A partitioned table: each partition's index first, then the table's",
                    "own ON ONLY (instant), then each partition's index attached to it.",
                ]
            lines.append("")
            lines += [escape_control(f"{statement};") for statement in self.index_statements]
        push = self.check(_PUSH)
        if push is not None and push.fix:
            lines += ["", "Push refresh: the trigger a DBA can install.", ""]
            lines.append(escape_control(push.fix.rstrip("\n"), keep_newlines=True))
        lines += ["", "doctor only reads: it changed nothing in the database."]
        return "\n".join(lines) + "\n"

    def _fixes_below(self) -> list[Check]:
        """Checks whose fix is printed in a block of its own at the end."""
        return [c for c in self.checks if c.name.startswith("index:") or c.name == _PUSH]

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON values, for `doctor --json` and scripts."""
        return {
            "target": self.target,
            "table": self.table,
            "exit_code": self.exit_code,
            "fatal": self.fatal,
            "checks": [c.to_json() for c in self.checks],
            "index_statements": list(self.index_statements),
            "trigger_sql": self.trigger_sql,
            "partitions": list(self.partitions),
        }


_PUSH = "push refresh"


# The table's privileges and size, from the catalogue alone: `reltuples` is what ANALYZE
# last saw (never a count(*), which would read the whole table), and the size is counted
# in pages (pg_total_relation_size would lock the table, and wait behind a migration).
# A partitioned table's rows are in its partitions; an inheritance parent's query reads
# its children too. A relation never analysed has reltuples -1 (PostgreSQL 14+) or 0
# with no pages: unknown.
_TABLE_FACTS: Final = """
WITH RECURSIVE target AS (
    SELECT oid, relkind FROM pg_catalog.pg_class WHERE oid = to_regclass($1)
), tree AS (
    SELECT oid FROM target
    UNION
    SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN tree ON i.inhparent = tree.oid
), parts AS (
    SELECT c.oid, c.reltuples, c.relpages, c.reltoastrelid
    FROM tree JOIN pg_catalog.pg_class c USING (oid) WHERE c.relkind NOT IN ('p', 'v')
)
SELECT t.relkind::text AS relkind,
       has_table_privilege(t.oid, 'INSERT') AS can_insert,
       has_table_privilege(t.oid, 'UPDATE') AS can_update,
       has_table_privilege(t.oid, 'DELETE') AS can_delete,
       has_table_privilege(t.oid, 'TRUNCATE') AS can_truncate,
       (SELECT sum(reltuples) FROM parts
        WHERE reltuples > 0 OR (reltuples = 0 AND relpages > 0)) AS estimate,
       current_setting('block_size')::bigint * (
           (SELECT COALESCE(sum(relpages), 0) FROM parts)
           + (SELECT COALESCE(sum(c.relpages), 0) FROM parts
              JOIN pg_catalog.pg_class c ON c.oid = parts.reltoastrelid)
           + (SELECT COALESCE(sum(c.relpages), 0) FROM parts
              JOIN pg_catalog.pg_index x ON x.indrelid = parts.oid
              JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid)
       ) AS bytes
FROM target t
"""


# ---- the session ------------------------------------------------------------------------


class _Session:
    """One read-only connection; behind PgBouncer, each statement in its own transaction."""

    def __init__(self, conn: asyncpg.Connection, settings: StoreSettings) -> None:
        self.conn = conn
        self.settings = settings
        self.timeout = settings.statement_timeout_s + _CLIENT_SLACK_S

    @contextlib.asynccontextmanager
    async def scope(self) -> AsyncIterator[asyncpg.Connection]:
        """The connection, read-only and time-limited for the block."""
        if not self.settings.pgbouncer:
            yield self.conn
            return
        async with self.conn.transaction(readonly=True):
            await self.conn.execute(
                "SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true)",
                str(self.settings.statement_timeout_ms),
            )
            yield self.conn

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """Rows of one statement."""
        async with self.scope() as conn:
            return await conn.fetch(sql, *args, timeout=self.timeout)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        """The first row of one statement."""
        async with self.scope() as conn:
            return await conn.fetchrow(sql, *args, timeout=self.timeout)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first value of one statement."""
        async with self.scope() as conn:
            return await conn.fetchval(sql, *args, timeout=self.timeout)


async def _connect(settings: StoreSettings) -> asyncpg.Connection:
    server_settings = settings.session_settings()
    if settings.pgbouncer:
        server_settings = {"application_name": APPLICATION_NAME}
    conn = await asyncpg.connect(
        dsn=settings.dsn,
        server_settings=server_settings,
        timeout=settings.connect_timeout_s,
        command_timeout=settings.statement_timeout_s + _CLIENT_SLACK_S,
        statement_cache_size=0 if settings.pgbouncer else 100,
    )
    # The cost checks read real rows: an infinite or year-12000 timestamp must decode.
    await install_codecs(conn)
    return conn


# ---- diagnose ---------------------------------------------------------------------------


async def diagnose(
    settings: StoreSettings,
    *,
    run_filter: RunFilter | None = None,
    refresh_s: float = DEFAULT_REFRESH_S,
    channel: str = NOTIFY_CHANNEL_DEFAULT,
    samples: int = DEFAULT_SAMPLES,
) -> DoctorReport:
    """Examine the database and table `settings` name; never changes anything.

    `run_filter` and `refresh_s` are what the TUI would run with (its flags), so the
    measured cost is that of the user's own view; `channel` is the push channel looked
    for. Never raises a `StoreError`: failures are checks in the report.
    """
    doctor = _Doctor(settings, samples=max(1, int(samples)))
    try:
        conn = await _connect(settings)
    except Exception as exc:
        error = translate(exc, settings.dsn, connecting=True, at_start=True)
        fix = "check --dsn, WFLOG_DSN, DATABASE_URL or the PG* variables"
        if nothing_configured(settings.dsn):
            fix = WAYS_TO_A_DATABASE
        doctor.add("connection", False, error.message, fix, blocking=True)
        return doctor.report
    try:
        await doctor.run(_Session(conn, settings), run_filter or RunFilter(), refresh_s, channel)
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=settings.connect_timeout_s)
    return doctor.report


class _Doctor:
    """Builds the report check by check; every text passes through `mask_secrets`."""

    def __init__(self, settings: StoreSettings, *, samples: int) -> None:
        self.settings = settings
        self.samples = samples
        # Whether the table is big enough for a sequential scan of it to be a finding;
        # set from the row estimate (or, before the first ANALYZE, the size on disk).
        self._big = True
        # The relations a sequential scan of which is a finding: the table, or each of
        # its partitions (a missing index there reads whole days of runs).
        self._relations: set[str] = set()
        self.report = DoctorReport(target=describe_target(settings.dsn), table=settings.table)

    def add(
        self,
        name: str,
        ok: bool | None,
        detail: str,
        fix: str | None = None,
        *,
        blocking: bool = False,
    ) -> None:
        """Append a check, password-free."""
        dsn = self.settings.dsn
        self.report.checks.append(
            Check(
                name=name,
                ok=ok,
                detail=mask_secrets(detail, dsn),
                fix=None if fix is None else mask_secrets(fix, dsn),
                blocking=blocking,
            )
        )

    async def run(
        self, session: _Session, run_filter: RunFilter, refresh_s: float, channel: str
    ) -> None:
        """Every check, in the order a person would ask."""
        try:
            standby = await self._server(session)
            info = await self._table(session)
            if info is None:
                return
            self._shape(info)
            relkind = await self._privileges_and_size(session, info)
            partitioning = None
            if info.partitioned:
                async with session.scope() as conn:
                    partitioning = await read_partitioning(conn, info)
                self._partitions(info, partitioning)
            self._indexes(info, relkind, partitioning)
            if relkind != "v":
                partitions = partitioning.partitions if partitioning is not None else ()
                for advice in search_index_advice(info, run_filter.query, partitions):
                    self.add(advice.name, advice.ok, advice.detail, advice.fix)
            await self._costs(session, info, run_filter, refresh_s)
            await self._push(session, info, channel, standby)
        except Exception as exc:
            # A connection that died midway: report what was learnt, and why it stopped.
            error = translate(exc, self.settings.dsn)
            self.add("doctor", False, f"stopped early: {error.message}", blocking=True)

    async def _server(self, session: _Session) -> bool:
        row = await session.fetchrow(
            "SELECT current_user::text AS role, current_database()::text AS db, "
            "current_setting('server_version') AS version, "
            "current_setting('server_version_num')::int AS version_num, "
            "pg_is_in_recovery() AS standby, "
            "(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS super"
        )
        self.add(
            "connection",
            True,
            f"connected to {self.report.target} as {row['role']}, database {row['db']}",
        )
        version = f"PostgreSQL {row['version']}"
        if row["version_num"] < MIN_SERVER_VERSION:
            self.add("server version", False, f"{version}: older than 12, which is not supported")
        else:
            self.add("server version", True, version)
        await self._read_only(session)
        if row["standby"]:
            self.add("standby", True, "a standby (read replica): the best place for a viewer")
        else:
            self.add(
                "standby",
                None,
                "the primary: a read replica would keep this tool's reads off it",
            )
        if row["super"]:
            self.add(
                "role",
                False,
                f"{row['role']} is a superuser",
                "connect as a role that may only read the table (see privileges)",
            )
        return bool(row["standby"])

    async def _read_only(self, session: _Session) -> None:
        setting = (
            "transaction_read_only" if self.settings.pgbouncer else "default_transaction_read_only"
        )
        async with session.scope() as conn:
            read_only = await conn.fetchval(f"SHOW {setting}")
            timeout = await conn.fetchval("SHOW statement_timeout")
        how = "each transaction" if self.settings.pgbouncer else "the session"
        self.add(
            "read-only",
            read_only == "on",
            f"{how} is read-only ({setting}={read_only}), statement_timeout {timeout}",
        )

    async def _table(self, session: _Session) -> TableInfo | None:
        try:
            async with session.scope() as conn:
                info = await introspect(conn, self.settings.table, self.settings.default_schema)
        except Exception as exc:
            error = translate(exc, self.settings.dsn)
            if isinstance(error, QueryTimeout):
                # Reading an index definition waits for a lock a migration may hold.
                self.add(
                    "table",
                    False,
                    "reading the table's definition took longer than statement_timeout: "
                    "is something (a migration?) holding a lock on it?",
                    "see who holds it: SELECT pid, mode, granted, query FROM pg_locks "
                    "JOIN pg_stat_activity USING (pid) WHERE relation = "
                    f"to_regclass({quote_literal(self.settings.table)})",
                    blocking=True,
                )
                return None
            self.add("table", False, error.message, await self._table_fix(session), blocking=True)
            return None
        self.report.table = info.display_name
        self.add(
            "table", True, f"{info.display_name}, a {info.kind} of {len(info.columns)} columns"
        )
        return info

    async def _table_fix(self, session: _Session) -> str:
        try:
            schema, name, _ = parse_table_name(self.settings.table.strip() or DEFAULT_TABLE)
        except ConfigurationError:
            return "pass --table [SCHEMA.]TABLE"
        async with session.scope() as conn:
            similar = await similar_tables(conn, name, schema or self.settings.default_schema)
        if not similar:
            return "pass --table [SCHEMA.]TABLE"
        return f"pass --table [SCHEMA.]TABLE; tables with a similar name: {', '.join(similar)}"

    def _shape(self, info: TableInfo) -> None:
        missing = info.missing_optional
        extra = info.extra_columns
        detail = f"all {len(SPEC_COLUMNS)} columns of the spec"
        if missing:
            detail = f"missing {', '.join(missing)} (shown as empty)"
        if extra:
            detail += f"; also {', '.join(extra)} (shown as text in a run's detail)"
        self.add("columns", not missing, detail)

        labels = info.status_labels
        if labels is None:
            self.add("status type", True, f"{info.status_type} (any value is shown)")
        else:
            absent = [s for s in st.KNOWN if s not in labels]
            detail = f"enum {info.status_type}: {', '.join(labels)}"
            if absent:
                detail += f" (no {', '.join(absent)}: those filters match nothing)"
            self.add("status type", True, detail)

        kinds = []
        slow = []
        for column in JSON_COLUMNS:
            if not info.has(column):
                continue
            kind = info.json_type(column) or info.sql_type(column)
            kinds.append(f"{column} {kind}")
            if kind != "jsonb":
                slow.append(column)
        detail = ", ".join(kinds) or "none present"
        if slow:
            detail += "; jsonb is read faster (json and text are parsed on every read)"
        self.add("JSON types", None if slow else True, detail)

        stamps = []
        for column in ("started_at", "ended_at"):
            if info.has(column):
                zone = "with time zone" if info.has_time_zone(column) else "read as UTC"
                stamps.append(f"{column} {info.sql_type(column)} ({zone})")
        self.add("timestamps", True, ", ".join(stamps))

    async def _privileges_and_size(self, session: _Session, info: TableInfo) -> str:
        row = await session.fetchrow(_TABLE_FACTS, info.qualified)
        writes = [w for w in ("insert", "update", "delete", "truncate") if row[f"can_{w}"]]
        if writes:
            role = quote_ident("wflog_reader")
            fix = (
                f"CREATE ROLE {role} LOGIN;  -- then set its password: \\password wflog_reader\n"
                f"GRANT USAGE ON SCHEMA {quote_ident(info.schema)} TO {role};\n"
                f"GRANT SELECT ON {info.qualified} TO {role};"
            )
            self.add(
                "privileges",
                False,
                f"SELECT, and also {', '.join(w.upper() for w in writes)}: "
                "a viewer's role should only read",
                fix,
            )
        else:
            self.add("privileges", True, "SELECT only")

        if row["relkind"] in ("v",):
            self.add("row estimate", None, "a view: no estimate")
        elif row["estimate"] is None:
            self.add("row estimate", None, "unknown: the table has not been analysed yet")
        else:
            size = _bytes(row["bytes"])
            self.add(
                "row estimate",
                None,
                f"about {int(row['estimate']):,} rows, {size} with indexes (pg_class, as of the "
                "last ANALYZE)",
            )
        estimate, on_disk = row["estimate"], row["bytes"] or 0
        self._big = (
            estimate >= SMALL_TABLE_ROWS if estimate is not None else on_disk >= SMALL_TABLE_BYTES
        )
        return str(row["relkind"])

    def _partitions(self, info: TableInfo, partitioning: Partitioning) -> None:
        parts = partitioning.partitions
        self.report.partitions = [f"{p.name}  {p.bound}" for p in parts]
        self._relations.update(p.name for p in parts)
        detail = f"{len(parts)} partitions, by {partitioning.key or 'an unknown key'}"
        if not partitioning.by_started_at:
            self.add(
                "partitions",
                False,
                f"{detail}: not by a range of started_at, so the time window cannot skip "
                "any partition; every query reads them all",
            )
            return
        self.add("partitions", bool(parts), detail + ("" if parts else ": none"))

        gap = partitioning.uncovered_from()
        ahead = f"the next {PARTITION_HORIZON.days} days"
        if gap is None:
            self.add("partitions ahead", True, f"partitions exist for {ahead}")
        else:
            when = gap.strftime("%Y-%m-%d %H:%M UTC")
            default = partitioning.default
            if default is not None:
                detail = (
                    f"no partition for runs started from {when} on: they will go to the "
                    f"default partition {default.name}, and a partition for that time "
                    "cannot be made later while they are there"
                )
            else:
                detail = (
                    f"no partition for runs started from {when} on: the platform's "
                    "inserts will fail from then"
                )
            self.add(
                "partitions ahead",
                False,
                detail,
                f"create the partitions for {ahead} (or fix the job that makes them)",
            )

        lacking: list[str] = []
        unindexable = [p.name for p in parts if not p.indexable]
        for wanted in recommended(info):
            without = [
                p.name
                for p in parts
                if p.indexable and finder(wanted.check)(partition_table_info(info, p)) is None
            ]
            if without and len(without) == len(parts) - len(unindexable) > 1:
                lacking.append(f"{wanted.check.removeprefix('index: ')}: all {len(without)}")
            elif without:
                lacking.append(f"{wanted.check.removeprefix('index: ')}: {', '.join(without)}")
        if lacking:
            self.add(
                "partition indexes",
                False,
                "partitions without a recommended index (" + "; ".join(lacking) + ")",
                "create the missing indexes (below)",
            )
        else:
            self.add("partition indexes", True, "every partition has the recommended indexes")
        if unindexable:
            self.add(
                "partition kinds",
                None,
                f"{', '.join(unindexable)}: partitioned again or foreign; index them by hand",
            )

    def _indexes(self, info: TableInfo, relkind: str, partitioning: Partitioning | None) -> None:
        if relkind == "v":
            self.add("indexes", None, "a view: indexes belong on the table beneath it")
            return
        partitions = partitioning.partitions if partitioning is not None else ()
        statements = missing_index_statements(info, partitions)
        for wanted in recommended(info):
            found = finder(wanted.check)(info)
            if found is not None:
                self.add(wanted.check, True, f"{found.name}: {_index_columns(found)}")
                continue
            detail = f"{wanted.missing}; it serves {wanted.purpose}"
            if info.partitioned:
                detail += (
                    " (a partitioned table: PostgreSQL builds an index CONCURRENTLY only "
                    "partition by partition; the statements below do that, then attach them)"
                )
                fix = "\n".join(
                    f"{sql};" for sql in partitioned_index_statements(info, partitions, wanted)
                )
            else:
                fix = create_index_sql(info, wanted) + ";"
            self.add(wanted.check, False, detail, fix)
        suggested = workflow_suggestion(info)
        if suggested is not None:
            found = workflow_index(info)
            if found is not None:
                self.add(suggested.check, True, f"{found.name}: {_index_columns(found)}")
            else:
                fix = "\n".join(f"{sql};" for sql in index_statements(info, partitions, suggested))
                self.add(
                    suggested.check,
                    None,
                    f"{suggested.missing}; it serves {suggested.purpose}",
                    fix,
                )
        # A partitioned table's index is invalid until every partition's is attached: the
        # statements above finish it; dropping it would throw that work away.
        invalid = [] if info.partitioned else [i.name for i in info.indexes if not i.valid]
        if invalid:
            self.add(
                "invalid indexes",
                False,
                f"{', '.join(invalid)}: left by a failed concurrent build; never used, "
                "still written to",
                "\n".join(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {quote_ident(info.schema)}."
                    f"{quote_ident(name)};"
                    for name in invalid
                ),
            )
        self.report.index_statements = statements

    async def _costs(
        self, session: _Session, info: TableInfo, run_filter: RunFilter, refresh_s: float
    ) -> None:
        queries = Queries(info, self.settings.organisation_scope)
        indexes = "create the missing indexes (below)" if self.report.index_statements else None
        page = await self._measure(
            session,
            info,
            "cost: list",
            [queries.page(run_filter, None, LIST_PAGE)],
            keep=True,
            fix=indexes,
        )
        rows = page or []
        newest = None
        if rows and rows[0]["started_at"] is not None:
            newest = PageCursor.after(summary_from_row(rows[0]))
        running = [r["id"] for r in rows if r["status"] == st.RUNNING]
        delta = [queries.newer(run_filter, newest)]
        if running:
            delta.append(queries.by_ids(running))
        # Without a window the header's counts are over all time: a whole-table read.
        window = (
            None
            if run_filter.since is not None
            else "pass --since 24h: counts then read that window"
        )
        cycle = [
            await self._measure(session, info, "cost: refresh", delta, fix=indexes),
            await self._measure(
                session, info, "cost: counts", [queries.counts(run_filter)], fix=window or indexes
            ),
            await self._measure(
                session,
                info,
                "cost: sparkline",
                [queries.failures_per_minute(run_filter, 60)],
                fix=indexes,
            ),
        ]
        # Failure groups read the window's failures by the same index as the list; the
        # check's plan names the index they use.
        start = window_at(run_filter, datetime.now(UTC)).start
        failures = FailureQueries(info, self.settings.organisation_scope)
        await self._measure(
            session,
            info,
            "cost: failure groups",
            [failures.failures(run_filter, start=start, limit=FAILURE_PAGE)],
            fix=window or indexes,
        )
        if any(ms is None for ms in cycle):
            return
        total_ms = sum(float(ms) for ms in cycle if ms is not None)
        pacer = RefreshPacer(refresh_s)
        pacer.record(total_ms / 1000)
        share = total_ms / 1000 / refresh_s * 100
        detail = (
            f"one refresh takes about {total_ms:.0f} ms: {share:.1f} % of a {refresh_s:g} s "
            "refresh interval"
        )
        hint = indexes_missing_hint(info)
        # Slowed: a lock another session holds, not a missing index, may be the cause.
        if pacer.slowed and await self._reads_wait_on_a_lock(session, info):
            hint = LOCK_WAIT_HINT
        reason = pacer.reason(hint)
        if reason is not None:
            detail += f"; the TUI would slow down ({reason})"
        self.add("cost: refresh cycle", not pacer.slowed, detail)

    async def _reads_wait_on_a_lock(self, session: _Session, info: TableInfo) -> bool:
        """Whether reads of the table wait on a lock now; False when that cannot be told."""
        try:
            return await read_waits_on_a_lock(session.conn, info.qualified, session.timeout)
        except (asyncpg.PostgresError, OSError, TimeoutError):
            return False

    async def _measure(
        self,
        session: _Session,
        info: TableInfo,
        name: str,
        statements: list[tuple[str, list[Any]]],
        *,
        keep: bool = False,
        fix: str | None = None,
    ) -> Any:
        """Time `statements` (run in turn) a few times; add a check with the median and plan.

        Returns the first statement's rows when `keep`, else the median ms; None when the
        statements failed (the check says why).
        """
        timings: list[float] = []
        rows: list[Any] = []
        try:
            for _ in range(self.samples):
                started = time.perf_counter()
                for i, (sql, args) in enumerate(statements):
                    result = await session.fetch(sql, *args)
                    if i == 0:
                        rows = result
                timings.append((time.perf_counter() - started) * 1000)
                if timings[-1] > REPEAT_BELOW_MS:
                    break
            plans = [await self._plan(session, info, sql, args) for sql, args in statements]
        except StoreError as error:
            self._failed_measure(name, error)
            return None
        except Exception as exc:
            self._failed_measure(name, translate(exc, self.settings.dsn))
            return None
        median = statistics.median(timings)
        text = [p for p, _ in plans]
        reads_all = any(seq for _, seq in plans)
        detail = f"{median:.1f} ms (median of {len(timings)}); plan: {' | '.join(text)}"
        ok = not (reads_all and self._big)
        if not ok:
            detail += "; reads whole partitions" if self._relations else "; reads the whole table"
        self.add(name, ok, detail, None if ok else fix)
        return rows if keep else median

    def _failed_measure(self, name: str, error: StoreError) -> None:
        if isinstance(error, QueryTimeout):
            limit = f"{self.settings.statement_timeout_s:g} s"
            self.add(
                name, False, f"took longer than statement_timeout ({limit}); the TUI would too"
            )
        else:
            self.add(name, False, error.message)

    async def _plan(
        self, session: _Session, info: TableInfo, sql: str, args: list[Any]
    ) -> tuple[str, bool]:
        """The plan's path from the top node down, and whether it scans the table whole."""
        # Plain EXPLAIN: it plans, and runs nothing.
        raw = await session.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
        plan = (orjson.loads(raw) if isinstance(raw, str | bytes) else raw)[0]["Plan"]
        path: list[str] = []
        node: dict[str, Any] | None = plan
        while node is not None and len(path) < 6:
            path.append(_describe(node))
            children = node.get("Plans") or []
            node = children[0] if children else None
        return " > ".join(path), _scans_whole(plan, {info.name, *self._relations})

    async def _push(self, session: _Session, info: TableInfo, channel: str, standby: bool) -> None:
        sql = trigger_sql(info, channel)
        self.report.trigger_sql = sql
        async with session.scope() as conn:
            found = await notify_triggers(conn, info, channel)
        if standby:
            self.add(_PUSH, None, "a standby never receives notifications: the TUI polls")
        elif self.settings.pgbouncer:
            self.add(_PUSH, None, "PgBouncer in transaction mode cannot LISTEN: the TUI polls")
        elif found:
            self.add(_PUSH, True, f"trigger {', '.join(found)} notifies channel {channel!r}")
        else:
            self.add(
                _PUSH,
                None,
                f"no trigger notifies channel {channel!r}: the TUI polls; a DBA can install "
                "one (below)",
                sql,
            )


def _describe(node: dict[str, Any]) -> str:
    kind = str(node.get("Node Type", "?"))
    if node.get("Index Name"):
        kind += f" using {node['Index Name']}"
    if node.get("Relation Name") and "Index Name" not in node:
        kind += f" on {node['Relation Name']}"
    return kind


def _scans_whole(plan: dict[str, Any], tables: set[str]) -> bool:
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in tables:
        return True
    return any(_scans_whole(child, tables) for child in plan.get("Plans") or [])


def _index_columns(index: IndexInfo) -> str:
    _, _, columns = index.definition.partition(" USING ")
    return columns or index.definition


def _bytes(value: Any) -> str:
    size = float(value or 0)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
