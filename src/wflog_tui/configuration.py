"""The settings a command runs with: flags, then the environment, then the profile, then
`[defaults]`, then the built-in defaults; and `wflog-tui config`, which prints them with
where each came from.

The command line is parsed with a sentinel as the default of every configurable option,
so a flag given with the built-in default's value (`--since 24h`) still beats a profile.
Between the environment and the profile sit a saved view (`--view`) and, for the live
list only, what the profile remembered from its last session (`sticky_state`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from wflog_tui.cli import PROG, UsageError
from wflog_tui.config_file import (
    ConfigError,
    ConfigFile,
    SavedView,
    load_config,
    load_view,
    profile_dsn,
)
from wflog_tui.model.display_text import one_line
from wflog_tui.model.refresh_pacing import DEFAULT_REFRESH_S
from wflog_tui.model.step_link import StepLink, link_problem, scope_arguments
from wflog_tui.sticky_state import recall_state
from wflog_tui.store import mask_dsn, parse_since
from wflog_tui.store.connection import DEFAULT_STATEMENT_TIMEOUT_S
from wflog_tui.store.schema import DEFAULT_TABLE

PROFILE_ENV: Final = "WFLOG_PROFILE"
BUILT_IN: Final = "built-in default"


class _Unset:
    """The default of every configurable option: tells "not given" from any value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
# Flag destinations that the configuration may fill, with their built-in defaults.
BUILT_IN_DEFAULTS: Final[Mapping[str, Any]] = {
    "dsn": None,
    "table": DEFAULT_TABLE,
    "org": None,
    "statement_timeout": DEFAULT_STATEMENT_TIMEOUT_S,
    "refresh": DEFAULT_REFRESH_S,
    "since": parse_since("24h"),
    "theme": None,
    "status": None,
    "workflow": None,
}
# Flags spelled other than their destination.
_FLAG: Final = {"statement_timeout": "--statement-timeout"}


def parse_arguments(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """Parse `argv` with every configurable option defaulting to `UNSET`, in the parser and
    in each subcommand's, so `apply_configuration` sees which flags were given."""
    for each in _parsers(parser):
        for action in each._actions:
            if action.dest in BUILT_IN_DEFAULTS and action.default is not argparse.SUPPRESS:
                action.default = UNSET
    return parser.parse_args(argv)


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_parsers(sub))
    return found


@dataclass
class Setting:
    """One resolved value as `wflog-tui config` shows it, and where it came from."""

    name: str
    shown: str
    source: str


@dataclass
class Resolution:
    """What the configuration decided beyond the flags it filled in on the namespace."""

    config: ConfigFile
    profile: str | None
    view: SavedView | None
    settings: list[Setting] = field(default_factory=list)
    time_display: str = "relative"
    dashboard_url: str | None = None
    profile_warning: bool = False
    link_scope: tuple[str, ...] = ()
    open_step: StepLink | None = None


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, timedelta):
        return window_text(value)
    return one_line(str(value), 200)


def _shown(dest: str, value: Any) -> str:
    return "all" if dest == "since" and value is None else _show(value)


def window_text(window: timedelta) -> str:
    """`1h`, `24h`, `7d`, `90s`: a window as `--since` spells it (a day as 24h, as the
    list's window label does)."""
    seconds = int(window.total_seconds())
    for unit, size, least in (("d", 86400, 172800), ("h", 3600, 3600), ("m", 60, 60)):
        if seconds >= least and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def apply_configuration(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> Resolution:
    """Fill every option not given on the command line, by precedence, on `args`.

    Raises `UsageError` (one line) for a bad file, an unknown profile or view, a
    `dsn_env` naming an unset variable, or `--step` options without `--run`.
    """
    config_flag = getattr(args, "config", None)
    try:
        config = load_config(Path(config_flag) if config_flag else None)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    profile_name, profile_source = _profile_name(args, environ, config)
    profile = config.profiles.get(profile_name, {}) if profile_name else {}
    view_name = getattr(args, "view", None)
    view: SavedView | None = None
    if view_name is not None:
        try:
            view = load_view(config, view_name)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    live = getattr(args, "command", None) in (None, "demo")
    sticky = recall_state(profile_name) if live else None
    resolution = Resolution(config, profile_name, view)
    settings = resolution.settings
    settings.append(Setting("config file", str(config.path or "(none)"), _config_source(args)))
    settings.append(Setting("profile", profile_name or "—", profile_source))
    settings.append(_resolve_dsn(args, environ, config, profile_name, profile))

    def layered(dest: str) -> None:
        flag = _FLAG.get(dest, "--" + dest.replace("_", "-"))
        value = getattr(args, dest, UNSET)
        if value is not UNSET:
            settings.append(Setting(dest, _shown(dest, value), flag))
            return
        candidates: list[tuple[Any, str]] = []
        if view is not None and dest in ("since", "org", "workflow", "status"):
            from_view = getattr(view, dest)
            if from_view:
                text = ",".join(from_view) if isinstance(from_view, tuple) else from_view
                candidates.append(
                    (text, f"view {view.name} ({config.where('views', view.name, dest)})")
                )
        if sticky is not None and dest == "since" and sticky.since:
            candidates.append((sticky.since, "remembered from the last session"))
        if profile_name and dest in profile:
            where = config.where("profiles", profile_name, dest)
            candidates.append((profile[dest], f"profile {profile_name} ({where})"))
        if dest in config.defaults:
            candidates.append(
                (config.defaults[dest], f"[defaults] ({config.where('defaults', dest)})")
            )
        value, source = candidates[0] if candidates else (BUILT_IN_DEFAULTS[dest], BUILT_IN)
        if dest == "since" and isinstance(value, str):
            value = parse_since(value)
        setattr(args, dest, value)
        settings.append(Setting(dest, _shown(dest, value), source))

    for dest in ("table", "org", "statement_timeout", "refresh", "since", "theme", "status"):
        layered(dest)
    layered("workflow")
    if view is not None and view.search and getattr(args, "search", None) is None:
        args.search = view.search
    if getattr(args, "search", None) is not None:
        settings.append(Setting("search", _show(args.search), _search_source(view, args, config)))

    display, display_source = "relative", BUILT_IN
    if sticky is not None and sticky.time_display:
        display, display_source = sticky.time_display, "remembered from the last session"
    elif profile_name and "time_display" in profile:
        where = config.where("profiles", profile_name, "time_display")
        display, display_source = profile["time_display"], f"profile {profile_name} ({where})"
    elif "time_display" in config.defaults:
        display = config.defaults["time_display"]
        display_source = f"[defaults] ({config.where('defaults', 'time_display')})"
    resolution.time_display = display
    settings.append(Setting("time_display", display, display_source))
    if profile_name and "dashboard_url" in profile:
        resolution.dashboard_url = profile["dashboard_url"]
        where = config.where("profiles", profile_name, "dashboard_url")
        settings.append(
            Setting(
                "dashboard_url",
                _show(profile["dashboard_url"]),
                f"profile {profile_name} ({where})",
            )
        )
    resolution.profile_warning = bool(profile.get("warning", False))
    if view is not None:
        settings.append(Setting("view", _show(view.name), "--view"))
        for key in ("sort", "reverse", "columns"):
            value = getattr(view, key)
            if value is not None and value != ():
                shown = ",".join(value) if isinstance(value, tuple) else str(value).lower()
                where = config.where("views", view.name, key)
                settings.append(Setting(key, shown, f"view {_show(view.name)} ({where})"))
    table = args.table if args.table != BUILT_IN_DEFAULTS["table"] else None
    # A link may be pasted in another directory: the file it names is absolute.
    config_path = str(Path(config_flag).resolve()) if config_flag else None
    resolution.link_scope = scope_arguments(
        profile=profile_name, config=config_path, org=args.org, table=table
    )
    resolution.open_step = _open_step(args)
    return resolution


def _config_source(args: argparse.Namespace) -> str:
    return "--config" if getattr(args, "config", None) else "XDG_CONFIG_HOME (platformdirs)"


def _search_source(view: SavedView | None, args: argparse.Namespace, config: ConfigFile) -> str:
    if view is not None and view.search == args.search:
        return f"view {view.name} ({config.where('views', view.name, 'search')})"
    return "--search"


def _profile_name(
    args: argparse.Namespace, environ: Mapping[str, str], config: ConfigFile
) -> tuple[str | None, str]:
    name, source = getattr(args, "profile", None), "--profile"
    if name is None and (environ.get(PROFILE_ENV) or "").strip():
        name, source = environ[PROFILE_ENV].strip(), PROFILE_ENV
    if name is None:
        return None, "none chosen"
    if name not in config.profiles:
        if config.path is None:
            raise UsageError(
                f"{source}: no profile {one_line(name, 60)!r}: there is no configuration file "
                f"(see {PROG} config)"
            )
        known = ", ".join(one_line(n, 40) for n in config.profiles) or "none"
        raise UsageError(
            f"{source}: no profile {one_line(name, 60)!r} in {config.path} (profiles: {known})"
        )
    return name, source


def _masked(dsn: str) -> str:
    """The DSN with its password masked; one too malformed to take apart is hidden whole
    (`resolve_dsn` reports what is wrong with it, without the password)."""
    try:
        return mask_dsn(dsn)
    except ValueError:
        return "(a DSN that cannot be parsed; hidden)"


def _resolve_dsn(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    config: ConfigFile,
    name: str | None,
    profile: Mapping[str, Any],
) -> Setting:
    """Decide where the DSN comes from; set `args.dsn` to what `resolve_dsn` should get.

    `demo` writes into the database it is given, so it takes only `--dsn`: a profile
    (perhaps production's, perhaps picked by `WFLOG_PROFILE`) never sends it anywhere.
    """
    given = getattr(args, "dsn", UNSET)
    if given is not UNSET and given is not None:
        return Setting("dsn", _masked(given), "--dsn")
    args.dsn = None
    if getattr(args, "command", None) == "demo":
        return Setting("dsn", "—", "demo: --dsn only, else its embedded server")
    for variable in ("WFLOG_DSN", "DATABASE_URL"):
        value = (environ.get(variable) or "").strip()
        if value:
            if name and ("dsn" in profile or "dsn_env" in profile):
                print(
                    f"{PROG}: note: {variable} is set and overrides the DSN of profile "
                    f"{one_line(name, 60)} (flags, then the environment, then the profile)",
                    file=sys.stderr,
                )
            return Setting("dsn", _masked(value), variable)
    if name is not None:
        try:
            found = profile_dsn(config, name, environ)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        if found is not None:
            args.dsn, source = found
            return Setting("dsn", _masked(args.dsn), source)
    return Setting("dsn", "—", "libpq PG* variables and ~/.pgpass")


def _open_step(args: argparse.Namespace) -> StepLink | None:
    run_id = getattr(args, "run", None)
    step, iteration, tab = (getattr(args, k, None) for k in ("step", "iteration", "tab"))
    if run_id is None:
        if step is not None or iteration is not None or tab is not None:
            raise UsageError("--step, --iteration and --tab open a run: add --run RUN_ID")
        return None
    link = StepLink(run_id, step, iteration, tab)
    problem = link_problem(link)
    if problem is not None:
        raise UsageError(problem)
    return link


def app_config_fields(resolution: Resolution, view: SavedView | None) -> dict[str, Any]:
    """The `AppConfig` fields the configuration decides, for `dataclasses.replace`."""
    fields: dict[str, Any] = {
        "profile": resolution.profile,
        "profile_warning": resolution.profile_warning,
        "dashboard_url": resolution.dashboard_url,
        "config_path": resolution.config.path,
        "time_mode": resolution.time_display,
        "link_scope": resolution.link_scope,
        "open_step": resolution.open_step,
    }
    if view is not None:
        fields.update(
            view_name=view.name,
            sort_column=view.sort,
            sort_reverse=view.reverse,
            columns=view.columns or None,
        )
    return fields


def with_configuration(app_config: Any, args: argparse.Namespace) -> Any:
    """`app_config` (a `ui.config.AppConfig`) with what `apply_configuration` decided,
    and the search text of `args` (a view's) parsed into its filter."""
    resolution: Resolution | None = getattr(args, "resolution", None)
    if resolution is None:
        return app_config
    changed = app_config_fields(resolution, resolution.view)
    text = getattr(args, "search", None)
    if text:
        from wflog_tui.runs_command import search_option

        changed["run_filter"] = replace(app_config.run_filter, query=search_option(text))
        changed["search_text"] = text
    return replace(app_config, **changed)


def config_lines(resolution: Resolution) -> list[str]:
    """What `wflog-tui config` prints: each setting, its value (password masked) and source."""
    width = max(len(s.name) for s in resolution.settings) + 2
    value_width = min(60, max(len(s.shown) for s in resolution.settings)) + 2
    lines = [
        f"{s.name.ljust(width)}{s.shown.ljust(value_width)}{one_line(s.source, 200)}"
        for s in resolution.settings
    ]
    config = resolution.config
    if config.profiles:
        lines.append("")
        lines.append("profiles      " + ", ".join(one_line(n, 40) for n in config.profiles))
    if config.views:
        lines.append("views         " + ", ".join(one_line(n, 40) for n in config.views))
    return lines
