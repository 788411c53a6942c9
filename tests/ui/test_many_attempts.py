"""A polling step logged thousands of times, no iteration: paged, and filled in bounded bites."""

from __future__ import annotations

from typing import Any

from tests.ui.harness import (
    cursor_path,
    loaded,
    open_run,
    run_app,
    run_screen,
    settle,
    tree_lines,
)
from tests.ui.step_entries import entry, trigger
from wflog_tui.model.step_tree import EAGER_ATTEMPTS, RetriedNode

ATTEMPTS = 3000


def polling_log(attempts: int = ATTEMPTS) -> list[dict]:
    """The trigger, `attempts` completed polls of one step, then one failed poll."""
    polls = [
        entry("poll", t=n, stepName="poll status", output={"state": "pending", "n": n})
        for n in range(1, attempts + 1)
    ]
    failed = entry(
        "poll", "FAILED", t=attempts + 1, stepName="poll status", error={"message": "gave up"}
    )
    return [trigger(), *polls, failed]


def record_entry_fetches(store: Any) -> list[list[int]]:
    """The indexes of every `fetch_entries` the store is asked for from now on, in order."""
    asked: list[list[int]] = []
    fetch = store.fetch_entries

    async def counted(run_id: str, indexes: Any) -> Any:
        asked.append(list(indexes))
        return await fetch(run_id, indexes)

    store.fetch_entries = counted
    return asked


async def test_selecting_a_step_of_thousands_of_attempts_fills_one_bounded_batch(
    table, open_store_for, monkeypatch
):
    from wflog_tui.store import run_loading

    monkeypatch.setattr(run_loading, "SKELETON_OVER_BYTES", 1)
    row, store = await open_run(table, open_store_for, polling_log(), status="FAILED")
    asked = record_entry_fetches(store)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        view = screen.step_view
        node = screen.step_tree.nodes[1]
        assert isinstance(node, RetriedNode)
        total = ATTEMPTS + 1
        assert cursor_path(app) == ["poll status", f"attempt {total:,}"]
        # Landing on the last attempt made one page of attempt nodes, not 3,001.
        assert view.node_count < 2 * view.PAGE_SIZE
        assert any("3,000 more attempts (1–3,000)" in line for line in tree_lines(app))
        await settle(pilot, lambda: screen.entry_fill.idle)
        landing = len(asked)
        # Selecting the attempts node wants its first attempts, its last and those on
        # screen: one query, a bounded number of entries.
        asked.clear()
        view.select_keys(("s1",))
        await settle(pilot, lambda: "Earlier attempts (3,000)" in _pane_text(screen))
        await settle(pilot, lambda: screen.entry_fill.idle)
        assert len(asked) <= 1
        assert sum(map(len, asked)) <= EAGER_ATTEMPTS + view.PAGE_SIZE + 50
        entries = screen.step_tree.entries
        assert not entries[1].payload_pending  # attempt 1: listed in the pane
        assert entries[1500].payload_pending  # an attempt nobody showed stays a skeleton
        assert landing <= 3
        assert sum(1 for i in range(len(entries)) if not entries.is_pending(i)) < 600
        # A jump into the middle makes that page of attempts, filled by one more query.
        asked.clear()
        before = view.node_count
        assert view.select_keys(("s1", "s1/a1500"))
        assert cursor_path(app) == ["poll status", "attempt 1,500"]
        await settle(pilot, lambda: not entries[1500].payload_pending)
        await settle(pilot, lambda: screen.entry_fill.idle)
        assert len(asked) == 1 and len(asked[0]) <= view.PAGE_SIZE + EAGER_ATTEMPTS
        assert view.node_count <= before + view.PAGE_SIZE + 2
        assert entries[1400].payload_pending  # attempt 1,400: on the page before, not shown


def _pane_text(screen) -> str:
    from tests.ui.harness import screen_text

    return screen_text(screen.app)


def test_the_waterfall_of_an_attempt_shows_that_attempt_not_every_sibling():
    from wflog_tui.model.step_tree import build_tree
    from wflog_tui.ui.run_view.waterfall import waterfall_rows

    tree = build_tree(polling_log(500), run_status="FAILED")
    selected = tree.find(("s1", "s1/a250"))
    layout = waterfall_rows(tree, selected)
    # The trigger, the step, and the selected attempt under it: not 501 attempt rows.
    assert len(layout.rows) + layout.left_out == 3


async def test_fills_are_cut_into_bites_of_bounded_stored_size(table, open_store_for, monkeypatch):
    from wflog_tui.store import run_loading
    from wflog_tui.ui.run_view import entry_fill

    monkeypatch.setattr(run_loading, "SKELETON_OVER_BYTES", 1)
    budget = 2_000
    monkeypatch.setattr(entry_fill, "ENTRY_BATCH_BYTES", budget)
    row, store = await open_run(table, open_store_for, polling_log(300), status="FAILED")
    asked = record_entry_fetches(store)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = run_screen(app)
        entries = screen.step_tree.entries
        screen.step_view.select_keys(("s1",))
        await settle(pilot, lambda: not entries[1].payload_pending)
        await settle(pilot, lambda: screen.entry_fill.idle)
        sizes = [[entries.stored_size(i) for i in batch] for batch in asked]
        assert all(size > 0 for batch in sizes for size in batch)
        # Each bite stays within the budget, but for the entry that crossed it.
        assert all(sum(batch[:-1]) < budget for batch in sizes)
        assert len(asked) > 3
