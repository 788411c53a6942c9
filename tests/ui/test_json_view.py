"""JsonView as a reader meets it: open a value, move, expand, jump, copy, and read the screen."""

from __future__ import annotations

import orjson
from rich.style import Style

from tests.ui.json_app import JsonApp
from wflog_tui.model.provenance import format_path
from wflog_tui.ui.widgets.json_view import JsonView

SMALL = {
    "channel": "email",
    "recipients": [{"email": "a@example.com"}, {"email": "b@example.com"}, {"email": "c@x.io"}],
    "attempt": 3,
    "ratio": 0.25,
    "urgent": True,
    "cancelled": False,
    "note": None,
    "weird key": "x",
    "empty": {},
}


def labels(node) -> list[str]:
    return [child.label.plain for child in node.children]


def screen_lines(view: JsonView) -> list[str]:
    """The text of every row the view shows now."""
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


async def test_labels_show_keys_values_and_container_sizes() -> None:
    app = JsonApp(SMALL)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        assert view.root.label.plain == "input {…} 9 keys"
        assert labels(view.root) == [
            'channel: "email"',
            "recipients […] 3 items",
            "attempt: 3",
            "ratio: 0.25",
            "urgent: true",
            "cancelled: false",
            "note: null",
            'weird key: "x"',
            "empty {}",
        ]
        rows = screen_lines(view)
        assert rows[0] == "▼ input {…} 9 keys"
        assert "├── ▶ recipients […] 3 items" in rows
        # Only the first level exists until the reader opens more.
        assert len(view.root.children[1].children) == 0


async def test_keys_and_each_kind_of_value_are_styled_differently() -> None:
    app = JsonApp(SMALL)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()

        def colours(index: int) -> tuple:
            """The style of the first (key) and last (value) character of a child's label."""
            rendered = view.render_label(view.root.children[index], Style(), Style())
            first = rendered.get_style_at_offset(app.console, 0)
            last = rendered.get_style_at_offset(app.console, len(rendered) - 1)
            return first, last

        key, string = colours(0)
        _, number = colours(2)
        _, boolean = colours(4)
        _, null = colours(6)
        assert len({key, string, number, boolean, null}) == 5


async def test_markup_and_escape_sequences_are_shown_literally() -> None:
    value = {
        "markup": "[bold]x[/] [link=http://e]click[/link]",
        "terminal": "\x1b[2J\x07 \u202eevil\u200b",
        "\x1b]8;;key": 1,
    }
    app = JsonApp(value)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        markup, terminal, key = labels(view.root)
        assert markup == 'markup: "[bold]x[/] [link=http://e]click[/link]"'
        assert terminal == 'terminal: "\\x1b[2J\\x07 \\u202eevil\\u200b"'
        assert key == "\\x1b]8;;key: 1"
        shown = "\n".join(screen_lines(view))
        assert "[link=http://e]click[/link]" in shown
        assert "\\x1b[2J" in shown
        assert not any(char in shown for char in "\x1b\x07\u202e\u200b")


async def test_a_huge_array_opens_one_page_and_loads_the_next_on_enter() -> None:
    app = JsonApp({"ids": list(range(100_000))})
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.press("down", "enter")
        await pilot.pause()
        ids = view.root.children[0]
        assert len(ids.children) == 101
        assert ids.children[-1].label.plain == "… 99,900 more — enter to show 100 more"

        await pilot.press("end", "enter")
        await pilot.pause()
        assert len(ids.children) == 201
        assert ids.children[100].label.plain == "[100]: 100"
        assert ids.children[-1].label.plain == "… 99,800 more — enter to show 100 more"
        # The cursor lands on the first newly shown item, ready to read on.
        assert view.selected_path == ("ids", 100)
        assert app.paths[-1] == ("ids", 100)


async def test_select_path_in_a_big_array_loads_only_the_page_it_needs() -> None:
    app = JsonApp({"items": [{"i": n} for n in range(5_000)]})
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        assert view.select_path(("items", 4_811, "i"))
        await pilot.pause()
        assert view.selected_path == ("items", 4_811, "i")
        items = view.root.children[0]
        assert len(items.children) <= 202
        assert "… 4,700 more (items 100–4,799) — enter to show 100 more" in labels(items)
        assert any(row.endswith("└── i: 4811") for row in screen_lines(view))
        assert app.paths[-1] == ("items", 4_811, "i")

        assert not view.select_path(("items", 5_000))
        assert not view.select_path(("items", "x"))
        assert not view.select_path(("nope",))
        assert view.selected_path == ("items", 4_811, "i")


async def test_select_path_reaches_900_levels_down() -> None:
    deep: dict = {"leaf": 1}
    for _ in range(900):
        deep = {"a": deep}
    app = JsonApp(deep)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        path = ("a",) * 900 + ("leaf",)
        assert view.select_path(path)
        await pilot.pause()
        assert view.selected_path == path
        assert view.cursor_node is not None
        assert view.cursor_node.label.plain == "leaf: 1"
        assert any(row.endswith("leaf: 1") for row in screen_lines(view))

        # Deeper than orjson will write; the copy still comes out whole.
        await pilot.press("home", "y")
        assert orjson.loads(app.clipboard) == deep

        await pilot.press("E")
        await pilot.pause()
        assert view.last_line == 0


async def test_a_five_megabyte_string_is_cut_and_opens_in_chunks() -> None:
    body = ("x" * 10_000 + "\n") * 500
    app = JsonApp({"body": body})
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        (label,) = labels(view.root)
        assert label.startswith('body: "xxxx')
        assert label.endswith('…" (5.0 MB, 501 lines)')
        assert len(label) < 260

        await pilot.press("down", "enter")
        await pilot.pause()
        chunks = labels(view.root.children[0])
        assert len(chunks) == 101
        # Lines of 10,000 characters come as 4,096-character pieces, numbered by line.
        assert chunks[0] == "    1 " + "x" * 4_096
        assert chunks[1] == "    ↪ " + "x" * 4_096
        assert chunks[2] == "    ↪ " + "x" * 1_808
        assert chunks[3].startswith("    2 x")
        assert chunks[-1].startswith("… 4,666,371 more characters")

        await pilot.press("down", "y")
        assert app.clipboard == "x" * 4_096
        assert app.notices[-1] == "Copied line 1 of input.body (4,096 chars)"


async def test_copy_value_and_path() -> None:
    app = JsonApp(SMALL)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.press("down", "y")
        assert app.clipboard == "email"
        assert app.notices[-1] == "Copied input.channel (5 chars)"
        await pilot.press("Y")
        assert app.clipboard == "input.channel"

        assert view.select_path(("recipients", 2, "email"))
        await pilot.press("Y")
        assert app.clipboard == "input.recipients[2].email"

        assert view.select_path(("recipients",))
        await pilot.press("y")
        assert orjson.loads(app.clipboard) == SMALL["recipients"]

        assert view.select_path(("weird key",))
        await pilot.press("Y")
        assert app.clipboard == 'input["weird key"]'
        await pilot.press("home", "y")
        assert orjson.loads(app.clipboard) == SMALL


async def test_copying_a_huge_value_says_how_big_it_is() -> None:
    app = JsonApp({"blob": "z" * 2_000_000})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "y")
        assert len(app.clipboard) == 2_000_000
        assert app.notices[-1].startswith("Copied input.blob (2,000,000 chars, 2.0 MB).")


async def test_expand_all_is_bounded_and_collapse_all_closes_everything() -> None:
    app = JsonApp({"rows": [[{"n": n}] * 20 for n in range(5_000)], "flag": True})
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        rows = view.root.children[0]
        assert rows.is_expanded
        assert rows.children[0].is_expanded
        assert not rows.children[-2].is_expanded
        assert view.last_line < JsonView.EXPAND_ALL_LIMIT + JsonView.PAGE_SIZE + 5
        assert "Stopped expanding" in app.notices[-1]

        await pilot.press("E")
        await pilot.pause()
        assert view.last_line == 0
        assert not rows.is_expanded and not rows.children[0].is_expanded


async def test_set_value_replaces_the_tree() -> None:
    app = JsonApp(SMALL)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(JsonView)
        view.set_value([1, "two"], root_label="output")
        await pilot.pause()
        assert view.root.label.plain == "output […] 2 items"
        assert labels(view.root) == ["[0]: 1", '[1]: "two"']
        assert view.selected_path == ()
        view.set_value("plain")
        await pilot.pause()
        assert view.root.label.plain == 'output: "plain"'


def test_format_path_quotes_keys_that_are_not_identifiers() -> None:
    assert format_path("input", ()) == "input"
    assert format_path("input", ("recipients", 2, "email")) == "input.recipients[2].email"
    assert format_path("output", ("weird key", 0, "a-b")) == 'output["weird key"][0]["a-b"]'
    assert format_path("input", ('say "hi"',)) == 'input["say \\"hi\\""]'
    assert format_path("input", ("$ref", "é", "0x", "_a1")) == 'input.$ref["é"]["0x"]._a1'


def test_snapshot_of_a_small_value(snap_compare) -> None:
    app = JsonApp(SMALL, footer=True)

    async def open_recipients(pilot) -> None:
        view = pilot.app.query_one(JsonView)
        view.select_path(("recipients", 1, "email"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(70, 18), run_before=open_recipients)
