"""Doctor's checks of the table itself: is it there, is its shape the spec's, who may
write to it, and how big it is.

The table's name, columns, types and indexes come from `schema.introspect`, as the TUI
reads them; this module only judges them. The size decides whether a sequential scan
found later by `query_cost_checks` is worth reporting, so it is left on the writer.
"""

from __future__ import annotations

from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.store.doctor_report import ReportWriter
from wflog_tui.store.doctor_session import DoctorSession
from wflog_tui.store.error_translation import translate
from wflog_tui.store.errors import ConfigurationError, QueryTimeout
from wflog_tui.store.notify import quote_literal
from wflog_tui.store.schema import (
    DEFAULT_TABLE,
    JSON_COLUMNS,
    SPEC_COLUMNS,
    TableInfo,
    introspect,
    parse_table_name,
    quote_ident,
    similar_tables,
)

# Below this many rows a sequential scan costs nothing worth reporting.
SMALL_TABLE_ROWS: Final = 10_000
SMALL_TABLE_BYTES: Final = 8 * 1024 * 1024


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


async def check_table(writer: ReportWriter, session: DoctorSession) -> TableInfo | None:
    """Add the `table` check; the table's description, or None when doctor must stop."""
    try:
        async with session.scope() as conn:
            info = await introspect(conn, writer.settings.table, writer.settings.default_schema)
    except Exception as exc:
        error = translate(exc, writer.settings.dsn)
        if isinstance(error, QueryTimeout):
            # Reading an index definition waits for a lock a migration may hold.
            writer.add(
                "table",
                False,
                "reading the table's definition took longer than statement_timeout: "
                "is something (a migration?) holding a lock on it?",
                "see who holds it: SELECT pid, mode, granted, query FROM pg_locks "
                "JOIN pg_stat_activity USING (pid) WHERE relation = "
                f"to_regclass({quote_literal(writer.settings.table)})",
                blocking=True,
            )
            return None
        writer.add("table", False, error.message, await _table_fix(writer, session), blocking=True)
        return None
    writer.report.table = info.display_name
    writer.add("table", True, f"{info.display_name}, a {info.kind} of {len(info.columns)} columns")
    return info


async def _table_fix(writer: ReportWriter, session: DoctorSession) -> str:
    try:
        schema, name, _ = parse_table_name(writer.settings.table.strip() or DEFAULT_TABLE)
    except ConfigurationError:
        return "pass --table [SCHEMA.]TABLE"
    async with session.scope() as conn:
        similar = await similar_tables(conn, name, schema or writer.settings.default_schema)
    if not similar:
        return "pass --table [SCHEMA.]TABLE"
    return f"pass --table [SCHEMA.]TABLE; tables with a similar name: {', '.join(similar)}"


def check_columns(writer: ReportWriter, info: TableInfo) -> None:
    """Add the checks of the columns, the status type, the JSON types and the timestamps."""
    missing = info.missing_optional
    extra = info.extra_columns
    detail = f"all {len(SPEC_COLUMNS)} columns of the spec"
    if missing:
        detail = f"missing {', '.join(missing)} (shown as empty)"
    if extra:
        detail += f"; also {', '.join(extra)} (shown as text in a run's detail)"
    writer.add("columns", not missing, detail)

    labels = info.status_labels
    if labels is None:
        writer.add("status type", True, f"{info.status_type} (any value is shown)")
    else:
        absent = [s for s in st.KNOWN if s not in labels]
        detail = f"enum {info.status_type}: {', '.join(labels)}"
        if absent:
            detail += f" (no {', '.join(absent)}: those filters match nothing)"
        writer.add("status type", True, detail)

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
    writer.add("JSON types", None if slow else True, detail)

    stamps = []
    for column in ("started_at", "ended_at"):
        if info.has(column):
            zone = "with time zone" if info.has_time_zone(column) else "read as UTC"
            stamps.append(f"{column} {info.sql_type(column)} ({zone})")
    writer.add("timestamps", True, ", ".join(stamps))


async def check_privileges_and_size(
    writer: ReportWriter, session: DoctorSession, info: TableInfo
) -> str:
    """Add the privileges and row estimate checks; returns the relation's kind (`relkind`).

    Also sets `writer.big`, whether the table is big enough for a sequential scan of it
    to be a finding.
    """
    row = await session.fetchrow(_TABLE_FACTS, info.qualified)
    writes = [w for w in ("insert", "update", "delete", "truncate") if row[f"can_{w}"]]
    if writes:
        role = quote_ident("wflog_reader")
        fix = (
            f"CREATE ROLE {role} LOGIN;  -- then set its password: \\password wflog_reader\n"
            f"GRANT USAGE ON SCHEMA {quote_ident(info.schema)} TO {role};\n"
            f"GRANT SELECT ON {info.qualified} TO {role};"
        )
        writer.add(
            "privileges",
            False,
            f"SELECT, and also {', '.join(w.upper() for w in writes)}: "
            "a viewer's role should only read",
            fix,
        )
    else:
        writer.add("privileges", True, "SELECT only")

    if row["relkind"] in ("v",):
        writer.add("row estimate", None, "a view: no estimate")
    elif row["estimate"] is None:
        writer.add("row estimate", None, "unknown: the table has not been analysed yet")
    else:
        size = _bytes(row["bytes"])
        writer.add(
            "row estimate",
            None,
            f"about {int(row['estimate']):,} rows, {size} with indexes (pg_class, as of the "
            "last ANALYZE)",
        )
    estimate, on_disk = row["estimate"], row["bytes"] or 0
    writer.big = (
        estimate >= SMALL_TABLE_ROWS if estimate is not None else on_disk >= SMALL_TABLE_BYTES
    )
    return str(row["relkind"])


def _bytes(value: Any) -> str:
    size = float(value or 0)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
