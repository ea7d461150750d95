"""Core records <-> the DataFrames that stages store, with the column names of `storage/tables.py`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from docassets.core.models import Chunk, EntityKey, Mention, Page, Relationship

PAGE_SCHEMA = pa.schema([
    ("document_id", pa.string()), ("page_number", pa.int64()), ("text", pa.string()), ("method", pa.string()),
    ("ocr_confidence", pa.float64()), ("bates", pa.string()), ("stamp", pa.string()),
])
PAGE_COLUMNS = PAGE_SCHEMA.names
CHUNK_COLUMNS = [
    "document_id", "chunk_index", "text", "char_start", "char_end",
    "page_start", "page_end", "bates_start", "bates_end", "token_count",
]
MENTION_COLUMNS = [
    "document_id", "mention_id", "chunk_index", "start", "end", "text", "label", "normalized",
    "page_number", "bates", "method", "confidence", "role",
]
RELATIONSHIP_COLUMNS = [
    "document_id", "relationship_index", "type", "source_label", "source_name",
    "target_label", "target_name", "chunk_index", "sentence", "confidence", "count",
]


def _none(value):
    return None if pd.isna(value) else value


def pages_frame(document_id: str, pages: Sequence[Page]) -> pd.DataFrame:
    rows = [
        {"document_id": document_id, "page_number": p.number, "text": p.text, "method": p.method,
         "ocr_confidence": p.ocr_confidence, "bates": p.bates, "stamp": p.stamp}
        for p in pages
    ]
    return pd.DataFrame(rows, columns=PAGE_COLUMNS).astype({"ocr_confidence": "float64"})


class PagesParquetWriter:
    """A document's pages written to a Parquet file as they are read, `batch` pages per row group,
    so that a production of thousands of pages never has all its text in memory at once."""

    def __init__(self, document_id: str, path: Path, batch: int = 50):
        self.document_id, self.batch = document_id, batch
        self._pending: list[Page] = []
        self._writer = pq.ParquetWriter(path, PAGE_SCHEMA)

    def write(self, page: Page) -> None:
        self._pending.append(page)
        if len(self._pending) >= self.batch:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def __enter__(self) -> PagesParquetWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _flush(self) -> None:
        if self._pending:
            frame = pages_frame(self.document_id, self._pending)
            self._writer.write_table(pa.Table.from_pandas(frame, schema=PAGE_SCHEMA, preserve_index=False))
            self._pending = []


def pages_from_frame(frame: pd.DataFrame) -> list[Page]:
    return [
        Page(number=int(row.page_number), text=row.text, method=row.method,
             ocr_confidence=_none(row.ocr_confidence), bates=_none(row.bates), stamp=_none(row.stamp))
        for row in frame.sort_values("page_number").itertuples()
    ]


def chunks_frame(document_id: str, chunks: Sequence[Chunk]) -> pd.DataFrame:
    rows = [{"document_id": document_id, "chunk_index": c.index, **_without(asdict(c), "index")} for c in chunks]
    return pd.DataFrame(rows, columns=CHUNK_COLUMNS)


def chunks_from_frame(frame: pd.DataFrame) -> list[Chunk]:
    return [
        Chunk(index=int(row.chunk_index), text=row.text, char_start=int(row.char_start), char_end=int(row.char_end),
              page_start=int(row.page_start), page_end=int(row.page_end), bates_start=_none(row.bates_start),
              bates_end=_none(row.bates_end), token_count=int(row.token_count))
        for row in frame.sort_values("chunk_index").itertuples()
    ]


def mention_id(document_id: str, mention: Mention) -> str:
    """Stable across re-materialization: the same span and label always get the same id."""
    return f"{document_id}:{mention.start}:{mention.end}:{mention.label}"


def mentions_frame(document_id: str, mentions: Sequence[Mention], chunk_indexes: Sequence[int | None]) -> pd.DataFrame:
    rows = [
        {"document_id": document_id, "mention_id": mention_id(document_id, m), "chunk_index": chunk, **asdict(m)}
        for m, chunk in zip(mentions, chunk_indexes, strict=True)
    ]
    return pd.DataFrame(rows, columns=MENTION_COLUMNS).astype({"chunk_index": "Int64", "page_number": "Int64"})


def mentions_from_frame(frame: pd.DataFrame) -> list[Mention]:
    return [
        Mention(start=int(row.start), end=int(row.end), text=row.text, label=row.label, normalized=row.normalized,
                method=row.method, confidence=float(row.confidence), page_number=_none(row.page_number),
                bates=_none(row.bates), role=_none(row.role))
        for row in frame.sort_values(["start", "end"]).itertuples()
    ]


def relationships_frame(document_id: str, relationships: Sequence[Relationship]) -> pd.DataFrame:
    rows = [
        {"document_id": document_id, "relationship_index": index, "type": r.type,
         "source_label": r.source.label, "source_name": r.source.normalized,
         "target_label": r.target.label, "target_name": r.target.normalized,
         "chunk_index": r.chunk_index, "sentence": r.sentence, "confidence": r.confidence, "count": r.count}
        for index, r in enumerate(relationships)
    ]
    return pd.DataFrame(rows, columns=RELATIONSHIP_COLUMNS).astype({"chunk_index": "Int64"})


def relationship_keys(frame: pd.DataFrame) -> set[EntityKey]:
    """Every entity key an edge of the frame touches."""
    return {EntityKey(row.source_label, row.source_name) for row in frame.itertuples()} | {
        EntityKey(row.target_label, row.target_name) for row in frame.itertuples()
    }


def _without(record: dict, *keys: str) -> dict:
    return {k: v for k, v in record.items() if k not in keys}
