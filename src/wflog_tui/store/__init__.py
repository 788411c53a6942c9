"""Everything that touches PostgreSQL: settings, pool, schema, filters, queries.

Returns `wflog_tui.model` objects; raises only `StoreError`s; never imports Textual.
"""

from wflog_tui.store.codecs import UndecodableJson, decode_json
from wflog_tui.store.connection import (
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
from wflog_tui.store.run_loading import SKELETON_OVER_BYTES, LoadedRun, load_run
from wflog_tui.store.schema import ColumnInfo, IndexInfo, TableInfo, introspect

__all__ = [
    "SKELETON_OVER_BYTES",
    "ColumnInfo",
    "ConfigurationError",
    "ConnectionLost",
    "Delta",
    "DsnError",
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
    "introspect",
    "load_run",
    "mask_dsn",
    "mask_secrets",
    "open_store",
    "parse_since",
    "parse_statuses",
    "resolve_dsn",
    "translate",
    "unknown_statuses",
]
