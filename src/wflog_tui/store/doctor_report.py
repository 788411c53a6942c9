"""What `wflog-tui doctor` hands back: its checks, the report as text or JSON, and the
writer the checks add to.

The check modules (`server_checks`, `table_checks`, `partition_checks`, `index_checks`,
`query_cost_checks`, `push_check`) each add their lines through one `ReportWriter`, which
masks every text against the DSN, so no check can leak a password; `doctor.py` runs them
in order. `render_text` escapes control characters, because names and messages come from
the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wflog_tui.model.display_text import escape_control
from wflog_tui.store.connection import StoreSettings
from wflog_tui.store.dsn import mask_secrets

# Words for `Check.ok`; plain words, so the report reads the same without colour.
OK, WARN, FAIL, INFO = "ok", "warn", "FAIL", "info"
# The check whose fix (the trigger SQL) is printed in a block of its own at the end.
PUSH_CHECK = "push refresh"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report.

    `ok` is True (fine), False (something to fix) or None (information, or not
    applicable). `fix` is what to do, possibly several lines of SQL. `blocking` marks a
    failure that keeps the TUI from starting at all.
    """

    name: str
    ok: bool | None
    detail: str
    fix: str | None = None
    blocking: bool = False

    @property
    def status(self) -> str:
        """`ok`, `warn`, `FAIL` (blocking) or `info`."""
        if self.ok is None:
            return INFO
        if self.ok:
            return OK
        return FAIL if self.blocking else WARN

    def to_json(self) -> dict[str, Any]:
        """The check as plain JSON values."""
        return {
            "name": self.name,
            "status": self.status,
            "ok": self.ok,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass
class DoctorReport:
    """Everything `diagnose` found. No field holds a password."""

    target: str
    table: str
    checks: list[Check] = field(default_factory=list)
    index_statements: list[str] = field(default_factory=list)
    trigger_sql: str | None = None
    # A partitioned table's partitions, one line each: name and bound.
    partitions: list[str] = field(default_factory=list)

    @property
    def fatal(self) -> str | None:
        """The first blocking failure's message (one line, for stderr); None if none."""
        return next((c.detail for c in self.checks if c.blocking and c.ok is False), None)

    @property
    def exit_code(self) -> int:
        """2 when the TUI could not start here (unreachable, no table...), else 0."""
        return 2 if self.fatal is not None else 0

    @property
    def problems(self) -> list[Check]:
        """The checks that found something to fix."""
        return [c for c in self.checks if c.ok is False]

    def check(self, name: str) -> Check | None:
        """The check called `name`, if it ran."""
        return next((c for c in self.checks if c.name == name), None)

    def render_text(self) -> str:
        """The report as plain text: one line per check, fixes indented below."""
        # Names and messages come from the database: escape control characters, so a
        # table name cannot drive the terminal it is printed on.
        width = max((len(c.name) for c in self.checks), default=0)
        lines = [escape_control(f"wflog-tui doctor: {self.table} at {self.target}"), ""]
        for check in self.checks:
            lines.append(
                f"{check.status:<4}  {check.name:<{width}}  {escape_control(check.detail)}"
            )
            if check.fix and check not in self._fixes_below():
                pad = " " * (6 + width + 2)
                for i, fix_line in enumerate(check.fix.splitlines()):
                    fix_line = escape_control(fix_line)
                    lines.append(f"{pad}{'fix: ' if i == 0 else '     '}{fix_line}")
        lines.append("")
        problems = len(self.problems)
        lines.append(
            "no problems found." if not problems else f"{problems} to fix (marked warn or FAIL)."
        )
        if self.partitions:
            lines += ["", f"Partitions ({len(self.partitions)}):", ""]
            lines += [escape_control(line) for line in self.partitions]
        if self.index_statements:
            lines += [
                "",
                "Missing indexes. Run these as the table's owner, one at a time, outside a",
                "transaction: CONCURRENTLY does not block the platform's writes, but takes a",
                "while on a big table.",
            ]
            if self.partitions:
                lines += [
                    "A partitioned table: each partition's index first, then the table's",
                    "own ON ONLY (instant), then each partition's index attached to it.",
                ]
            lines.append("")
            lines += [escape_control(f"{statement};") for statement in self.index_statements]
        push = self.check(PUSH_CHECK)
        if push is not None and push.fix:
            lines += ["", "Push refresh: the trigger a DBA can install.", ""]
            lines.append(escape_control(push.fix.rstrip("\n"), keep_newlines=True))
        lines += ["", "doctor only reads: it changed nothing in the database."]
        return "\n".join(lines) + "\n"

    def _fixes_below(self) -> list[Check]:
        """Checks whose fix is printed in a block of its own at the end."""
        return [c for c in self.checks if c.name.startswith("index:") or c.name == PUSH_CHECK]

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON values, for `doctor --json` and scripts."""
        return {
            "target": self.target,
            "table": self.table,
            "exit_code": self.exit_code,
            "fatal": self.fatal,
            "checks": [c.to_json() for c in self.checks],
            "index_statements": list(self.index_statements),
            "trigger_sql": self.trigger_sql,
            "partitions": list(self.partitions),
        }


@dataclass
class ReportWriter:
    """The report being written, and what one check learns that a later one needs.

    `big` says whether a sequential scan of the table is a finding (set from the row
    estimate or, before the first ANALYZE, the size on disk); `relations` are the
    relations whose sequential scan counts: the table, or each of its partitions (a
    missing index there reads whole days of runs).
    """

    settings: StoreSettings
    report: DoctorReport
    big: bool = True
    relations: set[str] = field(default_factory=set)

    def add(
        self,
        name: str,
        ok: bool | None,
        detail: str,
        fix: str | None = None,
        *,
        blocking: bool = False,
    ) -> None:
        """Append a check, password-free."""
        dsn = self.settings.dsn
        self.report.checks.append(
            Check(
                name=name,
                ok=ok,
                detail=mask_secrets(detail, dsn),
                fix=None if fix is None else mask_secrets(fix, dsn),
                blocking=blocking,
            )
        )
