"""Relationships stated by one document: parties, counsel, court, citations, co-occurrence."""

from pathlib import Path

import pymupdf
import pytest

from docassets.core.chunking import split_sentences
from docassets.core.models import PAGE_SEPARATOR, Chunk, EntityKey, Mention
from docassets.core.relationships import find_relationships

OPENING_BRIEF = """\
Case: 21-50498    Document: 00516242060    Page: 1    Date Filed: 03/07/2022

IN THE UNITED STATES COURT OF APPEALS FOR THE FIFTH CIRCUIT

No. 21-50498

VANESSA ST. PIERRE, Plaintiff-Appellant, v. STANDARD INSURANCE COMPANY, Defendant-Appellee.

Appeal from the United States District Court for the Western District of Texas

Before SMITH, HIGGINSON, and WILLETT, Circuit Judges.

Vanessa St. Pierre sued Standard Insurance Company in Austin, Texas after her claim was denied. \
The district court relied on Tarrant Regional Water Dist. v. Herrmann, 569 U.S. 614 (2013), and on \
29 U.S.C. § 1132. Later Vanessa St. Pierre asked Standard Insurance Company to reconsider.

Respectfully submitted,

/s/ Michael J. Paul
Michael J. Paul
WOMBAT & PAUL LLP
100 Congress Avenue, Suite 2000
Austin, Texas 78701
Attorneys for Plaintiff-Appellant

/s/ Jennifer Hansen
Jennifer Hansen
Texas Bar No. 24012345
SUMMIT LEGAL GROUP, P.C.
Counsel for Defendant-Appellee Standard Insurance Company
"""

DOCUMENT_ID = "3f2c9a1e-5d0b-4c57-9a55-2d7d0c6f1b11"
DOC = EntityKey("DOCUMENT", DOCUMENT_ID)
CASE = EntityKey("CASE_NUMBER", "21-50498")


def mention(text, surface, label, normalized=None, occurrence=0, role=None):
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return Mention(
        start=start,
        end=start + len(surface),
        text=surface,
        label=label,
        normalized=normalized or surface,
        method="test",
        role=role,
    )


def brief_mentions(text=OPENING_BRIEF):
    m = lambda *a, **k: mention(text, *a, **k)  # noqa: E731
    return [
        m("21-50498", "CASE_NUMBER", "21-50498"),
        m("UNITED STATES COURT OF APPEALS FOR THE FIFTH CIRCUIT", "COURT", "ca5"),
        m("No. 21-50498", "CASE_NUMBER", "21-50498"),
        m("VANESSA ST. PIERRE", "PERSON", "Vanessa St. Pierre", role="plaintiff-appellant"),
        m("STANDARD INSURANCE COMPANY", "ORG", role="defendant-appellee"),
        m("United States District Court for the Western District of Texas", "COURT", "txwd"),
        m("SMITH", "PERSON", "Smith", role="judge"),
        m("HIGGINSON", "PERSON", "Higginson", role="judge"),
        m("WILLETT", "PERSON", "Willett", role="judge"),
        m("Vanessa St. Pierre", "PERSON"),
        m("Standard Insurance Company", "ORG"),
        m("Austin, Texas", "LOCATION"),
        m("569 U.S. 614", "CITATION"),
        m("29 U.S.C. § 1132", "STATUTE"),
        m("Vanessa St. Pierre", "PERSON", occurrence=1),
        m("Standard Insurance Company", "ORG", occurrence=1),
        m("Michael J. Paul", "PERSON", role="counsel"),
        m("Michael J. Paul", "PERSON", occurrence=1, role="counsel"),
        m("WOMBAT & PAUL LLP", "ORG"),
        m("Austin, Texas", "LOCATION", occurrence=1),
        m("Jennifer Hansen", "PERSON", role="counsel"),
        m("Jennifer Hansen", "PERSON", occurrence=1, role="counsel"),
        m("SUMMIT LEGAL GROUP, P.C.", "ORG"),
        m("Standard Insurance Company", "ORG", occurrence=2),
    ]


def brief_chunks(text=OPENING_BRIEF):
    cut = text.index("Respectfully")
    return [
        Chunk(0, text[:cut], 0, cut, 1, 1, None, None, 300),
        Chunk(1, text[cut:], cut, len(text), 1, 1, None, None, 80),
    ]


@pytest.fixture(scope="module")
def edges():
    mentions = brief_mentions()
    for m in mentions:
        assert OPENING_BRIEF[m.start : m.end] == m.text
    return find_relationships(DOCUMENT_ID, OPENING_BRIEF, brief_chunks(), mentions)


def by_type(edges, kind):
    return {(e.source, e.target): e for e in edges if e.type == kind}


ST_PIERRE_CAPTION = EntityKey("PERSON", "Vanessa St. Pierre")
INSURER_CAPTION = EntityKey("ORG", "STANDARD INSURANCE COMPANY")
INSURER = EntityKey("ORG", "Standard Insurance Company")
PAUL = EntityKey("PERSON", "Michael J. Paul")
HANSEN = EntityKey("PERSON", "Jennifer Hansen")


def test_caption_roles_make_parties_of_the_case(edges):
    assert set(by_type(edges, "PLAINTIFF_IN")) == {(ST_PIERRE_CAPTION, CASE)}
    assert set(by_type(edges, "APPELLANT_IN")) == {(ST_PIERRE_CAPTION, CASE)}
    assert set(by_type(edges, "DEFENDANT_IN")) == {(INSURER_CAPTION, CASE)}
    assert set(by_type(edges, "APPELLEE_IN")) == {(INSURER_CAPTION, CASE)}
    plaintiff = by_type(edges, "PLAINTIFF_IN")[(ST_PIERRE_CAPTION, CASE)]
    assert plaintiff.chunk_index == 0
    assert plaintiff.sentence.startswith(
        "VANESSA ST. PIERRE, Plaintiff-Appellant, v. STANDARD INSURANCE COMPANY"
    )
    assert 0 < plaintiff.confidence <= 1


def test_judges_preside_over_the_case(edges):
    presiding = by_type(edges, "PRESIDES_OVER")
    assert set(presiding) == {(EntityKey("PERSON", name), CASE) for name in ("Smith", "Higginson", "Willett")}
    assert all(
        e.sentence == "Before SMITH, HIGGINSON, and WILLETT, Circuit Judges." for e in presiding.values()
    )


def test_document_mentions_each_entity_once_with_counts(edges):
    mentions = by_type(edges, "MENTIONS")
    assert all(source == DOC for source, _ in mentions)
    assert mentions[(DOC, CASE)].count == 2
    assert mentions[(DOC, ST_PIERRE_CAPTION)].count == 3  # caption and two sentences: same normalized name
    assert mentions[(DOC, INSURER)].count == 3
    assert mentions[(DOC, INSURER)].sentence.startswith("Vanessa St. Pierre sued Standard Insurance Company")
    assert len(mentions) == len({EntityKey(m.label, m.normalized) for m in brief_mentions()})


def test_filed_in_the_caption_court_and_case_and_cites_authorities(edges):
    assert set(by_type(edges, "FILED_IN")) == {(DOC, EntityKey("COURT", "ca5")), (DOC, CASE)}
    cites = by_type(edges, "CITES")
    assert set(cites) == {
        (DOC, EntityKey("CITATION", "569 U.S. 614")),
        (DOC, EntityKey("STATUTE", "29 U.S.C. § 1132")),
    }
    assert (
        "Tarrant Regional Water Dist. v. Herrmann, 569 U.S. 614 (2013)"
        in cites[(DOC, EntityKey("CITATION", "569 U.S. 614"))].sentence
    )


def test_signature_blocks_say_who_represents_whom(edges):
    represents = by_type(edges, "REPRESENTS")
    assert set(represents) == {(PAUL, ST_PIERRE_CAPTION), (HANSEN, INSURER)}
    assert represents[(PAUL, ST_PIERRE_CAPTION)].chunk_index == 1
    assert "Attorneys for Plaintiff-Appellant" in represents[(PAUL, ST_PIERRE_CAPTION)].sentence


def test_attorneys_are_members_of_the_firm_on_the_next_lines(edges):
    member = by_type(edges, "MEMBER_OF")
    assert set(member) == {
        (PAUL, EntityKey("ORG", "WOMBAT & PAUL LLP")),
        (HANSEN, EntityKey("ORG", "SUMMIT LEGAL GROUP, P.C.")),
    }


def test_co_occurrence_counts_sentences_and_stays_within_them(edges):
    co = {frozenset((s, t)): e for (s, t), e in by_type(edges, "CO_OCCURS").items()}
    st_pierre, austin = EntityKey("PERSON", "Vanessa St. Pierre"), EntityKey("LOCATION", "Austin, Texas")
    assert co[frozenset((st_pierre, INSURER))].count == 2
    assert co[frozenset((st_pierre, austin))].count == 1
    assert co[frozenset((st_pierre, INSURER))].confidence > co[frozenset((st_pierre, austin))].confidence
    # the judges never share a sentence with counsel or the parties' body mentions
    assert frozenset((EntityKey("PERSON", "Smith"), PAUL)) not in co
    assert frozenset((EntityKey("PERSON", "Smith"), st_pierre)) not in co
    assert all(e.count >= 1 and 0 < e.confidence <= 1 for e in co.values())


def test_without_a_case_number_parties_attach_to_the_document():
    text = "JOHN SMITH, Plaintiff, v. WOMBAT CORP., Defendant.\n\nCOMPLAINT"
    mentions = [
        mention(text, "JOHN SMITH", "PERSON", "John Smith", role="plaintiff"),
        mention(text, "WOMBAT CORP.", "ORG", role="defendant"),
    ]
    edges = find_relationships("d-1", text, [], mentions)
    assert {(e.type, e.source.normalized, e.target) for e in edges if e.type.endswith("_IN")} == {
        ("PLAINTIFF_IN", "John Smith", EntityKey("DOCUMENT", "d-1")),
        ("DEFENDANT_IN", "WOMBAT CORP.", EntityKey("DOCUMENT", "d-1")),
    }
    assert all(e.chunk_index is None for e in edges)


def test_on_behalf_of_in_prose_names_the_party():
    text = (
        "The court heard argument on March 1, 2022. Jane Doe argued the cause on behalf of "
        "Wombat Corp. and John Roe appeared for the United States."
    )
    mentions = [
        mention(text, "Jane Doe", "PERSON"),
        mention(text, "Wombat Corp.", "ORG", role="respondent"),
        mention(text, "John Roe", "PERSON"),
    ]
    edges = find_relationships("d-2", text, [Chunk(0, text, 0, len(text), 1, 1, None, None, 30)], mentions)
    represents = {(e.source.normalized, e.target.normalized) for e in edges if e.type == "REPRESENTS"}
    assert represents == {("Jane Doe", "Wombat Corp.")}


def test_evidence_sentences_keep_initials_and_reporters_together():
    text = (
        "Michael J. Paul filed suit. See 569 U.S. 614. Mr. Paul then appealed to the 5th Cir. on time."
        "\n\nORDER"
    )
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Michael J. Paul filed suit.",
        "See 569 U.S. 614.",
        "Mr. Paul then appealed to the 5th Cir. on time.",
        "ORDER",
    ]


# --- real sample text: counsel after a bare "for <role>", compound roles, judges ---------------

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def sample_text(name, pages):
    with pymupdf.open(SAMPLES / name) as pdf:
        return PAGE_SEPARATOR.join(pdf[n].get_text() for n in pages)


def edges_of(kind, edges):
    return {(e.source.normalized, e.target.normalized) for e in edges if e.type == kind}


def test_tax_court_counsel_lines_represent_the_parties_of_their_role():
    text = sample_text("tax-court-memo-bordelon.pdf", range(3))
    m = lambda *a, **k: mention(text, *a, **k)  # noqa: E731
    mentions = [
        m("ROCK BORDELON", "PERSON", "Rock Bordelon", role="petitioner"),
        m("TORIE BORDELON", "PERSON", "Torie Bordelon", role="petitioner"),
        m("COMMISSIONER OF INTERNAL REVENUE", "ORG", "Commissioner of Internal Revenue", role="respondent"),
        m("19031-13", "CASE_NUMBER"),
        m("Ray C. Mayo", "PERSON", role="counsel"),
        m("Edwin B. Cleverdon", "PERSON", role="counsel"),
        m("GUSTAFSON", "PERSON", "Gustafson", role="judge"),
        m("Internal Revenue Service", "ORG"),
    ]
    edges = find_relationships("bordelon", text, [], mentions)
    assert edges_of("REPRESENTS", edges) == {
        ("Ray C. Mayo", "Rock Bordelon"),
        ("Ray C. Mayo", "Torie Bordelon"),
        ("Edwin B. Cleverdon", "Commissioner of Internal Revenue"),
    }
    mayo = next(e for e in edges if e.type == "REPRESENTS" and e.source.normalized == "Ray C. Mayo")
    assert mayo.sentence == "Ray C. Mayo, Jr., for petitioners."
    assert edges_of("PRESIDES_OVER", edges) == {("Gustafson", "19031-13")}
    assert edges_of("PETITIONER_IN", edges) == {("Rock Bordelon", "19031-13"), ("Torie Bordelon", "19031-13")}


def test_tennessee_counsel_for_the_employer_appellant_names_the_party_after_the_role():
    text = sample_text("tn-appeals-board-diaz-opinion.pdf", [0])
    m = lambda *a, **k: mention(text, *a, **k)  # noqa: E731
    mentions = [
        m("Ruben Diaz", "PERSON", role="plaintiff"),
        m("2019-06-0263", "CASE_NUMBER"),
        m("Create and Construct, LLC", "ORG", role="defendant"),
        m("Kenneth M. Switzer", "PERSON", role="judge"),
        m("Marshall L. Davidson, III", "PERSON", "Marshall L. Davidson III", role="judge"),
        m("Johnathan Jackson Pledger", "PERSON"),
        m("Franklin, Tennessee", "LOCATION"),
        m("Create and \nConstruct, LLC", "ORG", "Create and Construct, LLC", role="appellant"),
        m("Ruben Diaz", "PERSON", occurrence=1, role="appellee"),
    ]
    edges = find_relationships("diaz", text, [], mentions)
    assert edges_of("REPRESENTS", edges) == {("Johnathan Jackson Pledger", "Create and Construct, LLC")}
    assert edges_of("PRESIDES_OVER", edges) == {
        ("Kenneth M. Switzer", "2019-06-0263"),
        ("Marshall L. Davidson III", "2019-06-0263"),
    }


def test_fifth_circuit_compound_roles_give_both_edges_and_prose_on_behalf_of_gives_none():
    text = sample_text("ca5-filing-00516242060.pdf", range(2))
    m = lambda *a, **k: mention(text, *a, **k)  # noqa: E731
    mentions = [
        m("21-50498", "CASE_NUMBER"),
        m("Vanessa St. Pierre", "PERSON", role="plaintiff—appellant"),
        m("Standard Insurance Company", "ORG", role="defendants—appellees"),
        m(
            "Dearborn National Life \nInsurance Company",
            "ORG",
            "Dearborn National Life Insurance Company",
            role="defendant-appellee",
        ),
        m("Barksdale", "PERSON", role="judge"),
        m("Stewart", "PERSON", role="judge"),
        m("Dennis", "PERSON", role="judge"),
        m("Vanessa St. Pierre", "PERSON", occurrence=1, role="appellant"),
    ]
    edges = find_relationships("st-pierre", text, [], mentions)
    insurers = {"Standard Insurance Company", "Dearborn National Life Insurance Company"}
    assert edges_of("PLAINTIFF_IN", edges) == {("Vanessa St. Pierre", "21-50498")}
    assert edges_of("APPELLANT_IN", edges) == {("Vanessa St. Pierre", "21-50498")}
    assert edges_of("DEFENDANT_IN", edges) == {(name, "21-50498") for name in insurers}
    assert edges_of("APPELLEE_IN", edges) == {(name, "21-50498") for name in insurers}
    assert edges_of("PRESIDES_OVER", edges) == {(j, "21-50498") for j in ("Barksdale", "Stewart", "Dennis")}
    # "acquired a ... policy on behalf of her deceased husband" names nobody's counsel
    assert "on behalf of" in text and edges_of("REPRESENTS", edges) == set()


def test_missouri_panel_judges_preside_over_the_appeal():
    text = sample_text("mo-court-of-appeals-opinion.pdf", [0])
    m = lambda *a, **k: mention(text, *a, **k)  # noqa: E731
    mentions = [
        m("NICHOLE MARIE JAGELS", "PERSON", "Nichole Marie Jagels", role="appellant"),
        m("ED108783", "CASE_NUMBER"),
        m("STATE OF MISSOURI", "ORG", "State of Missouri", role="respondent"),
        m("Angela T. Quigless", "PERSON", role="judge"),
        m("Kurt S. Odenwald", "PERSON", role="judge"),
        m("James M. Dowd", "PERSON", role="judge"),
    ]
    edges = find_relationships("jagels", text, [], mentions)
    assert edges_of("PRESIDES_OVER", edges) == {
        (j, "ED108783") for j in ("Angela T. Quigless", "Kurt S. Odenwald", "James M. Dowd")
    }
    assert edges_of("APPELLANT_IN", edges) == {("Nichole Marie Jagels", "ED108783")}
    assert edges_of("RESPONDENT_IN", edges) == {("State of Missouri", "ED108783")}


# --- counsel listed after the phrase ------------------------------------------------------------

APPELLATE_COUNSEL = """\
IN THE COURT OF APPEALS OF TENNESSEE AT NASHVILLE

No. M2021-00123-COA-R3-CV

ACME ROOFING, LLC, Plaintiff-Appellant, v. HARBOR BUILDERS, INC., Defendant-Appellee.

Counsel for Appellant: Laura B. Whitfield and Samuel K. Osei, Whitfield Osei PLLC, Nashville, Tennessee.

Counsel for Appellee: Daniel R. Brody, Brody & Marks LLP, Memphis, Tennessee.

OPINION
"""

COMPLAINT_HEADING = """\
IN THE UNITED STATES DISTRICT COURT FOR THE DISTRICT OF COLORADO

BERKSHIRE LIFE INSURANCE COMPANY OF AMERICA, Plaintiff, v. ANNA SCHUBERT, Defendant.

Respectfully submitted this 16th day of April, 2021.

ATTORNEYS FOR PLAINTIFF
Franz Hardy
Christine M. Kroupa
GORDON REES SCULLY MANSUKHANI, LLP
555 Seventeenth Street, Suite 3400
Denver, Colorado 80202
"""


def test_counsel_named_after_a_colon_represent_the_parties_of_that_role():
    text = APPELLATE_COUNSEL
    m = lambda *a, **k: mention(text, *a, **k)  # noqa: E731
    mentions = [
        m("M2021-00123-COA-R3-CV", "CASE_NUMBER"),
        m("ACME ROOFING, LLC", "ORG", "Acme Roofing, LLC", role="plaintiff-appellant"),
        m("HARBOR BUILDERS, INC.", "ORG", "Harbor Builders, Inc.", role="defendant-appellee"),
        m("Laura B. Whitfield", "PERSON"),
        m("Samuel K. Osei", "PERSON"),
        m("Whitfield Osei PLLC", "ORG"),
        m("Nashville, Tennessee", "LOCATION"),
        m("Daniel R. Brody", "PERSON"),
        m("Brody & Marks LLP", "ORG"),
        m("Memphis, Tennessee", "LOCATION"),
    ]
    edges = find_relationships("acme", text, [], mentions)
    assert edges_of("REPRESENTS", edges) == {
        ("Laura B. Whitfield", "Acme Roofing, LLC"),
        ("Samuel K. Osei", "Acme Roofing, LLC"),
        ("Whitfield Osei PLLC", "Acme Roofing, LLC"),
        ("Daniel R. Brody", "Harbor Builders, Inc."),
        ("Brody & Marks LLP", "Harbor Builders, Inc."),
    }
    edge = next(e for e in edges if e.type == "REPRESENTS" and e.source.normalized == "Daniel R. Brody")
    assert edge.sentence.startswith("Counsel for Appellee")


def test_a_heading_attorneys_for_plaintiff_takes_the_names_below_it():
    text = COMPLAINT_HEADING
    m = lambda *a, **k: mention(text, *a, **k)  # noqa: E731
    mentions = [
        m(
            "BERKSHIRE LIFE INSURANCE COMPANY OF AMERICA",
            "ORG",
            "Berkshire Life Insurance Company of America",
            role="plaintiff",
        ),
        m("ANNA SCHUBERT", "PERSON", "Anna Schubert", role="defendant"),
        m("Franz Hardy", "PERSON", role="counsel"),
        m("Christine M. Kroupa", "PERSON", role="counsel"),
        m("GORDON REES SCULLY MANSUKHANI, LLP", "ORG"),
        m("Denver, Colorado", "LOCATION"),
    ]
    edges = find_relationships("berkshire", text, [], mentions)
    berkshire = "Berkshire Life Insurance Company of America"
    assert edges_of("REPRESENTS", edges) == {("Franz Hardy", berkshire), ("Christine M. Kroupa", berkshire)}
    assert ("Franz Hardy", "GORDON REES SCULLY MANSUKHANI, LLP") in edges_of("MEMBER_OF", edges)


def test_bates_numbers_are_provenance_not_mentioned_entities():
    text = "Standard Insurance Company denied the claim.\nWOMBAT 000454"
    mentions = [mention(text, "Standard Insurance Company", "ORG"), mention(text, "WOMBAT 000454", "BATES")]
    chunks = [Chunk(0, text, 0, len(text), 1, 1, "WOMBAT 000454", "WOMBAT 000454", 12)]
    found = find_relationships(DOCUMENT_ID, text, chunks, mentions)
    assert {r.target.label for r in found if r.type == "MENTIONS"} == {"ORG"}
    assert not [r for r in found if "BATES" in (r.source.label, r.target.label)]
