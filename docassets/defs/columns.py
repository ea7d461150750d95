"""What the Dagster UI shows of each stored table: its columns, with a plain description of each,
and the table's name (`dagster/column_schema`, `dagster/table_name`)."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa
import sqlalchemy as sa

# One meaning per column name, whichever table holds it; per-table meanings in TABLE_COLUMNS.
COLUMNS = {
    "document_id": "The document: its project, file name and a short unique suffix (the partition key).",
    "project": "The matter the document belongs to.",
    "file_name": "The file name as uploaded.",
    "blob_key": "Where the PDF is stored in the blob store.",
    "size_bytes": "Size of the PDF in bytes.",
    "sha256": "SHA-256 of the PDF's bytes: the same file always has the same value.",
    "page_count": "Pages in the PDF.",
    "encrypted": "Whether the PDF is encrypted (opened with an empty password).",
    "page_number": "Page of the PDF, from 1.",
    "text": "The text itself.",
    "method": "How the text was obtained: `text` (the PDF's text layer), `ocr` (Tesseract) or `empty`.",
    "ocr_confidence": "Tesseract's mean word confidence on the page, 0-100; blank when not OCRed.",
    "layer_score": "Share of the text layer's words that are dictionary words, 0-1; blank when "
    "the page has no images (a typeset layer is not scored).",
    "ocr_score": "The same score for a fresh OCR of a scanned page under an old text layer; blank when "
    "the layer was kept without OCR. The higher one's text is used.",
    "bates": "The Bates number stamped on the page; blank when there is none.",
    "stamp": "Other production stamp found on the page (confidentiality legend); blank when none.",
    "chunk_index": "Position of the chunk in the document, from 0.",
    "char_start": "Offset of the first character in the document's text.",
    "char_end": "Offset after the last character in the document's text.",
    "page_start": "First page covered.",
    "page_end": "Last page covered.",
    "bates_start": "Bates number of the first page covered; blank without Bates numbers.",
    "bates_end": "Bates number of the last page covered; blank without Bates numbers.",
    "token_count": "Tokens in the chunk (what a language model would count).",
    "mention_id": "The mention: document, offsets and label.",
    "start": "Offset of the first character in the document's text.",
    "end": "Offset after the last character in the document's text.",
    "label": "Kind of entity: PERSON, ORG, COURT, CASE_NUMBER, STATUTE, PROVISION, MONEY, DATE, ...",
    "normalized": "The name in a standard form, used to match mentions of the same entity.",
    "confidence": "How sure the extractor is, 0-1 (rules: fixed per rule; model: its score).",
    "role": "The party's role where the document states it (plaintiff, defendant, ...); blank otherwise.",
    "term_index": "Position of the definition in the document, from 0.",
    "term": 'The defined term, e.g. "the Company".',
    "referent": "What the term stands for, e.g. Acme Holdings, Inc.; blank when not found.",
    "referent_start": "Offset of the referent's first character.",
    "referent_end": "Offset after the referent's last character.",
    "descriptive": "Whether the term describes rather than names (e.g. 'the Agreement').",
    "uses": "Times the term is used after its definition.",
    "relationship_index": "Position of the relationship in the document, from 0.",
    "type": "Kind of relationship, e.g. REPRESENTS, PARTY_TO, CITES.",
    "source_label": "Kind of entity the relationship starts from.",
    "source_name": "Normalized name of the entity it starts from.",
    "target_label": "Kind of entity the relationship points to.",
    "target_name": "Normalized name of the entity it points to.",
    "sentence": "The sentence that states the relationship (the evidence).",
    "count": "Times the document states it.",
    "pages": "Pages read.",
    "ocr_pages": "Pages read by OCR.",
    "unreadable_pages": "Pages left without text.",
    "chunks": "Chunks made.",
    "mentions": "Entity mentions found.",
    "relationships": "Relationships found.",
    "status": "`completed` once every stage of the document is written.",
    "completed_at": "When the document's last stage was written.",
    "entity_id": "The canonical entity: stable across recomputation.",
    "canonical_name": "The entity's name as shown.",
    "aliases": "Other names the documents use for it.",
    "mention_count": "Mentions linked to it.",
    "document_count": "Documents that mention it.",
    "definitions": "Definitions in the documents that joined an alias to it, with their evidence.",
    "level": "`page` or `chunk`.",
    "number": "The page number, or the chunk index.",
    "kind": "`exact` (same words) or `near` (near-duplicate).",
    "pivot_document_id": "The document its group is built around.",
    "similarity": "Share of word shingles in common with the pivot, 0-1.",
}
TABLE_COLUMNS = {
    ("chunks", "text"): "The chunk's text.",
    ("entity_mentions", "text"): "The words as they appear in the document.",
    ("search_index", "text"): "The page's or chunk's text.",
    ("search_index", "page_start"): "First page of the chunk (the page itself for a page row).",
    ("search_index", "page_end"): "Last page of the chunk (the page itself for a page row).",
    ("resolved_entities", "label"): COLUMNS["label"],
    ("defined_terms", "label"): "Kind of entity the referent is; blank when not an entity.",
    ("defined_terms", "normalized"): "The referent in a standard form; blank when not an entity.",
    ("entity_mentions", "page_number"): "Page of the mention, from 1.",
    ("entity_mentions", "bates"): "Bates number of the mention's page; blank when there is none.",
    ("entity_mentions", "method"): "Which extractor found it: a named rule or the spaCy model.",
}


def _column(table: str, name: str, type_: str, *, required: bool) -> dg.TableColumn:
    return dg.TableColumn(
        name,
        type_,
        description=TABLE_COLUMNS.get((table, name)) or COLUMNS[name],
        constraints=dg.TableColumnConstraints(nullable=not required),
    )


def table_metadata(table: sa.Table) -> dict[str, object]:
    """Definition metadata of an asset stored in a database table (its main one, when it writes
    more: `entity_mentions` also writes `defined_terms`, `resolved_entities` also `entity_links`)."""
    columns = [
        _column(table.name, column.name, str(column.type).lower(), required=not column.nullable)
        for column in table.columns
    ]
    return {"dagster/column_schema": dg.TableSchema(columns=columns), "dagster/table_name": table.name}


def parquet_metadata(asset: str, schema: pa.Schema) -> dict[str, object]:
    """Definition metadata of an asset stored as one Parquet file per document."""
    columns = [_column(asset, field.name, str(field.type), required=not field.nullable) for field in schema]
    return {"dagster/column_schema": dg.TableSchema(columns=columns)}
