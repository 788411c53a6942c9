"""`wflog-tui groups` as a user meets it: text, JSON, scope, exit codes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.database import run_row
from wflog_tui.cli import run


async def _in_thread(*argv: str) -> int:
    # `run` starts its own event loop, so it runs in a thread beside the test's loop.
    return await asyncio.to_thread(run, list(argv), {})


def _at(minutes: float) -> dict[str, datetime]:
    now = datetime.now(UTC)
    return {
        "started_at": now - timedelta(minutes=minutes),
        "ended_at": now - timedelta(minutes=minutes - 0.2),
    }


def _declined(n: int, org: str, currency: str) -> dict:
    log = [
        {
            "stepId": "charge",
            "status": "FAILED",
            "error": {"message": f"card_declined for ORDER{n}\x1b[31m"},
        }
    ]
    return run_row(
        status="FAILED",
        steps_log=log,
        organisation_id=org,
        input_payload={"invoice": {"currency": currency}},
        workflow_version_id="v2",
        **_at(n),
    )


async def _seed(table) -> None:
    await table.insert(
        *[_declined(n, "org_a", "JPY") for n in range(1, 5)],
        *[
            run_row(
                organisation_id="org_a",
                input_payload={"invoice": {"currency": "EUR"}},
                workflow_version_id="v2",
                **_at(n),
            )
            for n in range(1, 9)
        ],
        _declined(7, "org_b", "GBP"),
        run_row(
            status="TIMED_OUT", organisation_id="org_b", steps_log=[{"stepId": "wait"}], **_at(30)
        ),
    )


async def test_groups_json_has_the_documented_fields(table, capsys):
    await _seed(table)
    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "groups", "--json")
    groups = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert [g["step_id"] for g in groups] == ["charge", "wait"]  # newest activity first
    charge = groups[0]
    assert charge["workflow"] == "wf_1"
    assert charge["signature"].startswith("card_declined for ORDER<n>")
    assert charge["count"] == 5 and charge["new"] is True
    assert charge["organisations"] == {"org_a": 4, "org_b": 1}
    assert charge["versions"] == {"v2": 5}
    assert len(charge["sample_run_ids"]) == 5
    assert datetime.fromisoformat(charge["first_seen"]) < datetime.fromisoformat(
        charge["last_seen"]
    )
    best = charge["splitters"][0]
    assert best == {
        "path": "input.invoice.currency",
        "value": "JPY",
        "failing": 4,
        "failing_total": 5,
        "passing": 0,
        "passing_total": 8,
    }


async def test_groups_text_shows_splitters_and_escapes_data(table, capsys):
    await _seed(table)
    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "groups", "--since", "1h")
    out = capsys.readouterr().out
    assert code == 0
    assert "NEW New Post to Slack (wf_1) › charge   5 failures" in out
    assert 'input.invoice.currency = "JPY"   4 of 5 failing · 0 of 8 passing' in out
    assert "\x1b" not in out and "\\x1b[<n>m" in out


async def test_groups_under_org_never_show_another_organisation(table, capsys):
    await _seed(table)
    argv = ("--dsn", table.dsn, "--table", table.name, "--org", "org_a", "groups", "--json")
    code = await _in_thread(*argv)
    out = capsys.readouterr().out
    assert code == 0
    assert "org_b" not in out and "GBP" not in out and "wait" not in out
    (charge,) = orjson.loads(out)
    assert charge["count"] == 4 and charge["organisations"] == {"org_a": 4}


async def test_window_and_workflow_apply_before_or_after_the_subcommand(table, capsys):
    await _seed(table)
    await table.insert(_declined(120, "org_a", "JPY"))  # two hours ago
    for argv in (("--since", "1h", "groups"), ("groups", "--since", "1h")):
        code = await _in_thread("--dsn", table.dsn, "--table", table.name, *argv, "--json")
        groups = orjson.loads(capsys.readouterr().out)
        assert code == 0
        assert sum(g["count"] for g in groups) == 6  # not the run of two hours ago
    for argv in (("--workflow", "Nothing", "groups"), ("groups", "--workflow", "Nothing")):
        assert await _in_thread("--dsn", table.dsn, "--table", table.name, *argv, "--json") == 0
        assert orjson.loads(capsys.readouterr().out) == []


async def test_groups_exit_codes(table, capsys):
    with pytest.raises(SystemExit) as exited:
        await _in_thread("--dsn", table.dsn, "--table", table.name, "groups", "--since", "soon")
    assert exited.value.code == 2
    assert "--since" in capsys.readouterr().err
    assert await _in_thread("--dsn", table.dsn, "--table", "nope", "groups") == 2
    assert "nope" in capsys.readouterr().err
    assert await _in_thread("--dsn", table.dsn, "--table", table.name, "groups", "--json") == 0
    assert orjson.loads(capsys.readouterr().out) == []
