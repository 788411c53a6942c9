"""The indexes the tool recommends, how to find them in a table, and the SQL that makes them.

One definition serves `doctor` (which checks for them and prints the statements), the run
list (which names a missing one when refresh slows down), the demo and the benchmarks
(which create them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from wflog_tui.store.schema import IndexInfo, TableInfo, quote_ident

# PostgreSQL cuts identifiers longer than this many bytes.
_MAX_IDENTIFIER_BYTES: Final = 63
_DOCTOR: Final = "see `wflog-tui doctor`"

_LIST, _RUNNING, _ORG = "index: list", "index: running", "index: organisation"


@dataclass(frozen=True)
class Recommended:
    """One recommended index: doctor's check name, its name suffix and definition, and what
    it serves and what its absence costs, in words."""

    check: str
    suffix: str
    body: str
    purpose: str
    missing: str


_STARTED, _ID, _STATUS = quote_ident("started_at"), quote_ident("id"), quote_ident("status")
# (name suffix, what follows ON table) of each recommended index: the one definition that
# doctor checks for and prints, and that the demo and the benchmarks create.
# INCLUDE status: the counts by status of a time window become an index-only scan.
LIST_INDEX: Final = (
    "_started_at_id_idx",
    f"({_STARTED} DESC, {_ID} DESC) INCLUDE ({_STATUS})",
)
RUNNING_INDEX: Final = ("_running_idx", f"({_STARTED} DESC) WHERE {_STATUS} = 'RUNNING'")
ORGANISATION_INDEX: Final = (
    "_org_started_at_idx",
    f"({quote_ident('organisation_id')}, {_STARTED} DESC)",
)


def recommended_index_sql(schema: str, table: str, *, concurrently: bool = True) -> list[str]:
    """`CREATE INDEX` statements for every recommended index of `schema.table`."""
    how = "CONCURRENTLY " if concurrently else ""
    qualified = f"{quote_ident(schema)}.{quote_ident(table)}"
    return [
        f"CREATE INDEX {how}IF NOT EXISTS {quote_ident(index_name(table, suffix))} "
        f"ON {qualified} {body}"
        for suffix, body in (LIST_INDEX, RUNNING_INDEX, ORGANISATION_INDEX)
    ]


def recommended(info: TableInfo) -> list[Recommended]:
    """The indexes recommended for `info`'s table (the organisation one when it has the column)."""
    wanted = [
        Recommended(
            _LIST,
            *LIST_INDEX,
            "the run list and every refresh, newest first",
            "no index leads with started_at: the list and each refresh sort the whole table",
        ),
        Recommended(
            _RUNNING,
            *RUNNING_INDEX,
            "RUNNING runs (--status RUNNING) without reading finished ones",
            "no index on RUNNING runs: showing them reads every finished run too",
        ),
    ]
    if info.has("organisation_id"):
        wanted.append(
            Recommended(
                _ORG,
                *ORGANISATION_INDEX,
                "one organisation's runs (--org)",
                "no index on (organisation_id, started_at): --org reads other tenants' runs",
            )
        )
    return wanted


def finder(check: str) -> Callable[[TableInfo], IndexInfo | None]:
    """The function that finds an index serving the recommended index named `check`."""
    return {_LIST: list_index, _RUNNING: running_index, _ORG: organisation_index}[check]


def _usable(info: TableInfo) -> list[IndexInfo]:
    return [i for i in info.indexes if i.valid]


def list_index(info: TableInfo) -> IndexInfo | None:
    """A valid, whole-table index leading with `started_at` (either direction), if any.

    One on (started_at, id) is preferred: it serves the keyset order without a sort.
    """
    found = [i for i in _usable(info) if not i.partial and i.columns[:1] == ("started_at",)]
    found.sort(key=lambda i: i.columns[:2] != ("started_at", "id"))
    return found[0] if found else None


def running_index(info: TableInfo) -> IndexInfo | None:
    """A valid partial index whose predicate names RUNNING, or one leading with `status`."""
    for index in _usable(info):
        _, where, predicate = index.definition.partition(" WHERE ")
        if (index.partial and where and "RUNNING" in predicate) or (
            not index.partial and index.columns[:1] == ("status",)
        ):
            return index
    return None


def organisation_index(info: TableInfo) -> IndexInfo | None:
    """A valid, whole-table index on (organisation_id, started_at ...), if any."""
    for index in _usable(info):
        if not index.partial and index.columns[:2] == ("organisation_id", "started_at"):
            return index
    return None


def index_name(table: str, suffix: str) -> str:
    """The recommended index's name: the table's, cut so the whole fits 63 bytes."""
    room = _MAX_IDENTIFIER_BYTES - len(suffix.encode())
    return table.encode()[:room].decode(errors="ignore") + suffix


def create_index_sql(info: TableInfo, wanted: Recommended) -> str:
    """`CREATE INDEX CONCURRENTLY IF NOT EXISTS ...` for one recommended index (no `;`)."""
    name = quote_ident(index_name(info.name, wanted.suffix))
    return f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {info.qualified} {wanted.body}"


def missing_index_statements(info: TableInfo) -> list[str]:
    """The statements that create the recommended indexes the table lacks.

    An invalid index left under a recommended name by a failed concurrent build would
    make `IF NOT EXISTS` skip the build, so it is dropped first.
    """
    statements: list[str] = []
    invalid = {i.name for i in info.indexes if not i.valid}
    for wanted in recommended(info):
        if finder(wanted.check)(info) is not None:
            continue
        name = index_name(info.name, wanted.suffix)
        if name in invalid:
            qualified = f"{quote_ident(info.schema)}.{quote_ident(name)}"
            statements.append(f"DROP INDEX CONCURRENTLY IF EXISTS {qualified}")
        statements.append(create_index_sql(info, wanted))
    return statements


def indexes_missing_hint(info: TableInfo, *, organisation_scope: bool = False) -> str | None:
    """Why refresh may be slow, from the indexes found at start (no query), or None.

    For `RefreshPacer.reason`: "no index on started_at, see `wflog-tui doctor`".
    """
    if list_index(info) is None:
        return f"no index on started_at, {_DOCTOR}"
    if organisation_scope and info.has("organisation_id") and organisation_index(info) is None:
        return f"no index on (organisation_id, started_at), {_DOCTOR}"
    if running_index(info) is None:
        return f"no index on RUNNING runs, {_DOCTOR}"
    return None
