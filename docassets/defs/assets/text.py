"""Page text (text layer or Tesseract OCR) and the sentence-aware chunks built from it."""

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from docassets.core.bates import bates_gaps
from docassets.core.chunking import chunk_pages, coverage_gaps, document_text
from docassets.core.pdf import ExtractionSettings, extract_pages
from docassets.defs import groups
from docassets.defs.checks import documents_check
from docassets.defs.columns import parquet_metadata, table_metadata
from docassets.defs.failures import StageFailures
from docassets.defs.io_managers import document_file_key
from docassets.defs.partitions import document_backfill, documents
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.defs.shown import blank_if_missing, blob_link, markdown_table
from docassets.defs.versions import CHUNKS_VERSION, TEXT_VERSION
from docassets.distributed import stage_tags
from docassets.frames import (
    PAGE_SCHEMA,
    PagesParquetWriter,
    chunks_frame,
    pages_frame,
    pages_from_frame,
    values,
)
from docassets.storage import tables as t
from docassets.storage.blobs import BlobStore, local_copy
from docassets.storage.checkpoints import PageCheckpoints
from docassets.storage.tables import TableStore

PROGRESS_EVERY = 25  # pages between progress reports ...
PROGRESS_SECONDS = 15.0  # ... or seconds, whichever comes first (a scanned page can take seconds)
PREVIEW_CHARS = 80  # of each page's text kept in memory for the asset's preview


@dg.asset(
    op_tags=stage_tags("ocr_text"),
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name=groups.TEXT,
    kinds={"tesseract", "parquet"},
    io_manager_key="blob_io_manager",
    metadata=parquet_metadata("ocr_text", PAGE_SCHEMA),
    code_version=TEXT_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "every_page_accounted",
            asset="ocr_text",
            blocking=True,
            description="One record per page of the PDF, numbered 1..n.",
        ),
        dg.AssetCheckSpec(
            "pages_readable", asset="ocr_text", description="No page is left without text after OCR."
        ),
        dg.AssetCheckSpec(
            "bates_consecutive",
            asset="ocr_text",
            description="Bates numbers of a production run without gaps.",
        ),
    ],
)
def ocr_text(
    context: dg.AssetExecutionContext,
    source_documents: dict[str, pd.DataFrame],
    blob_store: BlobStoreResource,
    database: DatabaseResource,
    pipeline: PipelineSettings,
):
    """One record per page: its text, whether it came from the text layer or OCR, confidence and Bates number.

    Pages are written to Parquet as they are read, and checkpointed to the blob store every batch,
    so a retried step or a re-executed run resumes after the last page saved. Only a short preview
    of each page stays in memory.
    """
    settings = ExtractionSettings(
        workers=pipeline.ocr_workers,
        max_page_megapixels=pipeline.max_page_megapixels,
        ocr_timeout_seconds=pipeline.ocr_timeout_seconds,
    )
    store, tables = blob_store.store(), database.tables()
    failures = StageFailures(context, tables, "ocr_text")
    files, unaccounted, unreadable, gaps = {}, {}, {}, {}
    try:
        for document_id, source_frame in source_documents.items():
            with failures.document(document_id):
                source = source_frame.iloc[0]
                files[document_id], pages = _read_document(
                    context, source, store, tables, settings, pipeline.checkpoint_pages
                )
                numbers = values(pages.page_number)
                if numbers != list(range(1, int(source.page_count) + 1)):
                    unaccounted[document_id] = f"{len(numbers)} pages read of {int(source.page_count)}"
                if empty := values(pages[pages.method == "empty"].page_number):
                    unreadable[document_id] = "pages " + ", ".join(map(str, empty))
                if document_gaps := bates_gaps(values(pages.bates)):
                    gaps[document_id] = ", ".join(f"{a} -> {b}" for a, b in document_gaps)
        failures.raise_if_any()
    except BaseException:
        for path in files.values():  # never handed to the IO manager, which would have removed them
            path.unlink(missing_ok=True)
        raise
    yield dg.Output(files)
    checked = list(files)
    yield failures.blocking_check("every_page_accounted", unaccounted, checked=checked)
    yield documents_check("pages_readable", unreadable, checked=checked, severity=dg.AssetCheckSeverity.WARN)
    yield documents_check("bates_consecutive", gaps, checked=checked, severity=dg.AssetCheckSeverity.WARN)
    failures.raise_if_any()


def extraction_version(source, settings: ExtractionSettings) -> str:
    """What pages read earlier must share to be resumed: the same file, read the same way."""
    # how many workers read the pages, and the limits that refuse a page, do not change its text
    how = {
        k: v
        for k, v in dataclasses.asdict(settings).items()
        if k not in ("workers", "max_page_megapixels", "ocr_timeout_seconds")
    }
    return f"{source.sha256[:16]}-{hashlib.sha256(json.dumps(how, sort_keys=True).encode()).hexdigest()[:8]}"


def _read_document(
    context: dg.AssetExecutionContext,
    source,
    store: BlobStore,
    tables: TableStore,
    settings: ExtractionSettings,
    checkpoint_pages: int,
) -> tuple[Path, pd.DataFrame]:
    """Read one document into a local Parquet file (handed to the IO manager, which uploads and
    removes it), resuming after the pages an earlier attempt saved; return the file and the pages
    with their text cut to a preview."""
    document_id = source.document_id
    checkpoints = PageCheckpoints(store, "ocr_text", document_id, extraction_version(source, settings))
    progress = PageProgress(context, tables, document_id, source.file_name, int(source.page_count))
    handle, name = tempfile.mkstemp(prefix=f"docassets-{document_id}-", suffix=".parquet")
    os.close(handle)
    path, previews, characters, resumed = Path(name), [], 0, 0
    try:
        with PagesParquetWriter(
            document_id, path, batch=checkpoint_pages, on_batch=checkpoints.save
        ) as writer:
            for saved in checkpoints.saved():
                writer.write_saved(saved)
                resumed += len(saved)
                characters += int(saved.text.str.len().sum())
                previews += pages_from_frame(saved.assign(text=saved.text.str.slice(0, PREVIEW_CHARS)))
            if resumed:
                context.log.info(
                    f"{source.file_name}: resuming after page {resumed}, saved by an earlier attempt"
                )
            progress.start(resumed)
            with local_copy(store, source.blob_key) as pdf:
                for page in extract_pages(
                    pdf,
                    name=source.file_name,
                    settings=settings,
                    on_progress=progress.report,
                    first_page=resumed + 1,
                ):
                    writer.write(page)
                    characters += len(page.text)
                    previews.append(dataclasses.replace(page, text=page.text[:PREVIEW_CHARS]))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    seconds = progress.elapsed()
    pages = pages_frame(document_id, previews)
    methods = pages.method.value_counts().to_dict()
    ocr_pages = pages[pages.method == "ocr"]
    read_now = len(pages) - resumed
    context.add_asset_metadata(
        {
            "pages": len(pages),
            "text_layer_pages": methods.get("text", 0),
            "ocr_pages": methods.get("ocr", 0),
            "unreadable_pages": methods.get("empty", 0),
            # an old OCR layer (or garbage) that a fresh OCR read better; both scores are on the page
            "text_layers_replaced_by_ocr": int((ocr_pages.layer_score.notna()).sum()),
            "mean_ocr_confidence": blank_if_missing(
                ocr_pages.ocr_confidence.mean() if len(ocr_pages) else None
            ),
            "characters": characters,
            "pages_resumed": resumed,
            "pages_read": read_now,
            "seconds": round(seconds, 2),
            "pages_per_second": blank_if_missing(read_now / seconds if seconds else None),
            "preview": _page_preview(pages),
            "page_text": blob_link(store, document_file_key("ocr_text", document_id)),
            "dagster/row_count": len(pages),
        },
        partition_key=document_id,
    )
    return path, pages


class PageProgress:
    """A document's pages read so far, in the run log, as an observation on the asset's page in the
    UI, and in the `document_progress` table that `docassets status` reads (with the pages per
    second measured in this attempt, for an honest estimate of the time left)."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        tables: TableStore,
        document_id: str,
        file_name: str,
        total: int,
    ):
        self.context, self.tables = context, tables
        self.document_id, self.file_name, self.total = document_id, file_name, total
        self.started = self.reported = time.perf_counter()
        self.first = 0

    def start(self, already_done: int) -> None:
        self.started = self.reported = time.perf_counter()
        self.first = already_done
        self._store(already_done, None)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def report(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done != total and done % PROGRESS_EVERY and now - self.reported < PROGRESS_SECONDS:
            return
        self.reported = now
        seconds = self.elapsed()
        rate = (done - self.first) / seconds if seconds and done > self.first else None
        self.context.log.info(f"{self.file_name}: {done}/{total} pages read")
        self.context.log_event(
            dg.AssetObservation(
                asset_key="ocr_text",
                partition=self.document_id,
                metadata={"pages_read": done, "pages_total": total, "seconds": round(seconds, 1)},
            )
        )
        self._store(done, rate)

    def _store(self, done: int, rate: float | None) -> None:
        self.tables.replace_rows(
            "document_progress",
            [
                {
                    "document_id": self.document_id,
                    "stage": "ocr_text",
                    "pages_done": done,
                    "pages_total": self.total,
                    "pages_per_second": rate,
                    "updated_at": datetime.now(UTC),
                }
            ],
            where={"document_id": self.document_id},
        )


def _page_preview(frame: pd.DataFrame) -> dg.MetadataValue:
    preview = frame.head(5).assign(text=frame.text.str.slice(0, 80).str.replace("\n", " "))
    columns = ["page_number", "method", "ocr_confidence", "layer_score", "ocr_score", "bates", "text"]
    return markdown_table(preview[columns])


@dg.asset(
    op_tags=stage_tags("chunks"),
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name=groups.TEXT,
    kinds={"python"},
    io_manager_key="table_io_manager",
    metadata=table_metadata(t.chunks),
    code_version=CHUNKS_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "chunks_cover_text",
            asset="chunks",
            blocking=True,
            description="Every non-blank character of the document is in a chunk.",
        )
    ],
)
def chunks(
    context: dg.AssetExecutionContext,
    ocr_text: dict[str, pd.DataFrame],
    pipeline: PipelineSettings,
    database: DatabaseResource,
):
    """Sentence-aware chunks of one document, with character, page and Bates spans."""
    failures = StageFailures(context, database.tables(), "chunks")
    frames, uncovered = {}, {}
    for document_id, page_frame in ocr_text.items():
        with failures.document(document_id):
            pages = pages_from_frame(page_frame)
            result = chunk_pages(pages, max_tokens=pipeline.chunk_max_tokens, overlap=pipeline.chunk_overlap)
            frame = frames[document_id] = chunks_frame(document_id, result)
            context.add_asset_metadata(
                {
                    "chunks": len(frame),
                    "mean_tokens": float(frame.token_count.mean()) if len(frame) else 0.0,
                    "max_tokens": int(frame.token_count.max()) if len(frame) else 0,
                    "preview": markdown_table(
                        frame.head(3).assign(text=frame.text.str.slice(0, 100).str.replace("\n", " "))[
                            ["chunk_index", "page_start", "page_end", "bates_start", "token_count", "text"]
                        ]
                    ),
                    "dagster/row_count": len(frame),
                },
                partition_key=document_id,
            )
            if gaps := coverage_gaps(result, document_text(pages)):
                uncovered[document_id] = f"{len(gaps)} stretches of text in no chunk"
    failures.raise_if_any()
    yield dg.Output(frames)
    yield failures.blocking_check("chunks_cover_text", uncovered, checked=frames)
    failures.raise_if_any()
