"""Which documents share a run: the fixed cost of a run (a fresh process, the code location
import, the spaCy model load, Dagster's bookkeeping) is seconds, so documents go through the
per-document stages several at a time.

A run covers a *range* of the `documents` partitions (Dagster's partition range tags), and a range
is every partition between its ends in the order they were added, so a run may only cover owed
documents that lie next to each other in that order. Runs are also cut so that a small batch is
spread over as many runs as the machine has cores (each run uses one core, OCR apart), and no run
holds more than `max_per_run` documents (a failure re-queues at most that many; see
`failures.py`).
"""

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import dagster as dg

from docassets.defs.partitions import DOCUMENTS
from docassets.distributed import RUN_PRIORITY, RUN_PRIORITY_TAG
from docassets.storage.registry import DocumentRecord

T = TypeVar("T")
# The run tags by which Dagster reads a run's partition or partition range (its documented way to
# launch a run over a range; stored with every run, so they do not change between releases).
PARTITION_NAME_TAG = "dagster/partition"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PRIORITY_TAG = {"high": "10", "normal": "0", "low": "-10"}  # dagster/priority: higher runs first
LANE_TAG = "docassets/lane"
FILE_TAG = "docassets/file"  # the run's file name (the first one's, and how many more), for the Runs page


@dataclass(frozen=True)
class PlannedRun:
    """Documents lying next to each other in partition order, with the same priority, project and batch."""

    records: tuple[DocumentRecord, ...]
    lane: str = "small"

    @property
    def document_ids(self) -> list[str]:
        return [record.document_id for record in self.records]

    def run_request(self) -> dg.RunRequest:
        first, last = self.records[0], self.records[-1]
        owed = "|".join(f"{r.document_id}@{r.owed_at.isoformat()}" for r in self.records)
        tags = {
            "dagster/priority": PRIORITY_TAG[first.priority],
            RUN_PRIORITY_TAG: RUN_PRIORITY[first.priority],  # on Celery: added to each step's priority
            "docassets/project": first.project,
            "docassets/documents": str(len(self.records)),
            FILE_TAG: first.file_name
            + (f" and {len(self.records) - 1} more" if len(self.records) > 1 else ""),
            LANE_TAG: self.lane,
            **({"docassets/batch": first.batch_id} if first.batch_id else {}),
        }
        if len(self.records) == 1:
            return dg.RunRequest(partition_key=first.document_id, run_key=owed, tags=tags)
        # The run key identifies the runs owed: a repeated tick requests nothing twice.
        return dg.RunRequest(
            run_key=f"{first.document_id}..{last.document_id}#{hashlib.sha256(owed.encode()).hexdigest()[:16]}",
            tags={**tags, **partition_tags(self.document_ids)},
        )


def plan_runs(
    owed: Sequence[DocumentRecord],
    existing: Sequence[str],
    *,
    max_per_run: int,
    spread: int,
    large_bytes: int | None = None,
) -> tuple[list[str], list[PlannedRun]]:
    """The partitions to add (in this order, after `existing`) and the runs that cover `owed`.

    `existing` is the current partition order. New documents are added grouped, so that each
    group's documents lie together. Documents of at least `large_bytes` run one per run.
    """

    def lane(record: DocumentRecord) -> str:
        return "large" if large_bytes is not None and record.size_bytes >= large_bytes else "small"

    def group(record: DocumentRecord) -> tuple[str, str, str, str]:
        return record.priority, record.project, record.batch_id or "", lane(record)

    known = set(existing)
    new = sorted((r for r in owed if r.document_id not in known), key=group)
    position = {key: index for index, key in enumerate(existing)}
    position.update((record.document_id, len(existing) + index) for index, record in enumerate(new))
    by_group: dict[tuple[str, str, str, str], list[DocumentRecord]] = {}
    for record in owed:
        by_group.setdefault(group(record), []).append(record)
    runs = [
        PlannedRun(tuple(part), lane=key[-1])
        for key, records in by_group.items()
        for stretch in consecutive(records, lambda r: position[r.document_id])
        for part in cut(stretch, 1 if key[-1] == "large" else max_per_run, spread)
    ]
    return [r.document_id for r in new], runs


def consecutive(items: Sequence[T], position: Callable[[T], int]) -> list[list[T]]:
    """`items` in partition order, cut wherever the next one does not directly follow."""
    stretches: list[list[T]] = []
    for item in sorted(items, key=position):
        if stretches and position(stretches[-1][-1]) + 1 == position(item):
            stretches[-1].append(item)
        else:
            stretches.append([item])
    return stretches


def cut(stretch: Sequence[T], max_per_run: int, spread: int = 1) -> list[list[T]]:
    """Cut consecutive documents into nearly equal runs: at most `max_per_run` each, and at least
    `spread` runs when there are that many documents."""
    count = max(math.ceil(len(stretch) / max_per_run), min(len(stretch), spread))
    size, extra = divmod(len(stretch), count)
    runs, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        runs.append(list(stretch[start:end]))
        start = end
    return runs


def partition_tags(document_ids: Sequence[str]) -> dict[str, str]:
    """The tags that make a run of the per-document stages cover these consecutive documents."""
    if len(document_ids) == 1:
        return {PARTITION_NAME_TAG: document_ids[0]}
    return {ASSET_PARTITION_RANGE_START_TAG: document_ids[0], ASSET_PARTITION_RANGE_END_TAG: document_ids[-1]}


def run_documents(tags: Mapping[str, str], instance: dg.DagsterInstance) -> list[str]:
    """The documents a run of the per-document stages covers, from its tags: its partition, or its
    partition range."""
    if key := tags.get(PARTITION_NAME_TAG):
        return [key]
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if not (start and end):
        return []
    keys = list(instance.get_dynamic_partitions(DOCUMENTS))
    return keys[keys.index(start) : keys.index(end) + 1] if start in keys and end in keys else []
