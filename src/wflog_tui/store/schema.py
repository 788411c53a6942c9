"""What the table at hand looks like: found in pg_catalog once, at start.

Deployments differ: `status` an enum or text, `json` or `jsonb`, `timestamp(3)` or
`timestamptz`, optional columns missing. Every query is built from the `TableInfo`
read here, so none of them guesses.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg
import orjson

from wflog_tui.store.errors import ConfigurationError

DEFAULT_TABLE: Final = "workflow_execution_log"
SPEC_COLUMNS: Final = (
    "id",
    "run_id",
    "workflow_function_id",
    "workflow_name",
    "event_id",
    "event_name",
    "input_payload",
    "status",
    "started_at",
    "ended_at",
    "duration_ms",
    "steps_log",
    "output_payload",
    "error",
    "error_stack",
    "workflow_id",
    "organisation_id",
    "workflow_version_id",
)
REQUIRED_COLUMNS: Final = ("id", "run_id", "status", "started_at", "steps_log")
JSON_COLUMNS: Final = ("input_payload", "steps_log", "output_payload")
_TIMESTAMP_TYPES: Final = frozenset({"timestamp", "timestamptz"})
_JSON_TYPES: Final = frozenset({"json", "jsonb"})


def quote_ident(name: str) -> str:
    """Quote an SQL identifier, whatever it holds."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One column: its name, its type as SQL spells it, and the base type's name.

    `base_type` is `pg_type.typname` (`jsonb`, `timestamptz`, `text`, or an enum's name),
    looked through a domain. `sql_type` is the type without modifiers, quoted where
    needed, fit to cast a parameter to (a `varchar(30)` cast would truncate it).
    """

    name: str
    sql_type: str
    base_type: str
    not_null: bool = False
    enum_labels: tuple[str, ...] | None = None

    @property
    def is_enum(self) -> bool:
        """True for a PostgreSQL enum type."""
        return self.enum_labels is not None


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """An index of the table, as `doctor` reports it."""

    name: str
    definition: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool
    partial: bool
    valid: bool


@dataclass(frozen=True)
class TableInfo:
    """The table found: its name, columns, types and indexes, and what is off about it."""

    schema: str
    name: str
    columns: Mapping[str, ColumnInfo]
    indexes: tuple[IndexInfo, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    kind: str = "table"
    # The server was a hot standby when the table was read: asked in the same round trip
    # as the table itself, so connecting costs no query of its own for it.
    standby: bool = False

    @property
    def qualified(self) -> str:
        """`"schema"."table"`, quoted, for SQL."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def display_name(self) -> str:
        """`schema.table` as people write it."""
        return f"{self.schema}.{self.name}"

    @property
    def partitioned(self) -> bool:
        """True for a declaratively partitioned parent (relkind 'p')."""
        return self.kind == "partitioned table"

    def has(self, column: str) -> bool:
        """True when the table has the column."""
        return column in self.columns

    @property
    def missing_optional(self) -> tuple[str, ...]:
        """Spec columns the table lacks; the store selects them as NULL."""
        return tuple(c for c in SPEC_COLUMNS if c not in self.columns)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns the spec does not name; a run's detail shows them as text."""
        return tuple(c for c in self.columns if c not in SPEC_COLUMNS)

    @property
    def status_is_enum(self) -> bool:
        """True when `status` is a PostgreSQL enum."""
        return self.columns["status"].is_enum

    @property
    def status_labels(self) -> tuple[str, ...] | None:
        """The labels of the status enum, in order; None for a text column."""
        return self.columns["status"].enum_labels

    @property
    def status_type(self) -> str:
        """The status column's type, quoted, to cast parameters to."""
        return self.columns["status"].sql_type

    def json_type(self, column: str) -> str | None:
        """`json` or `jsonb` for a JSON column; None when missing or of another type."""
        info = self.columns.get(column)
        return info.base_type if info is not None and info.base_type in _JSON_TYPES else None

    def has_time_zone(self, column: str) -> bool:
        """True for `timestamptz`; False for `timestamp` (read as UTC) or a missing column."""
        info = self.columns.get(column)
        return info is not None and info.base_type == "timestamptz"

    def sql_type(self, column: str) -> str:
        """The column's type, to cast a parameter compared with it."""
        return self.columns[column].sql_type


def parse_table_name(text: str) -> tuple[str | None, str, bool]:
    """Split `[schema.]table` into (schema, table, quoted).

    Double-quoted parts keep their case and may hold dots; `quoted` says the table part
    was quoted, so its case must not be folded.
    """
    usage = ConfigurationError(f"--table takes [SCHEMA.]TABLE; got {text!r}")
    parts: list[tuple[str, bool]] = []
    current: list[str] = []
    quoted = in_quotes = False
    pos = 0
    while pos < len(text):
        char = text[pos]
        if in_quotes:
            if char == '"' and text[pos + 1 : pos + 2] == '"':
                current.append('"')
                pos += 1
            elif char == '"':
                in_quotes = False
            else:
                current.append(char)
        elif char == '"':
            if quoted or "".join(current).strip():
                raise usage
            current, in_quotes, quoted = [], True, True
        elif char == ".":
            parts.append(("".join(current) if quoted else "".join(current).strip(), quoted))
            current, quoted = [], False
        elif quoted and not char.isspace():
            raise usage
        elif not quoted:
            current.append(char)
        pos += 1
    if in_quotes:
        raise ConfigurationError(f"--table {text!r} has an unclosed quote")
    parts.append(("".join(current) if quoted else "".join(current).strip(), quoted))
    if len(parts) > 2 or any(not name for name, _ in parts):
        raise usage
    if len(parts) == 1:
        return None, parts[0][0], parts[0][1]
    return parts[0][0], parts[1][0], parts[1][1]


_FIND_IN_SCHEMA: Final = """
SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
       has_table_privilege(c.oid, 'SELECT') AS readable, pg_is_in_recovery() AS standby,
       {described}
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = ANY($2::text[])
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY array_position($2::text[], c.relname::text)
LIMIT 1
"""

# Without a schema, the first schema of the search path that has the table wins,
# as it would for an unqualified name in a query.
_FIND_ON_PATH: Final = """
SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
       has_table_privilege(c.oid, 'SELECT') AS readable, pg_is_in_recovery() AS standby,
       {described}
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(current_schemas(false)) AND c.relname = ANY($1::text[])
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY array_position(current_schemas(false), n.nspname),
         array_position($1::text[], c.relname::text)
LIMIT 1
"""

_COLUMNS: Final = """
SELECT a.attnum AS position, a.attname::text AS name,
       format_type(a.atttypid, NULL) AS sql_type,
       COALESCE(b.typname, t.typname)::text AS base_type,
       a.attnotnull AS not_null,
       CASE WHEN COALESCE(b.typtype, t.typtype) = 'e' THEN ARRAY(
           SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
           WHERE e.enumtypid = COALESCE(b.oid, t.oid) ORDER BY e.enumsortorder
       ) END AS enum_labels
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype
WHERE a.attrelid = {table} AND a.attnum > 0 AND NOT a.attisdropped
"""

_INDEXES: Final = """
SELECT x.indrelid AS table_oid, i.relname::text AS name,
       pg_get_indexdef(x.indexrelid) AS definition,
       ARRAY(
           SELECT COALESCE(a.attname::text, '(expression)')
           FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       ) AS columns,
       x.indisunique AS is_unique, x.indisprimary AS is_primary,
       x.indpred IS NOT NULL AS partial, x.indisvalid AS valid
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = ANY({tables})
"""

# The table found, with its columns and its indexes in the same row: introspection is one
# statement, two round trips, while the UI is imported in a thread that holds the
# interpreter for milliseconds at a time whenever the answer to one of them comes in.
_DESCRIBED: Final = (
    "(SELECT json_agg(col ORDER BY col.position) FROM ("
    + _COLUMNS.format(table="c.oid")
    + ") AS col) AS columns, (SELECT json_agg(ind ORDER BY ind.name) FROM ("
    + _INDEXES.format(tables="ARRAY[c.oid]")
    + ") AS ind) AS indexes"
)
_DESCRIBE_IN_SCHEMA: Final = _FIND_IN_SCHEMA.format(described=_DESCRIBED)
_DESCRIBE_ON_PATH: Final = _FIND_ON_PATH.format(described=_DESCRIBED)


# A partitioned table is a table to every query (PostgreSQL routes reads to its
# partitions); only `doctor` looks at the partitions themselves.
_KINDS: Final = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "f": "table",
}


async def read_indexes(
    conn: asyncpg.Connection, oids: list[int]
) -> dict[int, tuple[IndexInfo, ...]]:
    """The indexes of each relation in `oids` (a table's, or each partition's), by oid."""
    found: dict[int, list[IndexInfo]] = {}
    sql = _INDEXES.format(tables="$1::oid[]") + "ORDER BY i.relname"
    for row in await conn.fetch(sql, oids):
        found.setdefault(row["table_oid"], []).append(_index_info(row))
    return {oid: tuple(indexes) for oid, indexes in found.items()}


def _index_info(row: Mapping[str, Any]) -> IndexInfo:
    return IndexInfo(
        name=row["name"],
        definition=row["definition"],
        columns=tuple(row["columns"]),
        unique=row["is_unique"],
        primary=row["is_primary"],
        partial=row["partial"],
        valid=row["valid"],
    )


def _described(value: Any) -> list[dict[str, Any]]:
    """A `json_agg` of the introspection (decoded, or text where no codec is installed)."""
    if isinstance(value, str):
        value = orjson.loads(value)
    return value if isinstance(value, list) else []


# Every table a `--table` may have meant, the likely log tables first; bounded, as a
# database of thousands of tables must not make a typo slow.
_TABLE_CANDIDATES: Final = r"""
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qualified,
       c.relname::text AS name
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
ORDER BY n.nspname = $1 DESC, n.nspname = ANY(current_schemas(false)) DESC,
         replace(lower(c.relname), '_', '') LIKE '%executionlog%' DESC, 1
LIMIT 2000
"""
SIMILAR_TABLES_SHOWN: Final = 5


def _folded(name: str) -> str:
    return name.lower().replace("_", "")


async def similar_tables(
    conn: asyncpg.Connection, name: str, schema: str | None = None
) -> list[str]:
    """Tables that `--table [schema.]name` may have meant, as `schema.table` (quoted
    where needed), at most `SIMILAR_TABLES_SHOWN`.

    The same name spelled with other case or underscores, or a close spelling, first;
    then execution log tables by any name (Prisma names the table after its model,
    `WorkflowExecutionLog`). Within each, tables of `schema`, then of the search path.
    """
    rows = await conn.fetch(_TABLE_CANDIDATES, schema)
    wanted = _folded(name)
    by_folded: dict[str, list[str]] = {}
    for row in rows:
        by_folded.setdefault(_folded(row["name"]), []).append(row["qualified"])
    close = difflib.get_close_matches(wanted, by_folded, n=SIMILAR_TABLES_SHOWN, cutoff=0.75)
    logs = [key for key in by_folded if "executionlog" in key]
    found: list[str] = []
    for key in dict.fromkeys([*close, *logs]):
        found.extend(by_folded[key])
    return found[:SIMILAR_TABLES_SHOWN]


async def introspect(
    conn: asyncpg.Connection, table: str = DEFAULT_TABLE, default_schema: str | None = None
) -> TableInfo:
    """Find `[schema.]table` and read its columns, types and indexes from pg_catalog.

    Without a schema in `table`, `default_schema` (a Prisma URL's `schema=`) is used, else
    the search path. An unquoted name is tried as typed, then folded to lower case as
    PostgreSQL would. Raises `ConfigurationError` for a missing (naming `similar_tables`)
    or unreadable table, a missing required column, or a `started_at` that is not a
    timestamp.
    """
    schema, name, quoted = parse_table_name(table.strip() or DEFAULT_TABLE)
    names = [name] if quoted or name == name.lower() else [name, name.lower()]
    schema = schema or default_schema
    if schema is not None:
        found = await conn.fetchrow(_DESCRIBE_IN_SCHEMA, schema, names)
        wanted = f"{schema}.{name}"
    else:
        found = await conn.fetchrow(_DESCRIBE_ON_PATH, names)
        wanted = name
    if found is None:
        where = "" if schema is not None else " in the search path"
        if schema is None:
            path = await conn.fetchval("SELECT array_to_string(current_schemas(false), ', ')")
            where = f" in the search path ({path})" if path else " (the search path is empty)"
        similar = await similar_tables(conn, name, schema)
        hint = f"; did you mean {', '.join(similar)}?" if similar else ""
        raise ConfigurationError(f"table {wanted} does not exist{where}{hint}")
    info_name = f"{found['schema']}.{found['name']}"
    if not found["readable"]:
        user = await conn.fetchval("SELECT current_user::text")
        raise ConfigurationError(f"permission denied: role {user} cannot SELECT from {info_name}")

    columns = {
        row["name"]: ColumnInfo(
            name=row["name"],
            sql_type=row["sql_type"],
            base_type=row["base_type"],
            not_null=row["not_null"],
            enum_labels=tuple(row["enum_labels"]) if row["enum_labels"] is not None else None,
        )
        for row in _described(found["columns"])
    }
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ConfigurationError(f"table {info_name} lacks columns: {', '.join(missing)}")
    started = columns["started_at"]
    if started.base_type not in _TIMESTAMP_TYPES:
        raise ConfigurationError(
            f"{info_name}.started_at is {started.sql_type}, expected timestamp or timestamptz"
        )

    warnings = [f"column {c} is missing; shown as empty" for c in SPEC_COLUMNS if c not in columns]
    for column in JSON_COLUMNS:
        if column in columns and columns[column].base_type not in _JSON_TYPES:
            warnings.append(f"column {column} is {columns[column].sql_type}, not json or jsonb")
    if "ended_at" in columns and columns["ended_at"].base_type not in _TIMESTAMP_TYPES:
        warnings.append(f"column ended_at is {columns['ended_at'].sql_type}, not a timestamp")
        columns.pop("ended_at")
    indexes = tuple(_index_info(row) for row in _described(found["indexes"]))
    return TableInfo(
        schema=found["schema"],
        name=found["name"],
        columns=columns,
        indexes=indexes,
        warnings=tuple(warnings),
        kind=_KINDS.get(found["kind"], "table"),
        standby=bool(found["standby"]),
    )
