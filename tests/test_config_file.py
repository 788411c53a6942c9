"""The configuration file and profiles: precedence, bad files, passwords, `wflog-tui config`."""

from __future__ import annotations

import os
import string
from datetime import timedelta
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from tests.database import run_row
from wflog_tui.cli import build_parser, run
from wflog_tui.config_file import (
    DEFAULT_KEYS,
    PROFILE_KEYS,
    VIEW_KEYS,
    ConfigError,
    default_path,
    load_config,
    parse_config,
    profile_store_settings,
)
from wflog_tui.configuration import apply_configuration, parse_arguments
from wflog_tui.store import open_store
from wflog_tui.store.dsn import normalise_dsn

EXAMPLE = """\
# The team's file: comments must survive.
[defaults]
since = "1h"          # incidents are recent
statement_timeout = 3
time_display = "utc"

[profiles.prod]
dsn_env = "PROD_DSN"
org = "org_acme"
since = "15m"
dashboard_url = "https://app.example/runs/{run_id}"
warning = true

[profiles.staging]
dsn = "postgresql://viewer@staging.db/app"
refresh = 5
"""


def _write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    path.chmod(mode)
    return path


def _resolve(argv: list[str], env: dict[str, str] | None = None):
    args = parse_arguments(build_parser(), argv)
    return args, apply_configuration(args, env or {})


def _source(resolution, name: str) -> str:
    return next(s.source for s in resolution.settings if s.name == name)


def test_precedence_flags_then_environment_then_profile_then_defaults(tmp_path):
    path = _write(tmp_path, EXAMPLE)
    env = {"PROD_DSN": "postgresql://app:hunter2@prod.db/app"}
    args, res = _resolve(["--config", str(path), "--profile", "prod", "runs"], env)
    assert args.since == timedelta(minutes=15)  # profile beats [defaults]
    assert args.statement_timeout == 3.0  # [defaults] beats the built-in 5
    assert args.refresh == 2.0  # built-in: neither sets it
    assert args.org == "org_acme"
    assert args.dsn == "postgresql://app:hunter2@prod.db/app"
    assert res.time_display == "utc"
    assert _source(res, "since") == f"profile prod ({path}:10)"
    assert _source(res, "statement_timeout") == f"[defaults] ({path}:4)"
    assert _source(res, "refresh") == "built-in default"

    # A flag beats the profile, even when it repeats the built-in default's value.
    args, res = _resolve(
        ["--config", str(path), "--profile", "prod", "--since", "24h", "runs"], env
    )
    assert args.since == timedelta(hours=24)
    assert _source(res, "since") == "--since"
    # After the subcommand too.
    args, _ = _resolve(["--config", str(path), "--profile", "prod", "runs", "--since", "7d"], env)
    assert args.since == timedelta(days=7)

    # The environment's DSN beats the profile's; the profile comes from WFLOG_PROFILE.
    env = {**env, "WFLOG_DSN": "postgresql://other.db/app", "WFLOG_PROFILE": "staging"}
    args, res = _resolve(["--config", str(path), "runs"], env)
    assert res.profile == "staging"
    assert _source(res, "profile") == "WFLOG_PROFILE"
    assert args.dsn is None  # resolve_dsn takes WFLOG_DSN itself
    assert _source(res, "dsn") == "WFLOG_DSN"
    assert args.refresh == 5.0
    # --dsn beats everything.
    args, res = _resolve(["--config", str(path), "--dsn", "postgresql://flag.db/x", "runs"], env)
    assert args.dsn == "postgresql://flag.db/x"
    assert _source(res, "dsn") == "--dsn"


def test_the_default_file_is_found_under_xdg_config_home(user_directories):
    assert default_path() == user_directories / "config" / "wflog-tui" / "config.toml"
    default_path().parent.mkdir(parents=True)
    default_path().write_text('[profiles.mine]\norg = "org_mine"\n')
    args, res = _resolve(["--profile", "mine", "runs"])
    assert args.org == "org_mine"
    assert res.config.path == default_path()


def test_no_file_is_no_configuration_but_a_named_missing_file_is_an_error(tmp_path, capsys):
    args, res = _resolve(["runs"])
    assert res.config.path is None and args.table == "workflow_execution_log"
    assert run(["--config", str(tmp_path / "absent.toml"), "config"], {}) == 2
    assert "absent.toml: no such file" in capsys.readouterr().err


def test_config_prints_merged_values_with_sources_and_masks_the_password(tmp_path, capsys):
    path = _write(tmp_path, EXAMPLE)
    env = {"PROD_DSN": "postgresql://app:hunter2@prod.db/app"}
    assert run(["--config", str(path), "--profile", "prod", "--refresh", "9", "config"], env) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "postgresql://app:***@prod.db/app" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["dsn"].endswith(f"$PROD_DSN (dsn_env of profile prod, {path}:8)")
    assert lines["refresh"].split()[1:] == ["9", "--refresh"]
    assert lines["since"].split()[1] == "15m"
    assert "profiles      prod, staging" in out


def test_unknown_profile_lists_the_known_ones(tmp_path, capsys):
    path = _write(tmp_path, EXAMPLE)
    assert run(["--config", str(path), "--profile", "prdo", "config"], {}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no profile 'prdo'" in err and "profiles: prod, staging" in err


def test_dsn_env_naming_an_unset_variable_says_so(tmp_path, capsys):
    path = _write(tmp_path, EXAMPLE)
    assert run(["--config", str(path), "--profile", "prod", "config"], {}) == 2
    assert "takes its DSN from $PROD_DSN" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[defaults]\nsince = "1h"\nrefresh = \n', 3, "TOML syntax"),
        ('[defaults]\nsince = "1h"\nrefesh = 2\n', 3, "defaults.refesh: unknown key; known: theme"),
        ('[defaults]\nrefresh = "fast"\n', 2, "defaults.refresh: expected a number of seconds"),
        ("[defaults]\nrefresh = 0\n", 2, "defaults.refresh: expected 0.1 to 3600 seconds"),
        ('[defaults]\nsince = "soon"\n', 2, "defaults.since: takes a number and a unit"),
        ('[defaults]\ntime_display = "mars"\n', 2, "defaults.time_display: takes one of relative"),
        ("[profile.prod]\norg = 'x'\n", 1, "profile: unknown key"),
        ("[profiles.prod]\n\norg = 1\n", 3, "profiles.prod.org: expected a string, got an integer"),
        (
            "[profiles.prod]\ndsn = 'host=db'\ndsn_env = 'Y'\n",
            3,
            "profiles.prod.dsn_env: set dsn or",
        ),
        ("[profiles.prod]\ndsn = 'mysql://x'\n", 2, "profiles.prod.dsn: the DSN is neither"),
        ("[profiles.prod]\ndashboard_url = 'https://x/'\n", 2, "holding {run_id}"),
        ("[profiles.p]\nwarning = 'yes'\n", 2, "profiles.p.warning: expected true or false"),
        ('[views.jpy]\nsearch = "input.amount>lots"\n', 2, "views.jpy.search: '>' compares"),
        ('[views.jpy]\ncolumns = ["status", "colour"]\n', 2, "no column 'colour'"),
        ('[views.jpy]\nsort = "colour"\n', 2, "views.jpy.sort: takes one of status"),
        ('[views."a.b"]\nlimit = 3\n', 2, 'views."a.b".limit: unknown key'),
        ("theme = 'x'\n", 1, "theme: unknown key; the file holds [defaults]"),
        ("profiles = 3\n", 1, "profiles: expected tables [profiles.NAME]"),
    ],
)
def test_a_bad_file_gives_one_line_naming_file_line_and_key(tmp_path, capsys, text, line, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert run(["--config", str(path), "config"], {}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"wflog-tui: {path}, line {line}: ")


def test_a_file_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[defaults]\ntheme = "\xff"\n')
    with pytest.raises(ConfigError, match=r"line 2: is not UTF-8"):
        load_config(path)


@pytest.mark.skipif(os.name == "nt", reason="libpq checks no permissions on Windows either")
def test_a_password_in_the_file_needs_a_file_only_its_owner_can_read(tmp_path, capsys):
    text = '[profiles.prod]\n# comment\ndsn = "postgresql://app:hunter2@db/app"\n'
    for mode in (0o644, 0o640, 0o604):
        path = _write(tmp_path, text, mode)
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert caught.value.line == 3 and caught.value.key == "profiles.prod.dsn"
        assert "chmod 600" in str(caught.value) and "hunter2" not in str(caught.value)
        assert run(["--config", str(path), "--profile", "prod", "config"], {}) == 2
        err = capsys.readouterr().err
        assert "holds a password" in err and "hunter2" not in err
    path = _write(tmp_path, text, 0o600)
    assert load_config(path).profiles["prod"]["dsn"].endswith("@db/app")
    # The keyword form and a password parameter count too; no password needs no rule.
    for dsn in ("host=db password=hunter2", "postgresql://db/app?password=hunter2"):
        with pytest.raises(ConfigError, match="holds a password"):
            parse_config(f"[profiles.p]\ndsn = '{dsn}'\n".encode(), path, mode=0o644)
    assert parse_config(b"[profiles.p]\ndsn = 'postgresql://app@db/x'\n", path, mode=0o644)


# Hypothesis: any value under any key of the file either checks or gives one ConfigError
# with a line, never another exception.
_TOML_VALUES = hs.recursive(
    hs.none().map(lambda _: "")
    | hs.booleans()
    | hs.integers(-(2**63), 2**63 - 1)
    | hs.floats(allow_nan=False)
    | hs.text(max_size=30),
    lambda inner: hs.lists(inner, max_size=4),
    max_leaves=8,
)
_KEYS = hs.sampled_from(sorted({*DEFAULT_KEYS, *PROFILE_KEYS, *VIEW_KEYS, "bogus", "Since"}))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    section=hs.sampled_from(["defaults", "profiles.p", "views.v", "other"]),
    key=_KEYS,
    value=_TOML_VALUES,
)
def test_any_value_under_any_key_checks_or_is_one_located_error(tmp_path, section, key, value):
    document = tomlkit.document()
    table = tomlkit.table()
    table[key] = value
    if "." in section:
        outer, name = section.split(".")
        container = tomlkit.table(is_super_table=True)
        container[name] = table
        document[outer] = container
    else:
        document[section] = table
    text = tomlkit.dumps(document)
    try:
        parse_config(text.encode(), Path("c.toml"), mode=0o600)
    except ConfigError as exc:
        assert exc.line is not None and 1 <= exc.line <= text.count("\n") + 1
        assert "\n" not in str(exc)


@settings(max_examples=300)
@given(hs.text(alphabet=string.printable + "[]=\"'#.é\x00", max_size=80))
def test_any_text_checks_or_is_one_config_error(text):
    try:
        parse_config(text.encode(), Path("c.toml"), mode=0o600)
    except ConfigError as exc:
        assert "\n" not in str(exc)


def test_the_readme_example_file_checks():
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(example.encode(), Path("config.toml"), mode=0o644)
    assert set(config.profiles) == {"prod", "staging"}
    assert config.views["jpy failures"].search == "input.invoice.currency=JPY"


def test_demo_never_writes_into_a_profiles_database(tmp_path):
    path = _write(tmp_path, '[profiles.prod]\ndsn = "postgresql://viewer@prod.db/app"\n')
    env = {"WFLOG_PROFILE": "prod"}
    args, res = _resolve(["--config", str(path), "demo"], env)
    assert args.dsn is None  # the embedded server, not production
    assert _source(res, "dsn") == "demo: --dsn only, else its embedded server"
    args, _ = _resolve(["--config", str(path), "demo", "--dsn", "postgresql://scratch/x"], env)
    assert args.dsn == "postgresql://scratch/x"


def test_a_malformed_dsn_never_shows_its_password_in_config(capsys):
    assert run(["--dsn", "postgresql://alice:hunter2@[::1/app", "config"], {}) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("dsn ")]
    assert "hunter2" not in out and line.endswith("--dsn")


async def test_switching_to_a_profile_connects_with_its_own_dsn_scope_and_table(table):
    text = (
        "[defaults]\nstatement_timeout = 3\n"
        f'[profiles.replica]\ndsn_env = "REPLICA_DSN"\norg = "org_a"\ntable = "{table.name}"\n'
        "[profiles.bare]\n"
    )
    config = parse_config(text.encode(), Path("c.toml"), mode=0o600)
    env = {"REPLICA_DSN": table.dsn, "WFLOG_DSN": "postgresql://elsewhere/x"}
    settings_ = profile_store_settings(config, "replica", env)
    # Chosen by name, so its own DSN beats the environment's.
    assert settings_.dsn == normalise_dsn(table.dsn, "x").dsn
    assert (settings_.organisation_scope, settings_.table) == ("org_a", table.name)
    assert settings_.statement_timeout_s == 3.0
    await table.insert(run_row(run_id="01A", organisation_id="org_a"))
    await table.insert(run_row(run_id="01B", organisation_id="org_b"))
    store = await open_store(settings_)
    try:
        assert await store.fetch_run("01A") is not None
        assert await store.fetch_run("01B") is None  # the profile's --org holds
    finally:
        await store.close()
    # A profile naming no DSN connects as a start without flags would.
    assert profile_store_settings(config, "bare", env).dsn == "postgresql://elsewhere/x"
    with pytest.raises(ConfigError, match=r"line 4: profiles\.replica\.dsn_env: takes its DSN"):
        profile_store_settings(config, "replica", {})
    with pytest.raises(ConfigError, match="no profile 'nope' \\(replica, bare\\)"):
        profile_store_settings(config, "nope", env)
