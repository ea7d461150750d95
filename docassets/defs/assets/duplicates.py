"""Duplicate and near-duplicate documents of each project, from their page text.

Like the other project assets it reads storage directly, one document at a time: each document's
`ocr_text` Parquet file is read once to fingerprint it, and again only when a candidate pair
needs verifying; only the fingerprints (about 1 KB a document) stay in memory.
"""

import io
import os
from collections import Counter

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from docassets.core.duplicates import DuplicateFinder, content_words, duplicate_links, fingerprints
from docassets.defs import groups
from docassets.defs.assets.project import EVERY_DOCUMENT
from docassets.defs.assets.text import ocr_text
from docassets.defs.columns import table_metadata
from docassets.defs.partitions import projects
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.defs.versions import DUPLICATES_VERSION
from docassets.frames import pages_from_frame, records
from docassets.storage import tables as t
from docassets.storage.blobs import BlobStore


def _completed_documents(tables: t.TableStore, project: str) -> list[str]:
    """The project's documents whose run completed (so their page text is stored)."""
    s, summary = t.source_documents, t.document_summary
    query = (
        sa.select(s.c.document_id)
        .join(summary, summary.c.document_id == s.c.document_id)
        .where(summary.c.status == "completed", s.c.project == project)
        .order_by(s.c.document_id)
    )
    return [row.document_id for row in tables.stream(query)]


def _pages(store: BlobStore, document_id: str):
    return pages_from_frame(pd.read_parquet(io.BytesIO(store.get_bytes(f"ocr_text/{document_id}.parquet"))))


@dg.asset(
    partitions_def=projects,
    group_name=groups.PROJECT,
    kinds={"datasketch"},
    io_manager_key="table_io_manager",
    metadata=table_metadata(t.document_duplicates),
    deps=[dg.AssetDep(ocr_text, partition_mapping=EVERY_DOCUMENT)],
    code_version=DUPLICATES_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "duplicate_groups_consistent",
            asset="document_duplicates",
            blocking=True,
            description="Every pivot is a document of the member's project that is no member of "
            "its own kind; similarities lie in [0, 1].",
        ),
    ],
)
def document_duplicates(
    context: dg.AssetExecutionContext,
    database: DatabaseResource,
    blob_store: BlobStoreResource,
    pipeline: PipelineSettings,
):
    """The project's exact duplicates (same words once Bates numbers, stamps and OCR noise are set
    aside) and near-duplicates (MinHash LSH over word shingles), each grouped around a pivot."""
    tables, store, settings = database.tables(), blob_store.store(), pipeline.duplicates()
    project = context.partition_key
    document_ids = _completed_documents(tables, project)
    finder = DuplicateFinder(lambda document_id: content_words(_pages(store, document_id)), settings)
    pages = ((document_id, _pages(store, document_id)) for document_id in document_ids)
    found = finder.groups(fingerprints(pages, settings, workers=min(2, os.cpu_count() or 1)))
    groups_by_kind = Counter(g.kind for g in found)
    rows = [
        {
            "project": project,
            "document_id": link.document_id,
            "kind": link.kind,
            "pivot_document_id": link.pivot_document_id,
            "similarity": link.similarity,
        }
        for link in duplicate_links(found)
    ]
    frame = pd.DataFrame(rows, columns=[c.name for c in t.document_duplicates.columns])
    yield dg.Output(
        frame,
        metadata={
            "project": project,
            "documents": len(document_ids),
            "exact_groups": groups_by_kind["exact"],
            "near_groups": groups_by_kind["near"],
            "exact_copies": int((frame.kind == "exact").sum()),
            "near_duplicates": int((frame.kind == "near").sum()),
            "preview": dg.MetadataValue.md(
                frame.head(10).to_markdown(index=False) if len(frame) else "No duplicates."
            ),
        },
    )
    problems = inconsistent_links(frame, tables)
    yield dg.AssetCheckResult(
        check_name="duplicate_groups_consistent",
        passed=not problems,
        metadata={"problems": len(problems), "first": "; ".join(problems[:5])},
    )


def inconsistent_links(frame: pd.DataFrame, tables: t.TableStore) -> list[str]:
    """What breaks the table's contract: a pivot outside the member's project, a pivot that is
    itself a member of the same kind (a chain), a document grouped with itself, a similarity off [0, 1]."""
    sources = t.source_documents
    pivots = sorted(set(frame.pivot_document_id))
    project_of = {
        row.document_id: row.project
        for row in tables.stream(
            sa.select(sources.c.document_id, sources.c.project).where(sources.c.document_id.in_(pivots))
        )
    }
    members = set(zip(frame.document_id, frame.kind, strict=True))
    problems = []
    for row in records(frame):
        if project_of.get(row.pivot_document_id) != row.project:
            problems.append(
                f"{row.document_id}: pivot {row.pivot_document_id} is not a document of {row.project}"
            )
        if (row.pivot_document_id, row.kind) in members or row.pivot_document_id == row.document_id:
            problems.append(f"{row.document_id}: {row.kind} pivot {row.pivot_document_id} is itself a member")
        if not 0.0 <= row.similarity <= 1.0:
            problems.append(f"{row.document_id}: similarity {row.similarity} outside [0, 1]")
    return problems
