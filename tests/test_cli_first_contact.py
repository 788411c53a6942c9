"""A newcomer's first commands: nothing configured, a mistyped or Prisma-named table."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from wflog_tui.cli import run


def _bare_environment(home: Path, **extra: str) -> dict[str, str]:
    # No WFLOG_DSN, DATABASE_URL or PG* variable: what a new user's shell holds.
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8", **extra}


def _wflog(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wflog_tui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_plain_wflog_tui_with_nothing_configured_names_every_way_to_a_database(tmp_path):
    result = _wflog(env=_bare_environment(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    line = result.stderr
    assert line.startswith("wflog-tui: cannot reach PostgreSQL at ")
    for way in ("--dsn", "WFLOG_DSN", "DATABASE_URL", "PG*", "~/.pgpass", "wflog-tui demo"):
        assert way in line, way
    assert len(line) < 240  # still a short message


def test_doctor_with_nothing_configured_suggests_the_same_ways(tmp_path):
    result = _wflog("doctor", env=_bare_environment(tmp_path))
    assert result.returncode == 2
    fix = next(line for line in result.stdout.splitlines() if "fix:" in line)
    for way in ("--dsn", "WFLOG_DSN", "DATABASE_URL", "PG*", "~/.pgpass", "wflog-tui demo"):
        assert way in fix, way


def test_a_database_the_user_named_gets_no_advice_on_naming_one(tmp_path):
    env = _bare_environment(tmp_path, PGHOST="127.0.0.1", PGPORT="1")
    result = _wflog("show", "x", env=env)
    assert result.returncode == 2
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in result.stderr
    assert "WFLOG_DSN" not in result.stderr and "demo" not in result.stderr
    env = _bare_environment(tmp_path, WFLOG_DSN="postgresql://u@127.0.0.1:1/x")
    result = _wflog("show", "x", env=env)
    assert result.returncode == 2 and "demo" not in result.stderr


async def _cli_error(*argv: str, capsys) -> tuple[int, str]:
    code = await asyncio.to_thread(run, list(argv), {})
    return code, capsys.readouterr().err


async def test_a_mistyped_table_offers_the_table_it_resembles(table, capsys):
    schema = table.shape.schema
    code, err = await _cli_error(
        "--dsn", table.dsn, "--table", f"{schema}.workflow_executon_log", "show", "x",
        capsys=capsys,
    )  # fmt: skip
    assert code == 2 and err.count("\n") == 1
    assert f"table {schema}.workflow_executon_log does not exist" in err
    assert f"did you mean {schema}.workflow_execution_log" in err


async def test_a_prisma_named_table_is_offered_for_the_default_name(make_table, capsys):
    handle = await make_table(table="WorkflowExecutionLog")
    schema = handle.shape.schema
    code, err = await _cli_error(
        "--dsn", handle.dsn, "--table", f"{schema}.workflow_execution_log", "runs",
        capsys=capsys,
    )  # fmt: skip
    assert code == 2 and err.count("\n") == 1
    assert f'did you mean {schema}."WorkflowExecutionLog"' in err
