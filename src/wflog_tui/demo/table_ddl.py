"""The table as Prisma creates it, and the variants found in the wild, as SQL text.

The demo creates the table with it; the test suite builds every variant the app must read:
text or enum `status`, `json` or `jsonb`, `timestamp(3)` or `timestamptz`.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {shape.qualified} (\n    {body},\n"
        f"    CONSTRAINT {pkey} PRIMARY KEY ({q('id')})\n)"
    )
    statements.append(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {q(shape.table + '_run_id_key')} "
        f"ON {shape.qualified} ({q('run_id')})"
    )
    if shape.recommended_indexes:
        statements.extend(recommended_index_sql(shape, concurrently=False))
    return ";\n".join(statements) + ";\n"


def recommended_index_sql(shape: TableShape, *, concurrently: bool = True) -> list[str]:
    """The indexes that keep the list, the refresh and organisation scoping cheap (the ones
    `doctor` recommends)."""
    return store_recommended_index_sql(shape.schema, shape.table, concurrently=concurrently)
