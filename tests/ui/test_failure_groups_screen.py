"""The failure groups screen as an on-call engineer uses it, against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from textual.command import CommandList, CommandPalette

from tests.database import TableHandle, run_row
from tests.ui.harness import list_app, screen_text, settle
from wflog_tui.demo.table_ddl import TableShape, quote_ident
from wflog_tui.store import RunFilter
from wflog_tui.store.failure_loading import PendingFailureLog, failure_filter
from wflog_tui.ui.app import WflogApp
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.failure_groups import FailureGroupsScreen
from wflog_tui.ui.failure_groups.group_table import GroupTable, columns_for
from wflog_tui.ui.failure_groups.lines import squeezed_sparkline
from wflog_tui.ui.failure_groups.run_in_group import GroupRunScreen
from wflog_tui.ui.help_screen import HelpScreen
from wflog_tui.ui.run_list import RunListScreen

NOW = datetime.now(UTC).replace(microsecond=0)
JPY_SPLITTER = 'input.invoice.currency = "JPY"   6 of 6 failing · 0 of 20 passing'


def _failed(step: str, message: str, minutes_ago: float, **fields) -> dict:
    started = NOW - timedelta(minutes=minutes_ago)
    log = [
        {"stepId": "trigger", "status": "COMPLETED", "endedAt": "x"},
        {"stepId": step, "status": "FAILED", "error": {"message": message}},
    ]
    fields.setdefault("ended_at", started + timedelta(seconds=30))
    return run_row(
        status="FAILED",
        steps_log=log,
        error="Action failed",
        started_at=started,
        **fields,
    )


def _declined(i: int, minutes_ago: float, **fields) -> dict:
    return _failed(
        "charge_card",
        f"card_declined for ORDER{1000 + i * 37} (req_{i:02d}9f8e7d6c5b4a)",
        minutes_ago,
        run_id=f"01DECLINE{i:02d}",
        input_payload={"invoice": {"currency": "JPY", "n": i}},
        **fields,
    )


def _incident() -> list[dict]:
    """Six card declines in yen (new today), three SMTP timeouts (also yesterday), passing runs."""
    rows = [_declined(i, 60 + i * 10) for i in range(6)]
    rows += [
        _failed("send_email", f"SMTP timeout after {3000 + i} ms", 5 + i, run_id=f"01SMTP{i}")
        for i in range(3)
    ]
    # The day before: SMTP timeouts are nothing new.
    rows.append(_failed("send_email", "SMTP timeout after 7 ms", 30 * 60, run_id="01SMTPOLD"))
    for i in range(20):
        started = NOW - timedelta(minutes=100 + i)
        rows.append(
            run_row(
                input_payload={"invoice": {"currency": "EUR" if i % 2 else "USD", "n": i}},
                started_at=started,
                ended_at=started + timedelta(seconds=2),
            )
        )
    return rows


def groups_screen(app) -> FailureGroupsScreen:
    screen = app.screen
    assert isinstance(screen, FailureGroupsScreen)
    return screen


def steps_shown(app) -> list[str | None]:
    return [g.key.step_id for g in app.screen.query_one(GroupTable).groups]


def _painted(app, splitter: str | None = JPY_SPLITTER) -> bool:
    screen = app.screen
    if not isinstance(screen, FailureGroupsScreen) or not screen.previous_read:
        return False
    return splitter is None or splitter in screen_text(app)


async def test_groups_with_counts_new_badge_and_splitters(table, open_store_for):
    await table.insert(*_incident())
    store = await open_store_for(table)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        text = screen_text(app)
        lines = text.splitlines()
        declines = next(line for line in lines if "charge_card" in line and "card_declined" in line)
        smtp = next(line for line in lines if "send_email" in line and "SMTP timeout" in line)
        # Varying order numbers and request ids collapse into one group of six.
        assert "NEW" in declines and " 6 " in declines
        assert "card_declined for ORDER<n> (req_<hex>)" in declines
        assert "org_a" in declines
        # The SMTP group failed yesterday too: not new.
        assert "NEW" not in smtp and " 3 " in smtp
        assert "2 groups, 9 failures, 1 new" in text
        # The selected group (most failures first): its evidence, sample sizes, blast radius.
        assert "What the failing runs share (6 failing, 20 passing sampled)" in text
        assert "organisations org_a 6" in text
        assert "versions      wfv_1 6" in text
        assert "01DECLINE00" in text and "01DECLINE05" in text
        assert "● LIVE" in text
        # Opened with --groups, there is no list below: esc makes one.
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))


async def test_the_screen_takes_the_load_the_command_line_started(table, open_store_for):
    await table.insert(*_incident())
    store = await open_store_for(table)
    day = RunFilter(since=timedelta(hours=24))
    # What `wflog-tui --groups` does before it imports the UI.
    pending = PendingFailureLog(store, failure_filter(day))
    app = WflogApp(
        store,
        AppConfig(run_filter=day, open_groups=True, animations=False, query_budget=1.0),
        pending_groups=pending,
    )
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        assert groups_screen(app).failure_log is pending.task.result()
        assert "2 groups, 9 failures, 1 new" in screen_text(app)


async def test_sort_by_count_and_by_last_seen(table, open_store_for):
    await table.insert(*_incident())
    store = await open_store_for(table)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        assert steps_shown(app) == ["charge_card", "send_email"]
        # The sort keys are in the footer.
        await settle(pilot, lambda: "C Sort by count  L Sort by last seen" in screen_text(app))
        await pilot.press("L")
        await settle(pilot, lambda: steps_shown(app) == ["send_email", "charge_card"])
        assert "by last seen" in screen_text(app).splitlines()[0]
        # The selection follows the group, so its splitters stay on screen.
        assert JPY_SPLITTER in screen_text(app)
        await pilot.press("C")
        await settle(pilot, lambda: steps_shown(app) == ["charge_card", "send_email"])
        assert "by count" in screen_text(app).splitlines()[0]


async def test_e_and_the_palette_open_the_groups_of_the_lists_filters(table, open_store_for):
    await table.insert(
        *_incident(),
        _failed("import_row", "another workflow's failure", 3, workflow_name="CSV Import"),
    )
    store = await open_store_for(table)
    app = list_app(store, run_filter=RunFilter(since=timedelta(hours=1)))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))
        await pilot.press("e")
        await settle(pilot, lambda: _painted(app, splitter=None))
        # The list's 1h window: the declines (60 minutes ago and older) are outside it.
        text = screen_text(app)
        assert "window 1h" in text and "2 groups, 4 failures" in text
        assert "card_declined" not in text
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))


async def test_the_palette_opens_the_groups_of_the_lists_workflow(table, open_store_for):
    await table.insert(
        *_incident(),
        _failed("import_row", "another workflow's failure", 3, workflow_name="CSV Import"),
    )
    store = await open_store_for(table)
    day = RunFilter(since=timedelta(hours=24), workflow="New Post to Slack")
    app = list_app(store, run_filter=day)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"failure groups")
        await app.workers.wait_for_complete()
        await pilot.pause()
        options = app.screen.query_one(CommandList).options
        assert str(options[0].prompt).startswith("Failure groups  e")
        await pilot.press("enter")
        await settle(pilot, lambda: _painted(app))
        text = screen_text(app)
        assert "workflow New Post to Slack" in text and "2 groups, 9 failures" in text
        assert "import_row" not in text


async def test_enter_opens_a_run_on_its_failure_and_steps_through_the_group(table, open_store_for):
    await table.insert(*_incident())
    store = await open_store_for(table)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        groups = groups_screen(app)
        await pilot.press("enter")  # on the group: to its runs
        assert groups.runs_table.has_focus
        await pilot.press("down", "enter")  # the second newest run of the group

        def on_failure(run_id: str) -> bool:
            screen = app.screen
            if not isinstance(screen, GroupRunScreen) or screen.run_id != run_id:
                return False
            node = screen.step_view.selected_node
            return node is not None and node.status == "FAILED"

        await settle(pilot, lambda: on_failure("01DECLINE01"))
        assert app.screen.step_view.selected_node.entry.step_id == "charge_card"
        assert "group run 2/6" in screen_text(app)
        await pilot.press("greater_than_sign")
        await settle(pilot, lambda: on_failure("01DECLINE02"))
        await pilot.press("less_than_sign", "less_than_sign")
        await settle(pilot, lambda: on_failure("01DECLINE00"))
        await pilot.press("less_than_sign")
        await settle(
            pilot, lambda: any("newest run of the group" in n.message for n in app._notifications)
        )
        assert app.screen.run_id == "01DECLINE00"
        # The keys are in `?` and in the palette.
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = screen_text(app)
        assert "Next run of group" in help_text and "Prev run of group" in help_text
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"next run of group")
        await app.workers.wait_for_complete()
        await pilot.pause()
        options = app.screen.query_one(CommandList).options
        assert str(options[0].prompt).startswith("Next run of group  >")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, GroupRunScreen))
        # esc goes back to the groups, not to the run moved from.
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is groups)


async def test_help_lists_the_screens_keys_and_o_opens_the_newest_run(table, open_store_for):
    await table.insert(*_incident())
    store = await open_store_for(table)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        for description in ("Open run", "Sort by count", "Sort by last seen", "Pause"):
            assert description in text, description
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, FailureGroupsScreen))
        # tab: groups → runs → splitters → groups, whatever has focus.
        screen = groups_screen(app)
        await pilot.press("tab")
        assert screen.runs_table.has_focus
        await pilot.press("tab")
        assert screen.focused is not None and screen.focused.id == "group-detail-box"
        await pilot.press("tab")
        assert screen.table.has_focus
        await pilot.press("o")
        await settle(
            pilot,
            lambda: isinstance(app.screen, GroupRunScreen) and app.screen.run_id == "01DECLINE00",
        )


async def test_a_window_of_many_groups_lists_the_top_hundred(table, open_store_for):
    one_offs = [_failed(f"step_{i:03d}", "boom", 2 + i / 10) for i in range(104)]
    big = [_failed("step_big", "boom", 1 + i / 100) for i in range(3)]
    await table.insert(*one_offs, *big)
    store = await open_store_for(table)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app, splitter=None))
        text = screen_text(app)
        assert "105 groups, 107 failures" in text and "the top 100 by count" in text
        table_widget = groups_screen(app).table
        assert table_widget.row_count == 100
        # The biggest group is first; the rest, one failure each, newest first after it.
        assert [g.key.step_id for g in table_widget.groups[:2]] == ["step_big", "step_000"]


async def test_live_refresh_adds_a_new_failure(table, open_store_for):
    await table.insert(*_incident())
    store = await open_store_for(table)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        await table.insert(_declined(6, 0.5), _failed("refund", "Refund failed", 0.2))
        await settle(pilot, lambda: "3 groups, 11 failures" in screen_text(app))
        lines = screen_text(app).splitlines()
        declines = next(line for line in lines if "charge_card" in line and "card_declined" in line)
        assert " 7 " in declines
        refund = next(line for line in lines if "refund" in line and "Refund failed" in line)
        assert "NEW" in refund
        assert "01DECLINE06" in screen_text(app)


async def test_under_org_only_the_organisations_groups_show(table, open_store_for):
    marker = "ZZOTHERORG"
    others = [
        _failed(
            f"step_{marker}",
            f"{marker} exploded",
            3 + i,
            organisation_id=f"org_{marker}",
            workflow_name=f"Flow {marker}",
            run_id=f"01{marker}{i}",
            workflow_version_id=f"wfv_{marker}",
            input_payload={"invoice": {"currency": "JPY", "tag": marker}},
        )
        for i in range(4)
    ]
    # Another organisation's passing runs of the same workflow must not dilute the sample.
    others += [
        run_row(
            organisation_id=f"org_{marker}",
            input_payload={"invoice": {"currency": "JPY"}},
            started_at=NOW - timedelta(minutes=20 + i),
            ended_at=NOW - timedelta(minutes=19 + i),
        )
        for i in range(5)
    ]
    await table.insert(*_incident(), *others)
    store = await open_store_for(table, organisation_scope="org_a")
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        text = screen_text(app)
        assert marker not in text
        assert "2 groups, 9 failures" in text
        assert {o for g in groups_screen(app).groups for o in g.organisations} == {"org_a"}
        await pilot.press("down")
        await settle(pilot, lambda: "SMTP timeout" in screen_text(app).split("▔")[-1])
        await settle(pilot, lambda: "3 failing" in screen_text(app))
        assert marker not in screen_text(app)


async def _slow_view(table, seconds: float) -> TableHandle:
    """A view of `table` whose every query sleeps `seconds` while `knob.slow` is true."""
    schema = quote_ident(table.shape.schema)
    await table.execute(f"CREATE TABLE {schema}.knob (slow boolean NOT NULL)")
    await table.execute(f"INSERT INTO {schema}.knob VALUES (false)")
    await table.execute(
        f"CREATE VIEW {schema}.slow_log AS SELECT * FROM {table.shape.qualified} WHERE "
        f"(SELECT pg_sleep(CASE WHEN slow THEN {seconds} ELSE 0 END) FROM {schema}.knob) "
        "IS NOT NULL"
    )
    return TableHandle(table.dsn, TableShape(schema=table.shape.schema, table="slow_log"))


async def test_progress_is_shown_while_the_window_loads(table, open_store_for):
    view = await _slow_view(table, 1.5)
    await table.insert(*_incident())
    await table.execute(f"UPDATE {quote_ident(table.shape.schema)}.knob SET slow = true")
    store = await open_store_for(view)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: "LOADING" in screen_text(app))
        assert "failures of the last 24h: 0 read" in screen_text(app)
        await settle(pilot, lambda: _painted(app, splitter=None), within=30)
        assert "LOADING" not in screen_text(app)


async def test_a_slow_database_marks_the_groups_stale_and_they_recover_alone(table, open_store_for):
    # Every query reads this view; the knob makes each one sleep past the statement timeout.
    view = await _slow_view(table, 1)
    schema = quote_ident(table.shape.schema)
    await table.insert(*_incident())
    store = await open_store_for(view, statement_timeout_s=0.3)
    app = list_app(store, open_groups=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: _painted(app))
        await table.execute(f"UPDATE {schema}.knob SET slow = true")
        await settle(pilot, lambda: "TOO SLOW" in screen_text(app), within=30)
        # What was shown stays, marked stale.
        assert "2 groups, 9 failures" in screen_text(app)
        assert groups_screen(app).table.has_class("stale")
        await table.execute(f"UPDATE {schema}.knob SET slow = false")
        await table.insert(_failed("refund", "Refund failed", 0.2))
        await settle(pilot, lambda: "3 groups, 10 failures" in screen_text(app), within=60)
        assert "● LIVE" in screen_text(app)
        assert not groups_screen(app).table.has_class("stale")


@given(st.integers(min_value=80, max_value=400))
def test_the_group_columns_fit_the_width(width):
    columns = columns_for(width)
    used = sum(c.width + 2 for c in columns) + 4
    assert used <= width
    assert [c.key for c in columns][:2] == ["new", "count"]
    assert {"step", "signature"} <= {c.key for c in columns}


@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=64), st.integers(1, 40))
def test_a_squeezed_sparkline_fits_and_keeps_the_peak(counts, width):
    line = squeezed_sparkline(counts, width)
    assert len(line) <= max(width, 1) or not counts
    if counts and max(counts) > 0:
        assert "█" in line
