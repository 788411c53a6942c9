"""No piece of a password leaks through the command line: usage errors, DSN errors, `doctor`,
`show` and the demo, whatever characters the password holds, encoded or not.

Each password is built around two marker words; a marker seen anywhere in the output is a
leak of part of the password, however the URL was cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import psutil
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as s

from tests.database import run_row
from tests.roles import dsn_as
from wflog_tui.cli import run
from wflog_tui.store import DsnError, mask_dsn, mask_secrets
from wflog_tui.store.dsn import describe_target, normalise_dsn

MARKERS = ("PwZq", "QxZj")
# Closed port: every connection is refused at once, so each example is quick.
NOWHERE = "127.0.0.1:1"

separators = s.text(
    alphabet=s.one_of(s.sampled_from("#/:@?%&=' \"\\[]!$*+,;~\t"), s.characters()),
    max_size=4,
)


@s.composite
def passwords(draw) -> str:
    return draw(separators) + MARKERS[0] + draw(separators) + MARKERS[1] + draw(separators)


def _cli(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv, env or {})
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    return int(code or 0), out.getvalue() + err.getvalue()


def assert_no_piece(text: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{where}: part of the password in {text!r}"


def urls(password: str) -> list[str]:
    return [
        f"postgresql://ro:{password}@{NOWHERE}/db",  # as typed, unencoded
        f"postgresql://ro:{quote(password, safe='', errors='surrogatepass')}@{NOWHERE}/db",
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(password=passwords())
@example(password="PwZq#QxZj")
@example(password="PwZq/QxZj")
@example(password="PwZq:QxZj")
@example(password="PwZq@QxZj")
@example(password="p@ss:PwZq@QxZj")
@example(password="1234/PwZq@QxZj")
def test_no_piece_of_any_password_leaks_through_any_path(password):
    for url in urls(password):
        for argv in (
            ["--dsn", url, "show", "x"],
            ["--dsn", url, "show", "x", "--json"],
            ["--dsn", url, "doctor"],
            ["--dsn", url, "doctor", "--json"],
            ["--dsn", url, "demo", "--no-ui"],
            ["--dns", url, "show", "x"],
            ["-dsn", url, "show", "x"],
            ["show", "x", url],
            ["--dsn", url, "--since", "soon", "show", "x"],
        ):
            code, output = _cli(argv)
            assert code == 2, (argv, output)
            assert "Traceback" not in output
            assert_no_piece(output, " ".join(argv[:1] + argv[2:]))
        # The same through the environment.
        code, output = _cli(["doctor"], {"WFLOG_DSN": url})
        assert code == 2, output
        assert_no_piece(output, "WFLOG_DSN doctor")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:hunter2#x@host/db",
        "postgresql://ro:S3cret/path@host/db",
        "postgresql://ro:1234/etXYZ@host/db",
        "postgresql://ro:p@ss:w0rd@host/db",
    ],
)
def test_an_unencoded_password_says_to_percent_encode_it(url):
    code, output = _cli(["--dsn", url, "doctor"])
    assert code == 2
    assert "must be percent-encoded" in output
    assert output.count("\n") == 1
    for piece in ("hunter2", "S3cret", "1234", "etXYZ", "w0rd", "p@ss"):
        assert piece not in output


def test_doctor_says_where_it_connects_without_the_password():
    # A URL that parses: doctor names host:port only.
    code, output = _cli(["--dsn", f"postgresql://ro:{quote('hunter2#x')}@{NOWHERE}/db", "doctor"])
    assert code == 2
    assert NOWHERE in output
    assert "hunter2" not in output


@pytest.mark.parametrize("flag", ["--dns", "-dsn", "--dsm"])
def test_an_unknown_option_is_named_not_its_value(flag):
    code, output = _cli([flag, "postgresql://alice:S3cretPW@db/prod", "show", "x"])
    assert code == 2
    assert f"unknown option {flag}; did you mean --dsn?" in output
    assert "S3cretPW" not in output
    assert "invalid choice" not in output


def test_an_empty_org_is_a_usage_error():
    for argv in (["--org", "", "show", "x"], ["doctor", "--org", " "], ["demo", "--org="]):
        code, output = _cli(argv)
        assert code == 2, argv
        assert "--org is empty" in output
        assert output.count("\n") == 1


def test_help_recommends_keeping_the_password_out_of_the_command_line():
    code, output = _cli(["--help"])
    assert code == 0
    text = " ".join(output.split())
    assert "WFLOG_DSN" in text and ".pgpass" in text and "dsn_env" in text and "`ps`" in text


async def test_the_demo_on_a_given_dsn_prints_no_password(table):
    """`demo --no-ui --dsn` with a DSN that logs in with a password: lines, then Ctrl-C."""
    user = urlsplit(table.dsn).username or "postgres"
    password = "secretpw-S3cr"
    # With trust (the test server's local logins) the password is sent and not needed.
    dsn = dsn_as(table.dsn, user, password)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    demo_table = f"{table.shape.schema}.demo_runs"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wflog_tui", "--dsn", dsn, "--table", demo_table, "demo",
        "--no-ui", "--tick", "5",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stdout is not None
        while not any(line.startswith("try:") for line in lines):
            line = await asyncio.wait_for(process.stdout.readline(), 120)
            assert line, "the demo ended before printing its lines"
            lines.append(line.decode())
        # What `ps` shows for it: the process title, rewritten without the password.
        title = " ".join(psutil.Process(process.pid).cmdline())
        assert "--dsn" in title and password not in title, title
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 60)
    shown = "".join(lines) + err.decode()
    assert f"demo database: postgresql://{user}:***@" in shown
    assert password not in shown and quote(password, safe="") not in shown
    assert process.returncode == 0, shown


def test_a_mistake_in_the_demo_dsn_is_one_line_and_exit_2():
    for dsn in ("postgresql://u:pw@host:notaport/db", "host=x port='5432", "mysql://u:pw@h/db"):
        code, output = _cli(["demo", "--no-ui", "--dsn", dsn])
        assert code == 2, (dsn, output)
        assert "internal error" not in output
        assert output.count("\n") == 1
        assert "pw" not in output.replace("password", "")


async def test_a_world_readable_pgpass_is_one_line_of_ours(pg_dsn, tmp_path: Path):
    passfile = tmp_path / "pgpass"
    passfile.write_text("*:*:*:*:nothing\n")
    passfile.chmod(0o644)
    env = {
        "PGPASSFILE": str(passfile),
        "PGHOST": "127.0.0.1",
        "PGPORT": "1",
        "PGUSER": "nobody",
        "PATH": os.environ["PATH"],
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "wflog_tui", "show", "x"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    warnings = [line for line in result.stderr.splitlines() if "password file" in line]
    assert warnings == [
        f'wflog-tui: warning: password file "{passfile}" has group or world access; '
        "permissions should be u=rw (0600) or less"
    ], result.stderr
    assert "warnings.warn" not in result.stderr and "UserWarning" not in result.stderr
    assert result.returncode == 2


@pytest.mark.parametrize("command", [["doctor"], ["show", "RUN"]])
async def test_a_closed_pipe_stops_quietly(table, command):
    await table.insert(run_row(run_id="RUN"))
    argv = ["--dsn", table.dsn, "--table", table.name, *command]
    # `true` exits without reading: every write of ours meets a closed pipe.
    command_line = shlex.join([sys.executable, "-m", "wflog_tui", *argv])
    shell = f"{command_line} | true; echo ${{PIPESTATUS[0]}} >&2"
    result = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", shell], capture_output=True, text=True, timeout=120
    )
    status = int(result.stderr.strip().splitlines()[-1])
    noise = result.stderr.strip().splitlines()[:-1]
    assert noise == [], result.stderr
    assert status == 141
    # And a reader that takes one line gets it.
    shell = f"{command_line} | head -1"
    result = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", shell], capture_output=True, text=True, timeout=120
    )
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 1


@settings(max_examples=300, deadline=None)
@given(password=passwords(), host=s.sampled_from(["db", "db:6432", "[::1]:5432", "a,b:5433"]))
def test_what_the_store_says_of_a_dsn_holds_no_piece_of_its_password(password, host):
    for url in (f"postgresql://ro:{password}@{host}/db", f"postgres://ro:{password}@{host}"):
        shown = [mask_dsn(url), describe_target(url), mask_secrets(f"failed: {url}", url)]
        try:
            shown.append(normalise_dsn(url, "--dsn").source)
        except DsnError as exc:
            shown.append(exc.message)
        assert_no_piece(" | ".join(shown), url)
