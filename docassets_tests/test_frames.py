"""Stage records as stored tables and files."""

from __future__ import annotations

import pyarrow.parquet as pq

from docassets.core.models import Page
from docassets.frames import PagesParquetWriter, pages_frame, pages_from_frame


def test_pages_are_written_to_parquet_as_they_come_and_read_back_unchanged(tmp_path):
    pages = [
        Page(
            number=n,
            text=f"page {n}\nWOMBAT {n:06d}",
            method="ocr" if n % 3 else "text",
            ocr_confidence=91.5 if n % 3 else None,
            bates=f"WOMBAT {n:06d}",
            stamp=None if n % 2 else "Case: 1",
        )
        for n in range(1, 121)
    ]
    path = tmp_path / "pages.parquet"
    writer = PagesParquetWriter("doc-1", path, batch=50)
    for page in pages[:49]:
        writer.write(page)
    held = path.stat().st_size
    for page in pages[49:60]:
        writer.write(page)
    assert path.stat().st_size > held + 50 * 10  # the first 50 pages went to disk, not into memory
    for page in pages[60:]:
        writer.write(page)
    writer.close()

    stored = pq.ParquetFile(path)
    assert [stored.metadata.row_group(i).num_rows for i in range(stored.num_row_groups)] == [50, 50, 20]
    frame = stored.read().to_pandas()
    assert pages_from_frame(frame) == pages
    assert list(frame.columns) == list(pages_frame("doc-1", pages).columns)


def test_a_document_without_pages_still_gives_a_readable_file(tmp_path):
    path = tmp_path / "none.parquet"
    writer = PagesParquetWriter("doc-2", path)
    writer.close()
    assert pages_from_frame(pq.read_table(path).to_pandas()) == []
