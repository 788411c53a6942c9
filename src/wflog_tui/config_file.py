"""The configuration file: `[defaults]`, `[profiles.NAME]` and `[views.NAME]`, checked whole.

`$XDG_CONFIG_HOME/wflog-tui/config.toml` (found with platformdirs), or `--config PATH`.
Every key is known and typed: a syntax error, an unknown key or a wrong type raises one
`ConfigError` naming the file, the line and the key, before anything connects. A DSN
holding a password is refused unless the file is readable by its owner alone, the rule
libpq applies to `.pgpass`.

Views are written back with tomlkit, which keeps the user's comments and layout; the
file is read with tomllib, the standard library's parser.

The functions the UI calls: `load_config`, `list_views`, `load_view`, `save_view`, and
`profile_store_settings` for "Switch profile".
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import platformdirs

from wflog_tui.model.display_text import one_line
from wflog_tui.model.search_query import SearchSyntaxError, parse_query
from wflog_tui.store.connection import StoreSettings
from wflog_tui.store.dsn import normalise_dsn, resolve_dsn
from wflog_tui.store.errors import DsnError
from wflog_tui.store.filters import parse_since, parse_statuses

APP_NAME: Final = "wflog-tui"
TIME_DISPLAYS: Final = ("relative", "utc", "local")
"""How the list shows start times; the run list's `t` cycles through them."""
SORT_COLUMNS: Final = (
    "status",
    "workflow",
    "run_id",
    "event",
    "started",
    "duration",
    "organisation",
)
"""The run list's sortable columns (ui/run_list.py `COLUMNS`, less the error)."""
LIST_COLUMNS: Final = (*SORT_COLUMNS, "error")
"""Every column of the run list, in its order."""


def default_path() -> Path:
    """`$XDG_CONFIG_HOME/wflog-tui/config.toml`, or the platform's equivalent."""
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


class ConfigError(Exception):
    """A mistake in the configuration file, located: one line, exit 2."""

    def __init__(self, path: Path, line: int | None, key: str | None, message: str) -> None:
        self.path, self.line, self.key, self.message = path, line, key, message
        where = f"{path}" + (f", line {line}" if line else "")
        what = f"{one_line(key, 120)}: " if key else ""
        super().__init__(f"{where}: {what}{message}")


# Validators take the value from the file and return it as kept, or raise ValueError.
Check = Callable[[Any], Any]


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", str: "a string", int: "an integer", float: "a number"}
    if type(value) in names:
        return names[type(value)]
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_type_name(value)}")
    if not value.strip():
        raise ValueError("is empty")
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number of seconds, got {_type_name(value)}")
    if not 0.1 <= value <= 3600:
        raise ValueError(f"expected 0.1 to 3600 seconds, got {value}")
    return float(value)


def _window(value: Any) -> str:
    text = _text(value)
    try:
        parse_since(text)
    except ValueError:
        raise ValueError(
            'takes a number and a unit (s, m, h, d, w), e.g. "15m", or "all"'
        ) from None
    return text


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"takes one of {', '.join(choices)}")
        return str(value)

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_type_name(value)}")
    return value


def _dsn(value: Any) -> str:
    text = _text(value)
    try:
        normalise_dsn(text.strip(), "the DSN")
    except DsnError as exc:
        raise ValueError(exc.message) from None
    return text


_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: Any) -> str:
    text = _text(value)
    if not _ENV_NAME.fullmatch(text):
        raise ValueError("expected the name of an environment variable, e.g. PROD_DATABASE_URL")
    return text


def _dashboard_url(value: Any) -> str:
    text = _text(value)
    if not text.startswith(("https://", "http://")) or "{run_id}" not in text:
        raise ValueError('expected an http(s) URL holding {run_id}, e.g. "https://…/runs/{run_id}"')
    return text


def _statuses(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = value
    else:
        raise ValueError(f"expected a list of status names, got {_type_name(value)}")
    return tuple(sorted(parse_statuses(",".join(parts))))


def _columns(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise ValueError("expected a non-empty list of column names")
    unknown = [v for v in value if v not in LIST_COLUMNS]
    if unknown:
        raise ValueError(
            f"no column {one_line(unknown[0], 40)!r}; columns: {', '.join(LIST_COLUMNS)}"
        )
    if len(set(value)) != len(value):
        raise ValueError("names a column twice")
    return tuple(value)


def _search(value: Any) -> str:
    text = _text(value)
    try:
        parse_query(text)
    except SearchSyntaxError as exc:
        raise ValueError(f"{exc} (at column {exc.position + 1} of the search)") from None
    return text


DEFAULT_KEYS: Final[Mapping[str, Check]] = {
    "theme": _text,
    "refresh": _seconds,
    "since": _window,
    "table": _text,
    "time_display": _one_of(TIME_DISPLAYS),
    "statement_timeout": _seconds,
}
PROFILE_KEYS: Final[Mapping[str, Check]] = {
    **DEFAULT_KEYS,
    "dsn": _dsn,
    "dsn_env": _env_name,
    "org": _text,
    "dashboard_url": _dashboard_url,
    # Show the profile's name in the theme's warning colour (for production).
    "warning": _boolean,
}
VIEW_KEYS: Final[Mapping[str, Check]] = {
    "status": _statuses,
    "workflow": _text,
    "org": _text,
    "search": _search,
    "since": _window,
    "sort": _one_of(SORT_COLUMNS),
    "reverse": _boolean,
    "columns": _columns,
}


@dataclass(frozen=True)
class SavedView:
    """The run list as someone left it, under a name: filters, search, window, order,
    columns. None (or empty) fields are not part of the view and leave the list's own."""

    name: str
    status: tuple[str, ...] = ()
    workflow: str | None = None
    org: str | None = None
    search: str | None = None
    since: str | None = None
    sort: str | None = None
    reverse: bool | None = None
    columns: tuple[str, ...] = ()

    def to_table(self) -> dict[str, Any]:
        """The view as its TOML table: the fields it sets, in a stable order."""
        table: dict[str, Any] = {}
        for key in VIEW_KEYS:
            value = getattr(self, key)
            if value is None or value == ():
                continue
            table[key] = list(value) if isinstance(value, tuple) else value
        return table


@dataclass
class ConfigFile:
    """The file's contents, checked. `path` is None when no file exists (all empty).

    `lines` maps a key's dotted path (`profiles.prod.org`) to its line, for saying where
    a value came from.
    """

    path: Path | None
    defaults: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    views: dict[str, SavedView] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, *keys: str) -> str:
        """`config.toml:7` for the key at `keys`, or the file alone when it has no line."""
        line = self.lines.get(_dotted(keys))
        return f"{self.path}:{line}" if line else str(self.path)


def load_config(path: Path | None = None) -> ConfigFile:
    """Read and check the file at `path`, or at `default_path()` when None.

    A missing default file is an empty configuration; a missing `path` someone named is
    an error. Raises `ConfigError`.
    """
    named = path is not None
    target = path if path is not None else default_path()
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        if named:
            raise ConfigError(target, None, None, "no such file") from None
        return ConfigFile(None)
    except OSError as exc:
        raise ConfigError(target, None, None, f"cannot be read ({exc.strerror})") from None
    return parse_config(data, target, mode=_mode(target))


def _mode(path: Path) -> int | None:
    # Windows has no such permission bits; libpq does not check .pgpass there either.
    if os.name == "nt":
        return None
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


_TOML_POSITION: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def parse_config(data: bytes, path: Path, *, mode: int | None = None) -> ConfigFile:
    """Check the bytes of a configuration file read from `path`.

    `mode` is the file's permission bits, for the password rule (None: not checked).
    Raises `ConfigError` on the first problem, in file order.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(path, line, None, "is not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        line = int(found.group(1)) if found else None
        if found:
            message = f"{message[: found.start()]} (column {found.group(2)})"
        raise ConfigError(path, line, None, f"TOML syntax: {message}") from None
    lines = _key_lines(text)
    config = ConfigFile(path, lines=lines)
    problems: list[tuple[int, str, str]] = []

    def problem(keys: tuple[str, ...], message: str) -> None:
        problems.append((_line_of(lines, keys) or 0, _dotted(keys), message))

    for key, value in document.items():
        if key == "defaults":
            config.defaults = _check_table(value, (key,), DEFAULT_KEYS, problem)
        elif key == "profiles":
            config.profiles = _named_tables(value, key, PROFILE_KEYS, problem)
        elif key == "views":
            views = _named_tables(value, key, VIEW_KEYS, problem)
            config.views = {name: SavedView(name, **table) for name, table in views.items()}
        else:
            problem((key,), "unknown key; the file holds [defaults], [profiles.NAME], [views.NAME]")
    for name, profile in config.profiles.items():
        if "dsn" in profile and "dsn_env" in profile:
            problem(("profiles", name, "dsn_env"), "set dsn or dsn_env, not both")
        elif "dsn" in profile and mode is not None and mode & 0o077 and _has_password(profile):
            problem(
                ("profiles", name, "dsn"),
                f"holds a password, but the file is readable by others (mode {mode:04o}); "
                f"run chmod 600 on it, or use dsn_env or ~/.pgpass instead",
            )
    if problems:
        line, key, message = min(problems, key=lambda p: p[0])
        raise ConfigError(path, line or None, key, message)
    return config


Problem = Callable[[tuple[str, ...], str], None]


def _check_table(
    value: Any, keys: tuple[str, ...], schema: Mapping[str, Check], problem: Problem
) -> dict[str, Any]:
    if not isinstance(value, dict):
        problem(keys, f"expected a table, got {_type_name(value)}")
        return {}
    checked: dict[str, Any] = {}
    for key, item in value.items():
        check = schema.get(key)
        if check is None:
            problem((*keys, key), f"unknown key; known: {', '.join(schema)}")
            continue
        try:
            checked[key] = check(item)
        except ValueError as exc:
            problem((*keys, key), str(exc))
    return checked


def _named_tables(
    value: Any, section: str, schema: Mapping[str, Check], problem: Problem
) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        problem((section,), f"expected tables [{section}.NAME], got {_type_name(value)}")
        return {}
    tables = {}
    for name, table in value.items():
        if not name.strip():
            problem((section, name), "the name is empty")
            continue
        tables[name] = _check_table(table, (section, name), schema, problem)
    return tables


def _has_password(profile: Mapping[str, Any]) -> bool:
    """True when the profile's DSN holds a password (in the URL or as a parameter)."""
    url = normalise_dsn(str(profile["dsn"]).strip(), "the DSN").dsn or ""
    parts = urlsplit(url)
    if parts.password:
        return True
    return any(key == "password" and value for key, value in parse_qsl(parts.query))


# --- where each key is: tomllib gives no positions, so the text is scanned for them.

_BARE: Final = r"[A-Za-z0-9_-]+"
_BASIC: Final = r'"(?:[^"\\]|\\.)*"'
_LITERAL: Final = r"'[^']*'"
_SEGMENT: Final = rf"\s*(?:{_BARE}|{_BASIC}|{_LITERAL})\s*"
_DOTTED: Final = rf"{_SEGMENT}(?:\.{_SEGMENT})*"
_HEADER: Final = re.compile(rf"\s*\[(\[?)({_DOTTED})\]\]?\s*(?:#.*)?$")
_ASSIGNMENT: Final = re.compile(rf"({_DOTTED})=")
_PART: Final = re.compile(rf"\s*({_BARE}|{_BASIC}|{_LITERAL})\s*\.?")


def _segments(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _PART.finditer(dotted):
        token = match.group(1)
        if token.startswith('"'):
            try:
                token = json.loads(token)
            except ValueError:
                token = token[1:-1]
        elif token.startswith("'"):
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


def _dotted(keys: tuple[str, ...]) -> str:
    return ".".join(
        k if re.fullmatch(_BARE, k) else json.dumps(k, ensure_ascii=False) for k in keys
    )


def _key_lines(text: str) -> dict[str, int]:
    """The line of each table header and key, by dotted path (first occurrence wins)."""
    lines: dict[str, int] = {}
    table: tuple[str, ...] = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header:
            table = _segments(header.group(2))
            for end in range(1, len(table) + 1):
                lines.setdefault(_dotted(table[:end]), number)
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment:
            keys = (*table, *_segments(assignment.group(1)))
            for end in range(len(table) + 1, len(keys) + 1):
                lines.setdefault(_dotted(keys[:end]), number)
            rest = line[assignment.end() :]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2 == 1:
                    in_multiline = quotes
    return lines


def _line_of(lines: Mapping[str, int], keys: tuple[str, ...]) -> int | None:
    """The line of `keys`, or of the nearest enclosing table that has one."""
    for end in range(len(keys), 0, -1):
        line = lines.get(_dotted(keys[:end]))
        if line is not None:
            return line
    return None


# --- views: what the UI calls.


def list_views(config: ConfigFile) -> list[str]:
    """The names of the saved views, in the file's order."""
    return list(config.views)


def load_view(config: ConfigFile, name: str) -> SavedView:
    """The view called `name`; a `ConfigError` listing the views when there is none."""
    view = config.views.get(name)
    if view is None:
        known = ", ".join(one_line(n, 40) for n in config.views) or "none saved"
        where = config.path or default_path()
        raise ConfigError(where, None, None, f"no view {one_line(name, 60)!r} (views: {known})")
    return view


def save_view(view: SavedView, path: Path | None = None) -> ConfigFile:
    """Write `view` into `[views.NAME]` of the file at `path` (default: `default_path()`),
    replacing a view of that name, and return the file as read back.

    The file is edited with tomlkit, so its comments, order and layout stay as they were;
    it is created (with its directory) when missing, readable by its owner alone. The
    view is checked the way the file is read, so a view that saves is one that opens; a
    file that does not check already is left untouched (`ConfigError`). The new text
    replaces the file atomically and keeps its permission bits.
    """
    target = path if path is not None else default_path()
    try:
        text = target.read_text("utf-8")
        mode = _mode(target)
    except FileNotFoundError:
        text, mode = "", None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(target, None, None, f"cannot be read ({exc})") from None
    if text:
        parse_config(text.encode("utf-8"), target, mode=mode)
    # Imported here: saving a view is rare, and every start reads the file (tomllib).
    import tomlkit

    document = tomlkit.parse(text)
    views = document.get("views")
    if views is None:
        views = tomlkit.table(is_super_table=True)
        document["views"] = views
    new_table = tomlkit.table()
    for key, value in view.to_table().items():
        new_table[key] = value
    views[view.name] = new_table
    new_text = tomlkit.dumps(document)
    config = parse_config(new_text.encode("utf-8"), target, mode=mode)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode or 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(new_text)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return config


# --- profiles: where a profile's connection comes from.


def profile_dsn(
    config: ConfigFile, name: str, environ: Mapping[str, str] = os.environ
) -> tuple[str, str] | None:
    """The DSN profile `name` names, and where it came from (`profile prod (file:7)` or
    `$VAR (dsn_env of profile prod, file:7)`); None when the profile names none.

    Raises `ConfigError` when `dsn_env` names a variable that is unset or blank, or that
    holds something that is not a DSN (the message never holds its value).
    """
    profile = config.profiles[name]
    path = config.path or default_path()
    if "dsn" in profile:
        return profile["dsn"].strip(), f"profile {name} ({config.where('profiles', name, 'dsn')})"
    if "dsn_env" not in profile:
        return None
    variable = profile["dsn_env"]
    line = config.lines.get(_dotted(("profiles", name, "dsn_env")))
    key = _dotted(("profiles", name, "dsn_env"))
    value = (environ.get(variable) or "").strip()
    if not value:
        raise ConfigError(path, line, key, f"takes its DSN from ${variable}, which is not set")
    try:
        normalise_dsn(value, f"${variable}")
    except DsnError as exc:
        raise ConfigError(path, line, key, exc.message) from None
    where = config.where("profiles", name, "dsn_env")
    return value, f"${variable} (dsn_env of profile {name}, {where})"


def profile_store_settings(
    config: ConfigFile, name: str, environ: Mapping[str, str] = os.environ
) -> StoreSettings:
    """How to connect when someone switches to profile `name` in the app.

    The person chose the profile by name, so its own `dsn` or `dsn_env` is used even when
    `WFLOG_DSN` or `DATABASE_URL` is set; a profile naming no DSN connects as a start
    without flags would (the environment, then libpq's `PG*` and `.pgpass`). Its `org`,
    `table` and `statement_timeout` (else `[defaults]`', else the built-in ones) apply.
    Raises `ConfigError` as `profile_dsn` does, and for a DSN that is not one.
    """
    if name not in config.profiles:
        known = ", ".join(one_line(n, 40) for n in config.profiles) or "none"
        raise ConfigError(
            config.path or default_path(),
            None,
            None,
            f"no profile {one_line(name, 60)!r} ({known})",
        )
    profile = config.profiles[name]
    found = profile_dsn(config, name, environ)
    try:
        resolved = (
            normalise_dsn(found[0], f"profile {name}")
            if found is not None
            else resolve_dsn(None, environ)
        )
    except DsnError as exc:
        raise ConfigError(config.path or default_path(), None, None, exc.message) from None

    def setting(key: str, built_in: Any) -> Any:
        return profile.get(key, config.defaults.get(key, built_in))

    extra = {"connect_timeout_s": resolved.connect_timeout_s} if resolved.connect_timeout_s else {}
    return StoreSettings(
        dsn=resolved.dsn,
        table=setting("table", StoreSettings.table),
        default_schema=resolved.default_schema,
        statement_timeout_s=setting("statement_timeout", StoreSettings.statement_timeout_s),
        organisation_scope=profile.get("org"),
        pgbouncer=resolved.pgbouncer,
        **extra,
    )
