"""Command line: parse arguments, resolve configuration, dispatch to the TUI, `show` or `demo`.

Exit codes: 0 on success, 1 when interrupted, 2 on a usage or configuration error, always
with one line on stderr and the password masked; 70 for a bug of ours, in the CLI or in the
TUI, with the traceback (masked) written to a file rather than the terminal; 141 (as a tool
killed by SIGPIPE) when stdout is closed early, as by `| head -1`, without a word. Nothing a
user can cause ends in a traceback.

A password given with `--dsn` is visible to every user of the host in `ps`, as with `psql`;
`WFLOG_DSN`, `.pgpass` or a profile's `dsn_env` keep it out of the command line. The
process title is rewritten without it too, where setproctitle can do so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import importlib
import logging
import os
import re
import shlex
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, NoReturn

from wflog_tui.model.display_text import one_line
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.refresh_pacing import DEFAULT_REFRESH_S, MAX_REFRESH_S, MIN_REFRESH_S
from wflog_tui.model.step_link import TABS
from wflog_tui.store import (
    DsnError,
    LoadedRun,
    RunFilter,
    Store,
    StoreError,
    StoreSettings,
    load_run_to_print,
    mask_dsn,
    mask_secrets,
    open_store,
    parse_since,
    parse_statuses,
    resolve_dsn,
    start_loading,
    unknown_statuses,
)
from wflog_tui.store.connection import DEFAULT_STATEMENT_TIMEOUT_S
from wflog_tui.store.schema import DEFAULT_TABLE

PROG = "wflog-tui"
EXIT_USAGE = 2
# A bug of ours, not the user's: EX_SOFTWARE from sysexits.h.
EXIT_INTERNAL = 70
# stdout closed by the reader (`| head -1`): what a tool killed by SIGPIPE exits with.
EXIT_CLOSED_PIPE = 128 + signal.SIGPIPE
PASSWORD_ADVICE = (
    "A password in --dsn is visible to other users in `ps`: prefer WFLOG_DSN, ~/.pgpass "
    "or a profile's dsn_env."
)


class UsageError(Exception):
    """A mistake in the command line or configuration: one line, exit 2."""


def no_such_run(run_id: str, settings: StoreSettings) -> UsageError:
    """The error for a run id that matches no run, naming the organisation scope if any."""
    org = settings.organisation_scope
    where = f" in organisation {one_line(org, 80)}" if org else ""
    return UsageError(f"no run with run_id or id {one_line(run_id, 120)!s}{where}")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line instead of a usage block, masked.

    argparse quotes the values it refuses (`invalid choice: 'postgresql://u:pw@…'`), so
    every message goes through the masking, with each command-line word that looks like
    a DSN counted as a secret.
    """

    words: Sequence[str] = ()

    def error(self, message: str) -> NoReturn:
        text = _mask_words(message, self.words)
        self.exit(EXIT_USAGE, f"{self.prog}: {one_line(text, 400)} (see {PROG} --help)\n")


def _mask_words(message: str, words: Sequence[str]) -> str:
    """`message` with every DSN-like word of the command line (as given or quoted) masked."""
    secret = [w for w in words if "://" in w or "password" in w.lower()]
    for word in sorted(secret, key=len, reverse=True):
        shown = mask_dsn(word) if "://" in word else "<DSN>"
        for spelled in (repr(word), repr(word)[1:-1], word):
            message = message.replace(spelled, shown)
    return mask_secrets(message, None, extra=secret)


def _option_table(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Every option string of the parser and its subcommands, with its action.

    argparse has no public way to list them; `_actions` and `_SubParsersAction` are the
    attributes its own help formatter reads.
    """
    table: dict[str, argparse.Action] = {}
    for action in parser._actions:
        for option in action.option_strings:
            table[option] = action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                table.update(_option_table(sub))
    return table


def _refuse_unknown_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Name an unknown option before argparse takes its value for a subcommand and echoes it.

    `--dns postgresql://u:pw@…` would otherwise end in "invalid choice: 'postgresql://…'".
    """
    table = _option_table(parser)
    expects_value = False
    for word in argv:
        if expects_value:
            expects_value = False
            continue
        if word == "--":
            return
        if not word.startswith("-") or word == "-" or _is_number(word):
            continue
        name = word.split("=", 1)[0]
        known = [option for option in table if option.startswith(name)]
        if name.startswith("--") and len(known) > 1 and name not in table:
            continue  # an ambiguous abbreviation: argparse says so, without any value
        action = table.get(name) or (table[known[0]] if name.startswith("--") and known else None)
        if action is None:
            shown = one_line(name, 40) if "://" not in name else "?"
            guess = difflib.get_close_matches("--" + name.lstrip("-"), table, n=1, cutoff=0.75)
            hint = f"; did you mean {guess[0]}?" if guess else ""
            parser.error(f"unknown option {shown}{hint}")
        # The word after an option that takes a value is that value, whatever it looks like.
        expects_value = "=" not in word and action.nargs is None


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"expected 0.1 to 3600 seconds, got {text!r}")
    return value


def _refresh_seconds(text: str) -> float:
    value = _positive_seconds(text)
    if not MIN_REFRESH_S <= value <= MAX_REFRESH_S:
        raise argparse.ArgumentTypeError(
            f"expected {MIN_REFRESH_S:g} to {MAX_REFRESH_S:g} seconds, got {text!r}"
        )
    return value


def _since(text: str) -> object:
    try:
        return parse_since(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--since ")) from None


def _default(value: object, defaults: bool) -> object:
    return value if defaults else argparse.SUPPRESS


def _common_options(*, defaults: bool) -> argparse.ArgumentParser:
    # Options may come before or after the subcommand. A subcommand's parser must not
    # overwrite what was given before it with its own defaults, so there they are SUPPRESS.
    common = argparse.ArgumentParser(
        add_help=False, argument_default=None if defaults else argparse.SUPPRESS
    )
    group = common.add_argument_group("connection and scope")
    group.add_argument(
        "--dsn",
        help=(
            "PostgreSQL DSN (default: $WFLOG_DSN, $DATABASE_URL, then libpq PG* variables). "
            "Other users see --dsn in `ps`: give a password through WFLOG_DSN, ~/.pgpass or "
            "a profile's dsn_env instead; in a URL, percent-encode @ : / ? # in it"
        ),
    )
    group.add_argument(
        "--table",
        default=_default(DEFAULT_TABLE, defaults),
        metavar="[SCHEMA.]TABLE",
        help="the execution log table (default: workflow_execution_log)",
    )
    group.add_argument("--org", metavar="ORG_ID", help="show only this organisation's runs")
    group.add_argument(
        "--config", metavar="PATH", help="configuration file (default: see wflog-tui config)"
    )
    group.add_argument(
        "--profile", metavar="NAME", help="a [profiles.NAME] of the file (default: $WFLOG_PROFILE)"
    )
    group.add_argument(
        "--statement-timeout",
        type=_positive_seconds,
        default=_default(DEFAULT_STATEMENT_TIMEOUT_S, defaults),
        metavar="SECONDS",
        help="cancel any query running longer than this (default: 5)",
    )
    return common


def _add_since(
    options: argparse.ArgumentParser | argparse._ArgumentGroup,
    help_text: str,
    *,
    default: object = argparse.SUPPRESS,
) -> None:
    """`--since` on `options`. A subcommand's has no default of its own: the main parser's
    stands, so `--since 1h groups` is kept (see _common_options)."""
    options.add_argument(
        "--since", type=_since, default=default, metavar="15m|1h|24h|7d|all", help=help_text
    )


def _add_workflow(options: argparse.ArgumentParser, help_text: str) -> None:
    """`--workflow` on a subcommand; like its `--since`, with no default of its own."""
    options.add_argument("--workflow", default=argparse.SUPPRESS, metavar="NAME", help=help_text)


def _filter_options(*, defaults: bool) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(
        add_help=False, argument_default=None if defaults else argparse.SUPPRESS
    )
    group = options.add_argument_group("run list")
    group.add_argument("--status", metavar="S[,S]", help="e.g. FAILED,RUNNING")
    group.add_argument("--workflow", metavar="NAME", help="only runs of this workflow name")
    _add_since(
        group,
        "time window of the list and counts (default: 24h)",
        default=_default(parse_since("24h"), defaults),
    )
    group.add_argument(
        "--refresh",
        type=_refresh_seconds,
        default=_default(DEFAULT_REFRESH_S, defaults),
        metavar="SECONDS",
        help="refresh period of live views (default: 2)",
    )
    group.add_argument("--theme", metavar="NAME", help="colour theme (see the command palette)")
    group.add_argument("--run", metavar="RUN_ID", help="open this run directly")
    group.add_argument("--step", metavar="STEP_ID", help="with --run: land on this step")
    group.add_argument("--iteration", type=int, metavar="N", help="with --step: in iteration N")
    group.add_argument("--tab", choices=TABS, help="with --run: open this detail tab")
    group.add_argument("--view", metavar="NAME", help="open a [views.NAME] of the file")
    group.add_argument(
        "--groups",
        action="store_true",
        default=_default(False, defaults),
        help="open on the failure groups screen (esc goes to the run list)",
    )
    return options


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, subcommands included."""
    parser = _Parser(
        prog=PROG,
        description="A keyboard-first terminal UI for workflow_execution_log.",
        parents=[_common_options(defaults=True), _filter_options(defaults=True)],
    )
    common, filters = _common_options(defaults=False), _filter_options(defaults=False)
    parser.add_argument("--version", action=_ShowVersion, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    show = commands.add_parser(
        "show",
        parents=[common],
        help="print a run's header and step tree, then exit",
        description="Print a run's header and step tree to stdout, then exit.",
    )
    show.add_argument("run_id", metavar="RUN_ID", help="run_id (or id) of the run")
    show.add_argument("--json", action="store_true", help="print the tree as JSON")
    show.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        help="text (default), json (same as --json) or markdown, to paste into an incident",
    )

    config = commands.add_parser(
        "config",
        parents=[common, filters],
        help="print the merged configuration and where each value came from",
        description=(
            "Print every setting after flags, environment, profile and [defaults] are "
            "merged, and where each came from. The password is masked."
        ),
    )
    config.add_argument("--search", metavar="QUERY", help="as `runs --search`")

    diff = commands.add_parser(
        "diff",
        parents=[common],
        help="compare a run with the last good run of its workflow, then exit",
        description=(
            "Compare a run with a baseline: by default the newest COMPLETED run of the same "
            "workflow and organisation that started before it (looked for 30 days back). "
            "Prints the baseline and why, the version change, the first divergence and its "
            "root source, then the differing steps."
        ),
    )
    diff.add_argument("run_id", metavar="RUN_ID", help="run_id (or id) of the run to explain")
    diff.add_argument("--against", metavar="RUN_ID", help="compare with this run instead")
    diff.add_argument("--json", action="store_true", help="print the comparison as JSON")

    groups = commands.add_parser(
        "groups",
        parents=[common],
        help="print what is failing, grouped, with what the failing runs share",
        description=(
            "Print the failure groups of the window (workflow, failing step, normalised "
            "error), newest activity first, each with what its failing runs share."
        ),
    )
    _add_since(groups, "the window grouped; NEW means no failure in the one before (default: 24h)")
    _add_workflow(groups, "only failures of this workflow name")
    groups.add_argument("--json", action="store_true", help="print the groups as JSON")

    report = commands.add_parser(
        "report",
        parents=[common],
        help="write an incident report in Markdown to stdout",
        description=(
            "Write one Markdown document: the failure groups of the window with their "
            "splitters and blast radius; for the top groups, the newest failing run, its "
            "diff against the last good run and its root cause; links to reopen each; the "
            "exact window and filters used. Written as it is read."
        ),
    )
    _add_since(report, "the window reported (default: 24h)")
    _add_workflow(report, "one workflow's failures")
    report.add_argument(
        "--top", type=int, default=3, metavar="N", help="groups explained in full (default: 3)"
    )

    doctor = commands.add_parser(
        "doctor",
        parents=[common, filters],
        help="check connection, schema, indexes, privileges; suggest fixes",
        description=(
            "Check the connection, server, read-only session, table, columns and indexes, "
            "measure the list and refresh queries, and print the statements that would help. "
            "It never changes the database."
        ),
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("--search", metavar="QUERY", help="say which indexes this search needs")

    runs = commands.add_parser(
        "runs",
        parents=[common],
        help="print the runs matching a search, newest first, then exit",
        description="Print the runs of the list matching a search (see README, Search).",
    )
    runs.add_argument("--search", metavar="QUERY", help="e.g. 'status:FAILED input.currency=JPY'")
    runs.add_argument("--status", default=argparse.SUPPRESS, metavar="S[,S]", help="FAILED,…")
    _add_workflow(runs, "exact name")
    _add_since(runs, "time window (default: 24h)")
    runs.add_argument("--view", metavar="NAME", help="a [views.NAME] of the file")
    runs.add_argument("--limit", type=int, default=100, metavar="N", help="(default: 100)")
    runs.add_argument("--json", action="store_true", help="print a JSON array of runs")

    demo = commands.add_parser(
        "demo",
        parents=[common, filters],
        help="embedded PostgreSQL with live simulated runs, then the TUI",
        description=(
            "Start an embedded PostgreSQL (unless --dsn is given), seed a realistic history, "
            "keep writing live runs, and open the TUI on it."
        ),
    )
    demo.add_argument("--no-ui", action="store_true", help="print the DSN and keep running")
    demo.add_argument(
        "--tick",
        type=_positive_seconds,
        default=0.7,
        metavar="SECONDS",
        help="how often the simulator advances live runs (default: %(default)s)",
    )
    demo.add_argument("--data-dir", metavar="DIR", help="embedded server data directory")
    demo.add_argument(
        "--reset", action="store_true", help="delete the demo's rows and seed a fresh history"
    )
    return parser


@dataclass
class Context:
    """Resolved settings shared by every command."""

    settings: StoreSettings
    dsn_for_masking: str | None


def _context(args: argparse.Namespace, environ: os._Environ[str] | dict[str, str]) -> Context:
    if not args.table.strip():
        raise UsageError("--table is empty")
    _check_org(args)
    if args.command in ("show", "diff") and not args.run_id.strip():
        raise UsageError("RUN_ID is empty")
    try:
        resolved = resolve_dsn(args.dsn, environ)
    except DsnError as exc:
        raise UsageError(exc.message) from None
    settings = StoreSettings(
        dsn=resolved.dsn,
        table=args.table,
        default_schema=resolved.default_schema,
        statement_timeout_s=args.statement_timeout,
        organisation_scope=args.org,
        **({"connect_timeout_s": resolved.connect_timeout_s} if resolved.connect_timeout_s else {}),
        pgbouncer=resolved.pgbouncer,
    )
    return Context(settings, resolved.dsn)


def _check_org(args: argparse.Namespace) -> None:
    # An empty --org would match no run at all, silently: a mistake, not a scope.
    if args.org is not None and not args.org.strip():
        raise UsageError("--org is empty (leave it out to see every organisation)")


def _run_filter(args: argparse.Namespace) -> RunFilter:
    statuses = parse_statuses(args.status or "")
    odd = unknown_statuses(statuses)
    if odd:
        names = ", ".join(sorted(odd))
        print(
            f"{PROG}: note: status {one_line(names, 80)} is not one of the spec's five; "
            "filtering for it anyway",
            file=sys.stderr,
        )
    return RunFilter(
        statuses=statuses,
        workflow=args.workflow,
        organisation=args.org,
        since=args.since,
    )


async def _show(ctx: Context, run_id: str, as_json: bool) -> int:
    store = await open_store(ctx.settings)
    try:
        # Both reports fold what nobody reads: a big log comes as its skeleton, and only
        # the entries printed are fetched whole.
        loaded = await load_run_to_print(store, run_id, as_json=as_json)
    finally:
        await store.close()
    if loaded is None:
        raise no_such_run(run_id, ctx.settings)
    detail, tree = loaded.detail, loaded.tree
    from wflog_tui.model.run_report import report_json, report_lines  # `show` only

    if as_json:
        sys.stdout.write(to_json_text(report_json(detail, tree), indent=True) + "\n")
    else:
        now = datetime.now(UTC)
        sys.stdout.write("\n".join(report_lines(detail, tree, now)) + "\n")
    sys.stdout.flush()
    return 0


async def _tui(
    store: Store,
    args: argparse.Namespace,
    source_label: str,
    importing: asyncio.Future[None] | None = None,
) -> int:
    open_run = getattr(args, "run", None)
    open_groups = bool(getattr(args, "groups", False))
    prefetched: dict[str, asyncio.Future[LoadedRun | None]] = {}
    pending_groups = None
    try:
        if open_run:
            # Started before the UI is imported: the database works on the run meanwhile.
            # The import runs in a thread, so this loop sends the run's query during it.
            prefetched[open_run] = start_loading(store, open_run)
        elif open_groups:
            # The same for `--groups`: the window's failures are read while the UI imports.
            from wflog_tui.store.failure_loading import PendingFailureLog, failure_filter

            pending_groups = PendingFailureLog(store, failure_filter(_run_filter(args)))
        await (importing if importing is not None else _import_ui_meanwhile(args))
        import io

        from rich.console import Console

        from wflog_tui.ui.app import WflogApp
        from wflog_tui.ui.config import AppConfig

        config = AppConfig(
            run_filter=_run_filter(args),
            refresh_s=args.refresh,
            theme=args.theme,
            open_run=open_run,
            open_groups=open_groups,
            source_label=source_label,
        )
        from wflog_tui.configuration import with_configuration

        config = with_configuration(config, args)
        app = WflogApp(store, config, prefetched=prefetched, pending_groups=pending_groups)
        # Textual renders a crash as a traceback with local variables on stderr; ours goes,
        # masked, to the crash file instead (`run` writes it), so Textual's goes nowhere.
        rendered = io.StringIO()
        app.error_console = Console(file=rendered, width=120)
        await app.run_async()
        if app._exception is not None:  # Textual keeps the error that ended the app here
            raise app._exception
        if rendered.getvalue().strip():  # an error Textual reported without raising (CSS)
            raise RuntimeError(f"the app ended with an error:\n{rendered.getvalue()}")
    finally:
        for future in prefetched.values():
            if future.done() and not future.cancelled():
                future.exception()  # seen (the run view reported it, or never opened)
            future.cancel()
        if pending_groups is not None:
            pending_groups.discard()
    return app.return_code or 0


class _ShowVersion(argparse.Action):
    """`--version`, reading the version only when asked for (see `wflog_tui.__getattr__`)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        import wflog_tui

        sys.stdout.write(f"{PROG} {wflog_tui.__version__}\n")
        parser.exit()


def _import_ui(*modules: str) -> None:
    for name in modules:
        importlib.import_module(name)


def _check_theme(name: str) -> None:
    from textual.theme import BUILTIN_THEMES

    from wflog_tui.ui.themes import bundled_themes, user_themes

    names = {
        *BUILTIN_THEMES,
        *(t.name for t in bundled_themes()),
        *(t.name for t in user_themes()[0]),
    }
    if name not in names:
        raise UsageError(
            f"no theme named {one_line(name, 60)!r}; themes: {', '.join(sorted(names))}"
        )


async def _live(ctx: Context, args: argparse.Namespace) -> int:
    # Most of the time before the first frame is importing the UI: it runs in a thread
    # from now on, while this loop connects, looks at the table and (with --run or
    # --groups) sends the first query.
    importing = _import_ui_meanwhile(args)
    store = await open_store(ctx.settings)
    try:
        return await _tui(
            store, args, mask_dsn(ctx.dsn_for_masking) or "PG* environment", importing
        )
    finally:
        await store.close()


def _import_ui_meanwhile(args: argparse.Namespace) -> asyncio.Future[None]:
    """Import the modules of the screen the TUI opens on, in a thread; awaited before the
    app is made."""
    if getattr(args, "run", None):
        screen = "wflog_tui.ui.run_view"
    elif getattr(args, "groups", False):
        screen = "wflog_tui.ui.failure_groups"
    else:
        screen = "wflog_tui.ui.run_list"
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(None, _import_ui, "wflog_tui.ui.app", screen)


async def _demo(args: argparse.Namespace, environ: os._Environ[str] | dict[str, str]) -> int:
    from pathlib import Path

    import asyncpg

    from wflog_tui.demo.embedded import EmbeddedPostgres, EmbeddedUnavailable, default_data_dir
    from wflog_tui.demo.runner import prepare_demo, run_simulator
    from wflog_tui.demo.table_ddl import TableShape
    from wflog_tui.store.error_translation import translate

    _check_org(args)
    server = None
    if args.dsn:
        try:
            dsn = resolve_dsn(args.dsn, environ).dsn or ""
        except DsnError as exc:
            raise UsageError(exc.message) from None
    else:
        server = EmbeddedPostgres(Path(args.data_dir) if args.data_dir else default_data_dir())
    stop = asyncio.Event()
    simulator: asyncio.Task[None] | None = None
    # SIGHUP (the terminal closed) and SIGTERM end the demo as Ctrl-C does, through the
    # `finally` below, so that the embedded server is stopped rather than left running.
    # The server is also stopped at once: the task's unwinding (the TUI's shutdown, on a
    # terminal that is gone, under load) must not be what stands between a closed terminal
    # and a stopped server.
    signalled = _stop_on_signals(asyncio.current_task(), server.stop if server else None)
    try:
        if server is not None:
            # In this thread: a signal during the start is handled once it returned, so
            # the `finally` below always has the server to stop.
            try:
                dsn = server.start()
            except EmbeddedUnavailable as exc:
                raise UsageError(str(exc)) from None
            if server.found:
                print(f"{PROG}: {server.found}", file=sys.stderr, flush=True)
        schema, _, table = args.table.rpartition(".")
        shape = TableShape(schema=schema or "public", table=table)
        try:
            prepared = await prepare_demo(dsn, shape, reset=args.reset)
        except (
            OSError,
            TimeoutError,
            ValueError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
        ) as exc:
            raise UsageError(translate(exc, dsn, connecting=True, at_start=True).message) from None
        simulator = asyncio.create_task(run_simulator(dsn, shape, stop, tick=args.tick))
        if args.no_ui:
            # Ctrl-C is taken before the lines are printed: whoever reads them may press it.
            interrupted = _interrupt_event()
            shown = mask_dsn(dsn)
            print(f"demo database: {shown}", flush=True)
            print(f"table: {shape.schema}.{shape.table} ({prepared.describe()})", flush=True)
            if shown == dsn:
                print(
                    f"try: {PROG} --dsn {shlex.quote(dsn)} show <RUN_ID>   (Ctrl-C stops)",
                    flush=True,
                )
            else:  # the password stays where the user keeps it
                print(
                    f"try: WFLOG_DSN=<your DSN> {PROG} show <RUN_ID>   (Ctrl-C stops)", flush=True
                )
            await interrupted.wait()
            return 0
        args.table = f"{shape.schema}.{shape.table}"
        settings = StoreSettings(
            dsn=dsn,
            table=args.table,
            statement_timeout_s=args.statement_timeout,
            organisation_scope=args.org,
        )
        store = await open_store(settings)
        try:
            return await _tui(store, args, "embedded demo" if server else "demo")
        finally:
            await store.close()
    except asyncio.CancelledError:
        if not signalled:
            raise
        return 128 + signalled[0]
    finally:
        stop.set()
        if simulator is not None:
            simulator.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await simulator
        if server is not None:
            server.stop()


UNWIND_GRACE_S: Final = 10.0
"""How long a signalled demo may take to unwind before it ends without it."""


def _stop_on_signals(
    task: asyncio.Task[object] | None, then: Callable[[], None] | None = None
) -> list[int]:
    """Cancel `task` on SIGHUP or SIGTERM, then call `then`; the list returned receives the
    signal's number."""
    received: list[int] = []
    loop = asyncio.get_running_loop()

    def cancel(signum: int) -> None:
        received.append(signum)
        if task is not None:
            task.cancel()
        if then is not None:
            then()
        # With the server stopped nothing is left to lose, and a TUI whose terminal is gone
        # can hang in its shutdown (Textual's writer thread waiting on a terminal nobody
        # reads): the process ends by itself if unwinding has not ended it by then.
        watchdog = threading.Timer(UNWIND_GRACE_S, os._exit, (128 + signum,))
        watchdog.daemon = True
        watchdog.start()

    for signum in (signal.SIGHUP, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signum, cancel, signum)
    return received


def _interrupt_event() -> asyncio.Event:
    """An event set by Ctrl-C (SIGINT), from now on."""
    stopped = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stopped.set)
    return stopped


def run(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the command line and return the exit code."""
    # asyncpg logs a traceback when a pool cannot replace a dead connection; the store
    # reports that itself, in one line, so the log must not reach the terminal raw.
    logging.getLogger("asyncpg").addHandler(logging.NullHandler())
    logging.getLogger("asyncpg").propagate = False
    env = environ if environ is not None else os.environ
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    _Parser.words = words
    _refuse_unknown_options(parser, words)
    from wflog_tui.configuration import apply_configuration, config_lines, parse_arguments

    args = parse_arguments(parser, words)
    # Options not given stay UNSET until the configuration fills them in.
    dsn_hint: str | None = args.dsn if isinstance(getattr(args, "dsn", None), str) else None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            args.resolution = apply_configuration(args, env)
            dsn_hint = args.dsn or dsn_hint
            if args.command == "config":
                sys.stdout.write("\n".join(config_lines(args.resolution)) + "\n")
                return 0
            if getattr(args, "theme", None):
                _check_theme(args.theme)
            if args.command == "demo":
                return asyncio.run(_demo(args, env))
            ctx = _context(args, env)
            dsn_hint = ctx.dsn_for_masking
            if args.command == "show":
                if args.format == "markdown":
                    from wflog_tui.run_markdown_command import print_markdown

                    return asyncio.run(print_markdown(ctx.settings, args))
                return asyncio.run(_show(ctx, args.run_id, args.json or args.format == "json"))
            if args.command == "doctor":
                from wflog_tui.doctor_command import print_doctor

                return asyncio.run(print_doctor(ctx.settings, _run_filter(args), args))
            if args.command == "diff":
                from wflog_tui.diff_command import print_diff

                return asyncio.run(print_diff(ctx.settings, args))
            if args.command == "runs":
                from wflog_tui.runs_command import print_runs

                return asyncio.run(print_runs(ctx.settings, _run_filter(args), args))
            if args.command == "groups":
                from wflog_tui.groups_command import print_groups

                return asyncio.run(print_groups(ctx.settings, args))
            if args.command == "report":
                from wflog_tui.report_command import write_report

                return asyncio.run(write_report(ctx.settings, args))
            return asyncio.run(_live(ctx, args))
    except UsageError as exc:
        _fail(str(exc), dsn_hint)
    except StoreError as exc:
        _fail(exc.message, dsn_hint)
    except KeyboardInterrupt:
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_CLOSED_PIPE
    except Exception as exc:  # a bug of ours: one line on stderr, the details in a file
        _report_crash(exc, dsn_hint)
        return EXIT_INTERNAL
    return EXIT_USAGE


def _silence_stdout() -> None:
    # The reader is gone: what is still buffered for stdout must not fail again when
    # Python flushes it at exit ("Exception ignored ... BrokenPipeError").
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _hide_dsn_from_process_title(words: Sequence[str]) -> None:
    """Rewrite the process title without the `--dsn` value, where setproctitle can.

    It narrows the window in which `ps` shows the password, it does not close it: the
    title is only rewritten once the process runs, and /proc/PID/environ and the shell's
    history still hold it. Hence the advice to keep passwords out of the command line.
    """
    if not any(w == "--dsn" or w.startswith("--dsn=") for w in words):
        return
    try:
        from setproctitle import setproctitle
    except ImportError:  # pragma: no cover - depends on the install
        return
    shown: list[str] = []
    hide_next = False
    for word in words:
        if hide_next:
            shown.append("***")
        elif word.startswith("--dsn="):
            shown.append("--dsn=***")
        else:
            shown.append(word)
        hide_next = word == "--dsn"
    setproctitle(shlex.join([PROG, *shown]))


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    # asyncpg warns about a .pgpass others can read with two raw lines (where, and the
    # source line); libpq says it in one, and so do we, with the path as libpq shows it.
    text = re.sub(r"\b\w*Path\((['\"])(.*?)\1\)", r'"\2"', str(message))
    print(f"{PROG}: warning: {one_line(mask_secrets(text, None), 300)}", file=sys.stderr)


def _report_crash(exc: BaseException, dsn: str | None) -> None:
    import tempfile
    import traceback

    details = mask_secrets("".join(traceback.format_exception(exc)), dsn)
    try:
        with tempfile.NamedTemporaryFile(
            "w", prefix="wflog-tui-crash-", suffix=".txt", delete=False
        ) as handle:
            handle.write(details)
            where = f" (details in {handle.name})"
    except OSError:
        where = ""
    _fail(f"internal error: {type(exc).__name__}: {exc}{where}", dsn)


def _fail(message: str, dsn: str | None) -> None:
    text = one_line(mask_secrets(message, dsn), 400)
    print(f"{PROG}: {text}", file=sys.stderr)


def main() -> NoReturn:
    """Console-script entry point."""
    # Here, not in `run`: a process that calls `run` (a test) keeps its own title.
    _hide_dsn_from_process_title(sys.argv[1:])
    sys.exit(run())
