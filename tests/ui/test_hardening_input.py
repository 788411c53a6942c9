"""Bad input from the user: a clear message, no crash, nothing injected.

Flags are run in-process through `cli.run` (the same code as the console script); the
values that look like SQL go to a real table, which is checked afterwards to be intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from datetime import timedelta

import pytest

from tests.ui.harness import list_app, recent, run_ids, screen_text, settle, table_of
from wflog_tui.cli import run
from wflog_tui.store import RunFilter, parse_since
from wflog_tui.ui.run_view import RunScreen

SQL = "x'; DROP TABLE t; --"


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv, {})
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


async def cli(*argv: str) -> tuple[int, str, str]:
    return await asyncio.to_thread(_cli, list(argv))


def one_clear_line(err: str, *expected: str) -> None:
    assert err.startswith("wflog-tui"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--since", "soon"], "--since"),
        (["--since", "0m"], "--since"),
        (["--since", "-1h"], "--since"),
        (["--since", ""], "--since"),
        (["--since", "1.5h"], "--since"),
        (["--since", "1234567d"], "--since"),
        (["--refresh", "nan"], "--refresh"),
        (["--refresh", "inf"], "--refresh"),
        (["--refresh", "0"], "--refresh"),
        (["--refresh", "two"], "--refresh"),
        (["--statement-timeout", "0"], "--statement-timeout"),
        (["--statement-timeout", "1e9"], "--statement-timeout"),
        (["--org"], "--org"),
        (["--run"], "--run"),
        (["--bogus"], "--bogus"),
        (["show"], "RUN_ID"),
        (["doctor", "extra"], "extra"),
        (["--theme", "[bold]x\x1b[2J"], "no theme named"),
        (["--dsn", "not a dsn", "show", "x"], "--dsn"),
    ],
)
async def test_invalid_flags_exit_2_with_one_clear_line(argv, expected):
    code, out, err = await cli(*argv)
    assert code == 2, (out, err)
    one_clear_line(err, expected)
    assert "\x1b" not in err


async def test_sql_in_flags_is_data_and_the_table_survives(table):
    await table.insert(recent(1, run_id="01KEEP", organisation_id="org_a"))
    base = ["--dsn", table.dsn, "--table", table.name]
    for argv, code_wanted in (
        (["--org", SQL, "show", "01KEEP"], 2),
        (["--org", "' OR 1=1 --", "doctor"], 0),
        (["--workflow", SQL, "doctor"], 0),
        (["--status", "FAILED'); DROP TABLE t; --", "doctor"], 0),
        (["show", SQL], 2),
        (["show", "01KEEP' OR '1'='1"], 2),
        (["show", "%"], 2),
    ):
        code, out, err = await cli(*base, *argv)
        assert code == code_wanted, (argv, out, err)
        assert "Traceback" not in out + err and "syntax error" not in out + err
    # A table name is an identifier, never SQL: a missing table, named, and nothing run.
    code, _, err = await cli("--dsn", table.dsn, "--table", f"{SQL}", "show", "x")
    assert code == 2
    one_clear_line(err, "does not exist")
    assert (await table.execute(f"SELECT 1 FROM {table.shape.qualified}")) == "SELECT 1"
    code, out, _ = await cli(*base, "show", "01KEEP")
    assert code == 0 and "01KEEP" in out


async def test_a_run_id_that_does_not_exist_or_holds_escapes_is_named_escaped(table):
    base = ["--dsn", table.dsn, "--table", table.name]
    code, out, err = await cli(*base, "show", "[bold]nope\x1b]52;c;aGk=\x07")
    assert code == 2 and out == ""
    one_clear_line(err, "no run with run_id or id [bold]nope\\x1b]52;c;aGk=\\x07")
    assert "\x1b" not in err and "\x07" not in err


@pytest.mark.slow
async def test_search_with_sql_wildcards_and_markup_matches_literally(table, open_store_for):
    await table.insert(
        recent(1, run_id="01SALE", workflow_name="50%_off [bold]now[/]"),
        recent(2, run_id="01OTHER", workflow_name="500 offers"),
        recent(3, run_id="01BACK", workflow_name="back\\slash"),
    )
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 3)
        for term, expected in (
            ("' OR '1'='1", []),
            # Quoted: a bare `--` is a syntax error of the search language (one '-' per term).
            ('"\'; DROP TABLE x; --"', []),
            ("%", ["01SALE"]),
            ("50%_", ["01SALE"]),
            ("_", ["01SALE"]),
            ("[bold]now[/]", ["01SALE"]),
            ("\\", ["01BACK"]),
            ("01O", ["01OTHER"]),
        ):
            await pilot.press("slash", "ctrl+u", *term, "enter")
            await settle(pilot, lambda term=term: f"search={term}" in screen_text(app))
            await settle(pilot, lambda expected=expected: run_ids(app) == expected)
            text = screen_text(app)
            assert "DISCONNECTED" not in text and "PostgreSQL error" not in text, term
            await pilot.press("escape")
            await settle(pilot, lambda: table_of(app).row_count == 3)
        # Markup in a search is shown as typed in the filter bar, never styled.
        await pilot.press("slash", "ctrl+u", *"[red]x[/red]", "enter")
        await settle(pilot, lambda: "search=[red]x[/red]" in screen_text(app))
    assert (await table.execute(f"SELECT 1 FROM {table.shape.qualified}")) == "SELECT 3"


async def test_deep_link_to_a_missing_run_with_markup_says_not_found(table, open_store_for):
    store = await open_store_for(table)
    app = list_app(store, open_run="[bold]gone[/] \x1b[2J", refresh_s=30)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: "No run [bold]gone[/] \\x1b[2J here" in screen_text(app))
        assert isinstance(app.screen, RunScreen)
        assert "\x1b" not in screen_text(app)


async def test_a_window_wider_than_postgres_can_count_back_lists_every_run(table, open_store_for):
    await table.insert(recent(1, run_id="01ANCIENT"))
    store = await open_store_for(table)
    app = list_app(store, run_filter=RunFilter(since=parse_since("999999w")))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: run_ids(app) == ["01ANCIENT"])
        text = screen_text(app)
        assert "DISCONNECTED" not in text and "out of range" not in text
    code, out, err = await cli(
        "--dsn", table.dsn, "--table", table.name, "--since", "999999w", "doctor"
    )
    assert code == 0 and "out of range" not in out + err, (code, out, err)
    assert parse_since("999999w") == timedelta(weeks=999999)
