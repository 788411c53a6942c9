"""What a step node is called: the name people read and the stepId developers grep for.

The `stepId` is what the workflow JSON and every `!ref(step_id.output…)` expression use,
while the label is the step's `stepName`/`name`; a node shows both wherever they differ,
so that "Notify Sales Channel" can be found as `action_slack_notify`.
"""

from __future__ import annotations

from dataclasses import dataclass

from wflog_tui.model.display_text import one_line
from wflog_tui.model.step_tree import NodeKind, StepNode

# Iterations and attempts are named after their number; their step's node carries the id.
_NAMED_BY_STEP = frozenset({NodeKind.TRIGGER, NodeKind.STEP, NodeKind.LOOP})


@dataclass(frozen=True, slots=True)
class LabelParts:
    """A node's label as the data gives it (raw, to be escaped by whoever shows it).

    `step_id` is None when the node has no stepId of its own or it reads the same as `name`
    (ignoring case, spaces and punctuation).
    """

    name: str
    step_id: str | None = None

    def text(self, limit: int | None = None) -> str:
        """`name (step_id)`, or the name alone; each cut to `limit` and escaped to one line."""
        if self.step_id is None:
            return one_line(self.name, limit)
        return f"{one_line(self.name, limit)} ({one_line(self.step_id, limit)})"


def label_parts(node: StepNode) -> LabelParts:
    """The node's name and, where it differs from the name, its stepId.

    For the step tree's label (the id dimmed), the detail pane's header and `show`.
    """
    entry = node.entry if node.kind in _NAMED_BY_STEP else None
    step_id = entry.step_id if entry is not None else None
    if step_id is None or _folded(step_id) == _folded(node.label):
        return LabelParts(node.label)
    return LabelParts(node.label, step_id)


def _folded(name: str) -> str:
    # "Fetch" and "fetch", "send_email" and "Send Email" read the same: repeating the id
    # there is noise, and either spelling finds the other with a case-blind grep.
    return "".join(c for c in name.casefold() if c.isalnum())
