"""Command lines the tool writes (the incident note's "Open it") survive a real shell."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as hs

from wflog_tui.model.clipboard_text import command_line, open_run_command
from wflog_tui.model.incident_note import incident_note
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.step_tree import build_tree

HOSTILE_IDS = [
    "R-$(touch pwned)",
    "R-`touch pwned`",
    "R-'; touch pwned; '",
    'R-"; touch pwned; "',
    "R-x; touch pwned",
    "R-x && touch pwned #",
    "R-x | touch pwned",
    "R-$HOME-${IFS}touch${IFS}pwned",
    "R-*",
    "R- spaced \\ back",
]
# Arguments are printed NUL-terminated (no argument can hold NUL), so each arrives whole.
_ECHO_ARGS = 'wflog-tui() { for a in "$@"; do printf \'%s\\0\' "$a"; done; }; '


def run_in_shell(line: str, cwd: Path) -> list[str]:
    """Run `line` with `wflog-tui` as a shell function printing its arguments."""
    result = subprocess.run(
        ["bash", "-c", _ECHO_ARGS + line], cwd=cwd, capture_output=True, check=False, timeout=10
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8").split("\0")[:-1]


def note_command(run_id: str, row_id: str = "c00000001") -> str:
    summary = RunSummary(
        id=row_id, run_id=run_id, status="FAILED", started_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    note = incident_note(RunDetail(summary), build_tree([]), None)
    match = re.search(r"^- Open it: `([^`]*)`$", note, flags=re.MULTILINE)
    assert match is not None, note
    return match.group(1)


def test_the_note_quotes_hostile_run_ids_and_they_arrive_intact(tmp_path):
    for run_id in HOSTILE_IDS:
        line = note_command(run_id)
        # A backtick cannot sit in the note's code span: that run is named by its row id.
        expected = "c00000001" if "`" in run_id else run_id
        assert run_in_shell(line, tmp_path) == ["--run", expected], line
        assert list(tmp_path.iterdir()) == [], f"{line} ran a command"


def test_an_id_that_cannot_be_shown_exactly_falls_back_to_the_row_id(tmp_path):
    line = note_command("R-\x1b]52;c;eA==\x07$(touch pwned)", row_id="c00000042")
    assert run_in_shell(line, tmp_path) == ["--run", "c00000042"]
    line = note_command("R-\u202e$(touch pwned)", row_id="bad\x1b")
    assert run_in_shell(line, tmp_path) == ["--run", "R-\\u202e$(touch pwned)"]
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=150, deadline=None)
@given(hs.text(min_size=1, max_size=40), hs.text(min_size=1, max_size=20))
def test_any_run_id_runs_nothing_and_arrives_as_one_argument(tmp_path_factory, run_id, row_id):
    cwd = tmp_path_factory.mktemp("shell")
    line = open_run_command(run_id, row_id)
    assert "\n" not in line and "`" not in line
    if "\x00" not in line:  # a shell argument cannot hold NUL; such an id is escaped
        args = run_in_shell(line, cwd)
        assert len(args) == 2 and args[0] == "--run"
        assert args[1] in (run_id, row_id) or "\\" in args[1]
    assert list(cwd.iterdir()) == []


@given(
    hs.lists(hs.text(alphabet=hs.characters(codec="utf-8", exclude_characters="\x00")), max_size=4)
)
@settings(max_examples=80, deadline=None)
def test_command_line_quotes_every_argument(tmp_path_factory, arguments):
    cwd = tmp_path_factory.mktemp("shell")
    assert run_in_shell(command_line(*arguments), cwd) == arguments
    assert list(cwd.iterdir()) == []
