"""The Timing tab's waterfall: bar math, row layout, and what the tab shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.ui.test_detail_pane import LOOP_LOG, POST, SLACK_LOG, PaneApp, find, screen_text, settle
from wflog_tui.model.step_tree import build_tree
from wflog_tui.ui.run_view.waterfall import EIGHTHS, Waterfall, axis_line, bar_cells, waterfall_rows


@pytest.mark.parametrize(
    ("start", "end", "span", "width", "expected"),
    [
        (0, 1000, 1000, 10, "██████████"),
        (0, 500, 1000, 10, "█████     "),
        (500, 1000, 1000, 10, "     █████"),
        # 3/8 of a cell at the end.
        (0, 37.5, 1000, 10, "▍         "),
        (0, 137.5, 1000, 10, "█▍        "),
        # A zero-length step is still one eighth wide, at its start; so is one at the very end.
        (500, 500, 1000, 10, "     ▏    "),
        (1000, 1000, 1000, 10, "         ▏"),
        # Out of range values are clamped to the track.
        (-50, 2000, 1000, 4, "████"),
        # End before start is drawn as a mark at the start.
        (600, 100, 1000, 10, "      ▏   "),
        # A run with no span: every step sits at zero.
        (0, 0, 0, 5, "▏    "),
    ],
)
def test_bar_cells(start: float, end: float, span: float, width: int, expected: str) -> None:
    assert bar_cells(start, end, span, width) == expected


def test_bars_are_always_the_track_width_and_grow_with_the_end() -> None:
    for width in (1, 7, 40, 133):
        previous = 0
        for end in range(0, 1001, 7):
            cells = bar_cells(0, end, 1000, width)
            assert len(cells) == width
            filled = sum(8 if c == "█" else EIGHTHS.index(c) + 1 for c in cells if c != " ")
            assert filled >= previous
            previous = filled
    assert bar_cells(0, 10, 10, 0) == ""


def test_axis_line_labels_the_start_middle_and_end() -> None:
    line = axis_line(4200, 40)
    assert len(line) == 40
    assert line.startswith("0 ")
    assert line.endswith("4.2 s")
    assert "2.1 s" in line
    # Too narrow for a middle label: just the ends.
    assert axis_line(4200, 12) == "0      4.2 s"
    assert axis_line(0, 6) == "0 0 ms"


def test_rows_open_only_the_selected_iteration() -> None:
    tree = build_tree(LOOP_LOG, run_status="FAILED")
    loop = tree.nodes[1]
    failing = tree.node_of_entry(3)
    layout = waterfall_rows(tree, failing)
    assert [(row.label, row.depth, row.selected) for row in layout.rows] == [
        ("trigger", 0, False),
        ("Process Each User", 0, False),
        ("iteration 2", 1, False),
        ("send_email", 2, True),
    ]
    assert layout.span_ms == 4000
    send = layout.rows[-1]
    assert (send.start_ms, send.end_ms) == (4000, 4000)

    # With the loop itself selected, no iteration is opened.
    assert [row.label for row in waterfall_rows(tree, loop).rows] == [
        "trigger",
        "Process Each User",
    ]
    assert waterfall_rows(tree, loop).rows[1].status == "FAILED"  # rolled up from iteration 2


def test_rows_are_capped_and_the_span_covers_the_run() -> None:
    log = [
        {
            "status": "COMPLETED",
            "stepId": f"s{n}",
            "operation": "http",
            "startedAt": f"2024-01-15T10:00:{n:02d}Z",
            "endedAt": f"2024-01-15T10:00:{n:02d}.5Z",
        }
        for n in range(30)
    ]
    tree = build_tree(log)
    layout = waterfall_rows(
        tree,
        None,
        run_started=datetime(2024, 1, 15, 9, 59, 55, tzinfo=UTC),
        max_rows=10,
    )
    assert len(layout.rows) == 10 and layout.left_out == 20
    assert layout.rows[0].start_ms == 5_000


async def test_the_timing_tab_draws_rows_bars_durations_and_the_axis() -> None:
    app = PaneApp(SLACK_LOG, status="FAILED", input_payload=POST)
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(find(app.step_tree, "Look Up Owner"))
        await settle(pilot)
        app.pane.query_one("#input-json").focus()
        await pilot.press("4")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert " Started   2024-01-15 10:30:00.100 UTC" in lines
        assert "Duration  500 ms" in "\n".join(lines)
        axis = next(line for line in lines if line.rstrip().endswith("5.0 s"))
        assert axis.strip().startswith("0")
        owner = next(line for line in lines if "▶ Look Up Owner" in line)
        assert owner.rstrip().endswith("500 ms")
        assert "█" in owner
        slack = next(line for line in lines if "Notify Sales Channel" in line)
        assert slack.rstrip().endswith("900 ms")
        assert [row.label for row in app.pane.query_one(Waterfall).layout_rows] == [
            "New Post Trigger",
            "Look Up Owner",
            "Notify Sales Channel",
        ]

        # A retried step opens onto its attempts when selected.
        app.select(find(app.step_tree, "Notify Sales Channel"))
        await settle(pilot)
        app.pane.query_one("#error-scroll").focus()
        await pilot.press("4")
        await settle(pilot)
        shown = screen_text(app)
        assert "▶ Notify Sales Channel" in shown
        assert "attempt 3" in shown
        assert "attempt 1  ✗ FAILED  900 ms" in shown


async def test_steps_without_timestamps_say_no_timing() -> None:
    log = [
        {
            "status": "COMPLETED",
            "stepId": "timed",
            "operation": "http",
            "startedAt": "2024-01-15T10:30:00Z",
            "endedAt": "2024-01-15T10:30:02Z",
        },
        {"status": "COMPLETED", "stepId": "untimed", "operation": "http"},
        {
            "status": "RUNNING",
            "stepId": "open",
            "operation": "http",
            "startedAt": "2024-01-15T10:30:01Z",
        },
    ]
    app = PaneApp(log, status="RUNNING")
    async with app.run_test(size=(100, 24)) as pilot:
        app.select(find(app.step_tree, "untimed"))
        await settle(pilot)
        app.pane.query_one("#input-json").focus()
        await pilot.press("4")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert "no timing" in next(line for line in lines if "▶ untimed" in line)
        opened = next(line for line in lines if line.lstrip().startswith("open"))
        assert opened.rstrip().endswith("no end")
        assert "▏" in opened


def test_a_run_time_far_from_the_steps_does_not_squash_the_bars() -> None:
    tree = build_tree(LOOP_LOG, run_status="FAILED")
    # The run's columns read an hour and a half off (a time zone gone wrong).
    layout = waterfall_rows(
        tree,
        None,
        run_started=datetime(2024, 1, 15, 10, 30, tzinfo=UTC),
        run_ended=datetime(2024, 1, 15, 13, 30, tzinfo=UTC),
    )
    assert layout.span_ms == 4000
