"""The partitions of a partitioned log table: their bounds and indexes, read for `doctor`.

Every query of the TUI carries a bound on `started_at`, so on a table partitioned by a
range of `started_at` PostgreSQL reads only the partitions the time window touches; the
TUI itself needs nothing from here. `doctor` does: each partition's indexes (an index on
the parent is made per partition), and whether the coming days have a partition. A table
partitioned by day needs tomorrow's partition made ahead of time; when the job that makes
it stops, every insert after midnight fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import asyncpg

from wflog_tui.model.timestamps import as_utc
from wflog_tui.store.schema import IndexInfo, TableInfo, quote_ident, read_indexes

# How far ahead `doctor` wants partitions to exist: the next three days, so a daily job
# that failed once (or a weekend) is noticed before inserts fail.
PARTITION_HORIZON: Final = timedelta(days=3)
RANGE_OF_STARTED_AT: Final = "RANGE (started_at)"

_KEY: Final = "SELECT pg_get_partkeydef($1::oid) AS key, now() AS now"

# Bounds of a range partition on one timestamp column, as PostgreSQL prints them:
# FOR VALUES FROM ('2026-11-01 00:00:00') TO ('2026-11-02 00:00:00'), MINVALUE and
# MAXVALUE unquoted, or DEFAULT. They are cast back to the column's type in SQL, where
# the session's time zone that printed them is known.
_PARTITIONS: Final = """
SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
       pg_get_expr(c.relpartbound, c.oid) AS bound,
       pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS is_default,
       CASE WHEN $2 AND b.m[1] LIKE '''%''' THEN {lower} END AS lower,
       CASE WHEN $2 AND b.m[2] LIKE '''%''' THEN {upper} END AS upper
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
    SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
                        '^FOR VALUES FROM \\((.*)\\) TO \\((.*)\\)$') AS m
) AS b
WHERE i.inhparent = $1::oid
ORDER BY c.relname
"""


@dataclass(frozen=True)
class Partition:
    """One partition: its name, kind, bound as PostgreSQL prints it, range and indexes.

    `lower` and `upper` are UTC instants; None for MINVALUE / MAXVALUE, for a DEFAULT
    partition, and for a table not partitioned by a range of `started_at`.
    """

    schema: str
    name: str
    relkind: str
    bound: str
    is_default: bool
    lower: datetime | None
    upper: datetime | None
    indexes: tuple[IndexInfo, ...]

    @property
    def qualified(self) -> str:
        """`"schema"."partition"`, quoted, for SQL."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def indexable(self) -> bool:
        """True for a plain table, the only kind `CREATE INDEX CONCURRENTLY` takes."""
        return self.relkind == "r"


@dataclass(frozen=True)
class Partitioning:
    """How a partitioned table is split, and the server's clock when it was read."""

    key: str
    partitions: tuple[Partition, ...]
    now: datetime

    @property
    def by_started_at(self) -> bool:
        """True when partitioned by a range of `started_at`, the one key the window prunes."""
        return self.key == RANGE_OF_STARTED_AT

    @property
    def default(self) -> Partition | None:
        """The DEFAULT partition, which takes rows no other partition accepts."""
        return next((p for p in self.partitions if p.is_default), None)

    def uncovered_from(self, horizon: timedelta = PARTITION_HORIZON) -> datetime | None:
        """The first instant from now to `horizon` ahead that no range partition accepts.

        None when the ranges cover it all (or the key is not a range of `started_at`).
        A DEFAULT partition is not counted: rows would land there, not fail.
        """
        if not self.by_started_at:
            return None
        ranges = [p for p in self.partitions if not p.is_default]
        end = self.now + horizon
        moment = self.now
        while moment < end:
            holder = next(
                (
                    p
                    for p in ranges
                    if (p.lower is None or p.lower <= moment)
                    and (p.upper is None or moment < p.upper)
                ),
                None,
            )
            if holder is None:
                return moment
            if holder.upper is None:
                return None
            moment = holder.upper
        return None


async def read_partitioning(conn: asyncpg.Connection, info: TableInfo) -> Partitioning:
    """The partitions of `info`'s (partitioned) table, with bounds and indexes."""
    oid = await conn.fetchval("SELECT $1::regclass::oid", info.qualified)
    head = await conn.fetchrow(_KEY, oid)
    key = str(head["key"] or "")
    if info.has_time_zone("started_at"):
        lower, upper = "btrim(b.m[1], '''')::timestamptz", "btrim(b.m[2], '''')::timestamptz"
    else:
        # A `timestamp` column holds UTC wall-clock time (as the rest of the tool reads it).
        lower = "btrim(b.m[1], '''')::timestamp AT TIME ZONE 'UTC'"
        upper = "btrim(b.m[2], '''')::timestamp AT TIME ZONE 'UTC'"
    rows = await conn.fetch(
        _PARTITIONS.format(lower=lower, upper=upper), oid, key == RANGE_OF_STARTED_AT
    )
    indexes = await read_indexes(conn, [row["oid"] for row in rows])
    partitions = [
        Partition(
            schema=row["schema"],
            name=row["name"],
            relkind=row["kind"],
            bound=row["bound"],
            is_default=row["is_default"],
            lower=as_utc(row["lower"]),
            upper=as_utc(row["upper"]),
            indexes=indexes.get(row["oid"], ()),
        )
        for row in rows
    ]
    # Oldest first (MINVALUE before any), the DEFAULT partition last.
    partitions.sort(
        key=lambda p: (p.is_default, p.lower is not None, p.lower.timestamp() if p.lower else 0)
    )
    return Partitioning(key=key, partitions=tuple(partitions), now=head["now"].astimezone(UTC))


def partition_table_info(info: TableInfo, partition: Partition) -> TableInfo:
    """`info` as seen on one partition: its name and its own indexes (same columns)."""
    return TableInfo(
        schema=partition.schema,
        name=partition.name,
        columns=info.columns,
        indexes=partition.indexes,
        kind="table",
    )
