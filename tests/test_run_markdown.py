"""`show --format markdown`: the run as Markdown for an incident channel, never obeying data."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tests.database import run_row
from tests.markdown_structure import code_texts, markup_from_data, tokens
from wflog_tui.cli import run
from wflog_tui.model.display_text import one_line
from wflog_tui.model.markdown_text import code, fenced, plain
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.run_markdown import run_markdown
from wflog_tui.model.step_tree import build_tree

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

LOG = [
    {
        "status": "COMPLETED",
        "stepId": "trigger",
        "operation": "trigger",
        "output": {"user": {"email": "ann@example.com", "plan": "enterprise-annual"}},
    },
    {
        "status": "COMPLETED",
        "stepId": "loop_users",
        "operation": "builtin:loop",
        "stepName": "Each User",
        "output": {"collection": ["user-one", "user-two"], "totalItems": 2},
    },
    {"status": "COMPLETED", "stepId": "send", "operation": "email", "iteration": 1},
    {
        "status": "FAILED",
        "stepId": "send",
        "operation": "email",
        "iteration": 2,
        "input": {"to": "user-two", "plan": "enterprise-annual", "subject": "Hello"},
        "error": {"name": "SmtpError", "message": "mailbox unavailable"},
    },
]

HOSTILE = [
    "# Heading",
    "<script>alert(1)</script>",
    "[click](https://evil.example)",
    "**bold** _em_ ~~gone~~",
    "```\n# escaped the fence\n```",
    "````` five ticks",
    "`",
    "~~~",
    "| a | b |\n|---|---|",
    "> quote",
    "- item\n- item",
    "1. one",
    "<!-- comment -->",
    "&amp; &lt;b&gt;",
    "line\n\n## new section",
    "\x1b]52;c;aGk=\x07",
    "\u202eevil",
    "![img](x.png)",
    "<https://auto.link>",
    "    indented code",
    "---",
    "\\",
]


def _detail(text: str, log=LOG) -> RunDetail:
    summary = RunSummary(
        id=text or "id",
        run_id=text or "run",
        status="FAILED",
        workflow_name=text,
        event_name=text,
        event_id=text,
        organisation_id=text,
        started_at=datetime(2026, 11, 30, 11, 0, tzinfo=UTC),
        duration_ms=1200,
    )
    return RunDetail(summary, workflow_version_id=text, steps_log=log, error=text)


def _hostile_log(text: str) -> list:
    log = orjson.loads(orjson.dumps(LOG))
    log[1]["output"]["collection"][1] = text
    log[1]["stepName"] = text
    log[3]["stepId"] = text or "send"
    log[2]["stepId"] = text or "send"
    log[3]["input"] = {text: text, "to": text, "plan": "enterprise-annual"}
    log[3]["error"] = {"name": text, "message": text}
    return log


def _markdown(text: str) -> str:
    log = _hostile_log(text)
    detail = _detail(text, log)
    tree = build_tree(log, run_status="FAILED", run_ended_at=None)
    return "\n".join(run_markdown(detail, tree, NOW, (f"--profile={text}",))) + "\n"


def _check(text: str) -> None:
    markdown = _markdown(text)
    assert markup_from_data(markdown) == set()
    # Exactly our headings, in order, whatever the data held.
    headings = [kind for kind, _ in tokens(markdown) if kind == "heading_open"]
    assert len(headings) == 5
    # The reader gets each value back as it was (escaped for the terminal), inside code.
    inside = code_texts(markdown)
    assert any(one_line(text, 600).strip() == t.strip() for t in inside)
    assert "\x1b" not in markdown and "\u202e" not in markdown and "\x07" not in markdown


def test_hostile_values_stay_inside_code_and_never_make_structure():
    for text in HOSTILE:
        _check(text)


@settings(max_examples=150, deadline=None)
@given(hs.text(alphabet=hs.sampled_from("`~#*_[]()<>!&|-\\\n >=:/a1 \x1b\u202e"), max_size=30))
def test_any_hostile_string_stays_inside_code(text):
    _check(text)


@given(hs.text(max_size=60))
def test_code_spans_and_fences_hold_any_text(text):
    span = code(text)
    assert markup_from_data(f"- {span}\n") == set()
    assert code_texts(f"- {span}\n") == [one_line(text, 300)] or (
        not one_line(text, 300).strip() and code_texts(f"- {span}\n")
    )
    block = "\n".join(fenced(text, "json")) + "\nafter\n"
    # One block holding the text, and "after" outside it: nothing in the text closed it.
    kinds = [kind for kind, _ in tokens(block)]
    assert kinds == ["fence", "paragraph_open", "inline", "text", "paragraph_close"]
    escaped = plain(text)
    # As the report writes it: after a template's words (`plain` never starts a line, so
    # "0)" or "# " in data is no list or heading there).
    assert markup_from_data(f"Note: {escaped}\n") == set()


async def test_show_format_markdown_prints_path_iteration_error_input_and_source(table, capsys):
    await table.insert(
        run_row(
            run_id="01MD",
            status="FAILED",
            workflow_name="Send <b>mail</b>",
            steps_log=LOG,
            input_payload={"plan": "enterprise-annual"},
        )
    )
    argv = ["--dsn", table.dsn, "--table", table.name, "show", "01MD", "--format", "markdown"]
    assert await asyncio.to_thread(run, argv, {}) == 0
    out = capsys.readouterr().out
    assert out.startswith("## ✗ FAILED: Send &lt;b&gt;mail&lt;/b&gt;\n")
    assert "- Path: `Each User › iteration 2 › send`" in out
    assert "- Iteration: 2 of 2 · item `user-two`" in out
    assert "- Error: `SmtpError`: `mailbox unavailable`" in out
    assert '```json\n{\n  "to": "user-two",' in out
    assert "- `input.to` ← `loop_users.output.collection[1]` (exact, loop item)" in out
    assert "- `input.plan` ← `trigger.output.user.plan` (exact, trigger output)" in out
    # The link reopens the step; with no profile it carries the table, never the DSN.
    reopen = f"wflog-tui --table={table.name} --run=01MD --step=send --iteration=2 --tab=data-flow"
    assert f"```sh\n{reopen}\n```" in out
    assert markup_from_data(out) == set()


async def test_format_json_is_json_and_conflicting_formats_are_refused(table, capsys):
    await table.insert(run_row(run_id="01FMT", status="FAILED", steps_log=LOG))
    base = ["--dsn", table.dsn, "--table", table.name, "show", "01FMT"]
    assert await asyncio.to_thread(run, [*base, "--format", "json"], {}) == 0
    by_format = orjson.loads(capsys.readouterr().out)
    assert await asyncio.to_thread(run, [*base, "--json"], {}) == 0
    assert orjson.loads(capsys.readouterr().out) == by_format
    assert await asyncio.to_thread(run, [*base, "--json", "--format", "markdown"], {}) == 2
    assert "--json is --format json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        run([*base, "--format", "html"], {})
    assert exited.value.code == 2
    assert "invalid choice: 'html' (choose from 'text', 'json', 'markdown')" in (
        capsys.readouterr().err
    )


async def test_a_big_run_opened_as_a_skeleton_still_shows_input_and_sources(
    table, capsys, monkeypatch
):
    # Every log is "big" here: the run comes as a skeleton, its payloads fetched after.
    monkeypatch.setattr("wflog_tui.store.run_loading.SKELETON_OVER_BYTES", 1)
    # A completed step's output is not in the skeleton: it must be fetched to be traced.
    account = {"status": "COMPLETED", "stepId": "fetch_account", "operation": "http"}
    account["output"] = {"account": "acct-7781-zz"}
    log = orjson.loads(orjson.dumps(LOG))
    log[3]["input"]["account"] = "acct-7781-zz"
    log.insert(1, account)
    await table.insert(run_row(run_id="01SKEL", status="FAILED", steps_log=log))
    argv = ["--dsn", table.dsn, "--table", table.name, "show", "01SKEL", "--format", "markdown"]
    assert await asyncio.to_thread(run, argv, {}) == 0
    out = capsys.readouterr().out
    assert '```json\n{\n  "to": "user-two",' in out
    assert "- `input.account` ← `fetch_account.output.account` (exact, step output)" in out
    assert "- `input.to` ← `loop_users.output.collection[1]` (exact, loop item)" in out
    assert "- Error: `SmtpError`: `mailbox unavailable`" in out
