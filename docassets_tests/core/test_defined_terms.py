"""Defined terms: finding definitions, their referents, and the mentions later uses make."""

from __future__ import annotations

import re

import pytest

from docassets.core.defined_terms import apply_defined_terms, find_defined_terms
from docassets.core.entities import extract_entities
from docassets.core.models import Mention


def mention(text: str, name: str, label: str, method: str = "spacy", occurrence: int = 0) -> Mention:
    start = [m.start() for m in re.finditer(re.escape(name), text)][occurrence]
    return Mention(start, start + len(name), name, label, name, method, 0.7)


AGREEMENT = (
    "This Agreement is made by Acme Holdings, Inc., a Delaware corporation (the \u201cCompany\u201d), and "
    'John Q. Smith ("Executive"). The Company shall employ Executive. "Good Reason" shall mean a '
    "material reduction of salary. Executive may resign for Good Reason. The Company's Board approved it."
)


def test_a_definition_links_later_uses_to_its_referent_with_exact_offsets():
    mentions = [
        mention(AGREEMENT, "Acme Holdings, Inc.", "ORG"),
        mention(AGREEMENT, "Delaware", "LOCATION"),
        mention(AGREEMENT, "John Q. Smith", "PERSON"),
        mention(AGREEMENT, "Company", "ORG", occurrence=1),  # spaCy's "the Company"
        mention(AGREEMENT, "Good Reason", "PERSON", occurrence=1),  # spaCy's guess at a defined term
    ]
    terms = find_defined_terms(AGREEMENT, mentions)
    by_term = {t.term: t for t in terms}
    assert set(by_term) == {"Company", "Executive", "Good Reason"}
    company = by_term["Company"]
    assert (company.referent, company.label, company.normalized) == (
        "Acme Holdings, Inc.",
        "ORG",
        "Acme Holdings, Inc.",
    )
    assert AGREEMENT[company.start : company.end] == "Company" and company.page_number == 1
    assert AGREEMENT[company.referent_start : company.referent_end] == "Acme Holdings, Inc."
    assert by_term["Executive"].label == "PERSON" and by_term["Executive"].normalized == "John Q. Smith"
    assert by_term["Good Reason"].referent is None and not by_term["Good Reason"].names_entity

    linked, counted = apply_defined_terms(AGREEMENT, mentions, terms)
    uses = [m for m in linked if m.method.startswith("rule:defined_")]
    assert [(m.text, m.label, m.normalized) for m in uses] == [
        ("Company", "ORG", "Acme Holdings, Inc."),
        ("Executive", "PERSON", "John Q. Smith"),
        ("Executive", "PERSON", "John Q. Smith"),
        ("Company", "ORG", "Acme Holdings, Inc."),
    ]
    assert all(AGREEMENT[m.start : m.end] == m.text for m in uses)
    assert not [m for m in linked if m.text == "Good Reason"], "a term naming no entity is no mention"
    assert {t.term: t.uses for t in counted} == {"Company": 2, "Executive": 2, "Good Reason": 0}


@pytest.mark.parametrize(
    "text, term, referent",
    [
        ('Lessor leases to Mary Jones, hereinafter "Lessee", the premises.', "Lessee", "Mary Jones"),
        ("Bank of America, N.A. (\u201cBuyer\u201d) agrees.", "Buyer", "Bank of America, N.A."),
        (
            'the Securities Exchange Act of 1934, as amended (the "Exchange Act"), applies',
            "Exchange Act",
            "Securities Exchange Act of 1934",
        ),
    ],
)
def test_definitions_in_parentheses_or_after_hereinafter_find_their_referent(text, term, referent):
    label = "STATUTE" if "Act" in referent else "ORG" if "Bank" in referent else "PERSON"
    terms = find_defined_terms(text, [mention(text, referent, label, method="rule:x")])
    assert [(t.term, t.referent, t.label) for t in terms] == [(term, referent, label)]


def test_a_collective_definition_names_the_group_and_links_no_single_entity():
    text = 'John Doe and Acme Corp. (collectively, the "Defendants") moved to dismiss. The Defendants lost.'
    mentions = [
        mention(text, "John Doe", "PERSON"),
        mention(text, "Acme Corp.", "ORG"),
        mention(text, "Defendants", "ORG", occurrence=1),
    ]
    [term] = find_defined_terms(text, mentions)
    assert (term.term, term.referent, term.label) == ("Defendants", "John Doe and Acme Corp.", None)
    linked, _ = apply_defined_terms(text, mentions, [term])
    assert [m.text for m in linked] == ["John Doe", "Acme Corp."]


def test_terms_that_name_no_entity_are_not_entities_in_extraction():
    text = (
        'On the date hereof (the "Effective Date"), the holders of Common Stock (the "Common Stock") met. '
        "After the Effective Date, Common Stock was issued to Marcus Webb."
    )
    mentions = extract_entities(text)
    names = {m.text for m in mentions if m.label in ("PERSON", "ORG", "LOCATION")}
    assert "Effective Date" not in names and "Common Stock" not in names
    assert "Marcus Webb" in names


def test_extraction_links_the_company_to_the_party_it_defines():
    text = (
        "STOCK PURCHASE AGREEMENT between Northwind Traders, Inc., a Delaware corporation "
        '(the "Company"), and Contoso Capital LLC (the "Buyer").\n'
        "The Company shall deliver the shares to the Buyer on the Closing Date."
    )
    mentions = extract_entities(text)
    uses = {(m.text, m.label, m.normalized) for m in mentions if m.method.startswith("rule:defined_")}
    assert ("Company", "ORG", "Northwind Traders, Inc.") in uses
    assert ("Buyer", "ORG", "Contoso Capital LLC") in uses


def test_a_short_name_in_parentheses_is_defined_without_quotes_and_its_uses_are_names():
    text = (
        "Sun Communities Operating Limited Partnership (SCOLP)"
        " and Nuveen Core Equity Alpha Fund (Core Equity) "
        "filed. SCOLP owns homes; Core Equity holds shares."
        " Acme Corp. (the Company) agreed; the Company pays."
    )
    mentions = [
        mention(text, "Sun Communities Operating Limited Partnership", "ORG"),
        mention(text, "Nuveen Core Equity Alpha Fund", "ORG"),
        mention(text, "Acme Corp.", "ORG"),
    ]
    terms = {t.term: t for t in find_defined_terms(text, mentions)}
    assert {t: (d.referent, d.descriptive) for t, d in terms.items()} == {
        "SCOLP": ("Sun Communities Operating Limited Partnership", False),
        "Core Equity": ("Nuveen Core Equity Alpha Fund", False),
        "Company": ("Acme Corp.", True),
    }
    linked, _ = apply_defined_terms(text, mentions, list(terms.values()))
    assert [(m.text, m.method) for m in linked if m.method.startswith("rule:defined_")] == [
        ("SCOLP", "rule:defined_name"),
        ("Core Equity", "rule:defined_name"),
        ("Company", "rule:defined_term"),
    ]


def test_an_acronym_defined_after_an_article_names_its_referent_before_and_after_its_definition():
    text = (
        "Higher FDIC premiums cut earnings. Deals involve the Federal Deposit Insurance Corporation"
        " (the FDIC) and its fund. We prepaid the FDIC."
    )
    mentions = [mention(text, "Federal Deposit Insurance Corporation", "ORG")]
    terms = find_defined_terms(text, mentions)
    assert [(t.term, t.referent, t.descriptive) for t in terms] == [
        ("FDIC", "Federal Deposit Insurance Corporation", False)
    ]
    linked, _ = apply_defined_terms(text, mentions, terms)
    fdic = [(m.start, m.normalized, m.method) for m in linked if m.text == "FDIC"]
    used = [m.start() for m in re.finditer("FDIC", text) if text[m.start() - 5 : m.start()] != "(the "]
    assert [start for start, _, _ in fdic] == used  # the definition itself is not a mention
    assert {(name, method) for _, name, method in fdic} == {
        ("Federal Deposit Insurance Corporation", "rule:defined_name")
    }


def test_a_parenthesis_that_is_no_short_name_defines_nothing():
    text = "Kansas City Southern (Missouri) and John Smith (Ret.) appeared before Judge Roe (NYSE)."
    mentions = [mention(text, "Kansas City Southern", "ORG"), mention(text, "John Smith", "PERSON")]
    assert find_defined_terms(text, mentions) == []


def test_an_acronym_defines_the_words_whose_initials_spell_it_when_no_mention_ends_there():
    text = "Hallmark Cards owns Hallmark Entertainment Investments Co. ( HEIC ). Later HEIC merged."
    terms = find_defined_terms(text, [mention(text, "Hallmark Cards", "ORG")])
    assert [(t.term, t.referent, t.label) for t in terms] == [
        ("HEIC", "Hallmark Entertainment Investments Co.", "ORG")
    ]
    linked, _ = apply_defined_terms(text, [mention(text, "Hallmark Cards", "ORG")], terms)
    assert [(m.text, m.method) for m in linked] == [
        ("Hallmark Cards", "spacy"),
        ("Hallmark Entertainment Investments Co.", "rule:defined_referent"),
        ("HEIC", "rule:defined_name"),
    ]


def test_a_short_name_that_reads_as_a_firm_is_a_use_of_the_firm_it_defines():
    text = (
        "He invested in Allegiance Hospital of Many, LLC (\u201cMany LLC\u201d) in 2008. "
        "Many LLC reported losses, and Many LLC closed."
    )
    many = [(m.text, m.normalized, m.method) for m in extract_entities(text) if "Many" in m.text]
    assert many == [
        ("Allegiance Hospital of Many, LLC", "Allegiance Hospital of Many, LLC", "rule:firm"),
        ("Many LLC", "Allegiance Hospital of Many, LLC", "rule:defined_name"),
        ("Many LLC", "Allegiance Hospital of Many, LLC", "rule:defined_name"),
    ]
