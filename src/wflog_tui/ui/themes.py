"""Themes: the ones shipped in `themes/*.toml`, the user's own, and the status colours.

A theme file is TOML whose keys are the fields of `textual.theme.Theme`:

```toml
name = "my-theme"          # required: what `--theme` and the command palette call it
primary = "#4C9BE8"        # required
dark = true
secondary = "#3E6A99"      # optional, like every other colour: accent, warning, error,
                           # success, foreground, background, surface, panel, boost
[variables]                # optional Textual CSS variables, including ours below
status-failed = "#FF6B70"
```

Status colours are CSS variables, so a theme file can set them and widgets use them the way
they use Textual's own (`color: $status-failed;` in CSS, or a `Content` style
`"$status-failed bold"`). One per status, named by `status_variable`:

| variable | status | derived, when the theme leaves it out, from |
| :- | :- | :- |
| `$status-running` | RUNNING | `$text-primary` |
| `$status-completed` | COMPLETED | `$text-success` |
| `$status-failed` | FAILED | `$text-error` |
| `$status-timed-out` | TIMED_OUT | `$text-warning` |
| `$status-canceled` | CANCELED | the foreground faded towards the background |
| `$status-not-reached` | NOT_REACHED | the foreground faded further |
| `$status-unknown` | anything else | `$foreground` |

Textual cannot point one variable at another, so the fallbacks are computed per theme by
`status_variable_defaults`, which the app returns from `App.get_theme_variable_defaults`.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import platformdirs
from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.theme import Theme

from wflog_tui.model import status as st

if TYPE_CHECKING:
    from textual.app import App

DEFAULT_THEME: Final = "wflog-dark"
"""The theme the app starts with when `--theme` does not name one."""

BUNDLED_PACKAGE: Final = "wflog_tui.themes"
"""The package the repository's top-level `themes/` directory is installed as."""

_COLOUR_FIELDS: Final = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_FLOAT_FIELDS: Final = ("luminosity_spread", "text_alpha")
_KNOWN_FIELDS: Final = frozenset({"name", "dark", "variables", *_COLOUR_FIELDS, *_FLOAT_FIELDS})

# A theme's name is typed after `--theme` and shown in the palette: keep it to a plain word.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_VARIABLE_NAME = re.compile(r"[a-z][a-z0-9-]*")
# Textual's colour variables may carry an alpha ("#81a1c1 35%", "auto 87%").
_ALPHA_SUFFIX = re.compile(r"^(?P<colour>.+?)\s+(?P<alpha>\d{1,3}(?:\.\d+)?)%$")
# Values Textual itself gives colour variables that are not colours.
_COLOUR_KEYWORDS: Final = frozenset({"auto", "initial", "transparent"})

_FADED = 0.45
_MORE_FADED = 0.6


class ThemeError(ValueError):
    """A theme file that cannot be used; the message names the file and what is wrong."""


def status_variable(status: str) -> str:
    """The CSS variable (without `$`) that colours `status`; unexpected statuses share one."""
    if status in st.KNOWN or status == st.NOT_REACHED:
        return "status-" + status.lower().replace("_", "-")
    return "status-unknown"


STATUS_VARIABLES: Final = tuple(
    status_variable(status) for status in (*st.KNOWN, st.NOT_REACHED, st.UNKNOWN)
)
"""Every status variable a theme may set."""


def status_variable_defaults(theme: Theme) -> dict[str, str]:
    """Concrete status colours derived from `theme`, for the variables it does not set itself.

    Return this from `App.get_theme_variable_defaults`: Textual lays a theme's own
    `variables` over these, and CSS that names `$status-…` fails to parse without them.
    """
    colours = theme.to_color_system().generate()
    foreground = Color.parse(colours["foreground"])
    background = Color.parse(colours["background"])
    if foreground.ansi is not None or background.ansi is not None:
        # ANSI themes take the terminal's own palette; a blend of two unknowns is meaningless.
        faded = more_faded = "ansi_bright_black"
    else:
        faded = foreground.blend(background, _FADED).hex
        more_faded = foreground.blend(background, _MORE_FADED).hex
    return {
        status_variable(st.RUNNING): colours["text-primary"],
        status_variable(st.COMPLETED): colours["text-success"],
        status_variable(st.FAILED): colours["text-error"],
        status_variable(st.TIMED_OUT): colours["text-warning"],
        status_variable(st.CANCELED): faded,
        status_variable(st.NOT_REACHED): more_faded,
        status_variable(st.UNKNOWN): colours["foreground"],
    }


def _check_colour(value: object, where: str) -> str:
    """Return `value` if Textual can parse it as a colour, else raise a ThemeError."""
    if not isinstance(value, str):
        raise ThemeError(f'{where} must be a colour string such as "#ff5f5f", not {value!r}')
    try:
        Color.parse(value)
    except ColorParseError as error:
        raise ThemeError(f"{where} = {value!r} is not a colour ({error})") from None
    return value


def _check_variable(name: object, value: object, where: str) -> None:
    """Raise a ThemeError unless `value` can stand where Textual's CSS uses variable `name`.

    A bad variable would otherwise surface as a CSS parse error when the theme is applied,
    which takes the whole app down mid-incident.
    """
    if not isinstance(name, str) or not _VARIABLE_NAME.fullmatch(name):
        raise ThemeError(f"{where}: variable name {name!r} must be lower-case words and dashes")
    if not isinstance(value, str):
        raise ThemeError(f"{where}: variable {name!r} must be a string, not {value!r}")
    if name.startswith("status-"):
        if name not in STATUS_VARIABLES:
            raise ThemeError(
                f"{where}: unknown status variable {name!r} "
                f"(expected one of: {', '.join(STATUS_VARIABLES)})"
            )
        # Status colours also style `Content` spans, which need a plain, opaque colour.
        _check_colour(value, f"{where}: variable {name!r}")
        return
    if name.endswith("style"):
        unknown = [word for word in value.split() if word not in VALID_STYLE_FLAGS]
        if unknown or not value.split():
            raise ThemeError(
                f"{where}: variable {name!r} = {value!r} is not a text style "
                f"(use words from: {', '.join(sorted(VALID_STYLE_FLAGS))})"
            )
        return
    colour = value.strip()
    if match := _ALPHA_SUFFIX.match(colour):
        colour = match["colour"]
        if float(match["alpha"]) > 100:
            raise ThemeError(f"{where}: variable {name!r} = {value!r} has an alpha above 100%")
    if colour in _COLOUR_KEYWORDS:
        return
    _check_colour(colour, f"{where}: variable {name!r}")


def theme_from_table(table: dict[str, object], source: str) -> Theme:
    """Build a Theme from a parsed theme file, checking every field; `source` names the file."""
    unknown = sorted(set(table) - _KNOWN_FIELDS)
    if unknown:
        raise ThemeError(
            f"{source}: unknown field {unknown[0]!r} (expected: {', '.join(sorted(_KNOWN_FIELDS))})"
        )
    name = table.get("name")
    if name is None:
        raise ThemeError(f"{source}: missing 'name'")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ThemeError(
            f"{source}: name {name!r} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if "primary" not in table:
        raise ThemeError(f"{source}: missing 'primary' (the main colour of the theme)")
    colours = {
        field: _check_colour(table[field], f"{source}: {field!r}")
        for field in _COLOUR_FIELDS
        if field in table
    }
    dark = table.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(f"{source}: 'dark' must be true or false, not {dark!r}")
    numbers: dict[str, float] = {}
    for field in _FLOAT_FIELDS:
        if field in table:
            value = table[field]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ThemeError(f"{source}: {field!r} must be a number, not {value!r}")
            numbers[field] = float(value)
    variables = table.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeError(f"{source}: 'variables' must be a table ([variables]), not {variables!r}")
    for variable, value in variables.items():
        _check_variable(variable, value, source)
    return Theme(name=name, dark=dark, variables=dict(variables), **colours, **numbers)


def load_theme_file(path: Path | Traversable) -> Theme:
    """Read and check one theme file; a ThemeError says which file and what is wrong with it."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ThemeError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ThemeError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ThemeError(f"{path}: not valid TOML: {error}") from None
    return theme_from_table(table, str(path))


def _theme_files(directory: Traversable) -> list[Traversable]:
    """The `*.toml` files directly in `directory`, in name order so loading is repeatable."""
    return sorted(
        (
            entry
            for entry in directory.iterdir()
            if entry.name.endswith(".toml") and entry.is_file()
        ),
        key=lambda entry: entry.name,
    )


def bundled_themes() -> list[Theme]:
    """The themes shipped with wflog-tui, in file-name order.

    A bad bundled file is a packaging bug, so its ThemeError propagates (and tests catch it).
    """
    return [load_theme_file(entry) for entry in _theme_files(resources.files(BUNDLED_PACKAGE))]


def user_themes_dir() -> Path:
    """Where the user's own theme files live: `<user config dir>/wflog-tui/themes/`."""
    return platformdirs.user_config_path("wflog-tui") / "themes"


def user_themes(directory: Path | None = None) -> tuple[list[Theme], list[str]]:
    """The user's themes from `directory` (default `user_themes_dir()`), and a warning per bad file.

    A broken file never stops the app: it is skipped and its warning says why. A missing
    directory is normal and gives neither themes nor warnings.
    """
    directory = user_themes_dir() if directory is None else directory
    try:
        files = _theme_files(directory)
    except FileNotFoundError:
        return [], []
    except OSError as error:
        return [], [f"Theme directory {directory} cannot be read ({error.strerror or error})"]
    themes: dict[str, Theme] = {}
    origins: dict[str, Traversable] = {}
    warnings: list[str] = []
    for entry in files:
        try:
            theme = load_theme_file(entry)
        except ThemeError as error:
            warnings.append(f"Theme skipped: {error}")
            continue
        if theme.name in origins:
            warnings.append(
                f"Theme {theme.name!r} is defined in both {origins[theme.name]} and {entry}; "
                f"using {entry}"
            )
        themes[theme.name] = theme
        origins[theme.name] = entry
    return list(themes.values()), warnings


def register_themes(app: App[object], user_dir: Path | None = None) -> list[str]:
    """Register the bundled themes, then the user's (which win on a name clash).

    Textual's built-in themes stay registered. Returns one warning per user file that was
    skipped, for the app to show; it never raises for a user's file.
    """
    extra, warnings = user_themes(user_dir)
    for theme in [*bundled_themes(), *extra]:
        app.register_theme(theme)
    return warnings
