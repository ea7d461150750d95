"""Page text (text layer or Tesseract OCR) and the sentence-aware chunks built from it."""

import time

import dagster as dg
import pandas as pd

from docassets.core.bates import bates_gaps
from docassets.core.chunking import chunk_pages, coverage_gaps, document_text
from docassets.core.pdf import ExtractionSettings, extract_pages
from docassets.defs.failures import failures_recorded
from docassets.defs.partitions import documents
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.frames import chunks_frame, pages_frame, pages_from_frame
from docassets.storage.blobs import local_copy

PROGRESS_EVERY = 25  # pages between progress lines in the run log


@dg.asset(
    partitions_def=documents,
    group_name="text",
    kinds={"pdf", "tesseract", "parquet"},
    io_manager_key="blob_io_manager",
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
    source_documents: pd.DataFrame,
    blob_store: BlobStoreResource,
    database: DatabaseResource,
    pipeline: PipelineSettings,
):
    """One record per page: its text, whether it came from the text layer or OCR, confidence and Bates number."""
    source = source_documents.iloc[0]
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if done == total or done % PROGRESS_EVERY == 0:
            context.log.info(f"{source.file_name}: {done}/{total} pages read")
            # An observation per step shows the progress on the asset's page in the UI while it runs.
            context.log_event(dg.AssetObservation(
                asset_key="ocr_text", partition=context.partition_key,
                metadata={"pages_read": done, "pages_total": total,
                          "seconds": round(time.perf_counter() - started, 1)},
            ))

    settings = ExtractionSettings(workers=pipeline.ocr_workers)
    with failures_recorded(database.tables(), source.document_id, source.file_name, "ocr_text"):
        with local_copy(blob_store.store(), source.blob_key) as path:
            pages = list(extract_pages(path, name=source.file_name, settings=settings, on_progress=report))
    seconds = time.perf_counter() - started
    frame = pages_frame(source.document_id, pages)
    methods = frame.method.value_counts().to_dict()
    ocr_pages = frame[frame.method == "ocr"]
    yield dg.Output(frame, metadata={
        "pages": len(frame),
        "text_layer_pages": methods.get("text", 0),
        "ocr_pages": methods.get("ocr", 0),
        "unreadable_pages": methods.get("empty", 0),
        "mean_ocr_confidence": float(ocr_pages.ocr_confidence.mean()) if len(ocr_pages) else None,
        "characters": int(frame.text.str.len().sum()),
        "seconds": round(seconds, 2),
        "pages_per_second": round(len(frame) / seconds, 2) if seconds else None,
        "preview": dg.MetadataValue.md(_page_preview(frame)),
    })
    numbers = frame.page_number.tolist()
    yield dg.AssetCheckResult(
        check_name="every_page_accounted",
        passed=numbers == list(range(1, int(source.page_count) + 1)),
        metadata={"pages_in_pdf": int(source.page_count), "pages_read": len(numbers)},
    )
    unreadable = frame[frame.method == "empty"].page_number.tolist()
    yield dg.AssetCheckResult(
        check_name="pages_readable", passed=not unreadable, severity=dg.AssetCheckSeverity.WARN,
        metadata={"unreadable_pages": ", ".join(map(str, unreadable)) or "none"},
    )
    gaps = bates_gaps(frame.bates.tolist())
    yield dg.AssetCheckResult(
        check_name="bates_consecutive", passed=not gaps, severity=dg.AssetCheckSeverity.WARN,
        metadata={"stamped_pages": int(frame.bates.notna().sum()),
                  "gaps": "; ".join(f"{a} -> {b}" for a, b in gaps) or "none"},
    )


def _page_preview(frame: pd.DataFrame) -> str:
    preview = frame.head(5).assign(text=frame.text.str.slice(0, 80).str.replace("\n", " "))
    return preview[["page_number", "method", "ocr_confidence", "bates", "text"]].to_markdown(index=False)


@dg.asset(
    partitions_def=documents,
    group_name="text",
    kinds={"python", "sql"},
    io_manager_key="table_io_manager",
    check_specs=[dg.AssetCheckSpec("chunks_cover_text", asset="chunks", blocking=True,
                                   description="Every non-blank character of the document is in a chunk.")],
)
def chunks(context: dg.AssetExecutionContext, ocr_text: pd.DataFrame, pipeline: PipelineSettings):
    """Sentence-aware chunks of one document, with character, page and Bates spans."""
    pages = pages_from_frame(ocr_text)
    result = chunk_pages(pages, max_tokens=pipeline.chunk_max_tokens, overlap=pipeline.chunk_overlap)
    frame = chunks_frame(context.partition_key, result)
    yield dg.Output(frame, metadata={
        "chunks": len(frame),
        "mean_tokens": float(frame.token_count.mean()) if len(frame) else 0.0,
        "max_tokens": int(frame.token_count.max()) if len(frame) else 0,
        "preview": dg.MetadataValue.md(
            frame.head(3).assign(text=frame.text.str.slice(0, 100).str.replace("\n", " "))
            [["chunk_index", "page_start", "page_end", "token_count", "text"]].to_markdown(index=False)
        ),
    })
    gaps = coverage_gaps(result, document_text(pages))
    yield dg.AssetCheckResult(check_name="chunks_cover_text", passed=not gaps, metadata={"gaps": len(gaps)})
