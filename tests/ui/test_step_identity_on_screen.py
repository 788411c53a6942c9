"""The run view names a step by its name and its stepId, and a loop by one status."""

from __future__ import annotations

from tests.database import run_row
from tests.ui.harness import loaded, run_app, screen_text, settle
from tests.ui.step_entries import entry, trigger


def _log() -> list[dict]:
    loop = entry(
        "loop_rows",
        operation="builtin:loop",
        stepName="For Each Row",
        t=1,
        output={"collection": ["a", "b", "c"], "totalItems": 3},
    )
    rows = [
        entry("save_row", "FAILED" if n == 2 else "COMPLETED", t=1 + n, iteration=n, totalItems=3)
        for n in (1, 2, 3)
    ]
    notify = entry("action_slack_notify", stepName="Notify Sales Channel", t=6)
    return [trigger(), loop, *rows, notify]


async def test_the_tree_and_header_show_the_step_id_and_the_loops_one_status(table, open_store_for):
    row = run_row(steps_log=_log(), status="FAILED")
    await table.insert(row)
    app = run_app(await open_store_for(table), row["run_id"])
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, lambda: loaded(app))
        text = screen_text(app)
        # The stepId beside the name, where the two differ; not where they are the same.
        assert "Notify Sales Channel action_slack_notify" in text
        assert "save_row save_row" not in text
        # The loop entry recorded COMPLETED; an iteration failed: the tree says FAILED, as
        # the detail pane does, and the pane says what the entry recorded.
        loop_line = next(line for line in text.splitlines() if "For Each Row loop_rows" in line)
        assert "✗ FAILED" in loop_line and "COMPLETED" not in loop_line
        app.screen.step_view.select_keys(("s1",))
        await settle(
            pilot,
            lambda: (
                "1 of 3 iterations failed; the loop entry recorded COMPLETED" in screen_text(app)
            ),
        )
        header = next(
            line for line in screen_text(app).splitlines() if "the loop entry recorded" in line
        )
        assert "For Each Row loop_rows" in header and "✗ FAILED" in header
