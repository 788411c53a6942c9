"""Theme files: the shipped ones load, bad ones say what is wrong, and the app can use them all."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.content import Content
from textual.theme import BUILTIN_THEMES
from textual.widgets import Static

from wflog_tui.model import status as st
from wflog_tui.ui.themes import (
    DEFAULT_THEME,
    STATUS_VARIABLES,
    ThemeError,
    bundled_themes,
    load_theme_file,
    register_themes,
    status_variable,
    status_variable_defaults,
    user_themes,
)

REPO = Path(__file__).resolve().parents[2]
BUNDLED = {"wflog-dark", "wflog-incident", "wflog-paper"}


class ThemedApp(App[None]):
    """Registers our themes the way WflogApp does and shows one status in its colour."""

    CSS = "#failed-box { color: $status-failed; }"

    def __init__(self, user_dir: Path) -> None:
        super().__init__()
        self.user_dir = user_dir
        self.warnings: list[str] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return status_variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("✗ FAILED", "$status-failed"), id="failed-word")
        yield Static("box", id="failed-box")

    def on_mount(self) -> None:
        self.warnings = register_themes(self, self.user_dir)
        self.theme = DEFAULT_THEME


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two opaque colours."""

    def luminance(colour: Color) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)

    high, low = sorted((luminance(Color.parse(first)), luminance(Color.parse(second))))[::-1]
    return (high + 0.05) / (low + 0.05)


def test_bundled_themes_load_with_every_status_colour() -> None:
    themes = {theme.name: theme for theme in bundled_themes()}
    assert set(themes) == BUNDLED
    assert DEFAULT_THEME in themes
    assert themes["wflog-paper"].dark is False
    assert themes["wflog-incident"].dark is True
    for theme in themes.values():
        assert set(STATUS_VARIABLES) <= set(theme.variables), theme.name
        # Ours never shadow Textual's built-in themes.
        assert theme.name not in BUILTIN_THEMES


@pytest.mark.parametrize(("name", "minimum"), [("wflog-incident", 7.0), ("wflog-paper", 4.5)])
def test_status_colours_stay_readable_on_the_background(name: str, minimum: float) -> None:
    theme = next(theme for theme in bundled_themes() if theme.name == name)
    assert theme.background is not None
    for variable in STATUS_VARIABLES:
        ratio = contrast(theme.variables[variable], theme.background)
        assert ratio >= minimum, f"{name}: {variable} has contrast {ratio:.1f}"


def test_status_variables_name_every_status() -> None:
    assert status_variable(st.FAILED) == "status-failed"
    assert status_variable(st.TIMED_OUT) == "status-timed-out"
    assert status_variable(st.NOT_REACHED) == "status-not-reached"
    assert status_variable("PAUSED_BY_OPS") == "status-unknown"
    assert status_variable(st.UNKNOWN) == "status-unknown"


def test_status_defaults_cover_builtin_themes_with_concrete_colours() -> None:
    for theme in BUILTIN_THEMES.values():
        defaults = status_variable_defaults(theme)
        assert set(defaults) == set(STATUS_VARIABLES)
        for value in defaults.values():
            Color.parse(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\nprimary = ', "not valid TOML"),
        ('primary = "#ffffff"', "missing 'name'"),
        ('name = "two words"\nprimary = "#ffffff"', "name 'two words' must be"),
        ('name = "x"', "missing 'primary'"),
        ('name = "x"\nprimary = "blurple"', "'primary' = 'blurple' is not a colour"),
        ('name = "x"\nprimary = "#fff"\nerror = 12', "'error' must be a colour string"),
        ('name = "x"\nprimary = "#fff"\nprimery = "#fff"', "unknown field 'primery'"),
        ('name = "x"\nprimary = "#fff"\ndark = "yes"', "'dark' must be true or false"),
        ('name = "x"\nprimary = "#fff"\nvariables = 3', "'variables' must be a table"),
        (
            'name = "x"\nprimary = "#fff"\n[variables]\nstatus-failed = "rouge"',
            "variable 'status-failed' = 'rouge' is not a colour",
        ),
        (
            'name = "x"\nprimary = "#fff"\n[variables]\nstatus-failled = "#f00"',
            "unknown status variable 'status-failled'",
        ),
        (
            'name = "x"\nprimary = "#fff"\n[variables]\nblock-cursor-text-style = "loud"',
            "is not a text style",
        ),
        (
            'name = "x"\nprimary = "#fff"\n[variables]\nborder = "#fff 300%"',
            "alpha above 100%",
        ),
    ],
)
def test_bad_theme_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ThemeError) as caught:
        load_theme_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_good_user_file_maps_onto_theme_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.toml",
        """
        name = "mine"
        dark = false
        primary = "rgb(10, 20, 30)"
        background = "white"
        text_alpha = 0.9
        [variables]
        status-failed = "#d00000"
        input-selection-background = "#81a1c1 35%"
        button-focus-text-style = "b reverse"
        """,
    )
    theme = load_theme_file(path)
    assert (theme.name, theme.dark, theme.primary, theme.background) == (
        "mine",
        False,
        "rgb(10, 20, 30)",
        "white",
    )
    assert theme.text_alpha == 0.9
    assert theme.variables["status-failed"] == "#d00000"


async def test_register_themes_keeps_builtins_adds_ours_and_skips_bad_user_files(
    tmp_path: Path,
) -> None:
    write(tmp_path, "good.toml", 'name = "ops-green"\nprimary = "#00ff00"\n')
    write(tmp_path, "broken.toml", 'name = "broken"\nprimary = "#00ff00"\nerror = "nope"\n')
    write(tmp_path, "notes.txt", "not a theme")
    app = ThemedApp(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert BUNDLED | {"ops-green", "textual-dark", "nord"} <= set(app.available_themes)
        assert "broken" not in app.available_themes
        assert len(app.warnings) == 1
        assert "broken.toml" in app.warnings[0]
        assert "'error' = 'nope' is not a colour" in app.warnings[0]
        # A user theme without status colours still gets them, derived from its own palette.
        app.theme = "ops-green"
        await pilot.pause()
        assert (
            app.theme_variables["status-failed"]
            == status_variable_defaults(app.current_theme)["status-failed"]
        )


async def test_status_colour_follows_the_theme(tmp_path: Path) -> None:
    app = ThemedApp(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        seen = {}
        for name in ("wflog-incident", "wflog-paper", "textual-light"):
            app.theme = name
            await pilot.pause()
            word = app.query_one("#failed-word", Static)
            segment = next(iter(word.render_line(0)))
            assert segment.text.startswith("✗ FAILED")
            expected = app.theme_variables["status-failed"]
            assert segment.style.color.triplet.hex.upper() == Color.parse(expected).hex.upper()
            assert app.query_one("#failed-box").styles.color == Color.parse(expected)
            seen[name] = expected
        assert seen["wflog-incident"] == "#FF6464"
        assert len(set(seen.values())) == 3


def test_missing_user_directory_is_quietly_empty(tmp_path: Path) -> None:
    assert user_themes(tmp_path / "nowhere") == ([], [])


def test_duplicate_user_theme_names_warn_and_the_later_file_wins(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'name = "same"\nprimary = "#111111"\n')
    write(tmp_path, "b.toml", 'name = "same"\nprimary = "#222222"\n')
    themes, warnings = user_themes(tmp_path)
    assert [theme.primary for theme in themes] == ["#222222"]
    assert len(warnings) == 1
    assert "'same' is defined in both" in warnings[0]


def test_every_source_package_is_listed_for_packaging() -> None:
    """The package list is explicit (themes/ is mapped in), so a new package must be added."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO / "src").parts)
        for init in (REPO / "src" / "wflog_tui").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert setuptools["package-dir"]["wflog_tui.themes"] == "themes"
    shipped = {path.stem for path in (REPO / "themes").glob("*.toml")}
    assert shipped == {theme.name for theme in bundled_themes()}
