"""Which indexes serve payload searches, and the statements that create them (for `doctor`).

`=` terms on a payload (`input.invoice.currency=JPY`) and the exact conditions of a step
term (`step:charge_card`, `step.status:FAILED`, `step.input.currency=JPY`) compile to `@>`
containment (see `search_sql`), which a GIN index with `jsonb_path_ops` answers without
reading the rows. `~`, `>`, `<`, `input~…` and negated terms cannot use it: they read
every run of the window, which the window's own index keeps bounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from wflog_tui.model.search_query import PayloadMatch, SearchQuery, StepField, StepMatch
from wflog_tui.store.indexes import Recommended, index_statements
from wflog_tui.store.partitions import Partition
from wflog_tui.store.schema import TableInfo, quote_ident

_SEARCHED: Final = {"input_payload": "input", "output_payload": "output", "steps_log": "step"}
_EXAMPLE: Final = {
    "input_payload": "input.invoice.currency=JPY",
    "output_payload": "output.id=msg_5",
    "steps_log": "step:(charge_card status:FAILED)",
}


@dataclass(frozen=True, slots=True)
class SearchIndexAdvice:
    """One line of `doctor` about a JSON column: `ok` True (indexed), False (a search
    given needs it), None (a suggestion); `fix` the statement to create the index."""

    name: str
    ok: bool | None
    detail: str
    fix: str | None = None


def containment_columns(query: SearchQuery | None) -> frozenset[str]:
    """The JSON columns that `query` searches with `@>` containment (an index can serve)."""
    if query is None:
        return frozenset()
    columns = set()
    for term in query.terms:
        if term.negated:
            continue
        if isinstance(term, PayloadMatch) and term.op == "=":
            if not any(segment.isdigit() for segment in term.path):
                columns.add(f"{term.source}_payload")
        elif isinstance(term, StepMatch) and any(
            not c.negated
            and (
                (isinstance(c, StepField) and c.field in ("id", "status"))
                or (isinstance(c, PayloadMatch) and c.op == "=")
            )
            for c in term.conditions
        ):
            columns.add("steps_log")
    return frozenset(columns)


def search_index_hint(info: TableInfo, query: SearchQuery | None) -> str | None:
    """Why `query` reads every run of the window, for a status line when it is slow;
    None when an index serves each payload or step term (or there is none).

    Names the first JSON column whose `=` terms lack a GIN index, else the first term
    kind that no index can serve.
    """
    if query is None:
        return None
    for column in sorted(containment_columns(query)):
        if _gin_index(info, column) is None:
            return f"no GIN index on {column} serves this search; see `wflog-tui doctor`"
    searched = {
        "steps_log" if isinstance(term, StepMatch) else f"{term.source}_payload"
        for term in query.terms
        if isinstance(term, (StepMatch, PayloadMatch))
    }
    unserved = sorted(searched - containment_columns(query))
    if unserved:
        return (
            f"no index can serve these {unserved[0]} terms (only `=` ones can use one): "
            "each run of the window is read; see `wflog-tui doctor`"
        )
    return None


def gin_index(info: TableInfo, column: str) -> Recommended:
    """The GIN (jsonb_path_ops) index that serves `=` terms on a JSON column.

    A `json` column is indexed as `(column::jsonb)`, the expression the search compiles
    to, so the planner can match the two.
    """
    target = quote_ident(column)
    if info.json_type(column) == "json":
        target = f"({target}::jsonb)"
    return Recommended(
        check=f"search index: {column}",
        suffix=f"_{column}_gin",
        body=f"USING gin ({target} jsonb_path_ops)",
        purpose=f"`=` terms on {_SEARCHED[column]}",
        missing=f"every search term on {_SEARCHED[column]} reads each run of the window",
    )


def gin_index_sql(info: TableInfo, column: str, partitions: Sequence[Partition] = ()) -> str:
    """The statements (`;`-separated) that build `gin_index(info, column)` without blocking
    writes: one `CREATE INDEX CONCURRENTLY`, or partition by partition on a partitioned
    table, which PostgreSQL refuses to index concurrently in one statement."""
    return ";\n".join(index_statements(info, partitions, gin_index(info, column)))


def search_index_advice(
    info: TableInfo, query: SearchQuery | None, partitions: Sequence[Partition] = ()
) -> list[SearchIndexAdvice]:
    """For each JSON column of the table: the GIN index that serves its searches, or the
    statements to create it (on each of `partitions` of a partitioned table) and which
    terms it would serve."""
    wanted = containment_columns(query)
    advice = []
    for column, prefix in _SEARCHED.items():
        if info.json_type(column) is None:
            continue
        name = f"search index: {column}"
        found = _gin_index(info, column)
        if found is not None:
            advice.append(SearchIndexAdvice(name, True, f"{found}: serves `=` terms on {prefix}"))
            continue
        detail = (
            f"no GIN index on {column}: `=` terms such as {_EXAMPLE[column]} become @> "
            "containment, which a GIN (jsonb_path_ops) index answers; without one they, "
            f"and every `~`, `>`, `<` or negated {prefix} term, read each run of the window"
        )
        if column in wanted:
            detail += "; the --search given uses such terms"
        advice.append(
            SearchIndexAdvice(
                name,
                False if column in wanted else None,
                detail,
                gin_index_sql(info, column, partitions) + ";",
            )
        )
    return advice


def _gin_index(info: TableInfo, column: str) -> str | None:
    """The name of a valid, whole-table GIN index on `column` (or on `column::jsonb`)."""
    for index in info.indexes:
        definition = index.definition.lower()
        if (
            index.valid
            and not index.partial
            and "using gin" in definition
            and (column in index.columns or f"({column})::jsonb" in definition)
        ):
            return index.name
    return None
