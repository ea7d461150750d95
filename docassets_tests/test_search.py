"""Search over real processed filings: one query syntax, the same answers on SQLite FTS5 and on
PostgreSQL, every hit cited; entity filters; an entity's record; the command line."""

from __future__ import annotations

import csv
import io
import json
import re

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from docassets import api
from docassets.cli import main
from docassets.core.search_query import QuerySyntaxError
from docassets.entity_record import entity_record
from docassets.local_run import LocalPipeline
from docassets.search import find_entity, search, sentence_at, sentence_spans
from docassets.storage import tables as t

from .conftest import sample
from .search_matter import FIRST_BATES, PROJECT

# Each query with its reading in plain Python: `w` is a page's set of words, `p` its words joined
# by single spaces with a space at each end (so a phrase is " life insurance " in p).
QUERIES = {
    "insurance": lambda w, p: "insurance" in w,
    '"life insurance" Dearborn': lambda w, p: "dearborn" in w and " life insurance " in p,
    "Liebowitz OR Berkshire": lambda w, p: "liebowitz" in w or "berkshire" in w,
    "insur* -Dearborn": lambda w, p: any(x.startswith("insur") for x in w) and "dearborn" not in w,
    '(Standard OR Berkshire) "insurance company"': lambda w, p: (
        ("standard" in w or "berkshire" in w) and " insurance company " in p
    ),
    "Pierre NOT (Dearborn OR Appellees)": lambda w, p: "pierre" in w and not ({"dearborn", "appellees"} & w),
    "compensation AND workers": lambda w, p: {"compensation", "workers"} <= w,
    "WOMBAT": lambda w, p: "wombat" in w,
}


def page_words(matter) -> dict[tuple[str, int], tuple[set[str], str]]:
    """Every page's words, and its words joined by single spaces (for phrases)."""
    index = t.search_index
    pages = matter.tables.frame(sa.select(index).where(index.c.level == "page", index.c.project == PROJECT))
    names = {document_id: name for name, document_id in matter.files.items()}
    result = {}
    for row in pages.itertuples():
        words = re.findall(r"[^\W_]+", row.text.lower())
        result[(names[row.document_id], row.number)] = (set(words), " " + " ".join(words) + " ")
    return result


def found(matter, query: str, **filters) -> list[tuple[str, int]]:
    return [(hit.file, hit.page) for hit in search(matter.tables, PROJECT, query, limit=200, **filters)]


@pytest.mark.parametrize("query", QUERIES)
def test_each_query_finds_exactly_the_pages_it_describes(matter, query):
    expected = {key for key, (w, p) in page_words(matter).items() if QUERIES[query](w, p)}
    hits = search(matter.tables, PROJECT, query, limit=200)
    assert {(hit.file, hit.page) for hit in hits} == expected
    assert expected, "every query of the list finds something in the matter"
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_both_engines_give_the_same_hits(sqlite_matter, postgres_matter):
    for query in QUERIES:
        assert set(found(sqlite_matter, query)) == set(found(postgres_matter, query)), query
    entity = "St. Pierre"
    assert set(found(sqlite_matter, "insurance", entities=[entity])) == set(
        found(postgres_matter, "insurance", entities=[entity])
    )


def test_hits_cite_the_bates_number_or_the_page(matter):
    hits = search(matter.tables, PROJECT, '"life insurance"', limit=50)
    stamped = [hit for hit in hits if hit.file == "st-pierre-production.pdf"]
    assert stamped and all(hit.citation == f"WOMBAT {FIRST_BATES + hit.page - 1:06d}" for hit in stamped)
    unstamped = search(matter.tables, PROJECT, "Liebowitz")[0]
    assert unstamped.bates is None and unstamped.citation == "ca10-filing-010110462922.pdf at 1"
    for hit in hits:
        assert re.search(r"«[^»]*(life|insurance)[^»]*»", hit.snippet, re.IGNORECASE)
        chunk = matter.tables.read_frame(
            "chunks", {"document_id": hit.document_id, "chunk_index": hit.chunk_index}
        )
        assert chunk.page_start[0] <= hit.page <= chunk.page_end[0]


def _pages_of(matter, entity_id: str) -> set[tuple[str, int]]:
    m, links = t.entity_mentions, t.entity_links
    rows = matter.tables.frame(
        sa.select(m.c.document_id, m.c.page_number)
        .join(links, links.c.mention_id == m.c.mention_id)
        .where(links.c.entity_id == entity_id)
    )
    names = {document_id: name for name, document_id in matter.files.items()}
    return {(names[r.document_id], int(r.page_number)) for r in rows.itertuples()}


def test_an_entity_filter_keeps_the_pages_naming_it_by_any_alias(matter):
    entity = find_entity(matter.tables, PROJECT, "Vanessa St. Pierre")
    assert find_entity(matter.tables, PROJECT, "st. pierre").entity_id == entity.entity_id  # an alias
    pages = _pages_of(matter, entity.entity_id)
    hits = set(found(matter, "insurance", entities=["St. Pierre"]))
    everywhere = set(found(matter, "insurance"))
    assert hits == everywhere & pages
    assert hits < everywhere
    # pages that name her only as "St. Pierre" count: the full name is on the first page alone
    full_name = set(found(matter, '"Vanessa St. Pierre"'))
    assert len(hits - full_name) >= 3


def test_two_entities_on_one_page_or_in_one_sentence(matter):
    pierre = find_entity(matter.tables, PROJECT, "Vanessa St. Pierre")
    standard = find_entity(matter.tables, PROJECT, "Standard")
    names = [pierre.canonical_name, standard.canonical_name]
    same_page = set(found(matter, "insurance", entities=names))
    assert same_page == set(found(matter, "insurance")) & _pages_of(matter, pierre.entity_id) & _pages_of(
        matter, standard.entity_id
    )
    same_sentence = set(found(matter, "insurance", entities=names, together="sentence"))
    assert same_sentence and same_sentence < same_page
    # the pages kept are those holding a sentence that names both, through their mentions
    m, links = t.entity_mentions, t.entity_links
    mentions = matter.tables.frame(
        sa.select(m.c.document_id, m.c.chunk_index, m.c.start, m.c.page_number, links.c.entity_id)
        .join(links, links.c.mention_id == m.c.mention_id)
        .where(links.c.entity_id.in_([pierre.entity_id, standard.entity_id]))
    )
    chunks = matter.tables.read_frame("chunks", {"document_id": matter.files["st-pierre-production.pdf"]})
    both = set()
    for chunk in chunks.itertuples():
        spans = sentence_spans(chunk.text)
        here = mentions[
            (mentions.document_id == chunk.document_id) & (mentions.chunk_index == chunk.chunk_index)
        ]
        by_sentence = here.assign(sentence=[sentence_at(spans, s - chunk.char_start) for s in here.start])
        for _, group in by_sentence.groupby("sentence"):
            if group.entity_id.nunique() == 2:
                both |= {("st-pierre-production.pdf", int(p)) for p in group.page_number}
    assert same_sentence == both & same_page


def test_document_date_and_label_filters(matter):
    assert set(found(matter, "insurance", documents=["dcolo-complaint-first-page.pdf"])) == {
        ("dcolo-complaint-first-page.pdf", 1)
    }
    production = matter.files["st-pierre-production.pdf"]
    assert {file for file, _ in found(matter, "insurance", documents=[production])} == {
        "st-pierre-production.pdf"
    }
    m = t.entity_mentions
    dated = matter.tables.frame(
        sa.select(m.c.document_id, m.c.page_number).where(
            m.c.label == "DATE", m.c.normalized >= "2017-01-01", m.c.normalized <= "2017-12-31\uffff"
        )
    )
    names = {document_id: name for name, document_id in matter.files.items()}
    in_2017 = {(names[r.document_id], int(r.page_number)) for r in dated.itertuples()}
    assert in_2017 and set(found(matter, "insurance", date_from="2017-01-01", date_to="2017-12-31")) == (
        set(found(matter, "insurance")) & in_2017
    )
    money = matter.tables.frame(sa.select(m.c.document_id, m.c.page_number).where(m.c.label == "MONEY"))
    with_money = {(names[r.document_id], int(r.page_number)) for r in money.itertuples()}
    assert set(found(matter, "insurance", labels=["money"])) == set(found(matter, "insurance")) & with_money


def test_duplicates_are_left_out_on_request(matter):
    everywhere = found(matter, "insurance")
    production = matter.files["st-pierre-production.pdf"]
    kept = found(matter, "insurance", exclude_documents=[production])
    assert kept == [key for key in everywhere if key[0] != "st-pierre-production.pdf"]
    # without a duplicates table (the grouping has not run) collapsing changes nothing
    assert found(matter, "insurance", collapse_duplicates=True) == everywhere


@pytest.mark.parametrize(
    "query, problem",
    [
        ("-draft", "only exclude"),
        ("(unclosed group", "not closed"),
        ("a OR", "each side"),
        ("co-op*", "prefix"),
        ("§ ,", "no word"),
    ],
)
def test_unreadable_queries_say_how_to_write_them(matter, query, problem):
    with pytest.raises(QuerySyntaxError, match=problem):
        search(matter.tables, PROJECT, query)


def test_an_entity_record_lists_mentions_with_cites_sentences_and_relationships(matter):
    record = entity_record(matter.tables, PROJECT, "St. Pierre")
    assert record.entity.canonical_name == "Vanessa St. Pierre"
    assert len(record.mentions) == record.entity.mention_count
    assert {m.text for m in record.mentions} >= {"St. Pierre", "Vanessa St. Pierre"}
    assert all(m.where.cite.startswith("WOMBAT 0005") for m in record.mentions)
    for mention in record.mentions:
        assert " ".join(mention.text.split()) in mention.sentence
    assert {m.where.page for m in record.mentions} == set(range(1, 7))
    types = {r.type for r in record.relationships}
    assert "APPELLANT_IN" in types and "CO_OCCURS" in types
    dearborn = [r for r in record.relationships if r.other == "Dearborn"]
    assert dearborn and all("Dearborn" in r.sentence and r.where.cite.startswith("WOMBAT") for r in dearborn)


def test_the_command_line_prints_a_table_json_and_csv(matter, monkeypatch):
    monkeypatch.setenv("DOCASSETS_HOME", str(matter.settings.home))
    if matter.engine == "postgresql":
        monkeypatch.setenv("DOCASSETS_DATABASE_URL", matter.settings.database_url)
    runner = CliRunner()
    table = runner.invoke(main, ["search", "--project", PROJECT, '"life insurance" Dearborn'])
    assert table.exit_code == 0, table.output
    assert "WOMBAT 000510" in table.output and "«Dearborn»" in table.output
    as_json = json.loads(runner.invoke(main, ["search", "--project", PROJECT, "--json", "Liebowitz"]).output)
    assert as_json and set(as_json[0]) >= {
        "document_id",
        "file",
        "page",
        "bates",
        "snippet",
        "chunk_index",
        "score",
    }
    as_csv = list(
        csv.DictReader(
            io.StringIO(
                runner.invoke(
                    main, ["search", "--project", PROJECT, "--csv", "--entity", "St. Pierre", "insurance"]
                ).output
            )
        )
    )
    assert as_csv and all(re.fullmatch(r"WOMBAT \d{6}", row["citation"]) for row in as_csv)
    bad = runner.invoke(main, ["search", "--project", PROJECT, "--", "-draft"])
    assert bad.exit_code != 0 and "only exclude" in bad.output
    record = runner.invoke(main, ["entity", "--project", PROJECT, "St. Pierre"])
    assert record.exit_code == 0 and "aliases:" in record.output and "WOMBAT 0005" in record.output
    assert (
        api.search(PROJECT, "Liebowitz", settings=matter.settings)[0].file == "ca10-filing-010110462922.pdf"
    )


def test_rematerializing_a_document_replaces_its_index_rows(settings):
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(settings, instance)
        document = pipeline.add_document(sample("dcolo-complaint-first-page.pdf"), project="rerun")
        assert pipeline.run_document(document)
        first = pipeline.tables.read_frame("search_index", {"document_id": document}, order_by="number")
        hits = search(pipeline.tables, "rerun", "Berkshire")
        assert pipeline.run_document(document)
        again = pipeline.tables.read_frame("search_index", {"document_id": document}, order_by="number")
        assert again.sort_values(["level", "number"], ignore_index=True).equals(
            first.sort_values(["level", "number"], ignore_index=True)
        )
        assert search(pipeline.tables, "rerun", "Berkshire") == hits  # the old entries left the index
    assert (first.level == "page").sum() == 1 and (first.level == "chunk").sum() >= 1
    assert [hit.page for hit in hits] == [1]
