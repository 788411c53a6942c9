"""The diff screen as the person on call meets it: `d` in a failed run, the baseline and
why, marks beside the tree, `n`/`N` through the differences, before and after, `esc`."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as hs

from tests.compared_runs import publish_log
from tests.database import BASE_TIME, run_row
from tests.ui.harness import loaded, open_palette, run_app, screen_text, settle
from wflog_tui.model.run_diff import compare_runs
from wflog_tui.model.step_tree import build_tree
from wflog_tui.ui.run_compare import CompareScreen
from wflog_tui.ui.run_compare.baseline_prompt import MAX_RUN_ID_CHARS, read_run_id
from wflog_tui.ui.run_compare.ghost_rows import ghost_rows
from wflog_tui.ui.run_compare.marked_tree import MarkedTreeView
from wflog_tui.ui.run_view import RunScreen

SIZE = (160, 50)


def publish_runs(**bad_fields) -> tuple[dict, dict]:
    """A good run of Publish Post on LinkedIn, then a failed one on Mastodon an hour later."""
    good = run_row(
        run_id="GOOD1",
        workflow_name="Publish Post",
        workflow_version_id="wfv_7",
        started_at=BASE_TIME,
        steps_log=publish_log("linkedin", failed=False),
    )
    bad = run_row(
        run_id="BAD1",
        status="FAILED",
        workflow_name="Publish Post",
        workflow_version_id="wfv_8",
        started_at=BASE_TIME + timedelta(hours=1),
        steps_log=publish_log("mastodon", failed=True),
        **bad_fields,
    )
    return good, bad


def big_publish_log(platform: str, failed: bool, fifth: int) -> list:
    """`publish_log` with a loop of 20 `send`s between format_message and post_to_network;
    the fifth's input is `fifth`, every other one's its number."""
    entries = publish_log(platform, failed)
    loop = {"status": "COMPLETED", "stepId": "loop", "operation": "builtin:loop"}
    sends = [
        {
            "status": "COMPLETED",
            "stepId": "send",
            "operation": "http",
            "iteration": number,
            "input": {"n": fifth if number == 5 else number},
        }
        for number in range(1, 21)
    ]
    return [*entries[:2], {**loop, "output": {"totalItems": 20}}, *sends, entries[2]]


def big_publish_runs() -> tuple[dict, dict]:
    """`publish_runs` whose fifth `send` differs only in its payload (5, then 50)."""
    good, bad = publish_runs()
    good["steps_log"] = big_publish_log("linkedin", False, 5)
    bad["steps_log"] = big_publish_log("mastodon", True, 50)
    return good, bad


# Where the fifth `send` sits: trigger, format_message, loop, then iteration 1 at index 3.
FIFTH_SEND = 2 + 5


def compare_screen(app) -> CompareScreen:
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def compared(app) -> bool:
    """The comparison is on screen (its tree laid out, or its header saying why not)."""
    screen = app.screen
    if not isinstance(screen, CompareScreen) or screen.comparison is None:
        return False
    return screen.comparison.diff is None or screen.step_view.region.height > 0


def tree_lines(app) -> list[str]:
    view = compare_screen(app).query_one(MarkedTreeView)
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def changes_text(app) -> str:
    return str(compare_screen(app).query_one("#change-text").render())


async def open_comparison(pilot, app) -> None:
    await settle(pilot, lambda: loaded(app))
    await pilot.press("d")
    await settle(pilot, lambda: compared(app))


async def test_d_opens_the_diff_with_baseline_reason_root_and_version(table, open_store_for):
    await table.insert(*publish_runs())
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        text = screen_text(app)
        assert (
            "baseline GOOD1: newest COMPLETED run of Publish Post before this one, an hour earlier"
            in text
        )
        assert "version wfv_7 → wfv_8" in text
        # The root line is wrapped to the header's width: compare it as one line.
        header = " ".join(line.strip() for line in text.splitlines()[:6])
        assert (
            'first difference: trigger.output.post.platform "linkedin" → "mastodon", reaching '
            "post_to_network.input.network through format_message.output.network"
        ) in header
        assert "3 differing steps" in text
        # Every node carries its marks; the legend spells them out.
        lines = tree_lines(app)
        assert any(line.startswith("o ") and "trigger" in line for line in lines)
        assert any(line.startswith("io ") and "format_message" in line for line in lines)
        assert any(line.startswith("!io»") and "post_to_network" in line for line in lines)
        # The legend spells out the marks the tree shows, and only those.
        legend = str(compare_screen(app).query_one("#compare-legend").render())
        assert legend == "= same  ! status  i input  o output  » 2× slower"
        assert "first divergence: format_message — input changed" in text
        # The cursor lands on the first divergence, whose changes the pane shows.
        node = compare_screen(app).step_view.selected_node
        assert node is not None and node.label == "format_message"
        pane = changes_text(app)
        assert "input.platform" in pane
        assert 'before "linkedin"' in pane and 'after  "mastodon"' in pane


async def test_n_and_N_land_on_each_difference_and_esc_returns_to_the_run(table, open_store_for):
    await table.insert(*publish_runs())
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        # One query at a time in the app: the run view's fill queue and the diff share a lock.
        run_view = app.screen_stack[-2]
        assert isinstance(run_view, RunScreen)
        assert compare_screen(app).live.lock is run_view.live.lock
        view = compare_screen(app).step_view

        def at() -> str:
            node = view.selected_node
            return node.label if node is not None else ""

        seen = [at()]
        for _ in range(3):
            await pilot.press("n")
            await settle(pilot, lambda: at() != seen[-1])
            seen.append(at())
        # In run order from the first divergence, wrapping round: each difference once.
        assert seen == ["format_message", "post_to_network", "trigger", "format_message"]
        await pilot.press("n")
        await settle(pilot, lambda: at() == "post_to_network")
        pane = changes_text(app)
        assert "status   COMPLETED → FAILED" in pane
        assert "duration 10 ms → 400 ms" in pane
        assert "input.network" in pane and 'before "linkedin"' in pane
        assert "!io»  status changed, input changed, output changed, much slower" in pane
        await pilot.press("N")
        await settle(pilot, lambda: at() == "format_message")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunScreen))
        assert isinstance(app.screen, RunScreen) and "n Next failure" in screen_text(app)


async def test_a_step_only_in_the_baseline_is_shown_from_the_baseline(table, open_store_for):
    step = {"status": "COMPLETED", "operation": "http"}
    await table.insert(
        run_row(
            run_id="GOOD1",
            started_at=BASE_TIME,
            steps_log=[
                {**step, "stepId": "a"},
                {**step, "stepId": "old", "input": {"k": 1}},
                {**step, "stepId": "z"},
            ],
        ),
        run_row(
            run_id="NEW1",
            started_at=BASE_TIME + timedelta(minutes=5),
            steps_log=[{**step, "stepId": "a"}, {**step, "stepId": "new"}, {**step, "stepId": "z"}],
        ),
    )
    app = run_app(await open_store_for(table), "NEW1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        # The baseline's step has a row of its own, where it ran: after `a`.
        lines = [line for line in tree_lines(app) if line.strip()]
        assert [line.split()[0] for line in lines] == ["=", "-", "+", "="]
        assert lines[1].endswith("old  only in baseline") and "new" in lines[2]
        # The first divergence is that step: the cursor is on its row, the pane shows it.
        node = compare_screen(app).step_view.selected_node
        assert node is not None and node.label == "old"
        pane = changes_text(app)
        assert pane.startswith("old\n-")
        assert "Only the baseline has this step." in pane
        assert "input.k" in pane and "before 1" in pane and "after  (absent)" in pane
        await pilot.press("n")
        await settle(pilot, lambda: changes_text(app).startswith("new\n+"))
        assert "Only this run has this step." in changes_text(app)
        await pilot.press("N")
        await settle(pilot, lambda: changes_text(app).startswith("old\n-"))


async def test_a_step_the_baseline_ran_in_an_iteration_sits_in_that_iteration(
    table, open_store_for
):
    def log(with_audit: bool) -> list:
        loop = {"status": "COMPLETED", "stepId": "loop", "operation": "builtin:loop"}
        entries = [{**loop, "output": {"collection": ["a", "b"], "totalItems": 2}}]
        for number in (1, 2):
            send = {"status": "COMPLETED", "stepId": "send", "operation": "http"}
            entries.append({**send, "iteration": number, "input": {"to": number}})
            if with_audit and number == 2:
                audit = {"status": "COMPLETED", "stepId": "audit", "operation": "http"}
                entries.append({**audit, "iteration": 2})
        return entries

    await table.insert(
        run_row(run_id="GOOD1", started_at=BASE_TIME, steps_log=log(True)),
        run_row(run_id="NEW1", started_at=BASE_TIME + timedelta(minutes=5), steps_log=log(False)),
    )
    app = run_app(await open_store_for(table), "NEW1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        node = compare_screen(app).step_view.selected_node
        assert node is not None and [n.label for n in node.path] == [
            "loop",
            "iteration 2",
            "audit",
        ]
        lines = [line for line in tree_lines(app) if line.strip()]
        assert any(line.startswith("▼ -") and "loop" in line for line in lines)
        assert "    └── -   ✓ COMPLETED  audit  only in baseline" in lines
        assert "Only the baseline has this step." in changes_text(app)


async def test_identical_runs_say_so(table, open_store_for):
    log = [{"status": "COMPLETED", "stepId": "a", "operation": "http", "input": {"x": 1}}]
    await table.insert(
        run_row(run_id="GOOD1", started_at=BASE_TIME, steps_log=log),
        run_row(run_id="SAME1", started_at=BASE_TIME + timedelta(minutes=1), steps_log=log),
    )
    app = run_app(await open_store_for(table), "SAME1")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_comparison(pilot, app)
        assert "no differences: the runs did the same" in screen_text(app)
        assert tree_lines(app)[0].startswith("=   ✓ COMPLETED  a")
        assert "a\n=  same" in changes_text(app)
        await pilot.press("n")
        await settle(pilot, lambda: "No differences." in screen_text(app))


async def test_a_malformed_element_is_compared_whole(table, open_store_for):
    step = {"status": "COMPLETED", "stepId": "a", "operation": "http"}
    await table.insert(
        run_row(run_id="GOOD1", started_at=BASE_TIME, steps_log=[step, "garbage one"]),
        run_row(
            run_id="BAD1",
            started_at=BASE_TIME + timedelta(minutes=1),
            steps_log=[step, "garbage two"],
        ),
    )
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        await pilot.press("n")
        await settle(pilot, lambda: "Malformed entry" in changes_text(app))
        pane = changes_text(app)
        assert 'before "garbage one"' in pane and 'after  "garbage two"' in pane


async def test_no_baseline_says_so(table, open_store_for):
    _good, bad = publish_runs()
    await table.insert(bad)
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_comparison(pilot, app)
        text = screen_text(app)
        assert (
            "baseline none: no COMPLETED run of Publish Post in organisation org_a in the "
            "30 days before this one"
        ) in text
        assert "Press D to compare with a run you name" in text
        await pilot.press("n")
        await settle(pilot, lambda: "Nothing compared." in screen_text(app))


async def test_the_baseline_is_never_from_another_organisation(table, open_store_for):
    good, bad = publish_runs()
    elsewhere = {**good, "id": "other1", "run_id": "OTHER1", "organisation_id": "org_b"}
    elsewhere["started_at"] = BASE_TIME + timedelta(minutes=30)
    older = {**good, "id": "older1", "run_id": "OLDER1", "started_at": BASE_TIME}
    del good
    await table.insert(elsewhere, bad)
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        assert "baseline none: no COMPLETED run of Publish Post in organisation org_a" in (
            screen_text(app)
        )
        assert "OTHER1" not in screen_text(app)
    # With a good run in its own organisation too, that one is chosen, though older.
    await table.insert(older)
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        assert "baseline OLDER1: newest COMPLETED run of Publish Post" in screen_text(app)


async def test_under_org_a_run_of_another_organisation_cannot_be_named(table, open_store_for):
    good, bad = publish_runs()
    elsewhere = {**good, "id": "other1", "run_id": "OTHER1", "organisation_id": "org_b"}
    await table.insert(good, bad, elsewhere)
    store = await open_store_for(table, organisation_scope="org_a")
    app = run_app(store, "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        assert "baseline GOOD1: newest COMPLETED run" in screen_text(app)
        await pilot.press("D")
        await settle(pilot, lambda: "Compare with run" in screen_text(app))
        await pilot.press(*"OTHER1", "enter")
        await settle(pilot, lambda: "No run OTHER1 to compare with" in screen_text(app))
        assert "outside the organisation scope" in screen_text(app)


async def test_D_compares_with_a_run_named_by_its_id(table, open_store_for):
    good, bad = publish_runs()
    await table.insert(good, bad)
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        await pilot.press("D")
        await settle(pilot, lambda: "Compare with run" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: "Type a run id" in screen_text(app))
        await pilot.press(*"NOPE", "enter")
        await settle(pilot, lambda: "No run NOPE to compare with" in screen_text(app))
        await pilot.press("D")
        await settle(pilot, lambda: "Compare with run" in screen_text(app))
        await pilot.press(*"GOOD1", "enter")
        await settle(pilot, lambda: compared(app) and "chosen by hand" in screen_text(app))
        assert "baseline GOOD1: chosen by hand, an hour earlier" in screen_text(app)


async def test_the_palette_offers_both_comparisons_in_the_run_view(table, open_store_for):
    await table.insert(*publish_runs())
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("question_mark")
        await settle(pilot, lambda: "Compare with last good run" in screen_text(app))
        assert "Compare with run…" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunScreen))
        listed = await open_palette(pilot, "compare")
        assert "Compare with last good run  d" in listed
        assert "Compare with run…  D" in listed
        await pilot.press("enter")
        await settle(pilot, lambda: compared(app))


async def test_hostile_strings_are_shown_as_written(table, open_store_for):
    good, bad = publish_runs()
    bad["steps_log"][1]["input"]["platform"] = "[bold red]x[/]\x1b[2J"
    await table.insert(good, bad)
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        pane = changes_text(app)
        assert 'after  "[bold red]x[/]\\u001b[2J"' in pane
        assert '"[bold red]x[/]\\u001b[2J"' in screen_text(app)


def test_ghost_rows_sit_after_their_sibling_and_never_in_an_iteration_not_run():
    def log(items: list[str], extra: bool) -> list:
        loop = {"status": "COMPLETED", "stepId": "loop", "operation": "builtin:loop"}
        entries = [
            {"status": "COMPLETED", "stepId": "a", "operation": "http"},
            {**loop, "output": {"collection": items, "totalItems": len(items)}},
        ]
        for number, item in enumerate(items, start=1):
            entries.append(
                {
                    "status": "COMPLETED",
                    "stepId": "send",
                    "operation": "http",
                    "iteration": number,
                    "input": {"to": item},
                }
            )
        if extra:
            entries.insert(1, {"status": "COMPLETED", "stepId": "gone", "operation": "http"})
        return entries

    this = build_tree(log(["x", "y"], extra=False), run_status="COMPLETED")
    baseline = build_tree(log(["x", "y", "z"], extra=True), run_status="COMPLETED")
    rows = ghost_rows(compare_runs(this, baseline), this)
    # `gone` ran after `a` at the top level; iteration 3 never ran here, so its step has
    # no row (its loop carries the mark).
    assert [(row.parent_keys, row.after, row.node.label) for row in rows] == [
        ((), this.nodes[0].key, "gone")
    ]


@given(hs.text(max_size=300))
def test_a_typed_run_id_is_accepted_stripped_or_refused_with_a_reason(typed):
    run_id, problem = read_run_id(typed)
    if run_id is None:
        assert problem
    else:
        assert run_id == typed.strip() and run_id
        assert len(run_id) <= MAX_RUN_ID_CHARS
        assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in run_id)


async def test_a_big_run_fetches_an_alike_step_when_it_is_looked_at(
    table, open_store_for, monkeypatch
):
    # Every log counts as big, so both runs open as skeletons, as 100,000 entries would.
    monkeypatch.setattr("wflog_tui.store.run_loading.SKELETON_OVER_BYTES", 1)
    await table.insert(*big_publish_runs())
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        screen = compare_screen(app)
        assert screen.comparison is not None and screen.comparison.diff is not None
        this = screen.comparison.this.tree
        fifth = FIFTH_SEND
        # Alike by their shapes, the iterations stayed in the database.
        assert this.entries.is_pending(fifth)
        shape_only = screen.comparison.diff.shape_only
        assert shape_only > 0 and f"{shape_only} alike by their shape" in screen_text(app)
        keys = this.keys_of_entry(fifth)
        assert keys is not None
        screen.step_view.select_keys(keys)
        # Looked at, both entries are fetched and compared: the payloads differ after all.
        await settle(pilot, lambda: "input.n" in changes_text(app))
        pane = changes_text(app)
        assert "before 5" in pane and "after  50" in pane
        assert not this.entries.is_pending(fifth)
        await settle(pilot, lambda: any(line.startswith("│   └── i ") for line in tree_lines(app)))


async def test_a_difference_found_late_in_a_big_run_is_one_n_and_N_visit(
    table, open_store_for, monkeypatch
):
    monkeypatch.setattr("wflog_tui.store.run_loading.SKELETON_OVER_BYTES", 1)
    await table.insert(*big_publish_runs())
    app = run_app(await open_store_for(table), "BAD1")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_comparison(pilot, app)
        screen = compare_screen(app)
        assert screen.comparison is not None
        this = screen.comparison.this.tree
        view = screen.step_view
        assert "3 differing steps" in screen_text(app)
        fifth = this.keys_of_entry(FIFTH_SEND)
        assert fifth is not None
        view.select_keys(fifth)
        # Looked at, the fifth send differs after all: the header counts it.
        await settle(pilot, lambda: "4 differing steps" in screen_text(app))

        def at() -> str:
            node = view.selected_node
            return node.key if node is not None else ""

        post = this.keys_of_entry(len(this.entries) - 1)
        assert post is not None
        seen = [at()]
        for key in ("N", "n", "n", "n", "n"):
            await pilot.press(key)
            await settle(pilot, lambda: at() != seen[-1])
            seen.append(at())
        # From the fifth send, in run order both ways, wrapping round: it is one of them.
        format_message, trigger = this.nodes[1].key, this.nodes[0].key
        assert seen == [fifth[-1], format_message, fifth[-1], post[-1], trigger, format_message]
        toasts = [note.message for note in app._notifications]
        assert toasts[-4:-1] == [
            "Difference 3 of 4: send (input changed)",
            "Difference 4 of 4: post_to_network "
            "(status changed, input changed, output changed, much slower)",
            "Difference 1 of 4: trigger (output changed)",
        ]
        assert "17 alike by their shape" in screen_text(app)  # 18 before it was looked at


async def test_an_error_that_changed_is_marked_and_shown_as_logged(table, open_store_for):
    def log(message: str) -> list:
        error = {"message": message, "name": "SmtpError"}
        return [
            {"status": "COMPLETED", "stepId": "render", "operation": "http"},
            {"status": "FAILED", "stepId": "send", "operation": "http", "error": error},
        ]

    await table.insert(
        # A good run whose send failed once too, then a retry the bad run never reached.
        run_row(
            run_id="GOOD2",
            started_at=BASE_TIME,
            steps_log=[
                *log("SMTP timeout after 30012 ms"),
                {"status": "COMPLETED", "stepId": "send_again", "operation": "http"},
            ],
        ),
        run_row(
            run_id="BAD2",
            status="FAILED",
            started_at=BASE_TIME + timedelta(hours=1),
            steps_log=log("mailbox full: ada@example.com"),
        ),
    )
    app = run_app(await open_store_for(table), "BAD2")
    async with app.run_test(size=SIZE) as pilot:
        await open_comparison(pilot, app)
        text = screen_text(app)
        assert "first divergence: send — error changed" in text
        assert any(line.startswith("e ") and "send" in line for line in tree_lines(app))
        legend = str(compare_screen(app).query_one("#compare-legend").render())
        assert legend == "= same  e error  - only baseline"
        # The cursor lands on it; the pane shows both messages as the runs logged them.
        pane = changes_text(app)
        assert "e  error changed" in pane
        assert 'error.message\n    before "SMTP timeout after 30012 ms"' in pane
        assert 'after  "mailbox full: ada@example.com"' in pane
