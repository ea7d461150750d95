"""The search syntax's reading: precedence, operators, phrases and prefixes (engines: test_search.py)."""

import pytest

from docassets.core.search_query import AllOf, AnyOf, QuerySyntaxError, Term, fts5_match, parse_query


def test_and_binds_tighter_than_or_and_only_upper_case_operators_count():
    assert parse_query("acme audit OR wombat") == AnyOf(
        (AllOf((Term("acme"), Term("audit"))), Term("wombat"))
    )
    assert parse_query("acme AND audit") == parse_query("acme audit")
    assert parse_query("fish or chips") == AllOf((Term("fish"), Term("or"), Term("chips")))


def test_phrases_prefixes_and_exclusions():
    assert parse_query('"2019 audit" acme* -draft NOT (memo OR note)') == AllOf(
        (Term("2019 audit"), Term("acme", prefix=True)), (Term("draft"), AnyOf((Term("memo"), Term("note"))))
    )


def test_fts5_expressions_quote_every_term_and_bracket_every_group():
    assert fts5_match(parse_query("acme OR audit*")) == '("acme" OR "audit" *)'
    assert fts5_match(parse_query('acme "co-op" -draft')) == '(("acme" AND "co-op") NOT "draft")'


@pytest.mark.parametrize("query", ["-draft", "NOT draft", "acme OR", "(acme", "acme)", "* ?", "acme NOT"])
def test_queries_that_cannot_be_read_are_refused(query):
    with pytest.raises(QuerySyntaxError):
        parse_query(query)
