"""Core records <-> the DataFrames that stages store, with the column names of `storage/tables.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from docassets.core.defined_terms import DefinedTerm
from docassets.core.models import Chunk, EntityKey, Mention, Page, Relationship

PAGE_SCHEMA = pa.schema(
    [
        ("document_id", pa.string()),
        ("page_number", pa.int64()),
        ("text", pa.string()),
        ("method", pa.string()),
        ("ocr_confidence", pa.float64()),
        ("bates", pa.string()),
        ("stamp", pa.string()),
        ("layer_score", pa.float64()),
        ("ocr_score", pa.float64()),
    ]
)
PAGE_COLUMNS = PAGE_SCHEMA.names
CHUNK_COLUMNS = [
    "document_id",
    "chunk_index",
    "text",
    "char_start",
    "char_end",
    "page_start",
    "page_end",
    "bates_start",
    "bates_end",
    "token_count",
]
MENTION_COLUMNS = [
    "document_id",
    "mention_id",
    "chunk_index",
    "start",
    "end",
    "text",
    "label",
    "normalized",
    "page_number",
    "bates",
    "method",
    "confidence",
    "role",
]
DEFINED_TERM_COLUMNS = [
    "document_id",
    "term_index",
    "term",
    "start",
    "end",
    "page_number",
    "referent",
    "referent_start",
    "referent_end",
    "label",
    "normalized",
    "descriptive",
    "uses",
]
RELATIONSHIP_COLUMNS = [
    "document_id",
    "relationship_index",
    "type",
    "source_label",
    "source_name",
    "target_label",
    "target_name",
    "chunk_index",
    "sentence",
    "confidence",
    "count",
]


def present(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every missing value (NaN, pd.NA, NaT, None) as None.

    Every conversion of a stored frame into records goes through here: pandas 3 reads an
    optional text column (a page's Bates number, a mention's role) as a string dtype whose
    missing value is NaN, which is truthy and has no string methods.
    """
    return frame.astype(object).where(frame.notna(), None)


def values(column: pd.Series) -> list:
    """A column's values as plain Python objects, missing ones as None (see `present`)."""
    return present(column.to_frame()).iloc[:, 0].tolist()


def records(frame: pd.DataFrame) -> Iterator:
    """The frame's rows as named tuples, missing values as None (see `present`)."""
    return present(frame).itertuples(index=False)


def pages_frame(document_id: str, pages: Sequence[Page]) -> pd.DataFrame:
    rows = [
        {
            "document_id": document_id,
            "page_number": p.number,
            "text": p.text,
            "method": p.method,
            "ocr_confidence": p.ocr_confidence,
            "bates": p.bates,
            "stamp": p.stamp,
            "layer_score": p.layer_score,
            "ocr_score": p.ocr_score,
        }
        for p in pages
    ]
    return pd.DataFrame(rows, columns=PAGE_COLUMNS).astype(
        {"ocr_confidence": "float64", "layer_score": "float64", "ocr_score": "float64"}
    )


class PagesParquetWriter:
    """A document's pages written to a Parquet file as they are read, `batch` pages per row group,
    so that a production of thousands of pages never has all its text in memory at once.
    `on_batch` receives each batch as it is written (to checkpoint it)."""

    def __init__(
        self,
        document_id: str,
        path: Path,
        batch: int = 50,
        on_batch: Callable[[pd.DataFrame], None] | None = None,
    ):
        self.document_id, self.batch, self.on_batch = document_id, batch, on_batch
        self._pending: list[Page] = []
        self._writer = pq.ParquetWriter(path, PAGE_SCHEMA)

    def write(self, page: Page) -> None:
        self._pending.append(page)
        if len(self._pending) >= self.batch:
            self._flush()

    def write_saved(self, pages: pd.DataFrame) -> None:
        """Pages read by an earlier attempt (a checkpoint): written as they are, not checkpointed again."""
        self._flush()
        self._write(pages)

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
            self._write(frame)
            self._pending = []
            if self.on_batch is not None:
                self.on_batch(frame)

    def _write(self, frame: pd.DataFrame) -> None:
        self._writer.write_table(
            pa.Table.from_pandas(frame[PAGE_COLUMNS], schema=PAGE_SCHEMA, preserve_index=False)
        )


def pages_from_frame(frame: pd.DataFrame) -> list[Page]:
    return [
        Page(
            number=int(row.page_number),
            text=row.text or "",
            method=row.method,
            ocr_confidence=row.ocr_confidence,
            bates=row.bates,
            stamp=row.stamp,
            # pages read before the scores were recorded have no such columns
            layer_score=getattr(row, "layer_score", None),
            ocr_score=getattr(row, "ocr_score", None),
        )
        for row in records(frame.sort_values("page_number"))
    ]


def chunks_frame(document_id: str, chunks: Sequence[Chunk]) -> pd.DataFrame:
    rows = [
        {"document_id": document_id, "chunk_index": c.index, **_without(asdict(c), "index")} for c in chunks
    ]
    return pd.DataFrame(rows, columns=CHUNK_COLUMNS)


def chunks_from_frame(frame: pd.DataFrame) -> list[Chunk]:
    return [
        Chunk(
            index=int(row.chunk_index),
            text=row.text,
            char_start=int(row.char_start),
            char_end=int(row.char_end),
            page_start=int(row.page_start),
            page_end=int(row.page_end),
            bates_start=row.bates_start,
            bates_end=row.bates_end,
            token_count=int(row.token_count),
        )
        for row in records(frame.sort_values("chunk_index"))
    ]


def mention_id(document_id: str, mention: Mention) -> str:
    """Stable across re-materialization: the same span and label always get the same id."""
    return f"{document_id}:{mention.start}:{mention.end}:{mention.label}"


def mentions_frame(
    document_id: str, mentions: Sequence[Mention], chunk_indexes: Sequence[int | None]
) -> pd.DataFrame:
    rows = [
        {
            "document_id": document_id,
            "mention_id": mention_id(document_id, m),
            "chunk_index": chunk,
            **asdict(m),
        }
        for m, chunk in zip(mentions, chunk_indexes, strict=True)
    ]
    return pd.DataFrame(rows, columns=MENTION_COLUMNS).astype(
        {"chunk_index": "Int64", "page_number": "Int64"}
    )


def mentions_from_frame(frame: pd.DataFrame) -> list[Mention]:
    return [
        Mention(
            start=int(row.start),
            end=int(row.end),
            text=row.text,
            label=row.label,
            normalized=row.normalized,
            method=row.method,
            confidence=float(row.confidence),
            page_number=None if row.page_number is None else int(row.page_number),
            bates=row.bates,
            role=row.role,
        )
        for row in records(frame.sort_values(["start", "end"]))
    ]


def defined_terms_frame(document_id: str, terms: Sequence[DefinedTerm]) -> pd.DataFrame:
    rows = [{"document_id": document_id, "term_index": index, **asdict(t)} for index, t in enumerate(terms)]
    return pd.DataFrame(rows, columns=DEFINED_TERM_COLUMNS).astype(
        {"page_number": "Int64", "referent_start": "Int64", "referent_end": "Int64"}
    )


def relationships_frame(document_id: str, relationships: Sequence[Relationship]) -> pd.DataFrame:
    rows = [
        {
            "document_id": document_id,
            "relationship_index": index,
            "type": r.type,
            "source_label": r.source.label,
            "source_name": r.source.normalized,
            "target_label": r.target.label,
            "target_name": r.target.normalized,
            "chunk_index": r.chunk_index,
            "sentence": r.sentence,
            "confidence": r.confidence,
            "count": r.count,
        }
        for index, r in enumerate(relationships)
    ]
    return pd.DataFrame(rows, columns=RELATIONSHIP_COLUMNS).astype({"chunk_index": "Int64"})


def relationship_keys(frame: pd.DataFrame) -> set[EntityKey]:
    """Every entity key an edge of the frame touches."""
    rows = list(records(frame))
    return {EntityKey(row.source_label, row.source_name) for row in rows} | {
        EntityKey(row.target_label, row.target_name) for row in rows
    }


def _without(record: dict, *keys: str) -> dict:
    return {k: v for k, v in record.items() if k not in keys}


SEARCH_INDEX_COLUMNS = [
    "document_id",
    "level",
    "number",
    "project",
    "page_start",
    "page_end",
    "bates_start",
    "bates_end",
    "text",
]


def search_index_rows(
    document_id: str, project: str, pages: pd.DataFrame, chunks: pd.DataFrame
) -> list[dict]:
    """A document's rows of the search index: one per page and one per chunk, with their page and Bates spans.

    Plain records, not a DataFrame: the rows go straight to the database, and building a frame
    cost more than writing them (benchmarks/search_speed.py). The keys are SEARCH_INDEX_COLUMNS,
    spelled out: with SQLite's FTS5 the Python work per row shows in the build rate."""
    page = _columns(pages, "page_number", "bates", "text")
    chunk = _columns(chunks, "chunk_index", "page_start", "page_end", "bates_start", "bates_end", "text")
    return [
        {
            "document_id": document_id,
            "level": "page",
            "number": number,
            "project": project,
            "page_start": number,
            "page_end": number,
            "bates_start": bates,
            "bates_end": bates,
            "text": text,
        }
        for number, bates, text in zip(*page, strict=True)
    ] + [
        {
            "document_id": document_id,
            "level": "chunk",
            "number": number,
            "project": project,
            "page_start": page_start,
            "page_end": page_end,
            "bates_start": bates_start,
            "bates_end": bates_end,
            "text": text,
        }
        for number, page_start, page_end, bates_start, bates_end, text in zip(*chunk, strict=True)
    ]


def _columns(frame: pd.DataFrame, *names: str) -> list[list]:
    """The named columns as lists of plain Python values (missing text: NaN, as `Series.tolist` gives)."""
    return [frame[name].to_numpy().tolist() for name in names]
