"""`wflog-tui report`: the incident report on the demo's history, streamed, never obeying data."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tests.database import run_row
from tests.markdown_structure import code_texts, markup_from_data, tokens
from wflog_tui.cli import build_parser, run
from wflog_tui.configuration import parse_arguments
from wflog_tui.demo.refund_incident import NEW_VERSION
from wflog_tui.demo.seed import seed_history
from wflog_tui.model.display_text import one_line
from wflog_tui.model.failure_groups import FailureGroup, GroupKey, TimeWindow
from wflog_tui.model.failure_splitters import Splitter, SplitterReport
from wflog_tui.model.incident_report import group_lines, header_lines
from wflog_tui.report_command import write_report
from wflog_tui.store import StoreSettings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
async def demo_table(table):
    conn = await asyncpg.connect(table.dsn)
    try:
        await seed_history(conn, table.shape, now=datetime.now(UTC))
    finally:
        await conn.close()
    return table


def _sections(markdown: str) -> dict[str, str]:
    """Each `### ` section's text by its heading line."""
    sections: dict[str, str] = {}
    current = None
    for line in markdown.splitlines():
        if line.startswith("#"):
            current = line
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def _bash_argv(line: str) -> list[str]:
    script = "wflog-tui() { printf '%s\\0' \"$@\"; }\n" + line
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    return out.decode().split("\0")[:-1]


async def test_the_report_on_the_demo_names_the_incident_explains_it_and_links_to_it(
    demo_table, capsys
):
    argv = ["--dsn", demo_table.dsn, "--table", demo_table.name, "--org", "org_hooli", "report"]
    argv += ["--workflow", "Stripe Refund Handler", "--since", "6h", "--top", "1"]
    assert await asyncio.to_thread(run, argv, {}) == 0
    out = capsys.readouterr().out
    assert markup_from_data(out) == set()
    # The exact window and every filter used.
    title = out.splitlines()[0]
    assert title.startswith("# Incident report: failures from 20")
    start, end = title.removeprefix("# Incident report: failures from ").split(" to ")
    window = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    assert window == timedelta(hours=6)
    assert "- Since: `6h`" in out
    assert "- Organisation (--org): `org_hooli`" in out
    assert "- Workflow (--workflow): `Stripe Refund Handler`" in out
    assert f"- Table: `{demo_table.name}`" in out

    sections = _sections(out)
    # The incident is the top group. The demo's background noise (a step timing out now
    # and then) can fail the same step for another reason, in a smaller group of its own.
    (incident,) = [h for h in sections if h.startswith("### 1. ") and "`log_refund`" in h]
    assert incident.startswith("### 1. NEW `Stripe Refund Handler`")
    body = sections[incident]
    assert f"- Versions: `{NEW_VERSION}` " in body
    assert "- Organisations: `org_hooli` " in body and "org_acme" not in out
    assert '  - `input.data.object.currency` = `"jpy"`: ' in body
    # Its newest failing run, explained.
    (explained,) = [h for h in sections if h.startswith("### 1. Newest failing run")]
    text = sections[explained]
    assert "- Path: `Log Refund on Contact`" in text
    assert "- Error: `HubSpotValidationError`: `Property 'refund_amount' is invalid:" in text
    assert "- Root cause: `first difference: " in text
    assert "- Baseline: newest COMPLETED run of Stripe Refund Handler before this one" in text
    assert "Diff against the last good run `" in text
    assert 'output.data.object.currency  "usd" → "jpy"' in text
    run_id = explained.split("`")[1]
    # The links reopen that run and that step, through a real shell.
    step_line = next(t for t in code_texts(text) if "--step=" in t)
    args = parse_arguments(build_parser(), _bash_argv(step_line))
    assert (args.run, args.step, args.tab) == (run_id, "log_refund", "data-flow")
    assert args.org == "org_hooli" and args.table == demo_table.name


async def test_the_report_is_written_as_it_is_read(demo_table):
    out = io.StringIO()
    writes: list[str] = []
    real_write = out.write
    out.write = lambda text: writes.append(text) or real_write(text)  # type: ignore[method-assign]
    args = parse_arguments(
        build_parser(), ["--table", demo_table.name, "report", "--since", "24h", "--top", "2"]
    )
    args.since, args.org, args.workflow = timedelta(hours=24), None, None
    settings_ = StoreSettings(dsn=demo_table.dsn, table=demo_table.name)
    assert await write_report(settings_, args, out) == 0
    # The header first, then one write per section: nothing waits for the whole report.
    assert writes[0].startswith("# Incident report") and "## Failure groups" not in writes[0]
    groups = [w for w in writes if w.startswith("### ") and "failure" in w.splitlines()[0]]
    assert len(groups) > 3
    assert sum(w.startswith("### ") and "Newest failing run" in w for w in writes) == 2
    assert markup_from_data(out.getvalue()) == set()


HOSTILE = "# H\n<img src=x onerror=alert(1)>[x](y)**b** ```` ~~~ | a |\x1b[2J\u202e"


async def test_hostile_values_in_the_table_never_make_structure(table, capsys):
    log = [
        {"status": "COMPLETED", "stepId": "trigger", "operation": "trigger", "output": {}},
        {
            "status": "FAILED",
            "stepId": HOSTILE,
            "operation": "x",
            "stepName": HOSTILE,
            "input": {HOSTILE: HOSTILE},
            "error": {"name": HOSTILE, "message": HOSTILE},
        },
    ]
    good = [
        log[0],
        {**log[1], "status": "COMPLETED", "error": None, "input": {HOSTILE: "fine"}},
    ]
    now = datetime.now(UTC).replace(tzinfo=None)
    common = {"workflow_name": HOSTILE, "workflow_id": HOSTILE, "organisation_id": HOSTILE}
    await table.insert(
        run_row(
            run_id=f"ok{HOSTILE}",
            status="COMPLETED",
            steps_log=good,
            started_at=now - timedelta(minutes=30),
            **common,
        ),
        run_row(
            run_id=f"bad{HOSTILE}",
            status="FAILED",
            steps_log=log,
            error=HOSTILE,
            input_payload={HOSTILE: HOSTILE},
            started_at=now - timedelta(minutes=10),
            **common,
        ),
    )
    argv = ["--dsn", table.dsn, "--table", table.name, "report", "--since", "1h"]
    assert await asyncio.to_thread(run, argv, {}) == 0
    out = capsys.readouterr().out
    assert markup_from_data(out) == set()
    headings = [kind for kind, _ in tokens(out) if kind == "heading_open"]
    # The title, two sections, one group, one explained run: nothing more.
    assert len(headings) == 5
    assert "\x1b" not in out and "\u202e" not in out
    assert one_line(HOSTILE, 400) in code_texts(out)


def _group(text: str) -> FailureGroup:
    return FailureGroup(
        key=GroupKey(text, False, text, text),
        workflow_name=text,
        count=3,
        first_seen=NOW - timedelta(hours=1),
        last_seen=NOW,
        buckets=(1, 2),
        organisations={text: 2, None: 1},
        versions={text: 3},
        run_ids=(text, "r2"),
        ids=("a", "b"),
        new=True,
    )


@settings(max_examples=200, deadline=None)
@given(hs.text(alphabet=hs.sampled_from("`~#*_[]()<>!&|-\\\n >=:/a1 \x1b\u202e"), max_size=30))
def test_a_group_section_holds_no_markup_from_any_value(text):
    splitters = SplitterReport([Splitter(text, text, 2, 3, 0, 10)], 3, 10)
    lines = group_lines(1, _group(text), splitters, NOW, (f"--profile={text}",))
    window = TimeWindow(NOW - timedelta(hours=1), NOW)
    header = header_lines(window, [("Organisation", text), ("Workflow", None)], NOW, version=text)
    markdown = "\n".join([*header, "", *lines]) + "\n"
    assert markup_from_data(markdown) == set()
    assert [kind for kind, _ in tokens(markdown) if kind == "heading_open"] == ["heading_open"] * 2
    assert "\x1b" not in markdown


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_group_link_reopens_its_newest_run_on_the_failing_step():
    group = _group("--dsn=postgresql://evil/$(id)")
    lines = group_lines(1, group, None, NOW, ("--profile=prod",))
    (line,) = [t for t in code_texts("\n".join(lines) + "\n") if t.startswith("wflog-tui")]
    args = parse_arguments(build_parser(), _bash_argv(line))
    assert (args.run, args.step, args.tab, args.profile) == (
        group.run_ids[0],
        group.key.step_id,
        "error",
        "prod",
    )


async def test_a_window_without_failures_is_a_short_report_and_top_is_bounded(table, capsys):
    await table.insert(run_row(run_id="01FINE", status="COMPLETED"))
    argv = ["--dsn", table.dsn, "--table", table.name, "report", "--since", "1h"]
    assert await asyncio.to_thread(run, argv, {}) == 0
    out = capsys.readouterr().out
    assert "0 groups, 0 failures, newest activity first." in out
    assert "explained" not in out and "01FINE" not in out
    assert await asyncio.to_thread(run, [*argv, "--top", "99"], {}) == 2
    assert "--top takes 0 to 20; got 99" in capsys.readouterr().err
