""" "Switch profile" in the run list: choose a `[profiles.NAME]` of the configuration
file, reconnect in place with its DSN, scope and table, and reload the list.

The new store is opened before anything changes: a profile whose DSN variable is unset,
or whose server refuses, is one message and the session stays where it was. Once it is
open, the old store is closed, after the list's listener is given back and while no
query of the list is in flight (the list's query lock is held).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from wflog_tui.config_file import ConfigError, load_config, profile_store_settings
from wflog_tui.model.display_text import one_line
from wflog_tui.store import Store, StoreError, open_store
from wflog_tui.ui.app import WflogApp, wflog_app
from wflog_tui.ui.widgets.picker import Picker

if TYPE_CHECKING:
    from wflog_tui.ui.run_list.screen import RunListScreen


def _scope(link_scope: tuple[str, ...], profile: str) -> tuple[str, ...]:
    """What links carry after the switch: the same `--config`, and the new profile."""
    config = tuple(part for part in link_scope if part.startswith("--config="))
    return (*config, f"--profile={profile}")


async def switch_profile(screen: RunListScreen) -> str | None:
    """Offer the file's profiles; reconnect to the one chosen and reload the list.
    The profile switched to, or None (nothing chosen, or why not said)."""
    app = wflog_app(screen)
    config = app.config
    try:
        file = load_config(config.config_path)
    except ConfigError as error:
        screen.notify(str(error), title="Switch profile", severity="error", markup=False)
        return None
    names = list(file.profiles)
    if not names:
        where = file.path or "the configuration file"
        screen.notify(f"No [profiles.NAME] in {where}", title="Switch profile", markup=False)
        return None
    choice = await app.push_screen_wait(
        Picker("Switch profile", names, config.profile, clearable=False)
    )
    if not choice:
        return None
    try:
        settings = profile_store_settings(file, choice, os.environ)
        store = await open_store(settings)
    except ConfigError as error:
        screen.notify(str(error), title="Switch profile", severity="error", markup=False)
        return None
    except StoreError as error:
        message = f"Profile {one_line(choice, 60)}: {one_line(error.message, 300)}"
        screen.notify(message, title="Switch profile", severity="error", markup=False)
        return None
    profile = file.profiles[choice]
    async with screen.live.lock:
        feed = screen.feed
        if feed.listener is not None:
            listener, feed.listener = feed.listener, None
            await listener.stop()
        old, app.store = app.store, store
        config.profile = choice
        config.profile_warning = bool(profile.get("warning", False))
        config.dashboard_url = profile.get("dashboard_url")
        config.link_scope = _scope(config.link_scope, choice)
        config.config_path = file.path
        config.run_filter = replace(screen.run_filter, organisation=settings.organisation_scope)
    _close_later(app, old)
    app.notify(f"Profile {one_line(choice, 60)}: {store.info.display_name}", markup=False)
    # A fresh list: its counts, rows, listener and hints are the new database's.
    app.show_run_list()
    return choice


def _close_later(app: WflogApp, store: Store) -> None:
    """Close `store` in a worker of the app: the list's worker that switched is cancelled
    with the list it replaces."""

    async def close() -> None:
        await store.close()

    app.run_worker(close, group="profile-close")
