"""`--org` as a tenant boundary, end to end: two organisations seeded, every path checked.

`tests/test_store_scope.py` proves each store method on its own. These tests drive what a
support engineer scoped to org_a can reach — the list, its counts and sparkline, search,
filters, pickers, a deep link, a run whose organisation changes under the tail, `show`
and `doctor` — and look for anything of org_b on the screen or in the output. org_b's
rows carry a marker in every text column, so any leak is visible as that marker.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.ui.harness import (
    list_app,
    loaded,
    queries_done,
    recent,
    run_ids,
    screen_text,
    settle,
    table_of,
    workers_idle,
)
from tests.ui.step_entries import entry, trigger
from wflog_tui.cli import run
from wflog_tui.store import RunFilter
from wflog_tui.ui.run_list import RunListScreen
from wflog_tui.ui.run_view import RunScreen

MARK = "LEAKB"


def org_b_run(minutes_ago: float, n: int, **fields):
    return recent(
        minutes_ago,
        id=f"b{n}",
        run_id=f"01{MARK}{n}",
        organisation_id="org_b",
        workflow_name=f"{MARK} workflow {n}",
        event_name=f"{MARK}/event",
        event_id=f"01{MARK}EVT{n}",
        **fields,
    )


@pytest.fixture
async def two_orgs(table):
    failing = [trigger(), entry("x", "FAILED", t=1, error={"message": f"{MARK} secret"})]
    now = datetime.now(UTC)
    await table.insert(
        recent(1, id="a1", run_id="01A1", organisation_id="org_a", workflow_name="Alpha"),
        recent(2, id="a2", run_id="01A2", organisation_id="org_a", status="FAILED",
               workflow_name="Alpha", error="a failed", ended_at=now - timedelta(minutes=1)),
        recent(3, id="a3", run_id="01A3", organisation_id="org_a", status="RUNNING",
               ended_at=None, workflow_name="Alpha", steps_log=[trigger(), entry("s", "RUNNING")]),
        org_b_run(0.5, 1, status="FAILED", error=f"{MARK} error", steps_log=failing,
                  ended_at=now),
        org_b_run(1.5, 2, status="FAILED", error=f"{MARK} error", ended_at=now),
        org_b_run(2.5, 3, status="RUNNING", ended_at=None),
        org_b_run(60 * 30, 4, status="FAILED", error=f"{MARK} old"),
        recent(4, id="n1", run_id=f"01{MARK}NULLORG", organisation_id=None,
               workflow_name=f"{MARK} no org"),
    )  # fmt: skip
    return table


def scoped_app(store, **config):
    return list_app(
        store, run_filter=RunFilter(organisation="org_a", since=timedelta(hours=24)), **config
    )


def no_leak(app) -> None:
    # The filter bar and the search box echo what was typed, which may be org_b's ids.
    text = "\n".join(
        line for line in screen_text(app).splitlines() if "Filter:" not in line and "▊" not in line
    )
    assert MARK not in text, [line for line in text.splitlines() if MARK in line]
    assert "org_b" not in text


@pytest.mark.slow
async def test_the_scoped_list_counts_sparkline_search_and_pickers_show_only_the_org(
    two_orgs, open_store_for
):
    store = await open_store_for(two_orgs, organisation_scope="org_a")
    app = scoped_app(store)
    async with app.run_test(size=(200, 45)) as pilot:
        # Rows are drawn before the counts' query returns: wait for both.
        await settle(pilot, lambda: table_of(app).row_count == 3 and "FAILED 1" in screen_text(app))
        assert sorted(run_ids(app)) == ["01A1", "01A2", "01A3"]
        text = screen_text(app)
        # org_b has two failures and a running run in the last hour: none of them counted.
        assert "● RUNNING 1   ✓ COMPLETED 1   ✗ FAILED 1" in text
        await settle(pilot, lambda: "1 failure in last hour" in screen_text(app))
        no_leak(app)

        # Search: by org_b's run id prefix, event id prefix and workflow name.
        for term in (f"01{MARK}", f"01{MARK}EVT", MARK.lower(), "%", "_"):
            await pilot.press("slash", *term, "enter")
            await settle(pilot, lambda term=term: f"search={term}" in screen_text(app))
            await queries_done(pilot, store)
            assert all(not rid.startswith(f"01{MARK}") for rid in run_ids(app)), term
            no_leak(app)
            await pilot.press("escape")
            await settle(pilot, lambda: table_of(app).row_count == 3)

        # Every status and the widest window, then cleared filters: still only org_a.
        for key in ("3", "0", "1", "0", "ctrl+z", "ctrl+z", *["right_square_bracket"] * 3):
            await pilot.press(key)
            await settle(pilot, lambda: workers_idle(app))  # the query of this filter ran
        await settle(pilot, lambda: "window=all" in screen_text(app))
        await queries_done(pilot, store, 2)
        assert sorted(run_ids(app)) == ["01A1", "01A2", "01A3"]
        no_leak(app)
        await pilot.press("x")
        await queries_done(pilot, store, 2)
        assert sorted(run_ids(app)) == ["01A1", "01A2", "01A3"]
        no_leak(app)

        # The workflow picker offers org_a's names only; the organisation picker is fixed.
        await pilot.press("w")
        await settle(pilot, lambda: "Alpha" in screen_text(app) and "(any)" in screen_text(app))
        no_leak(app)
        await pilot.press("escape")
        await pilot.press("o")
        notes = lambda: [n.message for n in app._notifications]  # noqa: E731
        await settle(pilot, lambda: "--org fixes the organisation for this session" in notes())
        no_leak(app)

        # Time passes: refreshes (delta, watched running rows) bring nothing of org_b.
        await two_orgs.insert(org_b_run(0.1, 5, status="RUNNING", ended_at=None))
        await two_orgs.execute(
            f"UPDATE {two_orgs.shape.qualified} SET status = 'COMPLETED' WHERE id = 'b3'"
        )
        await two_orgs.insert(recent(0.1, id="a9", run_id="01A9", organisation_id="org_a"))
        await settle(pilot, lambda: "01A9" in run_ids(app))
        no_leak(app)


@pytest.mark.parametrize("key", ["01LEAKB1", "b1", "01LEAKBNULLORG", "n1", " 01LEAKB1 "])
async def test_a_deep_link_to_another_orgs_run_is_not_found(two_orgs, open_store_for, key):
    store = await open_store_for(two_orgs, organisation_scope="org_a")
    app = scoped_app(store, open_run=key, refresh_s=30)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: "outside the organisation scope" in screen_text(app))
        text = screen_text(app)
        assert "No run" in text
        assert "LEAKB error" not in text and "secret" not in text and "org_b" not in text
        await pilot.press("r")
        await settle(pilot, lambda: workers_idle(app))  # the reload ran, and found nothing
        assert "outside the organisation scope" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))
        await settle(pilot, lambda: table_of(app).row_count == 3)
        no_leak(app)


async def test_a_run_moved_to_another_org_stops_being_tailed_and_shown(two_orgs, open_store_for):
    store = await open_store_for(two_orgs, organisation_scope="org_a")
    app = scoped_app(store, open_run="01A3", refresh_s=0.1)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, RunScreen) and loaded(app))
        await two_orgs.execute(
            f"UPDATE {two_orgs.shape.qualified} SET organisation_id = 'org_b', "
            f'steps_log = steps_log || \'[{{"status": "RUNNING", "stepId": "{MARK}"}}]\' '
            "WHERE id = 'a3'"
        )
        await settle(pilot, lambda: "gone from the table" in screen_text(app))
        assert MARK not in screen_text(app)
        await pilot.press("r")
        await settle(pilot, lambda: workers_idle(app, "run-load"))
        # The reload finds nothing in scope; the tail it resumes says the run is gone.
        text = screen_text(app)
        assert "gone from the table" in text or "outside the organisation scope" in text
        assert MARK not in text
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))
        # The list's watched running row left the scope: it is not updated with org_b data.
        await queries_done(pilot, store, 2)
        no_leak(app)


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), {})
    return code, out.getvalue(), err.getvalue()


async def test_show_and_doctor_with_org_reveal_nothing_of_another_org(two_orgs):
    base = ("--dsn", two_orgs.dsn, "--table", two_orgs.name, "--org", "org_a")
    for key in ("01LEAKB1", "b1", "01LEAKBNULLORG"):
        for extra in ((), ("--json",)):
            code, out, err = await asyncio.to_thread(_cli, *base, "show", key, *extra)
            assert code == 2
            assert out == ""
            assert "in organisation org_a" in err and "secret" not in err
    code, out, _ = await asyncio.to_thread(_cli, *base, "show", "01A2", "--json")
    assert code == 0 and MARK not in out and "org_b" not in out
    for extra in ((), ("--json",)):
        code, out, err = await asyncio.to_thread(_cli, *base, "doctor", *extra)
        assert code == 0, err
        assert MARK not in out + err and "org_b" not in out + err
