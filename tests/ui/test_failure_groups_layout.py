"""Layout of the failure groups screen at 80x24 and 160x50, guarded by SVG snapshots.

The runs are fixed (January 2024) and the store's clock is pinned to three hours after
the first of them, so the window, the sparklines, the ages and NEW are the same on every
run. Everything else comes from a real PostgreSQL. `pytest --snapshot-update` accepts a
new layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.database import TableHandle, fixed_table, run_row
from tests.ui.harness import settle
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.ui.app import WflogApp
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.failure_groups import FailureGroupsScreen

T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
SERVER_NOW = T0 + timedelta(hours=3)


def _failure(n: int, workflow: tuple[str, str], step: str, message: str, minutes: float, **fields):
    started = T0 + timedelta(minutes=minutes)
    log = [
        {"stepId": "trigger", "status": "COMPLETED", "endedAt": "x"},
        {"stepId": step, "status": "FAILED", "error": {"message": message}},
    ]
    fields.setdefault("status", "FAILED")
    return run_row(
        id=f"grp{n:03d}",
        run_id=f"01GRP{n:021d}",
        event_id=f"01GRPEVT{n:04d}",
        workflow_id=workflow[0],
        workflow_name=workflow[1],
        steps_log=fields.pop("steps_log", log),
        error="Action failed",
        started_at=started,
        ended_at=started + timedelta(seconds=20),
        **fields,
    )


REFUNDS = ("wf_refund", "Stripe Refund Handler")
SLACK = ("wf_slack", "New Post to Slack")
HUBSPOT = ("wf_hubspot", "Sync HubSpot Contacts")
CSV = ("wf_csv", "CSV Import")


def _rows() -> list[dict]:
    rows = []
    n = 0
    for i in range(8):
        n += 1
        rows.append(
            _failure(
                n,
                REFUNDS,
                "log_refund",
                f"Property 'refund_amount' is invalid: {9900 + i}.00 "
                f"(correlationId 0f8e7d6c-5b4a-4321-8765-{i:012d})",
                100 + i * 9,
                organisation_id="org_hooli",
                workflow_version_id="wfv_refund_v9",
                input_payload={"data": {"object": {"currency": "jpy", "amount": 9900 + i}}},
            )
        )
    for i in range(12):
        n += 1
        rows.append(
            run_row(
                id=f"grp{n:03d}",
                run_id=f"01GRP{n:021d}",
                event_id=f"01GRPEVT{n:04d}",
                workflow_id=REFUNDS[0],
                workflow_name=REFUNDS[1],
                organisation_id="org_hooli",
                workflow_version_id="wfv_refund_v9" if i % 2 else "wfv_refund_v8",
                input_payload={"data": {"object": {"currency": "usd" if i % 3 else "eur"}}},
                started_at=T0 + timedelta(minutes=20 + i * 12),
                ended_at=T0 + timedelta(minutes=20 + i * 12, seconds=3),
            )
        )
    for i, minutes in enumerate((-600, -300, 30, 95, 170)):
        n += 1
        rows.append(
            _failure(
                n,
                SLACK,
                "action_slack_notify",
                "channel_not_found",
                minutes,
                organisation_id=("org_acme", "org_globex")[i % 2],
            )
        )
    # Yesterday's Slack failure: that group is not new.
    n += 1
    rows.append(_failure(n, SLACK, "action_slack_notify", "channel_not_found", -1500))
    for minutes in (-200, 40):
        n += 1
        log = [
            {"stepId": "trigger", "status": "COMPLETED", "endedAt": "x"},
            {"stepId": "upsert_contacts", "status": "RUNNING"},
        ]
        rows.append(_failure(n, HUBSPOT, "", "", minutes, status="TIMED_OUT", steps_log=log))
    for i in range(3):
        n += 1
        rows.append(
            _failure(
                n,
                CSV,
                "create_contact",
                f'Contact with email "user{i}@example.com" already exists (row {i + 4})',
                60 + i * 30,
                organisation_id="org_umbrella",
            )
        )
    return rows


@pytest.fixture
def groups_table(pg_dsn: str) -> Iterator[TableHandle]:
    """A table holding the fixed failures and passing runs; dropped afterwards."""
    yield from fixed_table(pg_dsn, _rows(), prefix="snapg")


class GroupsSnapshotApp(WflogApp):
    """The real app opening its store in its own event loop (the snapshot runner's), the
    store's clock pinned to `SERVER_NOW`, opening on the failure groups."""

    def __init__(self, handle: TableHandle) -> None:
        self.settings = StoreSettings(dsn=handle.dsn, table=handle.name)
        config = AppConfig(
            run_filter=RunFilter(since=timedelta(hours=24)),
            refresh_s=60,
            animations=False,
            notify_channel=None,
            query_budget=1.0,
            open_groups=True,
        )
        super().__init__(None, config)  # type: ignore[arg-type]
        self.animation_level = "none"

    async def on_load(self) -> None:
        self.store = await open_store(self.settings)

        async def pinned_now() -> datetime:
            return SERVER_NOW

        self.store.server_now = pinned_now  # type: ignore[method-assign]

    async def on_unmount(self) -> None:
        await self.store.close()


def _ready(app) -> bool:
    screen = app.screen
    if not isinstance(screen, FailureGroupsScreen) or not screen.previous_read:
        return False
    selected = screen.table.selected
    return selected is not None and selected.key in screen.splitters.reports


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_failure_groups_layout(snap_compare, groups_table, size):
    app = GroupsSnapshotApp(groups_table)

    async def ready(pilot) -> None:
        await settle(pilot, lambda: _ready(app))
        await pilot.pause(0.3)
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app, terminal_size=size, run_before=ready)
