"""Saved views in the configuration file, and the state each profile remembers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from wflog_tui.cli import build_parser
from wflog_tui.config_file import (
    LIST_COLUMNS,
    ConfigError,
    SavedView,
    list_views,
    load_config,
    load_view,
    save_view,
)
from wflog_tui.configuration import (
    apply_configuration,
    config_lines,
    parse_arguments,
    with_configuration,
)
from wflog_tui.model.search_query import parse_query
from wflog_tui.sticky_state import recall_state, remember_state, state_path
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.run_list.table import COLUMNS, TIME_MODES

COMMENTED = """\
# wflog-tui: the on-call team's file
[defaults]
since = "1h"   # short windows in an incident

# Production: read-only replica.
[profiles.prod]
org = "org_acme"  # our tenant

[views.old]
status = ["FAILED"]
"""

VIEW = SavedView(
    "jpy failures",
    status=("FAILED", "TIMED_OUT"),
    workflow="Sync Invoices",
    search="input.invoice.currency=JPY step.error~quota",
    since="7d",
    sort="duration",
    reverse=True,
    columns=("status", "run_id", "duration", "error"),
)


def test_a_view_saved_into_a_commented_file_keeps_every_comment_and_reopens(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    path.chmod(0o640)
    config = save_view(VIEW, path)
    text = path.read_text()
    assert text.startswith(COMMENTED)  # the user's part is byte for byte as it was
    for comment in ("# wflog-tui: the on-call team's file", "# short windows", "# our tenant"):
        assert comment in text
    assert path.stat().st_mode & 0o777 == 0o640
    assert list_views(config) == ["old", "jpy failures"]
    reopened = load_config(path)
    assert load_view(reopened, "jpy failures") == VIEW
    assert reopened.profiles["prod"] == {"org": "org_acme"}

    # Saving under the same name replaces the view, and the comments still stay.
    save_view(SavedView("jpy failures", status=("FAILED",)), path)
    again = load_config(path)
    assert load_view(again, "jpy failures") == SavedView("jpy failures", status=("FAILED",))
    assert path.read_text().count("# our tenant") == 1


def test_a_view_is_saved_into_a_new_file_readable_by_its_owner_alone(user_directories):
    config = save_view(VIEW)
    assert config.path is not None and config.path.parent.name == "wflog-tui"
    assert config.path.stat().st_mode & 0o777 == 0o600
    assert load_view(load_config(), VIEW.name) == VIEW


def test_a_broken_file_is_not_touched_by_saving(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[defaults]\nrefesh = 2\n")
    with pytest.raises(ConfigError, match=r"line 2: defaults\.refesh: unknown key"):
        save_view(VIEW, path)
    assert path.read_text() == "[defaults]\nrefesh = 2\n"


def test_opening_a_view_sets_the_list_filter_search_order_and_columns(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    save_view(VIEW, path)
    argv = ["--config", str(path), "--profile", "prod", "--view", "jpy failures"]
    args = parse_arguments(build_parser(), argv)
    args.resolution = apply_configuration(args, {})
    assert args.since == timedelta(days=7)  # the view beats the profile and [defaults]
    assert args.status == "FAILED,TIMED_OUT" and args.workflow == "Sync Invoices"
    config = with_configuration(AppConfig(), args)
    assert config.view_name == "jpy failures"
    assert config.search_text == VIEW.search
    assert config.run_filter.query == parse_query(VIEW.search)
    assert (config.sort_column, config.sort_reverse) == ("duration", True)
    assert config.columns == ("status", "run_id", "duration", "error")
    assert config.profile == "prod"
    lines = {line.split()[0]: line for line in config_lines(args.resolution) if line}
    assert lines["columns"].split()[1] == "status,run_id,duration,error"
    assert lines["since"].split()[1:3] == ["7d", "view"]
    # A flag still beats the view.
    args = parse_arguments(build_parser(), [*argv, "--since", "15m"])
    apply_configuration(args, {})
    assert args.since == timedelta(minutes=15)


def test_runs_takes_a_view_and_an_unknown_view_lists_the_saved_ones(tmp_path, capsys):
    path = tmp_path / "config.toml"
    save_view(VIEW, path)
    args = parse_arguments(build_parser(), ["--config", str(path), "runs", "--view", VIEW.name])
    apply_configuration(args, {})
    assert args.search == VIEW.search
    from wflog_tui.cli import run

    assert run(["--config", str(path), "--view", "nope", "config"], {}) == 2
    err = capsys.readouterr().err
    assert "no view 'nope' (views: jpy failures)" in err and err.count("\n") == 1


def test_the_views_column_names_are_the_run_lists():
    assert tuple(column.key for column in COLUMNS) == LIST_COLUMNS


def test_each_profile_remembers_its_window_and_time_display(user_directories):
    assert recall_state("prod").since is None
    remember_state("prod", since="1h", time_display="utc")
    remember_state("staging", time_display="local")
    remember_state("prod", since="6h")
    assert state_path().is_relative_to(user_directories / "state")
    prod = recall_state("prod")
    assert (prod.since, prod.time_display) == ("6h", "utc")
    assert recall_state("staging").time_display == "local"
    assert recall_state(None).since is None
    with pytest.raises(ValueError):
        remember_state("prod", time_display="mars")
    with pytest.raises(ValueError):
        remember_state("prod", since="soon")


def test_remembered_state_applies_to_the_live_list_only_and_flags_beat_it(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    remember_state("prod", since="6h", time_display="local")
    argv = ["--config", str(path), "--profile", "prod"]
    args = parse_arguments(build_parser(), argv)
    resolution = apply_configuration(args, {})
    assert args.since == timedelta(hours=6) and resolution.time_display == "local"
    assert resolution.time_display in TIME_MODES
    args = parse_arguments(build_parser(), [*argv, "--since", "2h"])
    apply_configuration(args, {})
    assert args.since == timedelta(hours=2)
    # Scripts get the configured window, whatever the last session looked at.
    args = parse_arguments(build_parser(), [*argv, "runs"])
    apply_configuration(args, {})
    assert args.since == timedelta(hours=1)


def test_a_damaged_state_file_is_ignored_and_replaced():
    state_path().parent.mkdir(parents=True, exist_ok=True)
    state_path().write_text("{not json")
    assert recall_state("prod").since is None
    remember_state("prod", since="1h")
    assert recall_state("prod").since == "1h"


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=hs.text(min_size=1, max_size=20).filter(str.strip),
    workflow=hs.text(min_size=1, max_size=30).filter(str.strip),
    statuses=hs.lists(hs.sampled_from(["FAILED", "RUNNING", "PAUSED"]), unique=True),
)
def test_any_view_name_and_values_round_trip_through_the_file(tmp_path, name, workflow, statuses):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    view = SavedView(name, status=tuple(sorted(statuses)), workflow=workflow, since="15m")
    save_view(view, path)
    assert load_view(load_config(path), name) == view
    assert path.read_text().startswith(COMMENTED)
