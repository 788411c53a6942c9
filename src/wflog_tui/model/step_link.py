"""A link to one step of one run: the command line that reopens it, and finding the step.

A link is a command line, not a URL: `wflog-tui --profile prod --run=… --step=… --tab=…`.
Every part is `shlex.quote`d and every value is written as `--option=value`, so an id that
starts with `-`, or holds spaces, quotes, `$(…)` or `;`, comes back from the shell as the
same single argument and is never read as another option.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from wflog_tui.model.display_text import escape_control

if TYPE_CHECKING:
    # Types only: the command line imports this module (for `TABS`) before its first query.
    from wflog_tui.model.step_tree import StepNode, StepTree

PROGRAM: Final = "wflog-tui"
TABS: Final = ("data-flow", "input", "output", "error", "timing", "raw", "run-input")
"""The run view's detail tabs, as `--tab` takes them."""


@dataclass(frozen=True, slots=True)
class StepLink:
    """Where to open: a run, and optionally a step in it, an iteration and a tab."""

    run_id: str
    step_id: str | None = None
    iteration: int | None = None
    tab: str | None = None


def link_run_id(run_id: str, row_id: str | None = None) -> str:
    """The id a link should name the run by: its run id, or its row id (`--run` takes
    either) when the run id holds a character that is shown escaped, so the link can be
    both visible as it is and exact. With neither plain, the run id (shown escaped).
    """
    for candidate in (run_id, row_id):
        if candidate and escape_control(candidate) == candidate:
            return candidate
    return run_id


def link_problem(link: StepLink) -> str | None:
    """What is wrong with `link` as a command line asks for it, or None.

    `--step`, `--iteration` and `--tab` only make sense with `--run`, and `--iteration`
    only with `--step`; a tab must be one of `TABS`; an iteration counts from 1.
    """
    if not link.run_id.strip():
        return "--run RUN_ID is empty"
    if link.step_id is not None and not link.step_id.strip():
        return "--step STEP_ID is empty"
    if link.iteration is not None:
        if link.step_id is None:
            return "--iteration needs --step"
        if link.iteration < 1:
            return f"--iteration counts from 1; got {link.iteration}"
    if link.tab is not None and link.tab not in TABS:
        return f"--tab takes one of {', '.join(TABS)}"
    return None


def scope_arguments(
    *,
    profile: str | None = None,
    config: str | None = None,
    org: str | None = None,
    table: str | None = None,
) -> tuple[str, ...]:
    """The options a link carries so it reopens where it was found: the configuration
    file when one was named, and the profile, or with no profile the organisation scope
    and table. The DSN never: it may hold a password, and the reader has their own way in.
    """
    scope = [f"--config={config}"] if config is not None else []
    if profile is not None:
        scope.append(f"--profile={profile}")
    else:
        if org is not None:
            scope.append(f"--org={org}")
        if table is not None:
            scope.append(f"--table={table}")
    return tuple(scope)


def reopen_argv(link: StepLink, scope: Sequence[str] = ()) -> list[str]:
    """The arguments (program first) that reopen `link`, with `scope_arguments`."""
    argv = [PROGRAM, *scope, f"--run={link.run_id}"]
    if link.step_id is not None:
        argv.append(f"--step={link.step_id}")
    if link.iteration is not None:
        argv.append(f"--iteration={link.iteration}")
    if link.tab is not None:
        argv.append(f"--tab={link.tab}")
    return argv


def command_line(argv: Sequence[str]) -> str:
    """`argv` as one line a POSIX shell splits back into exactly `argv`."""
    return " ".join(shlex.quote(part) for part in argv)


def dashboard_link(template: str, run_id: str) -> str:
    """A profile's `dashboard_url` with `{run_id}` filled in, the id percent-encoded.

    Only `{run_id}` is replaced (not `str.format`), so braces elsewhere in the URL and in
    the id are left alone and an id cannot add a path, query or fragment.
    """
    return template.replace("{run_id}", quote(run_id, safe=""))


@dataclass(frozen=True, slots=True)
class Landing:
    """Where a link lands: the node, and a note when the step or iteration was missing."""

    node: StepNode | None
    note: str | None = None


def _first_failure(tree: StepTree) -> StepNode | None:
    for failure in tree.failures:
        node = tree.find(failure.keys)
        if node is not None:
            return node
    return None


def locate_step(tree: StepTree, step_id: str, iteration: int | None = None) -> Landing:
    """The node of `step_id` (in `iteration`, when given) in `tree`.

    Without an iteration, the first entry of the step; with one, the entry of that
    iteration, falling back to the step's first entry with a note when the iteration did
    not run it. A step the run does not hold lands on the run's first failure (None when it
    has none) with a note saying so. Reads the entries' facts only, so a big run's
    skeleton is not parsed.
    """
    first: int | None = None
    for index, facts in enumerate(tree.facts):
        if facts is None or facts[0] != step_id:
            continue
        if first is None:
            first = index
        if iteration is None or facts[2] == iteration:
            node = tree.node_of_entry(index)
            if node is not None:
                return Landing(node)
    if first is None:
        return Landing(_first_failure(tree), "this run has no step with that id")
    node = tree.node_of_entry(first)
    if node is None or iteration is None:
        return Landing(_first_failure(tree), "the step cannot be shown")
    return Landing(node, f"the step did not run in iteration {iteration:,}")
