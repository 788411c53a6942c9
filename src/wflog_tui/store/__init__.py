"""Everything that touches PostgreSQL: settings, pool, schema, filters, queries.

Returns `wflog_tui.model` objects; raises only `StoreError`s; never imports Textual.
"""

from wflog_tui.store.codecs import UndecodableJson, decode_json
from wflog_tui.store.connection import (
    Header,
    QueryStat,
    Store,
    StoreSettings,
    StoreStats,
    open_store,
)
from wflog_tui.store.dsn import (
    ResolvedDsn,
    describe_target,
    mask_dsn,
    mask_secrets,
    resolve_dsn,
)
from wflog_tui.store.error_translation import translate
from wflog_tui.store.errors import (
    ConfigurationError,
    ConnectionLost,
    DsnError,
    QueryTimeout,
    RunNotFound,
    StoreError,
)
from wflog_tui.store.filters import RunFilter, parse_since, parse_statuses, unknown_statuses
from wflog_tui.store.queries import Delta, PageCursor, StepsTail
from wflog_tui.store.query_timing import DbTime
from wflog_tui.store.run_loading import (
    SKELETON_OVER_BYTES,
    SKELETON_OVER_ENTRIES,
    LoadedRun,
    fill_entries,
    load_run,
    load_run_to_print,
    start_loading,
)
from wflog_tui.store.schema import ColumnInfo, IndexInfo, TableInfo, introspect

__all__ = [
    "SKELETON_OVER_BYTES",
    "SKELETON_OVER_ENTRIES",
    "ColumnInfo",
    "ConfigurationError",
    "ConnectionLost",
    "DbTime",
    "Delta",
    "DsnError",
    "Header",
    "IndexInfo",
    "LoadedRun",
    "PageCursor",
    "QueryStat",
    "QueryTimeout",
    "ResolvedDsn",
    "RunFilter",
    "RunNotFound",
    "StepsTail",
    "Store",
    "StoreError",
    "StoreSettings",
    "StoreStats",
    "TableInfo",
    "UndecodableJson",
    "decode_json",
    "describe_target",
    "fill_entries",
    "introspect",
    "load_run",
    "load_run_to_print",
    "mask_dsn",
    "mask_secrets",
    "open_store",
    "parse_since",
    "parse_statuses",
    "resolve_dsn",
    "start_loading",
    "translate",
    "unknown_statuses",
]
