""" "Write incident report" (ctrl+r) in the run list: the report of the list's window and
filters, written to a new file it names, and the store-level writer behind it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from tests.ui.harness import list_app, recent, run_ids, settle
from tests.ui.step_entries import entry, trigger
from wflog_tui.store import RunFilter
from wflog_tui.store.incident_report_writing import stream_incident_report
from wflog_tui.ui.run_list.incident_report_file import report_path


def _failing(run_id: str, minutes_ago: float) -> dict:
    log = [trigger(), entry("charge", "FAILED", error={"message": "card declined 4242"})]
    return recent(minutes_ago, run_id=run_id, status="FAILED", steps_log=log, error="card declined")


def _notes(app) -> str:
    return "\n".join(n.message for n in app._notifications)


def test_the_report_is_named_after_the_utc_instant(tmp_path):
    at = datetime(2026, 11, 30, 1, 15, 2, tzinfo=UTC)
    assert report_path(at, tmp_path) == tmp_path / "wflog-incident-20261130T011502Z.md"


async def test_ctrl_r_writes_the_report_of_the_lists_window(
    table, open_store_for, tmp_path, monkeypatch
):
    await table.insert(_failing("01BAD", 5), _failing("01WORSE", 3), recent(4, run_id="01OK"))
    monkeypatch.chdir(tmp_path)
    store = await open_store_for(table)
    app = list_app(
        store, run_filter=RunFilter(since=timedelta(hours=1)), link_scope=("--profile=p",)
    )
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 3)
        await pilot.press("ctrl+r")
        await settle(pilot, lambda: "Wrote the incident report to" in _notes(app))
        assert run_ids(app)  # the list goes on
    [path] = list(tmp_path.glob("wflog-incident-*.md"))
    assert str(path) in _notes(app)
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert text.startswith("# Incident report: failures from ")
    assert "- Since: `1h`" in text
    assert "## Failure groups" in text and "2 failures" in text
    assert "## The top groups, explained" in text
    assert "--profile=p" in text  # the links carry the session's profile


async def test_the_store_writer_writes_each_section_as_it_is_read(table, open_store_for):
    await table.insert(_failing("01BAD", 5))
    store = await open_store_for(table)
    writes: list[str] = []
    out = io.StringIO()
    real_write = out.write
    out.write = lambda text: writes.append(text) or real_write(text)  # type: ignore[method-assign]
    await stream_incident_report(
        store,
        RunFilter(since=timedelta(hours=1)),
        out,
        top=0,
        scope=(),
        filters=[("Since", "1h"), ("Workflow", None)],
        version="9.9",
    )
    assert writes[0].startswith("# Incident report")
    assert "- Workflow: any" in writes[0] and "wflog-tui 9.9" in writes[0]
    assert writes[1].startswith("## Failure groups")
    assert "charge" in writes[2]
    assert "explained" not in out.getvalue()  # top=0: no run explained
