"""The table as Prisma creates it, and the variants found in the wild, as SQL text.

The demo creates the table with it; the test suite builds every variant the app must read:
text or enum `status`, `json` or `jsonb`, `timestamp(3)` or `timestamptz`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from wflog_tui.store.indexes import recommended_index_sql as store_recommended_index_sql
from wflog_tui.store.schema import quote_ident

STATUS_TYPE = "WorkflowExecutionStatus"
STATUS_LABELS = ("RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "CANCELED")


@dataclass(frozen=True)
class TableShape:
    """How one deployment's table differs from another's."""

    schema: str = "public"
    table: str = "workflow_execution_log"
    status_enum: bool = True
    json_type: str = "jsonb"
    timestamp_type: str = "timestamp(3)"
    recommended_indexes: bool = True
    omit_columns: tuple[str, ...] = ()
    # Declarative partitioning by range of started_at: "day" or "month" partitions, from
    # `first_partition` on, `partitions` of them. None: a plain table.
    partition_by: str | None = None
    first_partition: date | None = None
    partitions: int = 0

    @property
    def qualified(self) -> str:
        """`"schema"."table"`, quoted."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.table)}"


def create_table_sql(shape: TableShape = TableShape()) -> str:
    """Statements that create the schema, the status type, the table and its indexes."""
    q = quote_ident
    status_type = f"{q(shape.schema)}.{q(STATUS_TYPE)}" if shape.status_enum else "text"
    labels = ", ".join(f"'{label}'" for label in STATUS_LABELS)
    json_type, ts = shape.json_type, shape.timestamp_type
    columns = [
        ("id", "TEXT NOT NULL"),
        ("run_id", "TEXT NOT NULL"),
        ("workflow_function_id", "TEXT"),
        ("workflow_name", "TEXT"),
        ("event_id", "TEXT"),
        ("event_name", "TEXT"),
        ("input_payload", json_type),
        ("status", f"{status_type} NOT NULL DEFAULT 'RUNNING'"),
        ("started_at", f"{ts} NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        ("ended_at", ts),
        ("duration_ms", "INTEGER"),
        ("steps_log", json_type),
        ("output_payload", json_type),
        ("error", "TEXT"),
        ("error_stack", "TEXT"),
        ("workflow_id", "TEXT"),
        ("organisation_id", "TEXT"),
        ("workflow_version_id", "TEXT"),
    ]
    body = ",\n    ".join(
        f"{q(name)} {kind}" for name, kind in columns if name not in shape.omit_columns
    )
    statements = [f"CREATE SCHEMA IF NOT EXISTS {q(shape.schema)}"]
    if shape.status_enum:
        statements.append(
            "DO $$ BEGIN "
            f"CREATE TYPE {status_type} AS ENUM ({labels}); "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    pkey = q(f"{shape.table}_pkey")
    if shape.partition_by is None:
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {shape.qualified} (\n    {body},\n"
            f"    CONSTRAINT {pkey} PRIMARY KEY ({q('id')})\n)"
        )
        statements.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {q(shape.table + '_run_id_key')} "
            f"ON {shape.qualified} ({q('run_id')})"
        )
    else:
        # A partitioned table's unique constraints must hold the partition key, so run_id
        # gets a plain index (each partition its own), as partitioned deployments do.
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {shape.qualified} (\n    {body},\n"
            f"    CONSTRAINT {pkey} PRIMARY KEY ({q('id')}, {q('started_at')})\n)"
            f" PARTITION BY RANGE ({q('started_at')})"
        )
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {q(shape.table + '_run_id_idx')} "
            f"ON {shape.qualified} ({q('run_id')})"
        )
        statements.extend(partition_sql(shape))
    if shape.recommended_indexes:
        statements.extend(recommended_index_sql(shape, concurrently=False))
    return ";\n".join(statements) + ";\n"


def recommended_index_sql(shape: TableShape, *, concurrently: bool = True) -> list[str]:
    """The indexes that keep the list, the refresh and organisation scoping cheap (the ones
    `doctor` recommends)."""
    return store_recommended_index_sql(shape.schema, shape.table, concurrently=concurrently)


def partition_bounds(shape: TableShape) -> list[tuple[str, date, date]]:
    """(name, from, to) of each partition of a partitioned shape, oldest first."""
    if shape.partition_by is None or shape.first_partition is None:
        return []
    bounds = []
    start = shape.first_partition
    if shape.partition_by == "month":
        start = start.replace(day=1)
    for _ in range(shape.partitions):
        if shape.partition_by == "day":
            end, label = start + timedelta(days=1), start.strftime("%Y%m%d")
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            label = start.strftime("%Y%m")
        bounds.append((f"{shape.table}_p{label}", start, end))
        start = end
    return bounds


def partition_sql(shape: TableShape) -> list[str]:
    """`CREATE TABLE ... PARTITION OF` for each partition of a partitioned shape."""
    # Midnight UTC whatever the session's time zone (a `timestamp` column ignores the +00).
    return [
        f"CREATE TABLE IF NOT EXISTS {quote_ident(shape.schema)}.{quote_ident(name)} "
        f"PARTITION OF {shape.qualified} FOR VALUES FROM ('{start.isoformat()} 00:00+00') "
        f"TO ('{end.isoformat()} 00:00+00')"
        for name, start, end in partition_bounds(shape)
    ]
