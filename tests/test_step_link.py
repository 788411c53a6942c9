"""Links to a step: the flags, the command line that reopens a step, finding the step."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from wflog_tui.cli import build_parser, run
from wflog_tui.configuration import (
    UNSET,
    apply_configuration,
    parse_arguments,
    with_configuration,
)
from wflog_tui.model.step_link import (
    TABS,
    StepLink,
    command_line,
    dashboard_link,
    link_run_id,
    locate_step,
    reopen_argv,
    scope_arguments,
)
from wflog_tui.model.step_tree import build_tree
from wflog_tui.ui.config import AppConfig

HOSTILE = [
    "--dsn=postgresql://evil/db",
    "-h",
    "$(touch /tmp/pwned)",
    "`reboot`",
    "a'b\"c",
    "semi; rm -rf ~",
    "new\nline",
    "tab\there",
    "*?[glob]",
    "~root",
    "",
    " ",
    "!event",
    "é ünïcode",
]
needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _through_bash(line: str) -> list[str]:
    """What a real shell hands the program when the line is pasted: argv after the name."""
    script = "wflog-tui() { printf '%s\\0' \"$@\"; }\n" + line
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    return out.decode().split("\0")[:-1]


@needs_bash
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_copied_link_comes_back_from_the_shell_intact(hostile):
    link = StepLink(hostile or "r", hostile or "s", 3, "data-flow")
    scope = scope_arguments(profile=hostile or "p", config=f"/tmp/{hostile}.toml")
    argv = reopen_argv(link, scope)
    assert _through_bash(command_line(argv)) == argv[1:]
    # … and our parser reads it back as the same link, never as another option.
    args = parse_arguments(build_parser(), argv[1:])
    assert (args.run, args.step, args.iteration, args.tab) == (
        link.run_id,
        link.step_id,
        3,
        "data-flow",
    )
    assert args.profile == (hostile or "p")
    assert args.dsn is UNSET  # an id that looks like --dsn=… stayed an id


@needs_bash
@settings(max_examples=60, deadline=None)
@given(run_id=hs.text(min_size=1, max_size=40), step_id=hs.text(min_size=1, max_size=40))
def test_any_ids_come_back_from_the_shell_intact(run_id, step_id):
    # NUL cannot be in an argument at all; the shell drops nothing else.
    run_id, step_id = run_id.replace("\0", "0"), step_id.replace("\0", "0")
    argv = reopen_argv(StepLink(run_id, step_id, None, "error"), ("--profile=prod",))
    assert _through_bash(command_line(argv)) == argv[1:]


def test_without_a_profile_the_link_carries_org_and_table_never_the_dsn():
    scope = scope_arguments(org="org_a", table="app.log")
    assert reopen_argv(StepLink("r1"), scope) == [
        "wflog-tui",
        "--org=org_a",
        "--table=app.log",
        "--run=r1",
    ]
    args = parse_arguments(
        build_parser(),
        ["--dsn", "postgresql://u:pw@db/x", "--org", "org_a", "--run", "r1", "--step", "s"],
    )
    args.resolution = apply_configuration(args, {})
    config = with_configuration(AppConfig(), args)
    assert config.link_scope == ("--org=org_a",)
    assert config.open_step == StepLink("r1", "s", None, None)
    assert "pw" not in command_line(reopen_argv(config.open_step, config.link_scope))


def test_the_link_flags_reach_the_app_config():
    argv = ["--run", "01R", "--step", "send_email", "--iteration", "4", "--tab", "error"]
    args = parse_arguments(build_parser(), argv)
    args.resolution = apply_configuration(args, {})
    assert with_configuration(AppConfig(), args).open_step == StepLink(
        "01R", "send_email", 4, "error"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--run", "r", "--tab", "logs"], "invalid choice: 'logs' (choose from data-flow, input"),
        (["--step", "s"], "--step, --iteration and --tab open a run: add --run RUN_ID"),
        (["--run", "r", "--iteration", "2"], "--iteration needs --step"),
        (["--run", "r", "--step", "s", "--iteration", "0"], "--iteration counts from 1"),
        (["--run", "r", "--step", " "], "--step STEP_ID is empty"),
        (["--run", "r", "--iteration", "x"], "invalid int value"),
    ],
)
def test_bad_link_flags_are_one_line_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exited:
        code = run(argv, {})
        raise SystemExit(code)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message.replace("'", "") in err.replace("'", "") and err.count("\n") == 1


def test_every_tab_is_listed_in_the_error():
    assert set(TABS) == {"data-flow", "input", "output", "error", "timing", "raw", "run-input"}


def test_the_dashboard_link_fills_the_run_id_percent_encoded():
    template = "https://app.example/runs/{run_id}?tab=log"
    assert dashboard_link(template, "01HW") == "https://app.example/runs/01HW?tab=log"
    assert dashboard_link(template, "a/../b?x=1#f") == (
        "https://app.example/runs/a%2F..%2Fb%3Fx%3D1%23f?tab=log"
    )
    assert dashboard_link("https://x/{run_id}/{other}", "r") == "https://x/r/{other}"


LOG = [
    {"status": "COMPLETED", "stepId": "trigger", "operation": "trigger", "output": {}},
    {"status": "COMPLETED", "stepId": "fetch", "operation": "http", "output": {"n": 2}},
    {
        "status": "FAILED",
        "stepId": "loop",
        "operation": "builtin:loop",
        "output": {"collection": ["a", "b", "c"], "totalItems": 3},
    },
    {"status": "COMPLETED", "stepId": "send", "operation": "email", "iteration": 1},
    {"status": "COMPLETED", "stepId": "mark", "operation": "db", "iteration": 1},
    {
        "status": "FAILED",
        "stepId": "send",
        "operation": "email",
        "iteration": 2,
        "error": {"message": "bounced"},
    },
]


def _tree():
    return build_tree(LOG, run_status="FAILED", run_ended_at=None)


def test_a_link_lands_on_the_step_in_its_iteration():
    tree = _tree()
    landing = locate_step(tree, "fetch")
    assert landing.note is None and landing.node.entry.step_id == "fetch"
    landing = locate_step(tree, "send", 2)
    assert landing.note is None
    assert landing.node.entry.step_id == "send" and landing.node.iteration == 2
    assert locate_step(tree, "mark", 1).node.iteration == 1


def test_a_missing_step_or_iteration_says_so_and_lands_on_the_failure():
    tree = _tree()
    failure = tree.find(tree.failures[0].keys)
    missing = locate_step(tree, "no_such_step")
    assert missing.node is failure and missing.note == "this run has no step with that id"
    # `mark` did not run in iteration 2: its first entry, and a note.
    other = locate_step(tree, "mark", 2)
    assert other.node.iteration == 1
    assert other.note == "the step did not run in iteration 2"
    assert locate_step(tree, "send", 99).note == "the step did not run in iteration 99"


def test_a_run_id_shown_escaped_is_linked_by_its_row_id():
    assert link_run_id("01PLAIN", "c1") == "01PLAIN"
    assert link_run_id("01\x1b[2J", "c1") == "c1"  # --run takes the row id too
    assert link_run_id("01\u202e", "c\x07") == "01\u202e"  # neither plain: shown escaped
    assert link_run_id("$(id) -x", None) == "$(id) -x"  # quoting handles these
