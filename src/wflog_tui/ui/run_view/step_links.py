"""Links to a step in the run view: landing where `--run … --step … --tab …` asked,
"Copy link to this step", and "Open in dashboard".

A link is a command line (`model.step_link`), copied over OSC 52 so it works over SSH;
the dashboard's URL is copied and shown, never opened: the tool may run on a server
with no browser, and starting one there would do nothing the reader could see.
"""

from __future__ import annotations

from textual.screen import Screen

from wflog_tui.model.clipboard_text import copy_text
from wflog_tui.model.display_text import one_line
from wflog_tui.model.run import RunSummary
from wflog_tui.model.step_link import (
    Landing,
    StepLink,
    command_line,
    dashboard_link,
    link_run_id,
    locate_step,
    reopen_argv,
)
from wflog_tui.model.step_tree import StepNode, StepTree
from wflog_tui.ui.config import AppConfig


def link_landing(tree: StepTree, link: StepLink | None, run_id: str) -> Landing | None:
    """Where the run `run_id` opens when the command line named one of its steps; None
    when it named none (the view lands on the first failure as usual)."""
    if link is None or link.step_id is None or link.run_id != run_id:
        return None
    return locate_step(tree, link.step_id, link.iteration)


def step_link(config: AppConfig, run: RunSummary, node: StepNode | None, tab: str) -> str:
    """The command line that reopens `run` on `node` (its step id and iteration) and on
    the detail pane's `tab`, carrying the session's `--profile` (or scope), never the DSN.
    A node that is no step (an iteration, a malformed element) links to the run alone."""
    entry = node.entry if node is not None else None
    step_id = entry.step_id if entry is not None else None
    iteration = None
    if step_id is not None and node is not None:
        iteration = node.iteration if node.iteration is not None else entry.iteration
    link = StepLink(link_run_id(run.run_id, run.id), step_id, iteration, tab)
    return command_line(reopen_argv(link, config.link_scope))


def copy_step_link(
    screen: Screen, config: AppConfig, run: RunSummary, node: StepNode | None, tab: str
) -> str:
    """Copy `step_link` to the clipboard, say so, and return it."""
    text = step_link(config, run, node, tab)
    # The link is quoted for the shell already; copy_text only escapes what no shell
    # line should hold raw (a control character in an id), as every copy does.
    screen.app.copy_to_clipboard(copy_text(text))
    screen.notify(f"Copied a link to this step: {one_line(text, 200)}", markup=False)
    return text


def show_dashboard_link(screen: Screen, config: AppConfig, run: RunSummary) -> str | None:
    """Copy the run's dashboard URL and show it (long enough to read or select); None,
    saying why, when the profile names no `dashboard_url`."""
    if not config.dashboard_url:
        screen.notify(
            "No dashboard_url in this profile (see the README's Configuration).", markup=False
        )
        return None
    url = dashboard_link(config.dashboard_url, run.run_id)
    screen.app.copy_to_clipboard(url)
    screen.notify(f"Copied the dashboard link: {one_line(url, 300)}", markup=False, timeout=20)
    return url
