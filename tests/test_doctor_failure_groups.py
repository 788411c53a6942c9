"""`doctor` says which index the failure-group queries use."""

from __future__ import annotations

from datetime import timedelta

from wflog_tui.store import RunFilter, StoreSettings
from wflog_tui.store.doctor import diagnose


async def test_doctor_names_the_index_failure_groups_use(table):
    # Two days of runs, one a minute, every tenth failed: enough for the planner to
    # prefer the index for a day's window.
    await table.execute(
        f"INSERT INTO {table.shape.qualified} (id, run_id, status, started_at, steps_log) "
        "SELECT 'g' || i, 'r' || i, "
        "(CASE WHEN i % 10 = 0 THEN 'FAILED' ELSE 'COMPLETED' END)::text::"
        f'"{table.shape.schema}"."WorkflowExecutionStatus", '
        "(now() AT TIME ZONE 'UTC') - i * interval '1 second', '[]' "
        "FROM generate_series(1, 100000) AS i"
    )
    await table.execute(f"ANALYZE {table.shape.qualified}")
    settings = StoreSettings(dsn=table.dsn, table=table.name)
    report = await diagnose(settings, run_filter=RunFilter(since=timedelta(hours=1)))
    check = report.check("cost: failure groups")
    assert check is not None and check.ok, check
    assert "Index Scan" in check.detail or "Bitmap" in check.detail
    assert "_started_at_id_idx" in check.detail
