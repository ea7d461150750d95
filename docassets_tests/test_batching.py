"""How owed documents are grouped into runs of consecutive partitions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from docassets.defs.batching import plan_runs
from docassets.storage.registry import DocumentRecord

OWED_AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def record(document_id: str, priority: str = "normal", batch_id: str | None = "b1") -> DocumentRecord:
    return DocumentRecord(
        document_id=document_id,
        blob_key=f"documents/{document_id}.pdf",
        etag="e",
        project="matter",
        file_name=f"{document_id}.pdf",
        size_bytes=1,
        sha256=None,
        batch_id=batch_id,
        priority=priority,
        run_owed_at=OWED_AT,
    )


def test_a_large_batch_fills_runs_of_at_most_the_limit():
    owed = [record(f"d{n:03d}") for n in range(60)]
    added, runs = plan_runs(owed, [], max_per_run=25, spread=2)
    assert added == [r.document_id for r in owed]
    assert [len(run.records) for run in runs] == [20, 20, 20]
    assert [d for run in runs for d in run.document_ids] == added  # each once, in partition order


def test_a_small_batch_is_spread_over_the_cores():
    _, runs = plan_runs([record("a"), record("b"), record("c")], [], max_per_run=25, spread=2)
    assert [run.document_ids for run in runs] == [["a", "b"], ["c"]]


def test_a_run_covers_only_owed_documents_next_to_each_other():
    """A range is every partition between its ends: a processed document in between splits it."""
    existing = ["a", "b", "done", "c", "d"]
    _, runs = plan_runs([record(k) for k in ("a", "b", "c", "d")], existing, max_per_run=25, spread=1)
    assert [run.document_ids for run in runs] == [["a", "b"], ["c", "d"]]


def test_priorities_and_batches_never_share_a_run():
    owed = [record("h1", "high"), record("n1"), record("h2", "high"), record("x1", batch_id="b2")]
    added, runs = plan_runs(owed, [], max_per_run=25, spread=1)
    assert sorted(run.document_ids for run in runs) == [["h1", "h2"], ["n1"], ["x1"]]
    high = next(run for run in runs if run.document_ids == ["h1", "h2"])
    assert added.index("h2") == added.index("h1") + 1  # new documents are added group by group
    request = high.run_request()
    assert request.tags["dagster/priority"] == "10"
    assert (
        request.tags["dagster/asset_partition_range_start"],
        request.tags["dagster/asset_partition_range_end"],
    ) == ("h1", "h2")


def test_run_keys_identify_the_runs_owed():
    """A repeated tick requests the same keys (Dagster skips them); a rerun owed later gets a new key."""
    _, first = plan_runs([record("a"), record("b")], [], max_per_run=25, spread=1)
    _, again = plan_runs([record("a"), record("b")], [], max_per_run=25, spread=1)
    later = [record("a"), replace(record("b"), run_owed_at=datetime.now(UTC))]
    _, rerun = plan_runs(later, [], max_per_run=25, spread=1)
    assert first[0].run_request().run_key == again[0].run_request().run_key != rerun[0].run_request().run_key


def test_a_run_names_its_file_on_the_runs_page():
    _, runs = plan_runs([record("a"), record("b"), record("c")], [], max_per_run=25, spread=2)
    assert [run.run_request().tags["docassets/file"] for run in runs] == ["a.pdf and 1 more", "c.pdf"]
