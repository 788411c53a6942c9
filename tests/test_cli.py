"""The command line as a user meets it: exit codes, one-line errors, `show` output."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import orjson
import pytest

from tests.database import run_row
from wflog_tui.cli import run

LOOP_LOG = [
    {"status": "COMPLETED", "stepId": "trigger", "operation": "trigger", "output": {"n": 1}},
    {
        "status": "COMPLETED",
        "stepId": "loop_users",
        "operation": "builtin:loop",
        "stepName": "Process Each User",
        "output": {"collection": ["user1", "user2", "user3"], "totalItems": 3},
    },
    {"status": "COMPLETED", "stepId": "send_email", "operation": "email", "iteration": 1},
    {
        "status": "FAILED",
        "stepId": "send_email",
        "operation": "email",
        "iteration": 2,
        "error": {"message": "Invalid email address format\x1b]52;c;aGk=\x07"},
    },
]


async def _in_thread(*argv: str, env: dict[str, str] | None = None) -> int:
    # `run` starts its own event loop, so it runs in a thread beside the test's loop.
    return await asyncio.to_thread(run, list(argv), env or {})


async def test_show_prints_header_tree_and_failing_path(table, capsys):
    await table.insert(
        run_row(run_id="01LOOP", status="FAILED", steps_log=LOOP_LOG, error="[bold]boom[/]")
    )
    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "show", "01LOOP")
    out = capsys.readouterr().out
    assert code == 0
    assert "Run           01LOOP" in out
    assert "Error         [bold]boom[/]" in out
    assert "Process Each User (loop_users) · 3 items · 1 failed · 1 not reached" in out
    assert "✗ FAILED iteration 2 · item user2" in out
    assert "Process Each User › iteration 2 › send_email" in out
    # The OSC 52 clipboard write in the data is shown escaped, never emitted.
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]52;c;aGk=\\x07" in out


async def test_show_json_prints_the_same_tree(table, capsys):
    await table.insert(run_row(run_id="01JSON", status="FAILED", steps_log=LOOP_LOG))
    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "show", "01JSON", "--json")
    data = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert data["run"]["runId"] == "01JSON"
    loop = data["steps"][1]
    assert loop["summary"] == "3 items · 1 failed · 1 not reached"
    assert [f["path"] for f in data["failures"]] == [["s1", "s1/i2", "s1/i2/s3"]]


async def test_show_unknown_run_exits_2_with_one_line(table, capsys):
    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "show", "nope")
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "no run with run_id or id nope" in err


async def test_show_respects_org_scope(table, capsys):
    await table.insert(run_row(run_id="01OTHER", organisation_id="org_b"))
    argv = ["--dsn", table.dsn, "--table", table.name, "--org", "org_a", "show", "01OTHER"]
    assert await _in_thread(*argv) == 2
    assert "in organisation org_a" in capsys.readouterr().err


async def test_unreachable_server_exits_2_without_password(capsys):
    dsn = "postgresql://alice:s3cret-pw@127.0.0.1:1/db?connect_timeout=2"
    code = await _in_thread("--dsn", dsn, "show", "x")
    err = capsys.readouterr().err
    assert code == 2
    assert "s3cret-pw" not in err
    assert err.startswith("wflog-tui: ") and err.count("\n") == 1


async def test_missing_table_exits_2_naming_it(pg_dsn, capsys):
    code = await _in_thread("--dsn", pg_dsn, "--table", "nowhere.nothing", "show", "x")
    err = capsys.readouterr().err
    assert code == 2 and "nowhere.nothing" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "soon"], "--since"),
        (["--refresh", "-1"], "--refresh"),
        (["--bogus"], "unknown option --bogus"),
        (["--table", " "], "--table is empty"),
    ],
)
def test_bad_flags_exit_2_with_one_line(argv, message):
    result = subprocess.run(
        [sys.executable, "-m", "wflog_tui", *argv, "show", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_version():
    result = subprocess.run(
        [sys.executable, "-m", "wflog_tui", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("wflog-tui ")


def test_unknown_theme_exits_2_before_connecting():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wflog_tui",
            "--theme",
            "nope",
            "--dsn",
            "postgresql://x@127.0.0.1:1/x",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no theme named 'nope'" in result.stderr and "wflog-incident" in result.stderr


async def test_doctor_reports_missing_indexes_and_exits_0(make_table, capsys):
    bare = await make_table(recommended_indexes=False)
    code = await _in_thread("--dsn", bare.dsn, "--table", bare.name, "doctor")
    out = capsys.readouterr().out
    assert code == 0
    assert "CREATE INDEX CONCURRENTLY" in out
    assert "doctor only reads: it changed nothing in the database." in out


async def test_doctor_json_and_missing_table_exit_2(pg_dsn, capsys):
    code = await _in_thread("--dsn", pg_dsn, "--table", "nowhere.nothing", "doctor", "--json")
    captured = capsys.readouterr()
    assert code == 2
    assert orjson.loads(captured.out)["checks"]
    assert captured.err.count("\n") == 1 and "nowhere.nothing" in captured.err


def test_an_empty_run_id_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "wflog_tui", "--dsn", "postgresql://x@127.0.0.1:1/x", "show", " "],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "RUN_ID is empty" in result.stderr


async def test_with_run_the_run_starts_loading_before_the_ui_and_the_app_takes_it(
    table, monkeypatch
):
    """`--run`: the CLI starts loading the run, then imports and starts the UI; the app
    gets the load in progress. A load nobody took is cancelled, quietly, at exit."""
    from wflog_tui import cli
    from wflog_tui.store import StoreSettings, open_store
    from wflog_tui.ui.app import WflogApp

    row = run_row(status="FAILED", steps_log=LOOP_LOG)
    await table.insert(row)
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    seen: dict[str, object] = {}
    order: list[str] = []
    start_loading = cli.start_loading

    def recorded_start_loading(*args: object) -> object:
        order.append("load")
        return start_loading(*args)  # type: ignore[arg-type]

    async def run_async(app: WflogApp) -> None:
        order.append("app")
        future = app.take_prefetched(row["run_id"])
        seen["loaded"] = None if future is None else await future

    monkeypatch.setattr(cli, "start_loading", recorded_start_loading)
    monkeypatch.setattr(WflogApp, "run_async", run_async)
    args = cli.build_parser().parse_args(["--run", row["run_id"]])
    try:
        assert await cli._tui(store, args, "test") == 0
        loaded = seen["loaded"]
        assert order == ["load", "app"]
        assert loaded is not None and loaded.tree.failures[0].iteration == 2  # type: ignore[attr-defined]

        async def ignore_it(app: WflogApp) -> None:
            order.append("ignored")

        monkeypatch.setattr(WflogApp, "run_async", ignore_it)
        assert await cli._tui(store, args, "test") == 0
    finally:
        await store.close()
