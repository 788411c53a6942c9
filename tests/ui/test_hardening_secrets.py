"""The DSN's password never shows: not on screen, in an error, in `doctor`, in a crash file,
in a traceback the app renders, or in a screenshot.

The password logs in for real (the test server is switched to scram for the test's role),
so the app holds it for the whole session; then it is changed under the app, which must
report the failed logins without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest
from rich.console import Console

from tests.roles import (
    can_rewrite_hba,
    dsn_as,
    free_port,
    password_required,
    role,
)
from tests.ui.harness import list_app, loaded, recent, screen_text, settle, table_of, workers_idle
from tests.waiting import eventually
from wflog_tui.cli import run
from wflog_tui.store import StoreSettings, open_store
from wflog_tui.ui.run_list import RunListScreen

PASSWORD = "S3cretPassw0rd"
# Characters that change between spellings (URL-encoded, quoted) and break naive masking.
TRICKY = "S3cr:t@P/ss%w0rd 'q'"


def spellings(password: str) -> list[str]:
    return [password, quote(password, safe=""), quote(password), password.replace("'", "''")]


def assert_hidden(text: str, password: str = PASSWORD, where: str = "") -> None:
    for spelled in spellings(password):
        assert spelled not in text, f"{where}: the password is in {text[:500]!r}"
    assert "S3cr" not in text, where


def everything_shown(app) -> str:
    """Screen, notifications and the SVG screenshot, as one text to search."""
    notes = [f"{n.title} {n.message}" for n in app._notifications]
    return "\n".join([screen_text(app), *notes, app.export_screenshot()])


def _cli(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv, env or {})
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


async def cli(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    return await asyncio.to_thread(_cli, list(argv), env)


@pytest.fixture
async def secret_role(pg_dsn, table):
    """A role that logs in with PASSWORD only, and a DSN carrying it."""
    if not await can_rewrite_hba(pg_dsn):
        pytest.skip("WFLOG_TEST_DSN server: not rewriting its pg_hba.conf")
    async with (
        role(pg_dsn, table, password=PASSWORD) as name,
        password_required(pg_dsn, name),
    ):
        yield name, dsn_as(table.dsn, name, PASSWORD)


async def test_the_app_shows_no_password_in_session_outage_and_recovery(pg_dsn, table, secret_role):
    name, dsn = secret_role
    await table.insert(recent(1, run_id="01SEC1", status="FAILED", error="boom"))
    store = await open_store(StoreSettings(dsn=dsn, table=table.name))
    admin = await asyncpg.connect(pg_dsn)
    try:
        async with store:
            assert_hidden(repr(store) + repr(store.settings), where="repr")
            app = list_app(store, source_label="postgresql://x:***@host/db")
            async with app.run_test(size=(160, 40)) as pilot:
                await settle(pilot, lambda: table_of(app).row_count == 1)
                assert_hidden(everything_shown(app), where="live list")
                # The password changes under the app; its next logins are refused.
                await admin.execute(f"ALTER ROLE {name} PASSWORD 'another-one'")
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                    name,
                )
                await settle(pilot, lambda: "DISCONNECTED since" in screen_text(app))
                await settle(pilot, lambda: "password authentication failed" in screen_text(app))
                screen = app.screen
                assert isinstance(screen, RunListScreen)
                assert_hidden(screen.status_line.message, where="list message")
                assert_hidden(everything_shown(app), where="refused logins")
                # Opening the run and the pickers while refused: errors, without it.
                await pilot.press("w")
                await settle(pilot, lambda: workers_idle(app, "list-picker"))  # it was refused
                await pilot.press("escape", "enter")
                await settle(pilot, lambda: "Could not load run" in screen_text(app))
                assert_hidden(everything_shown(app), where="run view error")
                await admin.execute(f"ALTER ROLE {name} PASSWORD '{PASSWORD}'")
                await pilot.press("r")
                await settle(pilot, lambda: loaded(app), within=30)
                assert_hidden(everything_shown(app), where="run view")
                await pilot.press("escape")
                await settle(pilot, lambda: "● LIVE" in screen_text(app), within=40)
    finally:
        await admin.execute(f"ALTER ROLE {name} PASSWORD '{PASSWORD}'")
        await admin.close()


async def test_a_crash_inside_the_app_renders_no_password(table, secret_role, monkeypatch):
    """Textual prints a traceback with local variables when the app dies of a bug."""
    _, dsn = secret_role
    await table.insert(recent(1, run_id="01SEC2"))

    def broken(self, *args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(RunListScreen, "show_counts", broken)
    store = await open_store(StoreSettings(dsn=dsn, table=table.name))
    async with store:
        app = list_app(store)
        # What Textual prints to stderr when the app dies: recorded instead.
        app.error_console = Console(record=True, width=200, file=io.StringIO())
        # A worker's failure reaches the test as WorkerFailed around our RuntimeError.
        with pytest.raises(Exception, match="a bug of ours"):
            async with app.run_test(size=(160, 40)):
                await eventually(lambda: app.return_code is not None, "the app to die of the bug")
        rendered = app.error_console.export_text()
        for renderable in app._exit_renderables:
            app.error_console.print(renderable)
        rendered += app.error_console.export_text()
        assert "a bug of ours" in rendered  # the traceback was rendered, with locals
        assert_hidden(rendered, where="Textual traceback")


async def test_cli_errors_doctor_and_show_never_print_the_password(table, secret_role):
    name, dsn = secret_role
    base = ["--table", table.name]
    # Logged in: doctor (text and JSON) and show of a missing run.
    for argv in (["doctor"], ["doctor", "--json"], ["show", "nope"], ["show", "nope", "--json"]):
        code, out, err = await cli("--dsn", dsn, *base, *argv)
        assert code in (0, 2), (argv, err)
        assert_hidden(out + err, where=" ".join(argv))
    code, out, _ = await cli("--dsn", dsn, *base, "doctor")
    assert f"{name}:***@" in out or "***" in out or name in out
    # The same DSN through the environment variables the CLI reads.
    for variable in ("WFLOG_DSN", "DATABASE_URL"):
        code, out, err = await cli(*base, "doctor", env={variable: dsn})
        assert code == 0, err
        assert_hidden(out + err, where=variable)
    # A wrong password: refused, and neither password is printed.
    wrong = dsn_as(table.dsn, name, TRICKY)
    for argv in (["doctor"], ["doctor", "--json"], ["show", "x"], []):
        code, out, err = await cli("--dsn", wrong, *base, *argv)
        assert code == 2, (argv, out, err)
        assert "password authentication failed" in out + err
        assert_hidden(out + err, TRICKY, where=f"wrong password {argv}")
        assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://alice:{pw}@127.0.0.1:{port}/app?connect_timeout=2",
        "postgresql://alice:{pw}@127.0.0.1:notaport/app",
        "postgresql://alice:{pw}@127.0.0.1:99999/app",
        "postgresql://alice:{pw}@[::1/app",
        "postgresql://alice:{pw}@127.0.0.1:{port}/app?sslmode=bogus",
        "host=127.0.0.1 port={port} user=alice password={pw} connect_timeout=2",
        "host=127.0.0.1 port=abc user=alice password={pw}",
        "host=127.0.0.1 user=alice password='{pw} and more",
        "prisma://accelerate.prisma-data.net/?api_key={pw}",
    ],
)
async def test_unusable_dsns_exit_2_without_the_password(dsn):
    text = dsn.format(pw=quote(TRICKY, safe="") if "://" in dsn else PASSWORD, port=free_port())
    secret = TRICKY if "://" in dsn else PASSWORD
    for argv in (["show", "x"], ["doctor"], ["doctor", "--json"], []):
        code, out, err = await cli("--dsn", text, *argv)
        assert code == 2, (argv, out, err)
        assert_hidden(out + err, secret, where=f"{dsn} {argv}")
        assert err.startswith("wflog-tui: ") and err.count("\n") == 1
        assert "Traceback" not in err


async def test_the_crash_file_and_its_line_are_masked(table, secret_role, monkeypatch):
    _, dsn = secret_role

    async def buggy_show(ctx, run_id, as_json):
        # A bug whose message carries the DSN, the worst case for a crash report.
        raise RuntimeError(f"unexpected state for {ctx.settings.dsn} while showing {run_id}")

    monkeypatch.setattr("wflog_tui.cli._show", buggy_show)
    code, out, err = await cli("--dsn", dsn, "--table", table.name, "show", "x")
    assert code == 70
    assert "internal error: RuntimeError" in err
    assert_hidden(out + err, where="crash line")
    match = re.search(r"details in (\S+)\)", err)
    assert match is not None, err
    path = Path(match.group(1))
    try:
        details = await asyncio.to_thread(path.read_text)
        assert "Traceback" in details and "buggy_show" in details
        assert_hidden(details, where="crash file")
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
