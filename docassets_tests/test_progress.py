"""`docassets status` tells the truth about a long document: pages read, and the time left at the
rate measured in its run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from docassets.progress import read_progress
from docassets.storage.registry import DocumentRecord, register
from docassets.storage.tables import TableStore


def _registered(tables: TableStore, file_name: str) -> str:
    document_id = str(uuid.uuid4())
    register(
        tables,
        DocumentRecord(
            document_id,
            f"documents/{document_id}.pdf",
            "etag",
            "wombat",
            file_name,
            700 * 2**20,
            None,
            "batch-1",
            "normal",
        ),
    )
    return document_id


def _read_pages(
    tables: TableStore, document_id: str, done: int, total: int, per_second: float | None
) -> None:
    tables.replace_rows(
        "document_progress",
        [
            {
                "document_id": document_id,
                "stage": "ocr_text",
                "pages_done": done,
                "pages_total": total,
                "pages_per_second": per_second,
                "updated_at": datetime.now(UTC),
            }
        ],
        where={"document_id": document_id},
    )


def test_a_production_being_read_shows_its_pages_and_the_time_they_still_need(tmp_path):
    tables = TableStore(f"sqlite:///{tmp_path / 'docassets.db'}")
    tables.ensure_schema()
    production = _registered(tables, "WOMBAT 000454-000784.pdf")
    _read_pages(tables, production, 0, 331, None)
    started = read_progress(tables, batch_id="batch-1").documents[0]
    assert (started.state, str(started.pages)) == ("running", "OCR 0/331 pages")  # no rate measured yet

    _read_pages(tables, production, 212, 331, 1 / 3)  # a page every 3 s: 119 pages are 357 s
    progress = read_progress(tables, batch_id="batch-1")
    document = progress.documents[0]
    assert str(document.pages) == "OCR 212/331 pages, about 6 min left"
    assert progress.eta is not None and round(progress.eta.total_seconds()) == 357


def test_a_transient_failure_being_retried_is_not_shown_as_failed(tmp_path):
    from docassets.defs.failures import record_failure

    tables = TableStore(f"sqlite:///{tmp_path / 'docassets.db'}")
    tables.ensure_schema()
    document_id = _registered(tables, "WOMBAT 000454-000784.pdf")
    record_failure(
        tables,
        document_id,
        "ocr_text",
        "WOMBAT 000454-000784.pdf: EndpointConnectionError (attempt 1)",
        retrying=True,
    )
    document = read_progress(tables, document_id=document_id).documents[0]
    assert (document.state, document.failed_stage) == ("retrying", "ocr_text")
    record_failure(tables, document_id, "ocr_text", "WOMBAT 000454-000784.pdf: EndpointConnectionError")
    assert read_progress(tables, document_id=document_id).documents[0].state == "failed"
