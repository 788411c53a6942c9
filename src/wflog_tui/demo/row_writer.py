"""How the platform writes rows: INSERT and UPDATE statements for one table shape.

The demo plays the platform, so it writes with its own plain asyncpg connection, never
through the read-only store. JSON values go over the wire as text and are cast to the
column's type (`jsonb` or `json`), the status to the enum or to text, and timestamps lose
their time zone when the column has none, as Prisma would write them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg
import orjson

from wflog_tui.demo.table_ddl import STATUS_TYPE, TableShape, quote_ident
from wflog_tui.store.schema import JSON_COLUMNS as STORE_JSON_COLUMNS
from wflog_tui.store.schema import SPEC_COLUMNS

# The spec's columns, as the store reads them; the demo writes the same set.
COLUMNS: Final = SPEC_COLUMNS
JSON_COLUMNS: Final = frozenset(STORE_JSON_COLUMNS)
# What changes while a run advances; the rest is written once, at insert.
PROGRESS_COLUMNS: Final = (
    "status",
    "ended_at",
    "duration_ms",
    "steps_log",
    "output_payload",
    "error",
    "error_stack",
)


class RowWriter:
    """Encodes run rows (dicts keyed by column name) and writes them into one table."""

    def __init__(self, shape: TableShape) -> None:
        self.shape = shape
        self.columns = tuple(c for c in COLUMNS if c not in shape.omit_columns)
        self._naive = not shape.timestamp_type.startswith("timestamptz")

    def _placeholder(self, column: str, number: int) -> str:
        if column in JSON_COLUMNS:
            return f"${number}::text::{self.shape.json_type}"
        if column == "status":
            if self.shape.status_enum:
                return (
                    f"${number}::text::{quote_ident(self.shape.schema)}.{quote_ident(STATUS_TYPE)}"
                )
            return f"${number}::text"
        return f"${number}"

    def _encode(self, column: str, value: Any) -> Any:
        if column in JSON_COLUMNS:
            return None if value is None else orjson.dumps(value).decode()
        if isinstance(value, datetime) and self._naive:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def insert_sql(self, *, skip_existing: bool = False) -> str:
        """An INSERT of one row with every column of the shape, in `self.columns` order."""
        names = ", ".join(quote_ident(c) for c in self.columns)
        params = ", ".join(self._placeholder(c, i) for i, c in enumerate(self.columns, start=1))
        sql = f"INSERT INTO {self.shape.qualified} ({names}) VALUES ({params})"
        return sql + (" ON CONFLICT DO NOTHING" if skip_existing else "")

    def insert_args(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """The parameters of `insert_sql` for one row; missing columns are NULL."""
        return tuple(self._encode(c, row.get(c)) for c in self.columns)

    async def insert(
        self,
        conn: asyncpg.Connection,
        rows: Iterable[dict[str, Any]],
        *,
        skip_existing: bool = False,
    ) -> None:
        """Insert rows in one pipelined batch."""
        args = [self.insert_args(row) for row in rows]
        if args:
            await conn.executemany(self.insert_sql(skip_existing=skip_existing), args)

    def update_sql(self, columns: Sequence[str] = PROGRESS_COLUMNS) -> str:
        """An UPDATE of `columns` (those the shape has) of the row whose id is `$1`."""
        kept = [c for c in columns if c in self.columns]
        sets = ", ".join(
            f"{quote_ident(c)} = {self._placeholder(c, i)}" for i, c in enumerate(kept, start=2)
        )
        return f"UPDATE {self.shape.qualified} SET {sets} WHERE {quote_ident('id')} = $1"

    async def update(
        self,
        conn: asyncpg.Connection,
        rows: Iterable[dict[str, Any]],
        columns: Sequence[str] = PROGRESS_COLUMNS,
    ) -> None:
        """Write `columns` of each row (keyed by its `id`) in one pipelined batch."""
        kept = [c for c in columns if c in self.columns]
        args = [(row["id"], *(self._encode(c, row.get(c)) for c in kept)) for row in rows]
        if args:
            await conn.executemany(self.update_sql(columns), args)
