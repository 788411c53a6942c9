"""Layout of the two main screens against a real PostgreSQL, guarded by SVG snapshots.

The data is fixed (runs of January 2024, times shown in UTC, nothing running) so the
screens are the same on every run. `pytest --snapshot-update` accepts a new layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input

from tests.compared_runs import publish_log
from tests.database import TableHandle, fixed_table, run_row
from tests.ui.harness import settle
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.ui.app import WflogApp
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.run_compare import CompareScreen
from wflog_tui.ui.run_list import RunListScreen
from wflog_tui.ui.run_view import RunScreen

SIZE = (140, 36)
T0 = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


LOOP_LOG = [
    {
        "status": "COMPLETED",
        "stepId": "trigger",
        "operation": "trigger",
        "stepName": "Cohort Ready",
        "output": {"users": ["ann@x.io", "bob@x.io", "not-an-email"]},
        "startedAt": _at(0),
        "endedAt": _at(0.01),
    },
    {
        "status": "COMPLETED",
        "stepId": "loop_users",
        "operation": "builtin:loop",
        "stepName": "Process Each User",
        "output": {"collection": ["ann@x.io", "bob@x.io", "not-an-email"], "totalItems": 3},
        "startedAt": _at(1),
        "endedAt": _at(1.01),
    },
    {
        "status": "COMPLETED",
        "stepId": "send_email",
        "operation": "email",
        "iteration": 1,
        "totalItems": 3,
        "input": {"to": "ann@x.io"},
        "output": {"id": "m1"},
        "startedAt": _at(2),
        "endedAt": _at(2.4),
    },
    {
        "status": "COMPLETED",
        "stepId": "send_email",
        "operation": "email",
        "iteration": 2,
        "totalItems": 3,
        "input": {"to": "bob@x.io"},
        "output": {"id": "m2"},
        "startedAt": _at(3),
        "endedAt": _at(3.5),
    },
    {
        "status": "FAILED",
        "stepId": "send_email",
        "operation": "email",
        "iteration": 3,
        "totalItems": 3,
        "input": {"to": "not-an-email"},
        "error": {
            "message": "Invalid email address format",
            "name": "SmtpError",
            "stack": "SmtpError: Invalid email address format\n    at send (mail.js:12:3)",
        },
        "startedAt": _at(4),
        "endedAt": _at(4.2),
    },
]


def _rows() -> list[dict]:
    rows = []
    shapes = [
        ("COMPLETED", "New Post to Slack", None, "org_acme"),
        (
            "FAILED",
            "User Onboarding Emails",
            "Action failed: Invalid email address format",
            "org_globex",
        ),
        ("TIMED_OUT", "Sync HubSpot Contacts", "Step 'Upsert Contacts' timed out", "org_acme"),
        ("CANCELED", "Nightly Invoice Batch", None, "org_hooli"),
        ("COMPLETED", "[bold]Webhook[/] → Notion", None, "org_initech"),
        ("PAUSED", "Daily Digest Email", None, "org_acme"),
    ]
    for n, (status, workflow, error, org) in enumerate(shapes * 3):
        started = T0 + timedelta(minutes=n * 7)
        rows.append(
            run_row(
                id=f"snap{n:03d}",
                run_id=f"01SNAP{n:020d}",
                status=status,
                workflow_name=workflow,
                error=error,
                organisation_id=org,
                started_at=started,
                ended_at=started + timedelta(seconds=3 + n),
                duration_ms=(3 + n) * 1000,
                steps_log=LOOP_LOG if n == 1 else [],
                event_name="cohort/ready" if n == 1 else "post/created",
                # Explicit: run_row's defaults count rows across the session, so they
                # would depend on which tests ran before.
                event_id=f"01SNAPEVT{n:04d}",
                input_payload={"cohort": n},
            )
        )
    return rows


def _compare_rows() -> list[dict]:
    """A good run of Publish Post on LinkedIn, and the failed one on Mastodon after it."""
    rows = []
    for n, (status, platform, version) in enumerate(
        [("COMPLETED", "linkedin", "wfv_7"), ("FAILED", "mastodon", "wfv_8")]
    ):
        started = T0 + timedelta(hours=n)
        rows.append(
            run_row(
                id=f"cmp{n:03d}",
                run_id=f"01CMP{n:021d}",
                status=status,
                workflow_name="Publish Post",
                workflow_version_id=version,
                started_at=started,
                ended_at=started + timedelta(seconds=1),
                duration_ms=1000,
                steps_log=publish_log(platform, failed=status == "FAILED"),
                event_id=f"01CMPEVT{n:04d}",
            )
        )
    return rows


@pytest.fixture
def snapshot_table(pg_dsn: str) -> Iterator[TableHandle]:
    """A text-status table (so PAUSED fits) holding the fixed runs; dropped afterwards."""
    yield from _fixed_table(pg_dsn, _rows())


@pytest.fixture
def compare_table(pg_dsn: str) -> Iterator[TableHandle]:
    """The fixed pair of runs the diff screen compares; dropped afterwards."""
    yield from _fixed_table(pg_dsn, _compare_rows())


def _fixed_table(pg_dsn: str, rows: list[dict]) -> Iterator[TableHandle]:
    # A text status column, so PAUSED fits.
    yield from fixed_table(pg_dsn, rows, status_enum=False)


async def _steady_cursors(pilot) -> None:
    """A text box's cursor shown steadily: a blinking one is caught on or off by chance."""
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


class SnapshotApp(WflogApp):
    """The real app, opening its store in its own event loop (the snapshot runner's)."""

    def __init__(self, handle: TableHandle, config: AppConfig) -> None:
        self.settings = StoreSettings(dsn=handle.dsn, table=handle.name)
        super().__init__(None, config)  # type: ignore[arg-type]
        # No tab underline caught mid-slide, whatever the machine's load.
        self.animation_level = "none"

    async def on_load(self) -> None:
        self.store = await open_store(self.settings)

    async def on_unmount(self) -> None:
        await self.store.close()


def _config(**fields) -> AppConfig:
    return AppConfig(
        run_filter=RunFilter(),
        refresh_s=60,
        animations=False,
        notify_channel=None,
        time_mode="utc",
        query_budget=1.0,
        **fields,
    )


async def _until(pilot, ready) -> None:
    await settle(pilot, ready)
    # No condition says "the layout is final" (scrollbars, the footer, a late repaint): the
    # snapshot is taken half a second after the data is in, as it always was.
    await pilot.pause(0.5)
    await pilot.wait_for_scheduled_animations()


def test_run_list_layout(snap_compare, snapshot_table):
    app = SnapshotApp(snapshot_table, _config())

    async def loaded(pilot) -> None:
        await _until(
            pilot,
            lambda: isinstance(app.screen, RunListScreen) and len(app.screen.order) == 18,
        )

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_run_view_layout_lands_on_the_failed_iteration(snap_compare, snapshot_table, monkeypatch):
    # The header says how long ago the run started; the wording drifts with the calendar.
    monkeypatch.setattr("humanize.naturaltime", lambda delta: "some time ago")
    app = SnapshotApp(snapshot_table, _config(open_run=f"01SNAP{1:020d}"))

    async def landed(pilot) -> None:
        await _until(
            pilot,
            lambda: (
                isinstance(app.screen, RunScreen)
                and app.screen.step_view.selected_node is not None
                and app.screen.step_view.selected_node.status == "FAILED"
            ),
        )

    assert snap_compare(app, terminal_size=SIZE, run_before=landed)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_compare_layout(snap_compare, compare_table, monkeypatch, size):
    monkeypatch.setattr("humanize.naturaltime", lambda delta: "some time ago")
    app = SnapshotApp(compare_table, _config(open_run=f"01CMP{1:021d}"))

    async def compared(pilot) -> None:
        await _until(
            pilot,
            lambda: isinstance(app.screen, RunScreen) and app.screen.step_tree is not None,
        )
        await pilot.press("d")
        await _until(
            pilot,
            lambda: (
                isinstance(app.screen, CompareScreen)
                and app.screen.comparison is not None
                and app.screen.step_view.selected_node is not None
            ),
        )

    assert snap_compare(app, terminal_size=size, run_before=compared)


def test_run_list_search_syntax_error_at_80x24(snap_compare, snapshot_table):
    app = SnapshotApp(snapshot_table, _config())

    async def mistaken(pilot) -> None:
        await _until(
            pilot,
            lambda: isinstance(app.screen, RunListScreen) and len(app.screen.order) == 18,
        )
        await pilot.press("slash", *"status:FAILED input.cohort>lots")
        await _until(pilot, lambda: app.screen.search_box.error is not None)
        await _steady_cursors(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=mistaken)


def test_save_view_over_the_list_of_a_production_profile(snap_compare, snapshot_table):
    # 80x24: the profile badge, the list and the name prompt must all fit a small terminal.
    app = SnapshotApp(
        snapshot_table, _config(profile="prod", profile_warning=True, config_path=None)
    )

    async def asked(pilot) -> None:
        await _until(
            pilot,
            lambda: isinstance(app.screen, RunListScreen) and len(app.screen.order) == 18,
        )
        await pilot.press("ctrl+s", *"jpy failures")
        await _until(pilot, lambda: app.screen.query("#view-name"))
        await _steady_cursors(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=asked)


# The terminals people are on call with: a split tmux pane, a laptop.
ON_CALL_SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", ON_CALL_SIZES)
def test_run_list_fits(snap_compare, snapshot_table, size):
    app = SnapshotApp(snapshot_table, _config())

    async def loaded(pilot) -> None:
        await _until(
            pilot,
            lambda: isinstance(app.screen, RunListScreen) and len(app.screen.order) == 18,
        )

    assert snap_compare(app, terminal_size=size, run_before=loaded)


def _landed(app) -> bool:
    return (
        isinstance(app.screen, RunScreen)
        and app.screen.step_view.selected_node is not None
        and app.screen.step_view.selected_node.status == "FAILED"
    )


@pytest.mark.parametrize("size", ON_CALL_SIZES)
def test_run_view_fits(snap_compare, snapshot_table, monkeypatch, size):
    monkeypatch.setattr("humanize.naturaltime", lambda delta: "some time ago")
    app = SnapshotApp(snapshot_table, _config(open_run=f"01SNAP{1:020d}"))

    async def landed(pilot) -> None:
        await _until(pilot, lambda: _landed(app))

    assert snap_compare(app, terminal_size=size, run_before=landed)


@pytest.mark.parametrize("size", [pytest.param(SIZE, id="140x36"), *ON_CALL_SIZES])
def test_data_flow_fits(snap_compare, snapshot_table, monkeypatch, size):
    monkeypatch.setattr("humanize.naturaltime", lambda delta: "some time ago")
    app = SnapshotApp(snapshot_table, _config(open_run=f"01SNAP{1:020d}"))

    async def traced(pilot) -> None:
        await settle(pilot, lambda: _landed(app))
        await pilot.press("5")
        await _until(pilot, lambda: "input.to = " in _text(app))

    assert snap_compare(app, terminal_size=size, run_before=traced)


def _text(app) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)
