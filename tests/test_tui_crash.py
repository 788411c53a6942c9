"""A bug inside the running TUI ends as one in the CLI does: exit 70, one masked line, the
masked traceback in a crash file; not exit 1 with Textual's traceback and its locals.

The TUI runs through the console entry point in a real terminal (a tmux session on a
private socket), with a store method replaced by one that fails as a bug would, its
message carrying the DSN (with a password the trusting test server does not need).
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.database import run_row
from tests.roles import dsn_as
from tests.terminal import new_session, tmux, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PASSWORD = "S3cretTuiPw"

BROKEN_APP = textwrap.dedent(
    """
    import sys

    from wflog_tui.cli import main
    from wflog_tui.store import Store


    async def broken(self, *args, **kwargs):
        raise RuntimeError(f"a bug of ours near {self.settings.dsn}")


    Store.count_by_status = broken
    sys.argv[0] = "wflog-tui"
    main()
    """
)


def run_in_terminal(argv: list[str], tmp_path: Path) -> tuple[str, str, str]:
    """Run the broken app in a tmux pane: (exit status, what the pane shows, crash file text)."""
    script = tmp_path / "broken_app.py"
    script.write_text(BROKEN_APP)
    status = tmp_path / "status"
    command = shlex.join([sys.executable, str(script), *argv])
    # Textual draws on stderr, so the pane shows the app and what is printed after it.
    shell = f"{command}; echo $? > {shlex.quote(str(status))}"
    try:
        new_session("crash", shell, width=160, height=40)
        wait_for(lambda: status.exists() and status.read_text().strip(), "the app to end")
        shown = tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "crash")
    finally:
        tmux("kill-server")
    match = re.search(r"details in (\S+?)\)", " ".join(shown.split()))
    details = ""
    if match is not None:
        crash_file = Path(match.group(1))
        details = crash_file.read_text()
        crash_file.unlink()
    return status.read_text().strip(), shown, details


async def test_a_crash_inside_the_tui_exits_70_with_the_masked_crash_file(table, tmp_path: Path):
    await table.insert(run_row(run_id="01CRASH"))
    user = urlsplit(table.dsn).username or "postgres"
    argv = ["--dsn", dsn_as(table.dsn, user, PASSWORD), "--table", table.name]
    status, shown, details = await asyncio.to_thread(run_in_terminal, argv, tmp_path)
    assert status == "70", shown
    assert "internal error:" in shown and "a bug of ours" in shown, shown
    assert "Traceback" not in shown and "locals" not in shown, shown
    assert PASSWORD not in shown
    assert "Traceback" in details and "a bug of ours" in details, shown
    assert PASSWORD not in details
