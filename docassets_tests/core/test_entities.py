"""Entity extraction on real court documents and on short strings, one rule at a time."""

from __future__ import annotations

import dataclasses
from itertools import pairwise
from pathlib import Path

import pymupdf
import pytest

from docassets.core.entities import (
    EntityExtractor,
    ModelNotAvailable,
    extract_entities,
    load_pipeline,
    resolve_overlaps,
)
from docassets.core.legal_rules import MODEL_TIER, RULE_TIER, Candidate, collapse_ws
from docassets.core.models import PAGE_SEPARATOR, Page

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
LABELS = {
    "PERSON",
    "ORG",
    "LOCATION",
    "DATE",
    "MONEY",
    "COURT",
    "CASE_NUMBER",
    "CITATION",
    "STATUTE",
    "PROVISION",
    "BATES",
}
PARTY_ROLES = {"plaintiff", "defendant", "petitioner", "respondent", "appellant", "appellee"}
ROLES = (
    {None, "counsel", "judge"}
    | PARTY_ROLES
    | {f"{a}-{b}" for a in PARTY_ROLES for b in PARTY_ROLES if a != b}
)


def pdf_pages(name: str, limit: int | None = None) -> list[Page]:
    with pymupdf.open(SAMPLES / name) as doc:
        return [
            Page(i + 1, page.get_text(), "text") for i, page in enumerate(doc) if limit is None or i < limit
        ]


def document_text(pages: list[Page]) -> str:
    return PAGE_SEPARATOR.join(page.text for page in pages)


def find(mentions, label, text=None, normalized=None):
    return [
        m
        for m in mentions
        if m.label == label
        and (text is None or collapse_ws(m.text) == text)
        and (normalized is None or m.normalized == normalized)
    ]


def assert_well_formed(mentions, text):
    """The invariants every later stage relies on."""
    assert mentions == sorted(mentions, key=lambda m: (m.start, m.end))
    for m in mentions:
        assert text[m.start : m.end] == m.text, m
        assert m.label in LABELS, m
        assert m.text == m.text.strip() and m.text, m
        assert 0.0 <= m.confidence <= 1.0 and m.method, m
        assert m.role in ROLES, m
        assert m.role is None or m.label in ("PERSON", "ORG"), m
    for a, b in pairwise(mentions):
        assert a.end <= b.start, (a, b)


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="module")
def extractor(nlp):
    return EntityExtractor(nlp)


@pytest.fixture(scope="module")
def ca5(extractor):
    pages = pdf_pages("ca5-filing-00516242060.pdf")
    return pages, extractor.extract_pages(pages)


@pytest.fixture(scope="module")
def scotus(extractor):
    pages = pdf_pages("scotus-tarrant-opinion.pdf")
    return pages, extractor.extract_pages(pages)


# ------------------------------------------------------------------------------------------
# Real documents


def test_fifth_circuit_caption_gives_court_dockets_parties_and_panel(ca5):
    pages, mentions = ca5
    first = [m for m in mentions if m.page_number == 1]
    court = find(first, "COURT", "United States Court of Appeals for the Fifth Circuit", "ca5")
    assert court and court[0].method == "courts-db"
    assert find(first, "COURT", "United States District Court for the Western District of Texas", "txwd")
    assert {"21-50498", "3:20-CV-257"} <= {m.normalized for m in find(first, "CASE_NUMBER")}
    (st_pierre,) = [m for m in find(first, "PERSON", "Vanessa St. Pierre") if m.method == "rule:caption"]
    assert st_pierre.role == "plaintiff-appellant"
    standard = find(first, "ORG", "Standard Insurance Company")
    assert standard[0].role == "defendant-appellee"
    dearborn = find(
        first, "ORG", "Dearborn National Life Insurance Company", "Dearborn National Life Insurance Company"
    )
    assert dearborn[0].role == "defendant-appellee"
    judges = {m.text: m.role for m in first if m.method == "rule:judges"}
    assert judges == {"Barksdale": "judge", "Stewart": "judge", "Dennis": "judge"}
    assert find(first, "DATE", "March 16, 2022", "2022-03-16")


def test_fifth_circuit_case_numbers_are_never_org_or_cardinal(ca5):
    pages, mentions = ca5
    text = document_text(pages)
    docket_spans = [(m.start, m.end) for m in mentions if m.label == "CASE_NUMBER"]
    assert len(docket_spans) >= len(pages)  # "No. 21-50498" heads every page
    for m in mentions:
        if "21-50498" in m.text:
            assert m.label == "CASE_NUMBER"
    assert_well_formed(mentions, text)


def test_every_page_mention_carries_its_page_and_document_offsets(ca5):
    pages, mentions = ca5
    starts, offset = [], 0
    for page in pages:
        starts.append(offset)
        offset += len(page.text) + len(PAGE_SEPARATOR)
    for m in mentions:
        page = pages[m.page_number - 1]
        local = m.start - starts[m.page_number - 1]
        assert page.text[local : local + len(m.text)] == m.text
    assert {m.page_number for m in mentions} == {p.number for p in pages}


def test_colorado_complaint_caption_and_counsel(extractor):
    pages = pdf_pages("dcolo-complaint-first-page.pdf")
    mentions = extractor.extract_pages(pages)
    assert_well_formed(mentions, document_text(pages))
    assert find(mentions, "COURT", "UNITED STATES DISTRICT COURT FOR THE DISTRICT OF COLORADO", "cod")
    (berkshire,) = find(mentions, "ORG", "BERKSHIRE LIFE INSURANCE COMPANY OF AMERICA")
    assert (berkshire.role, berkshire.normalized) == (
        "plaintiff",
        "Berkshire Life Insurance Company of America",
    )
    schubert = find(mentions, "PERSON", "ANNA SCHUBERT")
    assert schubert[0].role == "defendant" and schubert[0].normalized == "Anna Schubert"
    assert (
        find(mentions, "PERSON", "Anna Schubert")[0].role == "defendant"
    )  # "against Defendant Anna Schubert"
    counsel = {m.text for m in mentions if m.role == "counsel"}
    assert {"Franz Hardy", "Christine M. Kroupa", "Gordon Rees Scully Mansukhani, LLP"} <= counsel
    # the CM/ECF stamp's docket; the caption's unfilled "1:21-cv-______" is no case number
    assert [m.normalized for m in find(mentions, "CASE_NUMBER")] == ["1:21-CV-01061-KLM"]


def test_supreme_court_opinion_citations_docket_and_author(scotus):
    pages, mentions = scotus
    assert_well_formed(mentions, document_text(pages))
    cited = {m.normalized for m in find(mentions, "CITATION")}
    assert {"200 U.S. 321", "482 U.S. 124", "521 U.S. 1", "460 U.S. 605"} <= cited
    short = [m for m in find(mentions, "CITATION") if m.text.startswith("Id.")]
    assert short and all(m.normalized in cited and m.normalized != "Id." for m in short), (
        "named by their antecedent"
    )
    assert all(m.method == "eyecite" for m in find(mentions, "CITATION"))
    assert {m.normalized for m in find(mentions, "CASE_NUMBER")} == {"11-889"}
    assert find(mentions, "COURT", "SUPREME COURT OF THE UNITED STATES", "scotus")
    assert find(mentions, "STATUTE", normalized="94 Stat. 3305")
    (tarrant,) = [m for m in find(mentions, "ORG", "TARRANT REGIONAL WATER DISTRICT") if m.role]
    assert tarrant.role == "petitioner"
    sotomayor = find(mentions, "PERSON", "SOTOMAYOR")
    assert sotomayor and sotomayor[0].role == "judge" and sotomayor[0].normalized == "Sotomayor"


def test_citation_spans_hold_no_model_labels(scotus):
    pages, mentions = scotus
    citation_chars: set[int] = set()
    for m in mentions:
        if m.label in ("CITATION", "STATUTE", "CASE_NUMBER"):
            citation_chars.update(range(m.start, m.end))
    for m in mentions:
        if m.method == "spacy":
            assert not citation_chars.intersection(range(m.start, m.end)), m


def test_financial_disclosure_money_statutes_and_filer(extractor):
    pages = pdf_pages("judicial-disclosure-lucero.pdf")
    mentions = extractor.extract_pages(pages)
    assert_well_formed(mentions, document_text(pages))
    money = {m.normalized for m in find(mentions, "MONEY")}
    assert {"50174.00", "22300.00", "15000.00", "250000.00"} <= money
    assert find(mentions, "MONEY", "$50,174", "50174.00")[0].page_number == 1
    statutes = {m.normalized for m in find(mentions, "STATUTE")}
    assert {"5 U.S.C. § 7353", "Ethics in Government Act"} <= statutes
    assert any(m.startswith("5 U.S.C. § 501") for m in statutes)
    assert find(mentions, "DATE", "January 1, 2013", "2013-01-01")


def test_tax_court_caption_splits_joint_petitioners(extractor):
    pages = pdf_pages("tax-court-memo-bordelon.pdf", limit=1)
    mentions = extractor.extract_pages(pages)
    roles = {(m.normalized, m.role) for m in mentions if m.method == "rule:caption"}
    assert roles == {
        ("Rock Bordelon", "petitioner"),
        ("Torie Bordelon", "petitioner"),
        ("Commissioner of Internal Revenue", "respondent"),
    }
    assert find(mentions, "COURT", "UNITED STATES TAX COURT", "tax")
    assert {"19031-13", "27735-13"} <= {m.normalized for m in find(mentions, "CASE_NUMBER")}
    assert find(mentions, "CITATION", "T.C. Memo. 2020-26")


def test_state_appellate_panel_and_dockets(extractor):
    pages = pdf_pages("mo-court-of-appeals-opinion.pdf", limit=1)
    mentions = extractor.extract_pages(pages)
    # the caption's two lines read as courts-db's "Missouri Court of Appeals, Eastern District"
    assert find(mentions, "COURT", "Missouri Court of Appeals Eastern District", "moctapped")
    assert {"ED108783", "1711-CC00064"} <= {m.normalized for m in find(mentions, "CASE_NUMBER")}
    judges = {m.normalized for m in mentions if m.role == "judge"}
    assert {"Deborah J. Alessi", "Angela T. Quigless", "Kurt S. Odenwald", "James M. Dowd"} <= judges
    assert find(mentions, "PERSON", "Deborah J. Alessi")  # "Honorable" is not part of the span


@pytest.mark.slow
def test_all_text_layer_samples_keep_the_invariants(extractor):
    for path in sorted(SAMPLES.glob("*.pdf")):
        pages = pdf_pages(path.name)
        assert_well_formed(extractor.extract_pages(pages), document_text(pages))


# ------------------------------------------------------------------------------------------
# API contracts


def test_extract_entities_equals_a_one_page_document(extractor):
    text = pdf_pages("ca10-filing-010110462922.pdf")[0].text
    one_page = extractor.extract_pages([Page(number=1, text=text, method="text")])
    assert extract_entities(text) == one_page
    assert one_page and all(m.page_number == 1 and m.bates is None for m in one_page)
    # extract() is the same, without page information
    assert [dataclasses.replace(m, page_number=1) for m in extractor.extract(text)] == one_page


def test_page_bates_and_numbers_flow_into_mentions(extractor):
    pages = [
        Page(
            1, "Plaintiff JOHN SMITH sued ACME Corporation on March 3, 2020.", "text", bates="WOMBAT 000454"
        ),
        Page(2, "", "empty"),
        Page(
            3, "The district court awarded $12,500.50 on April 1, 2021.", "ocr", 91.0, bates="WOMBAT 000456"
        ),
    ]
    mentions = extractor.extract_pages(pages)
    text = document_text(pages)
    assert_well_formed(mentions, text)
    by_page = {m.page_number for m in mentions}
    assert by_page == {1, 3}
    assert all(m.bates == ("WOMBAT 000454" if m.page_number == 1 else "WOMBAT 000456") for m in mentions)
    (money,) = find(mentions, "MONEY")
    assert money.normalized == "12500.50" and money.start == text.index("$12,500.50")


def test_no_pages_and_blank_pages_give_no_mentions(extractor):
    assert extractor.extract_pages([]) == []
    assert extractor.extract_pages([Page(1, "   \n\n ", "empty")]) == []
    assert extract_entities("") == []


def test_pipeline_is_cached_and_a_missing_model_says_so(nlp):
    assert load_pipeline() is nlp
    with pytest.raises(ModelNotAvailable, match="no_such_model_pkg"):
        load_pipeline("no_such_model_pkg")


def test_overlap_rule_prefers_rules_then_length_whatever_the_input_order():
    rule = Candidate(10, 18, "CASE_NUMBER", "21-50498", "rule:case_number", 0.9, RULE_TIER)
    longer_model = Candidate(5, 25, "ORG", "", "spacy", 0.65, MODEL_TIER)
    short_model = Candidate(30, 35, "DATE", "2020", "spacy", 0.6, MODEL_TIER)
    long_model = Candidate(28, 40, "ORG", "", "spacy", 0.65, MODEL_TIER)
    tie_a = Candidate(50, 60, "STATUTE", "x", "rule:usc", 0.9, RULE_TIER)
    tie_b = Candidate(50, 60, "CITATION", "y", "eyecite", 0.9, RULE_TIER)
    candidates = [rule, longer_model, short_model, long_model, tie_a, tie_b]
    kept = resolve_overlaps(candidates, 100)
    assert kept == [rule, long_model, tie_b]
    assert resolve_overlaps(list(reversed(candidates)), 100) == kept


# ------------------------------------------------------------------------------------------
# One rule at a time


@pytest.mark.parametrize(
    "text, label, span, normalized",
    [
        (
            "Appeal from the United States District Court for the Western District of Texas.",
            "COURT",
            "United States District Court for the Western District of Texas",
            "txwd",
        ),
        (
            "Before the Supreme Court of the United States today.",
            "COURT",
            "Supreme Court of the United States",
            "scotus",
        ),
        ("The Ninth Circuit Court of Appeals reversed.", "COURT", "Ninth Circuit Court of Appeals", "ca9"),
        ("Filed in Case No. 1:24-cv-01234 last year.", "CASE_NUMBER", "1:24-cv-01234", "1:24-CV-01234"),
        ("Petition, No. 11-889, was granted.", "CASE_NUMBER", "11-889", "11-889"),
        ("Order in No. C 08-02214 SBA denied.", "CASE_NUMBER", "C 08-02214 SBA", "C 08-02214 SBA"),
        ("USDC No. 3:20-CV-257", "CASE_NUMBER", "3:20-CV-257", "3:20-CV-257"),
        ("No. 21\u201350498", "CASE_NUMBER", "21\u201350498", "21-50498"),
        (
            "See Shelby County v. Holder, 570 U. S. 529, 540 (2013).",
            "CITATION",
            "570 U. S. 529",
            "570 U.S. 529",
        ),
        ("Iqbal, 556 U.S. at 678.", "CITATION", "556 U.S. at 678", "556 U.S. at 678"),
        (
            "Smith v. Jones, 123 F.3d 900 (5th Cir. 1997). Id. at 903.",
            "CITATION",
            "Id. at 903",
            "123 F.3d 900",
        ),
        ("Filed: 10-31-17 Pg: 1 of 1", "DATE", "10-31-17", "2017-10-31"),
        ("Entered this 13th day\nof September, 2019.", "DATE", "13th day\nof September, 2019", "2019-09-13"),
        ("Produced at DEF_00012 and later.", "BATES", "DEF_00012", "DEF_00012"),
        ("Claims under 42 U.S.C. § 1983 fail.", "STATUTE", "42 U.S.C. § 1983", "42 U.S.C. § 1983"),
        (
            "Dismissed under Fed. R. Civ. P. 12(b)(6).",
            "STATUTE",
            "Fed. R. Civ. P. 12(b)(6)",
            "Fed. R. Civ. P. 12(b)(6)",
        ),
        (
            "Tenn. Code Ann. § 50-6-239 applies.",
            "STATUTE",
            "Tenn. Code Ann. § 50-6-239",
            "Tenn. Code Ann. § 50-6-239",
        ),
        (
            "Under the Securities Exchange Act of 1934, he sued.",
            "STATUTE",
            "Securities Exchange Act of 1934",
            "Securities Exchange Act of 1934",
        ),
        ("It violates the Exchange Act.", "STATUTE", "Exchange Act", "Exchange Act"),
        (
            "Income is taxed under the Internal Revenue Code.",
            "STATUTE",
            "Internal Revenue Code",
            "Internal Revenue Code",
        ),
        ("See Pub. L. No. 111-203, 124 Stat. 1376.", "STATUTE", "Pub. L. No. 111-203", "Pub. L. No. 111-203"),
        ("Produced at WOMBAT 000454.", "BATES", "WOMBAT 000454", "WOMBAT 000454"),
        ("A judgment of $1,250,000.00 was entered.", "MONEY", "$1,250,000.00", "1250000.00"),
        ("Fees of $1.2 million were paid.", "MONEY", "$1.2 million", "1200000.00"),
        ("He paid 500 dollars.", "MONEY", "500 dollars", "500.00"),
        ("Decided June 13, 2013.", "DATE", "June 13, 2013", "2013-06-13"),
        ("Filed 04/16/21 at noon.", "DATE", "04/16/21", "2021-04-16"),
        ("Signed on 3 March 2020.", "DATE", "3 March 2020", "2020-03-03"),
        ("In June 2009, it began.", "DATE", "June 2009", "2009-06"),
        (
            "Order dated 29/12/2004 was set aside.",
            "DATE",
            "29/12/2004",
            "2004-12-29",
        ),  # day first: no month 29
        ("Judgment of 22.05.2018 was upheld.", "DATE", "22.05.2018", "2018-05-22"),
        ("Relief under Section 13(1)(e) was sought.", "PROVISION", "Section 13(1)(e)", "Section 13(1)(e)"),
        ("In OS No. 155/05 the suit was decreed.", "CASE_NUMBER", "155/05", "155/05"),
    ],
)
def test_rule(text, label, span, normalized):
    mentions = extract_entities(text)
    assert_well_formed(mentions, text)
    hits = [m for m in mentions if m.label == label and m.text == span]
    assert hits, [(m.label, m.text) for m in mentions]
    assert hits[0].normalized == normalized


def test_impossible_dates_and_unfilled_dockets_are_not_extracted():
    mentions = extract_entities("Dated 02/30/2020 in Civil Action No. 1:21-cv-______ before us.")
    assert not find(mentions, "DATE")
    assert not find(mentions, "CASE_NUMBER")


def test_public_law_number_is_a_statute_not_a_docket():
    mentions = extract_entities("Congress passed Pub. L. No. 111-203 in 2010.")
    assert not find(mentions, "CASE_NUMBER")


def test_caption_with_plain_roles():
    text = "JOHN DOE, Plaintiff, v. ACME CORP., Defendant."
    mentions = extract_entities(text)
    doe = find(mentions, "PERSON", "JOHN DOE")
    acme = find(mentions, "ORG", "ACME CORP.")
    assert doe[0].role == "plaintiff" and doe[0].normalized == "John Doe"
    assert acme[0].role == "defendant" and acme[0].normalized == "Acme Corp."


def test_compound_caption_role_keeps_both_roles_and_relationships_read_both():
    from docassets.core.chunking import chunk_pages
    from docassets.core.relationships import find_relationships

    text = (
        "No. 21-50498\n\nVanessa St. Pierre,\n\nPlaintiff\u2014Appellant,\n\nversus\n\n"
        "Standard Insurance Company,\n\nDefendant\u2014Appellee.\n\nJane Roe, Cross-Appellant.\n"
    )
    mentions = extract_entities(text)
    assert find(mentions, "PERSON", "Vanessa St. Pierre")[0].role == "plaintiff-appellant"
    assert find(mentions, "ORG", "Standard Insurance Company")[0].role == "defendant-appellee"
    assert find(mentions, "PERSON", "Jane Roe")[0].role == "appellant"
    chunks = chunk_pages([Page(1, text, "text")])
    edges = {(r.type, r.source.normalized) for r in find_relationships("doc", text, chunks, mentions)}
    assert {
        ("PLAINTIFF_IN", "Vanessa St. Pierre"),
        ("APPELLANT_IN", "Vanessa St. Pierre"),
        ("DEFENDANT_IN", "Standard Insurance Company"),
        ("APPELLEE_IN", "Standard Insurance Company"),
    } <= edges


def test_table_caption_columns_do_not_break_names_courts_or_roles():
    """Missouri and Tennessee captions print their two columns side by side, split by ")"."""
    missouri = (
        "NICHOLE MARIE JAGELS,\n\n)\nNo. ED108783\n\n)\nAppellant,\n\n)\nAppeal from the Circuit Court of\n"
        "vs.\n\n)\nNo. 1711-CC00064\n\nSTATE OF MISSOURI,\n\n)\nHonorable Deborah J. Alessi\n\n)\n"
        "Respondent.\n\n)\nFiled:  January 19, 2021\n\nIntroduction\n\n"
        "Appellant Nichole M. Jagels appeals. The "
        "court found that Jagels\u2019 pleas were knowing."
    )
    mentions = extract_entities(missouri)
    assert find(mentions, "PERSON", "NICHOLE MARIE JAGELS")[0].role == "appellant"
    assert find(mentions, "ORG", "STATE OF MISSOURI")[0].role == "respondent"
    assert [m.start for m in find(mentions, "PERSON", "Jagels")] == [missouri.index("Jagels\u2019")]

    tennessee = (
        "Appeal from the Court of Workers\u2019\n)\nCompensation Claims\n)\n"
        "Kenneth M. Switzer, Chief Judge\n)"
    )
    (court,) = find(extract_entities(tennessee), "COURT")
    assert court.text == "Court of Workers\u2019\n)\nCompensation Claims"
    assert court.normalized == "Court of Workers\u2019 Compensation Claims"


def test_service_list_addresses_give_firms_streets_cities_and_states_not_floor_junk():
    text = (
        "Jonathan S. Abady\nEmery Celli Brinckerhoff Abady Ward & Maazel\n600 Fifth Avenue\n10th Floor\n"
        "New York, NY 10020\n\nKathryn M. Barber\nMcGuireWoods\n800 East Canal Street\nGateway Plaza\n"
        "Richmond, VA 23219\n\nWilliam T. Marks\nPaul Weiss Rifkind Wharton & Garrison\n2001 K Street, N.W.\n"
        "Washington, DC 20006\n\nSent to:\nRuben Diaz\n401 Sky Gap Court\nAntioch, TN 37013\n"
    )
    mentions = extract_entities(text)
    got = {(m.label, m.text) for m in mentions}
    assert {
        ("ORG", "Emery Celli Brinckerhoff Abady Ward & Maazel"),
        ("ORG", "McGuireWoods"),
        ("ORG", "Paul Weiss Rifkind Wharton & Garrison"),  # partners' names, not people
        ("LOCATION", "Sky Gap Court"),
        ("LOCATION", "Fifth Avenue"),
        ("LOCATION", "New York"),
        ("LOCATION", "NY"),
        ("LOCATION", "East Canal Street"),
        ("LOCATION", "Gateway Plaza"),
        ("LOCATION", "Richmond"),
        ("PERSON", "Jonathan S. Abady"),
        ("PERSON", "Kathryn M. Barber"),
    } <= got
    assert not [m for m in mentions if "Floor" in m.text or m.label == "DATE"]


def test_short_court_names_and_firm_names_by_rule():
    mentions = extract_entities(
        "We follow the Tenth Circuit, under Tenth Circuit Rules. The employer, Create and\nConstruct, LLC, "
        "appealed. Mr. Bordelon owned Many LLC and H Corp. from May to December 2015."
    )
    assert [(m.text, m.normalized) for m in find(mentions, "COURT")] == [("Tenth Circuit", "ca10")]
    assert [collapse_ws(m.text) for m in find(mentions, "ORG")] == [
        "Create and Construct, LLC",
        "Many LLC",
        "H Corp.",
    ]
    assert find(mentions, "DATE", "May to December 2015", "2015-05/2015-12")


def test_running_heads_and_page_numbers_give_no_mentions_but_stamps_do(ca5, extractor):
    """Page 2-10 of the Fifth Circuit opinion are headed "No. 21-50498" and a page number: layout,
    not a mention. The CM/ECF stamp at each page's foot keeps its docket and filing date."""
    pages, _ = ca5
    mentions = extractor.extract_pages(pages)
    text = document_text(pages)
    for page in pages[1:]:
        dockets = [m for m in mentions if m.page_number == page.number and m.label == "CASE_NUMBER"]
        assert [text[m.start - 6 : m.start] for m in dockets] == ["Case: "], page.number
        assert find([m for m in mentions if m.page_number == page.number], "DATE", normalized="2022-03-16")
    assert [m.text for m in mentions if m.page_number == 1 and m.label == "CASE_NUMBER"][0] == "21-50498"


@pytest.mark.parametrize(
    "text, name, role",
    [
        (
            "Petitioner Tarrant Regional Water District filed suit.",
            "Tarrant Regional Water District",
            "petitioner",
        ),
        ("Mary Major, Attorney for Plaintiff", "Mary Major", "counsel"),
        (
            "Presiding Judge Marshall L. Davidson, III, delivered the opinion.",
            "Marshall L. Davidson, III",
            "judge",
        ),
        ("Kenneth M. Switzer, Chief Judge", "Kenneth M. Switzer", "judge"),
        ("The Honorable Deborah J. Alessi presided.", "Deborah J. Alessi", "judge"),
    ],
)
def test_role_from_context(text, name, role):
    mentions = extract_entities(text)
    hit = [m for m in mentions if m.text == name]
    assert hit, [(m.label, m.text) for m in mentions]
    assert hit[0].role == role


def test_last_first_names_are_put_in_natural_order():
    (paul,) = find(extract_entities("Paul, Michael"), "PERSON")
    assert (paul.text, paul.normalized) == ("Paul, Michael", "Michael Paul")
    filer = find(extract_entities("Filer's Information\nLucero, Carlos F\n \nReport Year: 2018"), "PERSON")
    assert [m.normalized for m in filer] == ["Carlos F Lucero"]


def test_a_list_of_surnames_is_not_merged_into_one_name():
    text = "Before Barksdale, Stewart, and Dennis, Circuit Judges."
    names = [m.text for m in find(extract_entities(text), "PERSON")]
    assert names == ["Barksdale", "Stewart", "Dennis"]


def test_person_spans_and_names_drop_titles_and_caps():
    mentions = extract_entities("In re: RICHARD P. LIEBOWITZ, an attorney. Mr. John Smith testified.")
    smith = find(mentions, "PERSON", "John Smith")
    assert smith and smith[0].normalized == "John Smith"
    assert not any(m.text.startswith("Mr.") for m in mentions)


def test_leading_article_and_trailing_punctuation_are_not_in_spans():
    mentions = extract_entities(
        "The claim was filed by the Federal Trade Commission, and the Exchange Act applies."
    )
    assert [m.text for m in find(mentions, "ORG")] == ["Federal Trade Commission"]
    assert [m.text for m in find(mentions, "STATUTE")] == ["Exchange Act"]


def test_short_citations_are_named_by_their_antecedent_in_the_document():
    text = (
        "See Bell Atlantic Corp. v. Twombly, 550 U.S. 544, 555 (2007). Id. at 556. The rule is plain. "
        "Twombly, 550 U.S. at 570."
    )
    citations = [(m.text, m.normalized) for m in extract_entities(text) if m.label == "CITATION"]
    assert citations == [
        ("550 U.S. 544", "550 U.S. 544"),
        ("Id. at 556", "550 U.S. 544"),
        ("550 U.S. at 570", "550 U.S. 544"),
    ]
    assert not [m for m in extract_entities("Id. at 5. That settles it.") if m.label == "CITATION"], (
        "an Id. without antecedent would join every document that writes one"
    )


@pytest.mark.parametrize(
    "text, span, label",
    [
        ("The plan is registered in the U.S. and is governed by New York law.", "U.S.", "LOCATION"),
        ("Bank of America, N.A. is the trustee.", "Bank of America, N.A.", "ORG"),
        (
            "They signed the Agreement and Plan of Merger of Crown Media Holdings, Inc. today.",
            "Crown Media Holdings, Inc.",
            "ORG",
        ),
        (
            "The shares are exempt under Section 4(a)(2) of the Securities Act.",
            "Section 4(a)(2)",
            "PROVISION",
        ),
        ("The shares are exempt under Section 4(a)(2) of the Securities Act.", "Securities Act", "STATUTE"),
        ("Distribution fees are paid under Rule 12b-1 of the 1940 Act.", "Rule 12b-1", "PROVISION"),
        ("The issuer must comply with Regulation S-K and Regulation AB.", "Regulation S-K", "STATUTE"),
        ("The issuer must comply with Regulation S-K and Regulation AB.", "Regulation AB", "STATUTE"),
        ("See Item 7A of Form 10-K for market risk.", "Item 7A", "PROVISION"),
        ("Appeals are governed by 5th Circuit Rule 47.5 here.", "5th Circuit Rule 47.5", "STATUTE"),
        ("Movant relies on Rule 24.035 and § 565.253.", "§ 565.253", "PROVISION"),
        ("The statements conform to U.S. GAAP as applied.", "U.S. GAAP", "STATUTE"),
        ("Reports are filed under the 1934 Act each year.", "1934 Act", "STATUTE"),
        (
            "CERTIFICATION PURSUANT TO SECTION 906 OF THE SARBANES-OXLEY ACT OF 2002",
            "SARBANES-OXLEY ACT OF 2002",
            "STATUTE",
        ),
        # A capital "The" inside a sentence belongs to the name; a sentence's first word does not.
        (
            "The notes are held by The Bank of New York Mellon Trust Company, N.A. as trustee.",
            "The Bank of New York Mellon Trust Company, N.A.",
            "ORG",
        ),
        ("The Bank of New York Mellon is the trustee.", "Bank of New York Mellon", "ORG"),
        # Tokenised text splits the last period off an abbreviation; it still belongs to it.
        ("The trustee is Citibank , N.A .\nNotices go to it.", "Citibank , N.A .", "ORG"),
        ("Offices in Washington , D.C .\nThe staff met.", "Washington , D.C .", "LOCATION"),
        # Places of inline addresses and of organisation
        (
            "Held at Nuveen Investments, 333 West Wacker Drive, Chicago, Illinois 60606, on Tuesday.",
            "West Wacker Drive",
            "LOCATION",
        ),
        (
            "Held at Nuveen Investments, 333 West Wacker Drive, Chicago , Illinois 60606.",
            "Illinois",
            "LOCATION",
        ),
        ("Write to PO Box 219356, Kansas City, MO 64121-9356 for forms.", "MO", "LOCATION"),
        ("Acme Fund, Inc., a Minnesota corporation, filed the report.", "Minnesota", "LOCATION"),
        ("Each Fund is a Massachusetts business trust.", "Massachusetts", "LOCATION"),
        ("Acme was organized under the laws of Nevada in 2004.", "Nevada", "LOCATION"),
    ],
)
def test_spans_follow_a_lawyers_conventions(text, span, label):
    assert (span, label) in {(m.text, m.label) for m in extract_entities(text)}


def test_role_words_and_common_nouns_alone_are_no_entities():
    text = (
        "The Fund and the Board approved it. The board of the fund met twice. The Executive and the "
        "Company signed. Ruben Diaz works for Create and Construct, LLC."
    )
    names = {m.text for m in extract_entities(text) if m.label in ("PERSON", "ORG", "LOCATION")}
    assert not names & {"Fund", "Board", "Executive", "Company"}
    assert {"Ruben Diaz", "Create and Construct, LLC"} <= names


def test_supra_citations_are_named_by_the_case_they_shorten_and_never_stand_alone():
    text = (
        "In Bell Atlantic Corp. v. Twombly, 550 U.S. 544 (2007), the Court set the standard. In Ashcroft "
        "v. Iqbal, 556 U.S. 662 (2009), it applied it. See Twombly, supra, at 556; Iqbal, supra, at 678. "
        "Smith, supra, at 12, says the same."
    )
    citations = [(m.text, m.normalized) for m in extract_entities(text) if m.label == "CITATION"]
    assert citations == [
        ("550 U.S. 544", "550 U.S. 544"),
        ("556 U.S. 662", "556 U.S. 662"),
        ("Twombly, supra, at 556", "550 U.S. 544"),
        ("Iqbal, supra, at 678", "556 U.S. 662"),
    ], "Smith was never cited in full here: its supra has no antecedent and is dropped"


def test_the_appeals_boards_parties_are_a_person_and_a_firm(extractor):
    """spaCy labels the employee's name ORG on the caption and in the service list; a common
    given name and a surname with no organisation's word is a person, and so is "Ruben" alone."""
    mentions = extractor.extract_pages(pdf_pages("tn-appeals-board-diaz-opinion.pdf"))
    names = {(collapse_ws(m.text), m.label) for m in mentions if m.label in ("PERSON", "ORG")}
    assert {("Ruben Diaz", "PERSON"), ("Ruben", "PERSON"), ("Create and Construct, LLC", "ORG")} <= names
    assert not {text for text, label in names if label == "ORG"} & {"Ruben Diaz", "Ruben"}


def test_names_of_firms_that_read_like_a_persons_stay_organisations():
    text = "Morgan Stanley & Co. LLC underwrote the notes; Morgan Stanley also advised the Board."
    assert ("Morgan Stanley", "PERSON") not in {(m.text, m.label) for m in extract_entities(text)}


def test_generic_capitalised_phrases_and_account_lines_are_no_organisations():
    text = (
        "The Net Proceeds of the offering, the net proceeds less fees, go to the Fund. The Investment "
        "Company is an investment company under the Act. Each Independent Board member is independent "
        "of the board. The Master Recapitalization Agreement was signed by Acme Holdings, Inc. and the "
        "Federal Reserve Board. III A. Filer's Non-Investment Income"
    )
    orgs = {m.text for m in extract_entities(text) if m.label == "ORG"}
    assert not orgs & {"Net Proceeds", "Investment Company", "Independent Board", "Non-Investment Income"}
    assert not orgs & {"Master Recapitalization Agreement"}
    assert {"Acme Holdings, Inc.", "Federal Reserve Board"} <= orgs


def test_a_business_segments_short_name_is_no_organisation():
    text = (
        "We operate two segments, Higher Education (HE) and Public Sector (PS), through Acme Software Works "
        "Corporation (ASWC). HE serves colleges and higher education; PS serves the public sector. ASWC "
        "reports both."
    )
    mentions = extract_entities(text)
    orgs = {m.text for m in mentions if m.label == "ORG"}
    assert not orgs & {"HE", "PS", "Higher Education", "Public Sector"}
    assert "ASWC" in orgs

    # a segment whose name has an organisation's word ("Services") is still a segment
    text = (
        "SunGard has four segments: Financial Systems (FS), Higher Education (HE), Public Sector (PS) "
        "and Availability Services (AS). AS had a triggering event, and AS recorded an impairment."
    )
    orgs = {m.text for m in extract_entities(text) if m.label == "ORG"}
    assert not orgs & {"AS", "FS", "HE", "PS"}, orgs


def test_currencies_kinds_of_court_post_boxes_quadrants_and_adjectives_are_no_organisations():
    text = (
        "Amounts are stated in United States Dollars. The District Court may rule on it. "
        "Send the forms to PO Box 219356, Kansas City, MO 64121-9356.\n"
        "Kellogg Hansen Todd Figel & Frederick\n1615 M Street, N.W.\nWashington, DC 20036\n"
        "Mr. Bordelon would have incurred a Federal debt obligation."
    )
    organisations = {m.text for m in extract_entities(text) if m.label == "ORG"}
    assert not organisations & {"United States Dollars", "District Court", "PO Box", "N.W.", "Federal"}, (
        organisations
    )
