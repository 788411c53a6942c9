"""Writing rows into a test table, the way the platform would."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from wflog_tui.demo.table_ddl import TableShape, create_table_sql, quote_ident

_counter = itertools.count(1)
_JSON_COLUMNS = ("input_payload", "steps_log", "output_payload")
BASE_TIME = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def run_row(**fields: Any) -> dict[str, Any]:
    """A COMPLETED run with defaults for every column; `fields` override them."""
    n = next(_counter)
    row: dict[str, Any] = {
        "id": f"c{n:08d}",
        "run_id": f"01RUN{n:08d}",
        "workflow_function_id": "fn-new-post",
        "workflow_name": "New Post to Slack",
        "event_id": f"01EVT{n:08d}",
        "event_name": "post/created",
        "input_payload": {"post": {"id": f"post_{n}"}},
        "status": "COMPLETED",
        "started_at": BASE_TIME + timedelta(seconds=n),
        "ended_at": BASE_TIME + timedelta(seconds=n, milliseconds=500),
        "duration_ms": 500,
        "steps_log": [],
        "output_payload": {"success": True},
        "error": None,
        "error_stack": None,
        "workflow_id": "wf_1",
        "organisation_id": "org_a",
        "workflow_version_id": "wfv_1",
    }
    row.update(fields)
    return row


@dataclass
class TableHandle:
    """A test's own table: its DSN, its shape, and a way to write rows into it."""

    dsn: str
    shape: TableShape

    @property
    def name(self) -> str:
        """`schema.table` as the `--table` flag takes it."""
        return f"{self.shape.schema}.{self.shape.table}"

    async def insert(self, *rows: dict[str, Any]) -> None:
        """Insert rows; JSON values are encoded as the platform's ORM would."""
        conn = await asyncpg.connect(self.dsn)
        try:
            for row in rows:
                row = {k: v for k, v in row.items() if k not in self.shape.omit_columns}
                await conn.execute(*self._insert_sql(row))
        finally:
            await conn.close()

    async def execute(self, sql: str, *args: Any) -> str:
        """Run a statement with write access, as the platform would."""
        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.execute(sql, *args)
        finally:
            await conn.close()

    def _insert_sql(self, row: dict[str, Any]) -> tuple[Any, ...]:
        names, values, params = [], [], []
        naive = not self.shape.timestamp_type.startswith("timestamptz")
        for i, (name, value) in enumerate(row.items(), start=1):
            names.append(quote_ident(name))
            if name in _JSON_COLUMNS:
                params.append(f"${i}::text::{self.shape.json_type}")
                value = None if value is None else orjson.dumps(value).decode()
            elif name == "status":
                params.append(f"${i}::text::{self._status_type}")
            else:
                params.append(f"${i}")
                if isinstance(value, datetime) and naive:
                    value = value.astimezone(UTC).replace(tzinfo=None)
            values.append(value)
        sql = (
            f"INSERT INTO {self.shape.qualified} ({', '.join(names)}) VALUES ({', '.join(params)})"
        )
        return (sql, *values)

    @property
    def _status_type(self) -> str:
        if self.shape.status_enum:
            return f'{quote_ident(self.shape.schema)}."WorkflowExecutionStatus"'
        return "text"


def fixed_table(
    pg_dsn: str, rows: list[dict[str, Any]], prefix: str = "snap", **shape_args: Any
) -> Iterator[TableHandle]:
    """A table of `rows` in a schema of its own, made and dropped in event loops of its
    own: for snapshot fixtures, which run outside the tests' loop. Yields its handle."""
    shape = TableShape(schema=f"{prefix}_{uuid.uuid4().hex[:10]}", **shape_args)
    handle = TableHandle(pg_dsn, shape)

    async def create() -> None:
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(create_table_sql(shape))
        finally:
            await conn.close()
        await handle.insert(*rows)

    async def drop() -> None:
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f"DROP SCHEMA {quote_ident(shape.schema)} CASCADE")
        finally:
            await conn.close()

    asyncio.run(create())
    try:
        yield handle
    finally:
        asyncio.run(drop())


EXTREMES: dict[str, tuple[str, str]] = {
    "R-INF": ("infinity", "infinity"),
    "R-NEGINF": ("-infinity", "-infinity"),
    "R-Y12000": ("12000-01-01 00:00:00", "12000-01-01 00:00:01"),
    "R-BC": ("0100-01-01 00:00:00 BC", "0100-01-01 00:00:01 BC"),
}
"""Start and end of the runs `insert_extreme_runs` writes: times no Python datetime holds."""


async def insert_extreme_runs(table: TableHandle, timestamp_type: str, **fields: Any) -> None:
    """Into `table` (timestamps of `timestamp_type`): one ordinary FAILED run (`R-NORMAL`,
    three minutes ago), one FAILED run ending at `infinity` (`R-ENDINF`, a minute ago),
    and one FAILED run per `EXTREMES` entry; every run with `fields` too."""
    now = datetime.now(UTC)
    await table.insert(
        run_row(
            run_id="R-NORMAL", status="FAILED", started_at=now - timedelta(minutes=3), **fields
        ),
        run_row(
            run_id="R-ENDINF", status="FAILED", started_at=now - timedelta(minutes=1), **fields
        ),
        *(run_row(run_id=run_id, status="FAILED", **fields) for run_id in EXTREMES),
    )
    cast = timestamp_type.removesuffix("(3)")
    await table.execute(
        f"UPDATE {table.shape.qualified} SET ended_at = 'infinity', duration_ms = NULL "
        "WHERE run_id = 'R-ENDINF'"
    )
    for run_id, (started, ended) in EXTREMES.items():
        await table.execute(
            f"UPDATE {table.shape.qualified} SET started_at = $1::text::{cast}, "
            f"ended_at = $2::text::{cast}, duration_ms = NULL WHERE run_id = $3",
            started,
            ended,
            run_id,
        )
