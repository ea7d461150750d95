"""Page text (text layer or Tesseract OCR) and the sentence-aware chunks built from it."""

import dataclasses
import os
import tempfile
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from docassets.core.bates import bates_gaps
from docassets.core.chunking import chunk_pages, coverage_gaps, document_text
from docassets.core.pdf import ExtractionSettings, extract_pages
from docassets.defs.checks import documents_check
from docassets.defs.failures import failures_recorded
from docassets.defs.partitions import document_backfill, documents
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.defs.versions import CHUNKS_VERSION, TEXT_VERSION
from docassets.frames import PagesParquetWriter, chunks_frame, pages_frame, pages_from_frame
from docassets.storage.blobs import BlobStore, local_copy
from docassets.storage.tables import TableStore

PROGRESS_EVERY = 25  # pages between progress lines in the run log
PREVIEW_CHARS = 80  # of each page's text kept in memory for the asset's preview


@dg.asset(
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name="text",
    kinds={"pdf", "tesseract", "parquet"},
    io_manager_key="blob_io_manager",
    code_version=TEXT_VERSION,
    pool="ocr",  # a concurrency pool, so OCR-heavy runs cannot starve everything else
    check_specs=[
        dg.AssetCheckSpec("every_page_accounted", asset="ocr_text", blocking=True,
                          description="One record per page of the PDF, numbered 1..n."),
        dg.AssetCheckSpec("pages_readable", asset="ocr_text",
                          description="No page is left without text after OCR."),
        dg.AssetCheckSpec("bates_consecutive", asset="ocr_text",
                          description="Bates numbers of a production run without gaps."),
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

    Pages are written to Parquet as they are read; only a short preview of each stays in memory.
    """
    settings = ExtractionSettings(workers=pipeline.ocr_workers)
    store, tables = blob_store.store(), database.tables()
    files, unaccounted, unreadable, gaps = {}, {}, {}, {}
    for document_id, source_frame in source_documents.items():
        source = source_frame.iloc[0]
        files[document_id], pages = _read_document(context, source, store, tables, settings)
        numbers = pages.page_number.tolist()
        if numbers != list(range(1, int(source.page_count) + 1)):
            unaccounted[document_id] = f"{len(numbers)} pages read of {int(source.page_count)}"
        if empty := pages[pages.method == "empty"].page_number.tolist():
            unreadable[document_id] = "pages " + ", ".join(map(str, empty))
        if document_gaps := bates_gaps(pages.bates.tolist()):
            gaps[document_id] = ", ".join(f"{a} -> {b}" for a, b in document_gaps)
    yield dg.Output(files)
    checked = len(files)
    yield documents_check("every_page_accounted", unaccounted, checked=checked)
    yield documents_check("pages_readable", unreadable, checked=checked, severity=dg.AssetCheckSeverity.WARN)
    yield documents_check("bates_consecutive", gaps, checked=checked, severity=dg.AssetCheckSeverity.WARN)


def _read_document(
    context: dg.AssetExecutionContext, source, store: BlobStore, tables: TableStore, settings: ExtractionSettings
) -> tuple[Path, pd.DataFrame]:
    """Read one document into a local Parquet file (handed to the IO manager, which uploads and
    removes it); return the file and the pages with their text cut to a preview."""
    document_id = source.document_id
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if done == total or done % PROGRESS_EVERY == 0:
            context.log.info(f"{source.file_name}: {done}/{total} pages read")
            # An observation shows the progress on the asset's page in the UI while it runs.
            context.log_event(dg.AssetObservation(
                asset_key="ocr_text", partition=document_id,
                metadata={"pages_read": done, "pages_total": total,
                          "seconds": round(time.perf_counter() - started, 1)},
            ))

    handle, name = tempfile.mkstemp(prefix=f"docassets-{document_id}-", suffix=".parquet")
    os.close(handle)
    path, previews, characters = Path(name), [], 0
    try:
        with (
            PagesParquetWriter(document_id, path) as writer,
            failures_recorded(tables, document_id, source.file_name, "ocr_text"),
            local_copy(store, source.blob_key) as pdf,
        ):
            for page in extract_pages(pdf, name=source.file_name, settings=settings, on_progress=report):
                writer.write(page)
                characters += len(page.text)
                previews.append(dataclasses.replace(page, text=page.text[:PREVIEW_CHARS]))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    pages = pages_frame(document_id, previews)
    methods = pages.method.value_counts().to_dict()
    ocr_pages = pages[pages.method == "ocr"]
    context.add_asset_metadata({
        "pages": len(pages),
        "text_layer_pages": methods.get("text", 0),
        "ocr_pages": methods.get("ocr", 0),
        "unreadable_pages": methods.get("empty", 0),
        "mean_ocr_confidence": float(ocr_pages.ocr_confidence.mean()) if len(ocr_pages) else None,
        "characters": characters,
        "seconds": round(seconds, 2),
        "pages_per_second": round(len(pages) / seconds, 2) if seconds else None,
        "preview": dg.MetadataValue.md(_page_preview(pages)),
    }, partition_key=document_id)
    return path, pages


def _page_preview(frame: pd.DataFrame) -> str:
    preview = frame.head(5).assign(text=frame.text.str.slice(0, 80).str.replace("\n", " "))
    return preview[["page_number", "method", "ocr_confidence", "bates", "text"]].to_markdown(index=False)


@dg.asset(
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name="text",
    kinds={"python", "sql"},
    io_manager_key="table_io_manager",
    code_version=CHUNKS_VERSION,
    check_specs=[dg.AssetCheckSpec("chunks_cover_text", asset="chunks", blocking=True,
                                   description="Every non-blank character of the document is in a chunk.")],
)
def chunks(context: dg.AssetExecutionContext, ocr_text: dict[str, pd.DataFrame], pipeline: PipelineSettings):
    """Sentence-aware chunks of one document, with character, page and Bates spans."""
    frames, uncovered = {}, {}
    for document_id, page_frame in ocr_text.items():
        pages = pages_from_frame(page_frame)
        result = chunk_pages(pages, max_tokens=pipeline.chunk_max_tokens, overlap=pipeline.chunk_overlap)
        frame = frames[document_id] = chunks_frame(document_id, result)
        context.add_asset_metadata({
            "chunks": len(frame),
            "mean_tokens": float(frame.token_count.mean()) if len(frame) else 0.0,
            "max_tokens": int(frame.token_count.max()) if len(frame) else 0,
            "preview": dg.MetadataValue.md(
                frame.head(3).assign(text=frame.text.str.slice(0, 100).str.replace("\n", " "))
                [["chunk_index", "page_start", "page_end", "token_count", "text"]].to_markdown(index=False)
            ),
        }, partition_key=document_id)
        if gaps := coverage_gaps(result, document_text(pages)):
            uncovered[document_id] = f"{len(gaps)} stretches of text in no chunk"
    yield dg.Output(frames)
    yield documents_check("chunks_cover_text", uncovered, checked=len(frames))
