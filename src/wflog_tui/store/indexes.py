"""The indexes the tool recommends, how to find them in a table, and the SQL that makes them.

One definition serves `doctor` (which checks for them and prints the statements), the run
list (which names a missing one when refresh slows down), the demo and the benchmarks
(which create them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from wflog_tui.store.partitions import Partition, partition_table_info
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


# Not required, suggested: a failure group's splitters compare its failing runs with the
# newest COMPLETED runs of its workflow in the window (`FailureQueries.passing_sample`).
# Through the list index that walks every run of the window until it has enough of that
# workflow's; this index goes to them. Measured with EXPLAIN ANALYZE on 200,000 runs over
# 30 days, 60 workflows: a 30-day window took 75-105 ms without it and 6-13 ms with it
# (about 12,600 buffers against 1,400-2,800), plain or partitioned by day; a 7-day window
# on the plain table 80 ms against 1-6 ms; a 24-hour window 13-30 ms against 0.1-3 ms, and
# on daily partitions 1.5-2.5 ms either way. Under --org the organisation index already
# narrows the walk (2x at most). Each index also costs the platform's inserts, hence a
# suggestion.
_GROUPS = "suggested index: failure groups"
WORKFLOW_INDEX_SUFFIX: Final = "_workflow_started_at_idx"


def _workflow_column(info: TableInfo) -> str | None:
    # What the samples compare with: workflow_name only on a table without workflow_id.
    return next((c for c in ("workflow_id", "workflow_name") if info.has(c)), None)


def workflow_suggestion(info: TableInfo) -> Recommended | None:
    """The index suggested for failure groups' splitters on long windows: on
    (workflow_id, started_at), or workflow_name when the table has no workflow_id; None
    when it has neither."""
    column = _workflow_column(info)
    if column is None:
        return None
    return Recommended(
        _GROUPS,
        WORKFLOW_INDEX_SUFFIX,
        f"({quote_ident(column)}, {_STARTED} DESC)",
        "the splitters of failure groups (groups, report, the groups screen) on windows of days",
        f"no index on ({column}, started_at): a failure group's splitters find its "
        "workflow's COMPLETED runs by reading the window's runs newest first until "
        "enough are found, all of them for a workflow that stopped completing",
    )


def workflow_index(info: TableInfo) -> IndexInfo | None:
    """A valid, whole-table index on (workflow_id or workflow_name, started_at ...)."""
    column = _workflow_column(info)
    for index in _usable(info):
        if not index.partial and index.columns[:2] == (column, "started_at"):
            return index
    return None


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


def missing_index_statements(info: TableInfo, partitions: Sequence[Partition] = ()) -> list[str]:
    """The statements that create the recommended indexes the table lacks.

    An invalid index left under a recommended name by a failed concurrent build would
    make `IF NOT EXISTS` skip the build, so it is dropped first. On a partitioned table
    (with its `partitions`) each index is made by `partitioned_index_statements`.
    """
    statements: list[str] = []
    for wanted in recommended(info):
        if finder(wanted.check)(info) is None:
            statements += index_statements(info, partitions, wanted)
    return statements


def index_statements(
    info: TableInfo, partitions: Sequence[Partition], wanted: Recommended
) -> list[str]:
    """The statements that create the index `wanted` (missing from the table): on a
    partitioned table (with its `partitions`) by `partitioned_index_statements`, else
    one `CREATE INDEX CONCURRENTLY`, after dropping an invalid one under its name."""
    if info.partitioned:
        return partitioned_index_statements(info, partitions, wanted)
    dropped = _drop_invalid(info.schema, info, index_name(info.name, wanted.suffix))
    return [*dropped, create_index_sql(info, wanted)]


def partitioned_index_statements(
    info: TableInfo, partitions: Sequence[Partition], wanted: Recommended
) -> list[str]:
    """One recommended index on a partitioned table, built without blocking writes.

    PostgreSQL refuses `CREATE INDEX CONCURRENTLY` on a partitioned table. What works:
    the index built concurrently on each partition, an invalid index made `ON ONLY` the
    parent (instant: it reads no rows), then each partition's index attached to it; the
    parent's index turns valid when the last one is attached, and partitions made later
    get it by themselves. Every statement may be run again after a failure.
    """
    parent = index_name(info.name, wanted.suffix)
    statements: list[str] = []
    attach: list[str] = []
    for partition in partitions:
        if not partition.indexable:
            continue
        own = index_name(partition.name, wanted.suffix)
        if not any(i.name == own and i.valid for i in partition.indexes):
            own_info = partition_table_info(info, partition)
            statements += _drop_invalid(partition.schema, own_info, own)
            statements.append(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote_ident(own)} "
                f"ON {partition.qualified} {wanted.body}"
            )
        attach.append(
            f"ALTER INDEX {quote_ident(info.schema)}.{quote_ident(parent)} "
            f"ATTACH PARTITION {quote_ident(partition.schema)}.{quote_ident(own)}"
        )
    statements.append(
        f"CREATE INDEX IF NOT EXISTS {quote_ident(parent)} ON ONLY {info.qualified} {wanted.body}"
    )
    return statements + attach


def _drop_invalid(schema: str, info: TableInfo, name: str) -> list[str]:
    if any(i.name == name and not i.valid for i in info.indexes):
        return [f"DROP INDEX CONCURRENTLY IF EXISTS {quote_ident(schema)}.{quote_ident(name)}"]
    return []


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
