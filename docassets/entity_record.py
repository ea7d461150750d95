"""An entity's record: every mention of a resolved entity across a project, each with its page,
Bates cite and sentence, and the entity's relationships with the sentence that evidences them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from docassets import frames
from docassets.core.models import Entity
from docassets.search import cite, find_entity, sentence_at, sentence_spans
from docassets.storage import tables as t
from docassets.storage.tables import TableStore


@dataclass(frozen=True)
class Citation:
    document_id: str
    file: str
    page: int | None
    bates: str | None

    @property
    def cite(self) -> str:
        return cite(self.file, self.page, self.bates)


@dataclass(frozen=True)
class EntityMention:
    text: str
    where: Citation
    sentence: str


@dataclass(frozen=True)
class EntityRelationship:
    type: str
    role: str  # "source" when the entity is the edge's source, else "target"
    other: str  # the other end: its canonical name when resolved, else the name in the document
    other_label: str
    where: Citation
    sentence: str
    confidence: float


@dataclass(frozen=True)
class EntityRecord:
    entity: Entity
    mentions: list[EntityMention]
    relationships: list[EntityRelationship]


def entity_record(tables: TableStore, project: str, name: str) -> EntityRecord:
    """The record of the entity with this id, name or alias (see `find_entity`)."""
    entity = find_entity(tables, project, name)
    mentions, links, sources, chunks = t.entity_mentions, t.entity_links, t.source_documents, t.chunks
    found = tables.frame(
        sa.select(
            mentions.c.document_id,
            sources.c.file_name,
            mentions.c.page_number,
            mentions.c.bates,
            mentions.c.text,
            mentions.c.label,
            mentions.c.normalized,
            mentions.c.start,
            mentions.c.chunk_index,
            chunks.c.text.label("chunk_text"),
            chunks.c.char_start,
        )
        .join(links, links.c.mention_id == mentions.c.mention_id)
        .join(sources, sources.c.document_id == mentions.c.document_id)
        .outerjoin(
            chunks,
            sa.and_(
                chunks.c.document_id == mentions.c.document_id, chunks.c.chunk_index == mentions.c.chunk_index
            ),
        )
        .where(links.c.entity_id == entity.entity_id)
        .order_by(sources.c.file_name, mentions.c.start)
    )
    spans: dict[tuple[str, int], list[tuple[int, int]]] = {}
    records = [
        EntityMention(row.text, _citation(row), _sentence(row, spans)) for row in frames.records(found)
    ]
    return EntityRecord(entity, records, _relationships(tables, project, found))


def _citation(row) -> Citation:
    page = None if pd.isna(row.page_number) else int(row.page_number)
    return Citation(row.document_id, row.file_name, page, None if pd.isna(row.bates) else row.bates)


def _sentence(row, cache: dict[tuple[str, int], list[tuple[int, int]]]) -> str:
    if pd.isna(row.chunk_index):
        return row.text
    key = (row.document_id, int(row.chunk_index))
    spans = cache.setdefault(key, sentence_spans(row.chunk_text))
    index = sentence_at(spans, int(row.start) - int(row.char_start))
    return " ".join(row.chunk_text[slice(*spans[index])].split()) if index is not None else row.text


def _relationships(tables: TableStore, project: str, found: pd.DataFrame) -> list[EntityRelationship]:
    """The edges of the documents mentioning the entity whose source or target is one of its
    (label, normalized) keys in that document; the other end named by its canonical entity."""
    if found.empty:
        return []
    keys = {(r.document_id, r.label, r.normalized) for r in frames.records(found)}
    documents = sorted({document_id for document_id, _, _ in keys})
    edges, mentions, links, entities = t.relationships, t.entity_mentions, t.entity_links, t.resolved_entities
    rows = tables.frame(
        sa.select(edges)
        .where(edges.c.document_id.in_(documents), edges.c.type != "MENTIONS")
        .order_by(edges.c.document_id, edges.c.relationship_index)
    )
    canonical = tables.frame(
        sa.select(mentions.c.document_id, mentions.c.label, mentions.c.normalized, entities.c.canonical_name)
        .join(links, links.c.mention_id == mentions.c.mention_id)
        .join(entities, entities.c.entity_id == links.c.entity_id)
        .where(mentions.c.document_id.in_(documents), entities.c.project == project)
        .distinct()
    )
    names = {(r.document_id, r.label, r.normalized): r.canonical_name for r in frames.records(canonical)}
    pages = found.drop_duplicates("document_id").set_index("document_id")
    chunk_pages = _chunk_pages(tables, documents)
    result = []
    for edge in frames.records(rows):
        source = (edge.document_id, edge.source_label, edge.source_name) in keys
        target = (edge.document_id, edge.target_label, edge.target_name) in keys
        if not (source or target):
            continue
        other_label, other = (
            (edge.target_label, edge.target_name) if source else (edge.source_label, edge.source_name)
        )
        chunk_index = None if pd.isna(edge.chunk_index) else int(edge.chunk_index)
        first_page = chunk_pages.get((edge.document_id, chunk_index)) if chunk_index is not None else None
        where = Citation(
            edge.document_id, pages.loc[edge.document_id].file_name, *(first_page or (None, None))
        )
        result.append(
            EntityRelationship(
                edge.type,
                "source" if source else "target",
                names.get((edge.document_id, other_label, other), other),
                other_label,
                where,
                " ".join(edge.sentence.split()),
                float(edge.confidence),
            )
        )
    return result


def _chunk_pages(tables: TableStore, documents: list[str]) -> dict[tuple[str, int], tuple[int, str | None]]:
    chunks = t.chunks
    rows = tables.frame(
        sa.select(
            chunks.c.document_id, chunks.c.chunk_index, chunks.c.page_start, chunks.c.bates_start
        ).where(chunks.c.document_id.in_(documents))
    )
    return {
        (r.document_id, int(r.chunk_index)): (
            int(r.page_start),
            None if pd.isna(r.bates_start) else r.bates_start,
        )
        for r in frames.records(rows)
    }
