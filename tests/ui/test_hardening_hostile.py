"""Hostile and malformed data, end to end: real rows, the running app, every view it has.

Three things are checked wherever data reaches the screen: what the screen shows (the
escaped form, visibly), that nothing the data wrote as markup became a style, and what
would actually be written to the terminal — the compositor's output for a full redraw,
and every write the app makes itself (the OSC 52 of a copy) — holding none of the
sequences the data planted.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson
import pytest
from rich.text import Text

from tests.database import run_row
from tests.ui.harness import (
    RunOnlyApp,
    list_app,
    loaded,
    recent,
    screen_text,
    settle,
    table_of,
    workers_idle,
)
from tests.ui.step_entries import entry
from tests.ui.terminal_writes import clipboard_payloads, record_writes
from wflog_tui.model.display_text import escape_control
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.run_view import RunScreen
from wflog_tui.ui.run_view.detail_pane import DetailPane

# An OSC 52 clipboard write of "PLANTED", a screen clear, a colour, the bell, an OSC 8 link,
# a right-to-left override, a zero-width space, wide characters, and Rich/Textual markup.
PLANTED_B64 = base64.b64encode(b"PLANTED").decode()
HOSTILE = (
    f"[bold]B[/] [link=https://evil.example]L[/link] [@click=app.quit]Q[/]"
    f"\x1b[2J\x1b[31mRED\x1b]52;c;{PLANTED_B64}\x07\x07\x1b]8;;https://evil.example\x1b\\"
    "\u202eRTL\u200bZW 漢字🙂"
)
ESCAPED = escape_control(HOSTILE)
# What must never reach the terminal from the data. Textual writes CSI sequences of its own
# but no OSC (we use no links) and no bell; the planted payloads are unique either way.
RAW_PAYLOADS = (
    f"\x1b]52;c;{PLANTED_B64}",
    "\x1b]8;;https://evil.example",
    "\x1b[31mRED",
    "\x1b[2J",
    "\x07",
    "\u202e",
    "\u200b",
)
UNSAFE_CHARS = ("\x1b", "\x07", "\u202e", "\u200b", "\x9b", "\x9d")


def terminal_output(app) -> str:
    """What a redraw of the whole screen writes to the terminal (the headless driver drops it)."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def assert_terminal_safe(app, where: str = "") -> None:
    shown = screen_text(app)
    for char in UNSAFE_CHARS:
        lines = [line for line in shown.splitlines() if char in line]
        assert not lines, f"{where}: raw {char!r} on screen: {lines!r}"
    # Toasts are drawn on a layer of their own that screen_text does not read.
    for note in app._notifications:
        for char in UNSAFE_CHARS:
            assert char not in f"{note.title}{note.message}", f"{where}: raw {char!r} in a toast"
    written = terminal_output(app)
    for payload in RAW_PAYLOADS:
        assert payload not in written, f"{where}: {payload!r} would reach the terminal"
    # Markup in the data never became a link or an action.
    assert "evil.example" not in re.sub(r"[^\x1b]*", "", written)
    assert "\x1b]8;" not in written, where


def spans_styles(text: Text) -> list[str]:
    return [str(span.style) for span in text.spans] + [str(text.style)]


def cut_from(cell: str, full: str) -> bool:
    """True when `cell` is `full`, or its start followed by an ellipsis."""
    return cell == full or (cell.endswith("…") and full.startswith(cell[:-1]) and len(cell) > 5)


async def test_hostile_text_in_every_list_column_is_literal_and_unstyled(
    make_table, open_store_for
):
    # A text status column: the platform may write any status, markup and escapes included.
    handle = await make_table(status_enum=False)
    odd_status = "[bold]PAUSED\x1b[5m"
    await handle.insert(
        recent(
            1,
            id="hostile",
            run_id="01H" + HOSTILE,
            workflow_name=HOSTILE,
            event_name=HOSTILE,
            event_id="01E" + HOSTILE,
            organisation_id=HOSTILE,
            status=odd_status,
            error=HOSTILE + " " + "e" * 3_000_000,
        ),
        recent(2, id="plain", run_id="01PLAIN", status="paused"),
    )
    store = await open_store_for(handle)
    app = list_app(store)
    async with app.run_test(size=(220, 40)) as pilot:
        await settle(
            pilot, lambda: table_of(app).row_count == 2 and "? paused 1" in screen_text(app)
        )
        table = table_of(app)
        row = table.get_row("hostile")
        plains = [cell.plain for cell in row]
        # Each cell is the escaped text, cut with an ellipsis to its column's width.
        assert cut_from(plains[1], ESCAPED)  # workflow
        assert cut_from(plains[2], escape_control("01H" + HOSTILE))  # run id
        assert cut_from(plains[3], ESCAPED)  # event
        assert cut_from(plains[6], ESCAPED)  # organisation
        assert cut_from(plains[7], ESCAPED) and len(plains[7]) <= 300  # error
        assert cut_from(plains[0], "? [bold]PAUSED\\x1b[5m")
        for cell in row[1:]:
            for style in spans_styles(cell):
                assert "link" not in style and "bold" not in style and "red" not in style, style
        shown = screen_text(app)
        # Counted in the header as found; cut to its column's width in the row.
        assert "? [bold]PAUSED\\x1b[5m 1   ? paused 1" in shown
        assert "? [bold]PA…" in shown
        assert "[bold]B[/] [link=https://evil.example]L[/link]" in shown
        assert "[@click=app.quit]Q[/]\\x1b[2J\\x1b[31mRE" in shown
        assert_terminal_safe(app, "run list")

        # Copying the hostile run id sends it escaped, as shown (ctrl+y sends it raw),
        # base64-encoded inside one OSC 52 sequence: nothing in it can end the sequence
        # early and reach the terminal raw.
        writes = record_writes(app)
        await pilot.press("y", "ctrl+y")
        assert clipboard_payloads(writes) == [escape_control("01H" + HOSTILE), "01H" + HOSTILE]
        assert all(w.count("\x07") == 1 for w in writes if w.startswith("\x1b]52"))
        await settle(pilot, lambda: any("Copied" in n.message for n in app._notifications))
        assert_terminal_safe(app, "after copy (the notification)")

        # Opening it: the run view of the same row.
        await pilot.press("enter")
        await settle(pilot, lambda: loaded(app), within=20)
        shown = screen_text(app)
        assert "[bold]B[/] [link=https://evil.example]L[/link]" in shown
        assert_terminal_safe(app, "run view")
    assert app.return_code in (None, 0)


def deep_json(levels: int, leaf: str) -> str:
    """JSON text nested `levels` deep (orjson refuses to encode this deep, so by hand)."""
    return '{"a":' * levels + orjson.dumps(leaf).decode() + "}" * levels


async def open_hostile_run(table, open_store_for, steps_log_text: str, **fields: Any):
    row = run_row(**fields)
    await table.insert(row)
    await table.execute(
        f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb WHERE id = $2",
        steps_log_text,
        row["id"],
    )
    store = await open_store_for(table)
    return row, store


@pytest.mark.slow
async def test_a_hostile_run_through_tree_every_tab_data_flow_and_copy(table, open_store_for):
    big = "x" * 5_000_000
    nested = deep_json(900, HOSTILE)
    steps = [
        entry("trigger_new_user", operation="trigger", stepName=HOSTILE, output={HOSTILE: HOSTILE}),
        entry("send", "FAILED", t=1, stepName=HOSTILE, operation=HOSTILE,
              input={HOSTILE: HOSTILE, "big": big, "copied": HOSTILE},
              output={"echo": HOSTILE},
              error={"message": HOSTILE, "name": HOSTILE, "stack": HOSTILE + "\n at " + HOSTILE}),
    ]  # fmt: skip
    text = orjson.dumps(steps).decode()
    # The 900-level value goes in as text, as the input of a third step.
    text = text[:-1] + ',{"status": "COMPLETED", "stepId": "deep", "input": ' + nested + "}]"
    row, store = await open_hostile_run(
        table,
        open_store_for,
        text,
        status="FAILED",
        workflow_name=HOSTILE,
        error=HOSTILE,
        event_name=HOSTILE,
        input_payload={"p": HOSTILE},
    )
    app = RunOnlyApp(
        store, AppConfig(open_run=row["run_id"], refresh_s=0.2, animations=False, query_budget=1)
    )
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot, lambda: loaded(app), within=30)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        # It landed on the failing step, whose name is the hostile string.
        assert screen.step_view.selected_node.label == HOSTILE
        assert_terminal_safe(app, "landing")
        pane = screen.query_one(DetailPane)
        await settle(pilot, lambda: pane.node is screen.step_view.selected_node)
        pane.show_tab(pane.active_tab, focus=True)  # focus in the pane, on the Error tab
        for key in "1234567":
            await pilot.press(key)
            # The data-flow trace runs in a worker: its result is what the tab shows.
            await settle(pilot, lambda: workers_idle(app, "data-flow"))
            assert_terminal_safe(app, f"tab {key}")
            assert isinstance(app.screen, RunScreen)
        await pilot.press("5")
        await settle(pilot, lambda: "[bold]B[/]" in screen_text(app))
        writes = record_writes(app)
        screen.step_view.focus()
        await pilot.press("c")
        notes = clipboard_payloads(writes)
        assert len(notes) == 1 and "[bold]B[/]" in notes[0]
        assert not any(char in notes[0] for char in UNSAFE_CHARS)
        await pilot.press("n", "N", "right_square_bracket", "r")
        await settle(pilot, lambda: loaded(app))
        assert_terminal_safe(app, "after reload")


MALFORMED: dict[str, str | None] = {
    "sql null": None,
    "json null": "null",
    "an object": '{"status": "FAILED", "stepId": "x"}',
    "a string": '"[bold]steps\\u001b[2J"',
    "a number": "42",
    "non-object entries": '[1, "[bold]x[/]", null, [], true, {"status": "COMPLETED"}]',
    "missing fields": "[{}, {}, {}]",
    "unknown statuses": '[{"status": "[bold]WEIRD\\u001b]52;c;UExBTlRFRA==\\u0007", "stepId": "a"},'
    ' {"status": 7, "stepId": "b"}, {"status": null, "stepId": "c"}]',
    "bad dates": '[{"status": "COMPLETED", "stepId": "a", "startedAt": "not a date",'
    ' "endedAt": "2024-13-45T99:99:99Z"}, {"status": "FAILED", "stepId": "b",'
    ' "startedAt": 1e308, "endedAt": [1]}]',
    "negative durations": '[{"status": "COMPLETED", "stepId": "a", "durationMs": -5000,'
    ' "startedAt": "2024-01-15T10:00:05Z", "endedAt": "2024-01-15T10:00:00Z"}]',
    "string error": '[{"status": "FAILED", "stepId": "a", "error": "\\u202eplain string"},'
    ' {"status": "FAILED", "stepId": "b", "error": ["a", "list"]},'
    ' {"status": "FAILED", "stepId": "c", "error": {"message": {"nested": true}}}]',
    "odd loop": '[{"status": "COMPLETED", "stepId": "l", "operation": "builtin:loop",'
    ' "output": {"collection": "not a list", "totalItems": -3}},'
    ' {"status": "FAILED", "stepId": "s", "iteration": "two", "totalItems": 1e9}]',
    "odd statuses in a loop": '[{"stepId": "a", "totalItems": 2, "status": "\\u001b[2J",'
    ' "iteration": 1}, {"stepId": "a", "status": "\\u202eODD", "iteration": 2}]',
    "huge numbers": '[{"status": "COMPLETED", "stepId": "a", "durationMs": 1e400,'
    ' "startedAt": -1e400, "endedAt": 1e400, "input": {"n": 123456789012345678901234567890}}]',
    "deeper than the decoder": deep_json(3000, "bottom"),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(MALFORMED))
async def test_every_malformed_steps_log_opens_and_every_key_is_safe(shape, table, open_store_for):
    text = MALFORMED[shape]
    row = run_row(status="FAILED", steps_log=None)
    await table.insert(row)
    if text is not None:
        await table.execute(
            f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb WHERE id = $2",
            text,
            row["id"],
        )
    store = await open_store_for(table)
    app = RunOnlyApp(
        store, AppConfig(open_run=row["run_id"], refresh_s=0.2, animations=False, query_budget=1)
    )
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: loaded(app), within=30)
        assert_terminal_safe(app, shape)
        screen = app.screen
        for keys in (
            ["n"],
            ["N"],
            ["right_square_bracket"],
            ["left_square_bracket"],
            ["end"],
            ["home"],
            ["enter"],
            ["c"],
            ["r"],
        ):
            await pilot.press(*keys)
            await settle(pilot, lambda: workers_idle(app))
            assert isinstance(app.screen, RunScreen), (shape, keys)
        await settle(pilot, lambda: loaded(app))
        screen.query_one(DetailPane).focus()
        for key in "1234567":
            await pilot.press(key)
            await settle(pilot, lambda: workers_idle(app))
            assert_terminal_safe(app, f"{shape}, tab {key}")
        assert isinstance(app.screen, RunScreen)


async def test_statuses_outside_the_spec_in_an_enum_free_table_through_list_and_run(
    make_table, open_store_for
):
    handle = await make_table(status_enum=False)
    await handle.insert(
        recent(1, id="q", run_id="01Q", status="QUEUED"),
        recent(2, id="e", run_id="01E", status=""),
        recent(3, id="m", run_id="01M", status="[red]FAILED[/red]\u202e"),
    )
    store = await open_store_for(handle)
    app = list_app(store)
    async with app.run_test(size=(200, 40)) as pilot:
        # Counted and listed as found: an empty status, an unknown word, markup (cut at 20).
        # The counts follow the rows: wait for both.
        counts = "?  1   ? QUEUED 1   ? [red]FAILED[/red]\\u… 1"
        await settle(pilot, lambda: table_of(app).row_count == 3 and counts in screen_text(app))
        assert_terminal_safe(app, "odd statuses")
        for key in ("S", "S", "1", "0", "ctrl+z", "ctrl+z"):
            await pilot.press(key)
            await settle(pilot, lambda: workers_idle(app))
        await settle(pilot, lambda: table_of(app).row_count == 3)
        await pilot.press("home", "enter")
        await settle(pilot, lambda: loaded(app), within=20)
        assert_terminal_safe(app, "odd status run")
