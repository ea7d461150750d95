"""Search a project's pages and cite every hit: document, page, Bates number (or a page cite when
the page is unstamped), a highlighted snippet and the chunk that holds it.

The query syntax is `docassets.core.search_query`'s, compiled for the database in use: PostgreSQL
full-text search over the `search_index` table's tsvector (GIN index), or SQLite FTS5. Filters
narrow the pages before ranking: resolved entities (every alias counts, because the filter follows
the entity's links, not its name), two entities on one page or in one sentence, documents, dates
mentioned on the page, entity labels, and documents known to be duplicates.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY

from docassets.core.chunking import sentence_parts
from docassets.core.models import Entity
from docassets.core.search_query import AnyOf, Node, Term, fts5_match, parse_query
from docassets.frames import records
from docassets.storage import tables as t
from docassets.storage.tables import TableStore

MARK_START, MARK_END = "«", "»"  # around each matched word of a snippet
SNIPPET_WORDS = 30

Together = Literal["page", "sentence"]


@dataclass(frozen=True)
class Hit:
    document_id: str
    file: str
    page: int
    bates: str | None
    snippet: str  # matched words between « and »
    chunk_index: int | None
    score: float

    @property
    def citation(self) -> str:
        return cite(self.file, self.page, self.bates)

    def as_dict(self) -> dict:
        return {**asdict(self), "citation": self.citation}


def cite(file: str, page: int | None, bates: str | None) -> str:
    """What a brief cites: the Bates number ("WOMBAT 000512"), or the file and page when unstamped."""
    return bates or (f"{file} at {page}" if page else file)


class EntityNotFound(LookupError):
    """No resolved entity of the project has that id, name or alias."""


def find_entity(tables: TableStore, project: str, name: str) -> Entity:
    """The project's resolved entity with this id, canonical name or alias (ignoring case); else the
    one whose name or an alias contains every word of `name`. Several: the most mentioned."""
    entities = t.resolved_entities
    wanted = name.strip().casefold()
    in_project = (
        sa.select(entities).where(entities.c.project == project).order_by(entities.c.mention_count.desc())
    )
    with tables.connect() as connection:  # plain rows: a DataFrame costs more than this lookup
        exact = connection.execute(
            in_project.where(
                sa.or_(
                    entities.c.entity_id == name.strip(), sa.func.lower(entities.c.canonical_name) == wanted
                )
            ).limit(1)
        ).first()
        if exact is not None:
            return _entity(exact)
        candidates = connection.execute(in_project).all()
    words = set(wanted.split())
    for level in ("alias", "words"):
        for row in candidates:
            names = [row.canonical_name, *row.aliases]
            if level == "alias" and any(n.casefold() == wanted for n in names):
                return _entity(row)
            if level == "words" and any(words <= set(n.casefold().split()) for n in names):
                return _entity(row)
    raise EntityNotFound(f"project {project!r} has no entity named {name!r}; `docassets export` lists them")


def _entity(row) -> Entity:
    return Entity(
        row.entity_id,
        row.label,
        row.canonical_name,
        tuple(row.aliases),
        int(row.mention_count),
        int(row.document_count),
    )


def _is_postgres(tables: TableStore) -> bool:
    return tables.engine.dialect.name == "postgresql"


class _PostgresText:
    """Full-text search through the generated `text_vector` column and its GIN index."""

    vector: sa.ColumnClause[Any] = sa.literal_column("search_index.text_vector")

    def __init__(self, node: Node):
        self.query = self._tsquery(node)

    def _tsquery(self, node: Node) -> sa.ColumnElement:
        if isinstance(node, Term):
            if node.prefix:
                return sa.func.to_tsquery("simple", node.text + ":*", type_=TSQUERY)
            return sa.func.websearch_to_tsquery("simple", f'"{node.text}"', type_=TSQUERY)
        if isinstance(node, AnyOf):
            return _fold(sa.func.tsquery_or, [self._tsquery(option) for option in node.options])
        parts = [self._tsquery(p) for p in node.positive]
        parts += [sa.func.tsquery_not(self._tsquery(n), type_=TSQUERY) for n in node.negative]
        return _fold(sa.func.tsquery_and, parts)

    def matches(self) -> sa.ColumnElement[bool]:
        return self.vector.op("@@")(self.query)

    def ranked(self, within: sa.Select | None = None) -> sa.Select:
        """`within` is left to the caller's conditions: PostgreSQL's planner starts from an entity's
        pages by itself."""
        score = sa.func.ts_rank_cd(self.vector, self.query)
        return sa.select(t.search_index.c.document_id, t.search_index.c.number, score.label("score")).where(
            self.matches()
        )

    def snippets(self, keys: Sequence[tuple[str, int]]) -> sa.Select:
        options = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=12, "
            "MaxFragments=2, FragmentDelimiter= … "
        )
        index = t.search_index
        headline = sa.func.ts_headline("simple", index.c.text, self.query, options)
        return sa.select(index.c.document_id, index.c.number, headline.label("snippet")).where(
            index.c.level == "page", sa.tuple_(index.c.document_id, index.c.number).in_(keys)
        )


class _SqliteText:
    """Full-text search through the FTS5 table `search_index_fts` (external content: `search_index`).

    FTS5 answers a MATCH either by listing every matching row (one pass, whose cost grows with the
    project) or row by row for given rowids (about 0.1 ms a row; with bm25, which counts each
    term's rows afresh for every lookup, 0.4 ms at 50,000 pages and growing). Snippets and chunks
    are asked of a few rows, so those are looked up; the ranking lists the matches once and drops
    those outside an entity's pages by rowid before anything else is read (benchmarks/search_speed.py).
    """

    fts = sa.table("search_index_fts", sa.column("rowid"))
    fts_name: sa.ColumnClause[Any] = sa.literal_column("search_index_fts")
    rowid: sa.ColumnClause[Any] = sa.literal_column("search_index.rowid")

    def __init__(self, node: Node):
        self.query = fts5_match(node)

    def _match(self) -> sa.ColumnElement[bool]:
        return self.fts_name.op("MATCH")(self.query)

    def matches(self) -> sa.ColumnElement[bool]:
        return sa.exists().where(self.fts.c.rowid == self.rowid, self._match())

    def _joined(self, *columns) -> sa.Select:
        return (
            sa.select(*columns)
            .select_from(t.search_index.join(self.fts, self.fts.c.rowid == self.rowid))
            .where(self._match())
        )

    def _rowids(self, pages: sa.Select | Sequence[tuple[str, int]]) -> sa.Select:
        """The rowids of these pages (document id, page number)."""
        probed = t.search_index.alias("probed")
        wanted: sa.ColumnElement[bool]
        if isinstance(pages, sa.Select):
            wanted = sa.tuple_(probed.c.document_id, probed.c.number).in_(pages)
        else:  # SQLite reads the whole index for a row value IN a list of constants
            wanted = sa.or_(*[(probed.c.document_id == d) & (probed.c.number == n) for d, n in pages])
        return sa.select(sa.literal_column("probed.rowid")).where(probed.c.level == "page", wanted)

    def ranked(self, within: sa.Select | None = None) -> sa.Select:
        """`within`: (document id, page number) of the only pages that can be hits, such as an
        entity's; the caller's conditions still hold."""
        index = t.search_index
        ranked = self._joined(
            index.c.document_id, index.c.number, (-sa.func.bm25(self.fts_name)).label("score")
        )
        if within is None:
            return ranked
        # `+ 0`: a test on each listed match, not a rowid constraint FTS5 would look up row by row
        return ranked.where((self.fts.c.rowid + 0).in_(self._rowids(within)))

    def snippets(self, keys: Sequence[tuple[str, int]]) -> sa.Select:
        index = t.search_index
        snippet = sa.func.snippet(self.fts_name, 0, MARK_START, MARK_END, " … ", SNIPPET_WORDS // 2)
        return self._joined(index.c.document_id, index.c.number, snippet.label("snippet")).where(
            self.fts.c.rowid.in_(self._rowids(keys))
        )


def _fold(function, parts: list[sa.ColumnElement]) -> sa.ColumnElement:
    expression = parts[0]
    for part in parts[1:]:
        expression = function(expression, part, type_=TSQUERY)
    return expression


def _mentioned_pages(*conditions) -> sa.Select:
    mentions = t.entity_mentions
    return sa.select(mentions.c.document_id, mentions.c.page_number).where(*conditions)


def _entity_pages(entity_id: str) -> sa.Select:
    mentions, links = t.entity_mentions, t.entity_links
    return (
        sa.select(mentions.c.document_id, mentions.c.page_number)
        .join(links, links.c.mention_id == mentions.c.mention_id)
        .where(links.c.entity_id == entity_id)
    )


def _duplicate_documents(tables: TableStore, project: str) -> sa.Select | None:
    """Documents that another document of the project stands for (table `document_duplicates`,
    written by the duplicate grouping when it has run)."""
    if not sa.inspect(tables.engine).has_table("document_duplicates"):
        return None
    duplicates = sa.table(
        "document_duplicates", sa.column("project"), sa.column("document_id"), sa.column("pivot_document_id")
    )
    return sa.select(duplicates.c.document_id).where(
        duplicates.c.project == project, duplicates.c.document_id != duplicates.c.pivot_document_id
    )


def search(
    tables: TableStore,
    project: str,
    query: str,
    *,
    entities: Sequence[str] = (),
    together: Together = "page",
    documents: Collection[str] = (),
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    labels: Collection[str] = (),
    collapse_duplicates: bool = False,
    exclude_documents: Collection[str] = (),
    limit: int = 20,
) -> list[Hit]:
    """Pages of `project` matching `query`, best first (see the module docstring for the filters).

    `entities`: ids, names or aliases of resolved entities, all of which must be mentioned on the
    page (`together="sentence"`: in one sentence of it). `documents`: ids or file names.
    `date_from`/`date_to`: the page mentions a date in the range (ISO dates compared as text).
    `labels`: the page mentions an entity with one of these labels (ORG, MONEY, ...).
    `collapse_duplicates`: leave out documents that are duplicates of another document of the
    project; `exclude_documents`: leave out these documents.
    """
    node = parse_query(query)
    text = _PostgresText(node) if _is_postgres(tables) else _SqliteText(node)
    index, sources = t.search_index, t.source_documents
    page_key = sa.tuple_(index.c.document_id, index.c.number)
    conditions = [index.c.project == project, index.c.level == "page"]
    resolved = [find_entity(tables, project, name) for name in entities]
    for entity in resolved:
        conditions.append(page_key.in_(_entity_pages(entity.entity_id)))
    if together == "sentence" and len(resolved) > 1:
        pairs = _pages_with_one_sentence(tables, resolved)
        conditions.append(page_key.in_(pairs) if pairs else sa.false())
    if documents:
        named = sa.select(sources.c.document_id).where(sources.c.file_name.in_(list(documents)))
        conditions.append(sa.or_(index.c.document_id.in_(list(documents)), index.c.document_id.in_(named)))
    if date_from or date_to:
        mentions = t.entity_mentions
        dated = [mentions.c.label == "DATE"]
        if date_from:
            dated.append(mentions.c.normalized >= str(date_from))
        if date_to:
            dated.append(mentions.c.normalized <= str(date_to) + "\uffff")  # any finer date inside the bound
        conditions.append(page_key.in_(_mentioned_pages(*dated)))
    if labels:
        conditions.append(
            page_key.in_(_mentioned_pages(t.entity_mentions.c.label.in_([label.upper() for label in labels])))
        )
    if collapse_duplicates and (duplicates := _duplicate_documents(tables, project)) is not None:
        conditions.append(index.c.document_id.not_in(duplicates))
    if exclude_documents:
        conditions.append(index.c.document_id.not_in(list(exclude_documents)))

    rarest = min(resolved, key=lambda entity: entity.mention_count, default=None)
    within = _entity_pages(rarest.entity_id) if rarest else None
    ordered = (
        text.ranked(within).where(*conditions).order_by(sa.desc("score"), index.c.document_id, index.c.number)
    )
    best = ordered.limit(limit).subquery()
    ranked = (
        sa.select(best, sources.c.file_name, index.c.bates_start)
        .join(sources, sources.c.document_id == best.c.document_id)
        .join(
            index,
            sa.and_(
                index.c.document_id == best.c.document_id,
                index.c.level == "page",
                index.c.number == best.c.number,
            ),
        )
        .order_by(best.c.score.desc(), best.c.document_id, best.c.number)
    )
    with tables.connect() as connection:
        rows = connection.execute(ranked).all()
        if not rows:
            return []
        keys = [(row.document_id, row.number) for row in rows]
        snippets = {(r.document_id, r.number): r.snippet for r in connection.execute(text.snippets(keys))}
        chunks = _chunks_of(connection, text, keys)
    return [
        Hit(
            row.document_id,
            row.file_name,
            row.number,
            row.bates_start,
            snippets.get((row.document_id, row.number), ""),
            chunks.get((row.document_id, row.number)),
            float(row.score),
        )
        for row in rows
    ]


def _chunks_of(
    connection: sa.Connection, text: _PostgresText | _SqliteText, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    """For each hit page, the first chunk on it that matches the query too (else the first chunk on it)."""
    index = t.search_index
    covering = sa.or_(
        *[
            sa.and_(index.c.document_id == document_id, index.c.page_start <= page, index.c.page_end >= page)
            for document_id, page in keys
        ]
    )
    matched = sa.case((text.matches(), 1), else_=0)
    rows = connection.execute(
        sa.select(
            index.c.document_id,
            index.c.number,
            index.c.page_start,
            index.c.page_end,
            matched.label("matched"),
        )
        .where(index.c.level == "chunk", covering)
        .order_by(index.c.number)
    ).all()
    found: dict[tuple[str, int], tuple[int, int]] = {}
    for document_id, page in keys:
        for row in rows:
            if row.document_id == document_id and row.page_start <= page <= row.page_end:
                best = found.get((document_id, page))
                if best is None or (row.matched and not best[1]):
                    found[(document_id, page)] = (row.number, row.matched)
    return {key: number for key, (number, _) in found.items()}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Each sentence of `text` as one span, from its first part to its last (see `sentence_parts`)."""
    return [(parts[0][0], parts[-1][1]) for parts in sentence_parts(text)]


def sentence_at(spans: Sequence[tuple[int, int]], offset: int) -> int | None:
    """The index of the sentence span holding `offset`."""
    position = bisect.bisect_right([start for start, _ in spans], offset) - 1
    return position if position >= 0 and offset < spans[position][1] else None


def _pages_with_one_sentence(tables: TableStore, entities: Sequence[Entity]) -> list[tuple[str, int]]:
    """(document, page) where one sentence names every one of `entities` (through any alias)."""
    mentions, links, chunks = t.entity_mentions, t.entity_links, t.chunks
    rows = tables.frame(
        sa.select(
            links.c.entity_id,
            mentions.c.document_id,
            mentions.c.chunk_index,
            mentions.c.start,
            mentions.c.page_number,
        )
        .join(links, links.c.mention_id == mentions.c.mention_id)
        .where(links.c.entity_id.in_([e.entity_id for e in entities]), mentions.c.chunk_index.is_not(None))
    )
    wanted = {e.entity_id for e in entities}
    shared = rows.groupby(["document_id", "chunk_index"]).entity_id.nunique()
    candidates = shared[shared == len(wanted)].index.tolist()
    if not candidates:
        return []
    chunk_rows = tables.frame(
        sa.select(chunks.c.document_id, chunks.c.chunk_index, chunks.c.text, chunks.c.char_start).where(
            sa.tuple_(chunks.c.document_id, chunks.c.chunk_index).in_(candidates)
        )
    )
    pages: set[tuple[str, int]] = set()
    for chunk in records(chunk_rows):
        spans = sentence_spans(chunk.text)
        here = rows[(rows.document_id == chunk.document_id) & (rows.chunk_index == chunk.chunk_index)]
        by_sentence: dict[int, set[str]] = {}
        for mention in records(here):
            sentence = sentence_at(spans, int(mention.start) - int(chunk.char_start))
            if sentence is not None:
                by_sentence.setdefault(sentence, set()).add(mention.entity_id)
        for sentence, found in by_sentence.items():
            if found == wanted:
                pages |= {
                    (chunk.document_id, int(m.page_number))
                    for m in records(here)
                    if sentence_at(spans, int(m.start) - int(chunk.char_start)) == sentence
                }
    return sorted(pages)
