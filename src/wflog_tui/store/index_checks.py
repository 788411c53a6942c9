"""Doctor's index checks: each recommended index found or missing, with the statements
that create the missing ones, and the GIN indexes a search needs.

Which indexes are recommended, how one is recognised and the SQL that makes it are
`indexes` and `search_indexes`, shared with the TUI's slow-refresh hint; this module
turns them into lines of the report and the report's block of statements.
"""

from __future__ import annotations

from wflog_tui.store.doctor_report import ReportWriter
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.indexes import (
    create_index_sql,
    finder,
    index_statements,
    missing_index_statements,
    partitioned_index_statements,
    recommended,
    workflow_index,
    workflow_suggestion,
)
from wflog_tui.store.partitions import Partitioning
from wflog_tui.store.schema import IndexInfo, TableInfo, quote_ident
from wflog_tui.store.search_indexes import search_index_advice


def check_indexes(
    writer: ReportWriter, info: TableInfo, relkind: str, partitioning: Partitioning | None
) -> None:
    """Add a check per recommended (and suggested) index and for invalid ones; keep the
    statements that create the missing indexes on the report."""
    if relkind == "v":
        writer.add("indexes", None, "a view: indexes belong on the table beneath it")
        return
    partitions = partitioning.partitions if partitioning is not None else ()
    statements = missing_index_statements(info, partitions)
    for wanted in recommended(info):
        found = finder(wanted.check)(info)
        if found is not None:
            writer.add(wanted.check, True, f"{found.name}: {_index_columns(found)}")
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
        writer.add(wanted.check, False, detail, fix)
    suggested = workflow_suggestion(info)
    if suggested is not None:
        found = workflow_index(info)
        if found is not None:
            writer.add(suggested.check, True, f"{found.name}: {_index_columns(found)}")
        else:
            fix = "\n".join(f"{sql};" for sql in index_statements(info, partitions, suggested))
            writer.add(
                suggested.check,
                None,
                f"{suggested.missing}; it serves {suggested.purpose}",
                fix,
            )
    # A partitioned table's index is invalid until every partition's is attached: the
    # statements above finish it; dropping it would throw that work away.
    invalid = [] if info.partitioned else [i.name for i in info.indexes if not i.valid]
    if invalid:
        writer.add(
            "invalid indexes",
            False,
            f"{', '.join(invalid)}: left by a failed concurrent build; never used, "
            "still written to",
            "\n".join(
                f"DROP INDEX CONCURRENTLY IF EXISTS {quote_ident(info.schema)}.{quote_ident(name)};"
                for name in invalid
            ),
        )
    writer.report.index_statements = statements


def check_search_indexes(
    writer: ReportWriter,
    info: TableInfo,
    relkind: str,
    partitioning: Partitioning | None,
    run_filter: RunFilter,
) -> None:
    """Add, for each JSON column, whether a GIN index serves the search (`--search`)."""
    if relkind == "v":
        return
    partitions = partitioning.partitions if partitioning is not None else ()
    for advice in search_index_advice(info, run_filter.query, partitions):
        writer.add(advice.name, advice.ok, advice.detail, advice.fix)


def _index_columns(index: IndexInfo) -> str:
    _, _, columns = index.definition.partition(" USING ")
    return columns or index.definition
