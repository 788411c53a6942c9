"""Command line: parse arguments, resolve configuration, dispatch to the TUI, `show` or `demo`.

Exit codes: 0 on success, 1 when interrupted, 2 on a usage or configuration error, always
with one line on stderr and the password masked; 70 for a bug of ours, with the traceback
(masked) written to a file rather than the terminal. Nothing a user can cause ends in a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NoReturn

from wflog_tui.model.display_text import one_line
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.refresh_pacing import DEFAULT_REFRESH_S, MAX_REFRESH_S, MIN_REFRESH_S
from wflog_tui.model.step_tree import build_tree
from wflog_tui.store import (
    DsnError,
    LoadedRun,
    RunFilter,
    Store,
    StoreError,
    StoreSettings,
    load_run,
    mask_secrets,
    open_store,
    parse_since,
    parse_statuses,
    resolve_dsn,
    unknown_statuses,
)

PROG = "wflog-tui"
EXIT_USAGE = 2
# A bug of ours, not the user's: EX_SOFTWARE from sysexits.h.
EXIT_INTERNAL = 70


class UsageError(Exception):
    """A mistake in the command line or configuration: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {PROG} --help)\n")


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
        help="PostgreSQL DSN (default: $WFLOG_DSN, $DATABASE_URL, then libpq PG* variables)",
    )
    group.add_argument(
        "--table",
        default=_default("workflow_execution_log", defaults),
        metavar="[SCHEMA.]TABLE",
        help="the execution log table (default: workflow_execution_log)",
    )
    group.add_argument("--org", metavar="ORG_ID", help="show only this organisation's runs")
    group.add_argument(
        "--statement-timeout",
        type=_positive_seconds,
        default=_default(5.0, defaults),
        metavar="SECONDS",
        help="cancel any query running longer than this (default: 5)",
    )
    return common


def _filter_options(*, defaults: bool) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(
        add_help=False, argument_default=None if defaults else argparse.SUPPRESS
    )
    group = options.add_argument_group("run list")
    group.add_argument("--status", metavar="S[,S]", help="e.g. FAILED,RUNNING")
    group.add_argument("--workflow", metavar="NAME", help="only runs of this workflow name")
    group.add_argument(
        "--since",
        type=_since,
        default=_default(parse_since("24h"), defaults),
        metavar="15m|1h|24h|7d|all",
        help="time window of the list and counts (default: 24h)",
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
    # Defaults come from the main parser, so `--since 1h groups` is kept (see _common_options).
    groups.add_argument(
        "--since",
        type=_since,
        default=argparse.SUPPRESS,
        metavar="15m|1h|24h|7d|all",
        help="the window grouped; NEW means no failure in the one before (default: 24h)",
    )
    groups.add_argument(
        "--workflow",
        default=argparse.SUPPRESS,
        metavar="NAME",
        help="only failures of this workflow name",
    )
    groups.add_argument("--json", action="store_true", help="print the groups as JSON")

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
    runs.add_argument("--workflow", default=argparse.SUPPRESS, metavar="NAME", help="exact name")
    runs.add_argument(
        "--since",
        type=_since,
        default=argparse.SUPPRESS,
        metavar="15m|1h|24h|7d|all",
        help="time window (default: 24h)",
    )
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
        detail = await store.fetch_run(run_id)
    finally:
        await store.close()
    if detail is None:
        org = ctx.settings.organisation_scope
        where = f" in organisation {one_line(org, 80)}" if org else ""
        raise UsageError(f"no run with run_id or id {one_line(run_id, 120)!s}{where}")
    summary = detail.summary
    from wflog_tui.model.run_report import report_json, report_lines  # `show` only

    tree = build_tree(detail.steps_log, run_status=summary.status, run_ended_at=summary.ended_at)
    if as_json:
        sys.stdout.write(to_json_text(report_json(detail, tree), indent=True) + "\n")
    else:
        now = datetime.now(UTC)
        sys.stdout.write("\n".join(report_lines(detail, tree, now)) + "\n")
    sys.stdout.flush()
    return 0


async def _diff(ctx: Context, args: argparse.Namespace) -> int:
    from wflog_tui.model.diff_report import report_json, report_lines  # `diff` only
    from wflog_tui.store.run_comparison import load_comparison

    if args.against is not None and not args.against.strip():
        raise UsageError("--against RUN_ID is empty")
    store = await open_store(ctx.settings)
    try:
        loaded = await load_comparison(store, args.run_id, args.against)
    finally:
        await store.close()
    if loaded is None:
        org = ctx.settings.organisation_scope
        where = f" in organisation {one_line(org, 80)}" if org else ""
        raise UsageError(f"no run with run_id or id {one_line(args.run_id, 120)!s}{where}")
    run = loaded.this.detail.summary
    baseline = loaded.baseline.detail.summary if loaded.baseline is not None else None
    if args.json:
        report = report_json(run, baseline, loaded.reason, loaded.diff)
        sys.stdout.write(to_json_text(report, indent=True) + "\n")
    else:
        sys.stdout.write("\n".join(report_lines(run, baseline, loaded.reason, loaded.diff)) + "\n")
    sys.stdout.flush()
    return 0


async def _groups(ctx: Context, args: argparse.Namespace) -> int:
    from wflog_tui.model.groups_report import report_json, report_lines  # `groups` only
    from wflog_tui.store.failure_loading import groups_with_splitters

    run_filter = RunFilter(workflow=args.workflow, organisation=args.org, since=args.since)
    async with await open_store(ctx.settings) as store:
        log, groups = await groups_with_splitters(store, run_filter)
    if args.json:
        sys.stdout.write(to_json_text(report_json(groups), indent=True) + "\n")
    else:
        lines = report_lines(groups, log.window, datetime.now(UTC), truncated=log.truncated)
        sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 0


async def _doctor(ctx: Context, args: argparse.Namespace) -> int:
    from wflog_tui.runs_command import search_option
    from wflog_tui.store.doctor import diagnose

    run_filter = replace(_run_filter(args), query=search_option(args.search))
    report = await diagnose(ctx.settings, run_filter=run_filter, refresh_s=args.refresh)
    if args.json:
        sys.stdout.write(to_json_text(report.to_json(), indent=True) + "\n")
    else:
        sys.stdout.write(report.render_text().rstrip("\n") + "\n")
    sys.stdout.flush()
    if report.fatal:
        _fail(report.fatal, ctx.dsn_for_masking)
    return report.exit_code


async def _tui(store: Store, args: argparse.Namespace, source_label: str) -> int:
    open_run = getattr(args, "run", None)
    open_groups = bool(getattr(args, "groups", False))
    prefetched: dict[str, asyncio.Future[LoadedRun | None]] = {}
    pending_groups = None
    try:
        if open_run:
            # Started before the UI is imported: the database works on the run meanwhile.
            # The import runs in a thread, so this loop sends the run's query during it.
            prefetched[open_run] = asyncio.ensure_future(load_run(store, open_run))
            await asyncio.to_thread(_import_ui, "wflog_tui.ui.app", "wflog_tui.ui.run_view")
        elif open_groups:
            # The same for `--groups`: the window's failures are read while the UI imports.
            from wflog_tui.store.failure_loading import PendingFailureLog, failure_filter

            pending_groups = PendingFailureLog(store, failure_filter(_run_filter(args)))
            await asyncio.to_thread(_import_ui, "wflog_tui.ui.app", "wflog_tui.ui.failure_groups")
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
        app = WflogApp(store, config, prefetched=prefetched, pending_groups=pending_groups)
        await app.run_async()
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
    from wflog_tui.store import mask_dsn

    store = await open_store(ctx.settings)
    try:
        return await _tui(store, args, mask_dsn(ctx.dsn_for_masking) or "PG* environment")
    finally:
        await store.close()


async def _demo(args: argparse.Namespace, environ: os._Environ[str] | dict[str, str]) -> int:
    from pathlib import Path

    from wflog_tui.demo.embedded import EmbeddedPostgres, EmbeddedUnavailable, default_data_dir
    from wflog_tui.demo.runner import prepare_demo, run_simulator
    from wflog_tui.demo.table_ddl import TableShape

    server = None
    if args.dsn:
        dsn = args.dsn
    else:
        server = EmbeddedPostgres(Path(args.data_dir) if args.data_dir else default_data_dir())
        try:
            dsn = server.start()
        except EmbeddedUnavailable as exc:
            raise UsageError(str(exc)) from None
    stop = asyncio.Event()
    simulator: asyncio.Task[None] | None = None
    try:
        schema, _, table = args.table.rpartition(".")
        shape = TableShape(schema=schema or "public", table=table)
        seeded = await prepare_demo(dsn, shape, reset=args.reset)
        simulator = asyncio.create_task(run_simulator(dsn, shape, stop, tick=args.tick))
        if args.no_ui:
            print(f"demo database: {dsn}", flush=True)
            print(f"table: {shape.schema}.{shape.table} ({seeded:,} runs seeded)", flush=True)
            print(f"try: {PROG} --dsn '{dsn}' show <RUN_ID>   (Ctrl-C stops)", flush=True)
            await _wait_for_interrupt()
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
    finally:
        stop.set()
        if simulator is not None:
            simulator.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await simulator
        if server is not None:
            server.stop()


async def _wait_for_interrupt() -> None:
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()


def run(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the command line and return the exit code."""
    # asyncpg logs a traceback when a pool cannot replace a dead connection; the store
    # reports that itself, in one line, so the log must not reach the terminal raw.
    logging.getLogger("asyncpg").addHandler(logging.NullHandler())
    logging.getLogger("asyncpg").propagate = False
    env = environ if environ is not None else os.environ
    args = build_parser().parse_args(argv)
    dsn_hint: str | None = None
    try:
        if getattr(args, "theme", None):
            _check_theme(args.theme)
        if args.command == "demo":
            return asyncio.run(_demo(args, env))
        ctx = _context(args, env)
        dsn_hint = ctx.dsn_for_masking
        if args.command == "show":
            return asyncio.run(_show(ctx, args.run_id, args.json))
        if args.command == "doctor":
            return asyncio.run(_doctor(ctx, args))
        if args.command == "diff":
            return asyncio.run(_diff(ctx, args))
        if args.command == "runs":
            from wflog_tui.runs_command import print_runs

            return asyncio.run(print_runs(ctx.settings, _run_filter(args), args))
        if args.command == "groups":
            return asyncio.run(_groups(ctx, args))
        return asyncio.run(_live(ctx, args))
    except UsageError as exc:
        _fail(str(exc), dsn_hint)
    except StoreError as exc:
        _fail(exc.message, dsn_hint)
    except KeyboardInterrupt:
        return 1
    except Exception as exc:  # a bug of ours: one line on stderr, the details in a file
        _report_crash(exc, dsn_hint)
        return EXIT_INTERNAL
    return EXIT_USAGE


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
    sys.exit(run())
