"""Doctor's checks of a partitioned table: by what it is partitioned, whether partitions
exist for the days ahead, and whether each partition has the recommended indexes.

Reading the partitions is `partitions.read_partitioning`'s job; this module judges what
it read. It also names the partitions on the writer, so that `query_cost_checks` counts a
sequential scan of one of them as a finding, as it would of the table.
"""

from __future__ import annotations

from wflog_tui.store.doctor_report import ReportWriter
from wflog_tui.store.indexes import finder, recommended
from wflog_tui.store.partitions import PARTITION_HORIZON, Partitioning, partition_table_info
from wflog_tui.store.schema import TableInfo


def check_partitions(writer: ReportWriter, info: TableInfo, partitioning: Partitioning) -> None:
    """Add the partition checks, and list the partitions on the report."""
    parts = partitioning.partitions
    writer.report.partitions = [f"{p.name}  {p.bound}" for p in parts]
    writer.relations.update(p.name for p in parts)
    detail = f"{len(parts)} partitions, by {partitioning.key or 'an unknown key'}"
    if not partitioning.by_started_at:
        writer.add(
            "partitions",
            False,
            f"{detail}: not by a range of started_at, so the time window cannot skip "
            "any partition; every query reads them all",
        )
        return
    writer.add("partitions", bool(parts), detail + ("" if parts else ": none"))

    gap = partitioning.uncovered_from()
    ahead = f"the next {PARTITION_HORIZON.days} days"
    if gap is None:
        writer.add("partitions ahead", True, f"partitions exist for {ahead}")
    else:
        when = gap.strftime("%Y-%m-%d %H:%M UTC")
        default = partitioning.default
        if default is not None:
            detail = (
                f"no partition for runs started from {when} on: they will go to the "
                f"default partition {default.name}, and a partition for that time "
                "cannot be made later while they are there"
            )
        else:
            detail = (
                f"no partition for runs started from {when} on: the platform's "
                "inserts will fail from then"
            )
        writer.add(
            "partitions ahead",
            False,
            detail,
            f"create the partitions for {ahead} (or fix the job that makes them)",
        )

    lacking: list[str] = []
    unindexable = [p.name for p in parts if not p.indexable]
    for wanted in recommended(info):
        without = [
            p.name
            for p in parts
            if p.indexable and finder(wanted.check)(partition_table_info(info, p)) is None
        ]
        if without and len(without) == len(parts) - len(unindexable) > 1:
            lacking.append(f"{wanted.check.removeprefix('index: ')}: all {len(without)}")
        elif without:
            lacking.append(f"{wanted.check.removeprefix('index: ')}: {', '.join(without)}")
    if lacking:
        writer.add(
            "partition indexes",
            False,
            "partitions without a recommended index (" + "; ".join(lacking) + ")",
            "create the missing indexes (below)",
        )
    else:
        writer.add("partition indexes", True, "every partition has the recommended indexes")
    if unindexable:
        writer.add(
            "partition kinds",
            None,
            f"{', '.join(unindexable)}: partitioned again or foreign; index them by hand",
        )
