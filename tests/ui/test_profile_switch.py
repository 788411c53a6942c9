"""The profile in the header, and "Switch profile" (P) reconnecting in place: a config
file of two profiles on two tables, and one whose DSN variable is unset."""

from __future__ import annotations

from tests.ui.harness import list_app, recent, run_ids, screen_text, settle
from wflog_tui.ui.widgets.profile_badge import ProfileBadge


def _notes(app) -> str:
    return "\n".join(n.message for n in app._notifications)


def _badge(app) -> ProfileBadge:
    return app.screen.query_one(ProfileBadge)


async def test_switch_profile_reconnects_to_the_other_table(
    make_table, open_store_for, tmp_path, pg_dsn, monkeypatch
):
    first, second = await make_table(), await make_table()
    await first.insert(recent(1, run_id="01FIRST"))
    await second.insert(recent(1, run_id="01SECOND", organisation_id="org_b"))
    await second.insert(recent(2, run_id="01HIDDEN", organisation_id="org_other"))
    monkeypatch.delenv("WFLOG_TEST_NOT_SET", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[profiles.one]\ndsn = "{pg_dsn}"\ntable = "{first.name}"\n\n'
        f'[profiles.two]\ndsn = "{pg_dsn}"\ntable = "{second.name}"\norg = "org_b"\n'
        'warning = true\ndashboard_url = "https://dash/{run_id}"\n\n'
        '[profiles.three]\ndsn_env = "WFLOG_TEST_NOT_SET"\n'
    )
    path.chmod(0o600)  # the test server's DSN may hold a password
    store = await open_store_for(first)
    app = list_app(store, profile="one", config_path=path, notify_channel=None)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot, lambda: run_ids(app) == ["01FIRST"])
        assert screen_text(app).splitlines()[0].strip() == "profile one"
        assert not _badge(app).has_class("-warning")
        await pilot.press("P")
        await settle(pilot, lambda: "Switch profile" in screen_text(app))
        assert "(any)" not in screen_text(app)  # a session always has a profile
        await pilot.press("down", "enter")  # from "one" to "two"
        # The other table, within profile two's organisation.
        await settle(pilot, lambda: run_ids(app) == ["01SECOND"])
        assert screen_text(app).splitlines()[0].strip() == "profile two"
        assert _badge(app).has_class("-warning")
        assert app.config.dashboard_url == "https://dash/{run_id}"
        assert app.config.link_scope == ("--profile=two",)
        assert app.store is not store
        # A profile whose DSN variable is unset: one message, and the session stays.
        await pilot.press("P")
        await settle(pilot, lambda: "Switch profile" in screen_text(app))
        await pilot.press("down", "enter")
        await settle(pilot, lambda: "WFLOG_TEST_NOT_SET, which is not set" in _notes(app))
        assert run_ids(app) == ["01SECOND"]
        assert app.config.profile == "two"
        switched = app.store
    await switched.close()


async def test_without_a_profile_there_is_no_badge(table, open_store_for):
    await table.insert(recent(1, run_id="01A"))
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, lambda: run_ids(app) == ["01A"])
        assert not _badge(app).display
        assert "profile" not in screen_text(app).splitlines()[0]
