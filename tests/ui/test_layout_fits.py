"""What matters stays on screen at the sizes people are on call with, cut only with an ellipsis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.database import run_row
from tests.ui.harness import list_app, loaded, recent, run_app, run_ids, screen_text, settle
from tests.ui.step_entries import entry, trigger

LONG_ERROR = "Action failed: Could not find database with ID: e2b94d1a7c6f0a35 (request 42)"


async def test_the_list_at_80_columns_keeps_the_error_and_the_counts_apart(table, open_store_for):
    await table.insert(
        *(
            recent(i, status="FAILED", error=LONG_ERROR, workflow_name="Webhook → Notion")
            for i in range(1, 5)
        ),
        recent(6, status="COMPLETED"),
    )
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 5 and "FAILED 4" in screen_text(app))
        await settle(pilot, lambda: "failures in last hour" in screen_text(app))
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if line.lstrip().startswith("Status"))
        assert "Error" in header and "Started" in header and "Workflow" in header
        row = next(line for line in lines if "FAILED" in line and "Webhook" in line)
        assert "Action failed" in row and row.endswith("…")
        # Each count stays whole, and the sparkline's label says what its number is.
        assert "4 failures in last hour" in screen_text(app)
        assert any("✗ FAILED 4" in line for line in lines[:3])


def loop_of(count: int) -> list:
    steps: list[Any] = [trigger(), entry("loop", operation="builtin:loop", stepName="For Each Row")]
    for n in range(4790, 4790 + count):
        steps.append(
            entry("send", "FAILED" if n == 4805 else "COMPLETED", iteration=n, totalItems=4809)
        )
    return steps


async def test_the_run_view_at_80_columns_stacks_and_cuts_with_an_ellipsis(table, open_store_for):
    row = run_row(steps_log=loop_of(20), status="FAILED", error=LONG_ERROR)
    await table.insert(row)
    store = await open_store_for(table)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: loaded(app))
        tree, pane = app.screen.step_view, app.screen.detail_pane
        # Stacked: each pane is the terminal's width.
        assert tree.region.width == 80 and pane.region.width == 80
        assert tree.region.y < pane.region.y
        await settle(pilot, lambda: "✗ FAILED  iteration 4,805  500 ms" in screen_text(app))
        text = screen_text(app)
        # The tab bar starts at its first tab.
        assert any(line.strip().startswith("Input  Output  Error") for line in text.splitlines())
        await pilot.press("z")
        await settle(pilot, lambda: pane.display is False or pane.region.height == 0)
        assert tree.region.height > 15
        await pilot.press("z")
        await settle(pilot, lambda: pane.region.height > 0)


async def test_the_header_at_120_columns_keeps_each_pair_on_one_line(table, open_store_for):
    # Recent times read long ("(30 seconds ago)"): the line no longer fits 120 columns.
    ended = datetime.now(UTC).replace(microsecond=0, tzinfo=None) - timedelta(seconds=20)
    row = run_row(
        steps_log=[trigger()],
        started_at=ended - timedelta(seconds=10),
        ended_at=ended,
        duration_ms=10_000,
    )
    await table.insert(row)
    store = await open_store_for(table)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: loaded(app))
        header = screen_text(app).splitlines()[:6]
        assert any("duration 10.0 s" in line for line in header), header
        assert not any(line.strip() == "s" for line in header)
