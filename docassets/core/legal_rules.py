"""Rule-based finders for the legal labels: courts, case numbers, citations, statutes, money,
dates, Bates numbers, caption parties and judges.

Every finder takes one text and returns `Candidate`s whose offsets index that text. Nothing here
knows about spaCy or pages; `entities.py` merges these candidates with the model's and resolves
overlaps. Regexes are compiled once at import; the courts-db regex table is built once, on first
use, and every distinct court-like phrase is looked up once per process (`functools.lru_cache`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from docassets.core.bates import bates_spans

# --------------------------------------------------------------------------------------------
# The candidate record shared with entities.py

RULE_TIER = 0  # legal rules: they beat the statistical model on overlap
MODEL_TIER = 1  # spaCy


@dataclass(frozen=True)
class Candidate:
    """A span proposed by one finder; `entities.py` turns the survivors into `Mention`s."""

    start: int
    end: int
    label: str
    normalized: str
    method: str
    confidence: float
    tier: int = RULE_TIER
    role: str | None = None


def collapse_ws(text: str) -> str:
    return " ".join(text.split())


def _dash(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2011", "-")


# --------------------------------------------------------------------------------------------
# Courts (courts-db)

_COURT_WORD = r"(?:[A-Z][\w'\u2019.\-]*|of|for|the|and|in|at|on|&)"
_COURT_SEP = r"(?:,?[ \t]+(?:\n[ \t]*){0,2}|,?(?:\n[ \t]*){1,2})"
_COURT_RUN = re.compile(rf"{_COURT_WORD}(?:{_COURT_SEP}{_COURT_WORD})*")
_COURT_KEYWORD = re.compile(r"\b(?:court|circuit|district|board|tribunal|bankruptcy)\b", re.I)
# A phrase made only of these words names no particular court ("the District Court").
_GENERIC_COURT_WORDS = frozenset(
    "the of for in and at on & court courts district circuit appeals appeal supreme board "
    "tribunal bankruptcy trial appellate this that our a federal state judge".split()
)
# courts-db ids that match a generic phrase rather than one court.
_GENERIC_COURT_IDS = frozenset({"usdistct"})


@functools.cache
def _court_regexes() -> tuple[tuple[re.Pattern[str], str, str | None, bool], ...]:
    """courts-db's compiled regexes, loaded once: (regex, court id, parent id, is bankruptcy)."""
    import courts_db

    return tuple(
        (regex, court_id, parent, court_type == "bankruptcy")
        for regex, court_id, _name, court_type, _location, parent in courts_db.regexes
        if court_id not in _GENERIC_COURT_IDS
    )


@functools.cache
def _court_names() -> dict[str, str]:
    import courts_db

    return {court["id"]: court["name"] for court in courts_db.courts}


def court_name(court_id: str) -> str | None:
    """courts-db's name of a court id ("ca10" -> "Court of Appeals for the Tenth Circuit"); None if
    unknown."""
    return _court_names().get(court_id)


@functools.lru_cache(maxsize=8192)
def court_matches(phrase: str) -> tuple[tuple[int, int, str], ...]:
    """Non-overlapping courts-db matches inside a whitespace-collapsed phrase, longest first.

    Each courts-db regex is searched (not full-matched) so that a court named inside a longer
    run of capitalised words ("Appeal from the United States District Court for ...") is found.
    A match must start and end on word boundaries. When several courts match the same span, the
    most specific (a court that is not the parent of another match) wins, then the smallest id.
    """
    bankruptcy = "bankr" in phrase.lower()
    found: dict[tuple[int, int], set[tuple[str, str | None]]] = {}
    for regex, court_id, parent, is_bankruptcy in _court_regexes():
        if is_bankruptcy and not bankruptcy:
            continue
        for m in regex.finditer(phrase):
            a, b = m.span()
            while a < b and phrase[a] == " ":
                a += 1
            while b > a and phrase[b - 1] in " ,":
                b -= 1
            if b - a < 4:
                continue
            if (a > 0 and phrase[a - 1].isalnum()) or (b < len(phrase) and phrase[b].isalnum()):
                continue
            found.setdefault((a, b), set()).add((court_id, parent))
    chosen: list[tuple[int, int, str]] = []
    for (a, b), ids in sorted(found.items(), key=lambda kv: (kv[0][0] - kv[0][1], kv[0][0])):
        if any(a < y and x < b for x, y, _ in chosen):
            continue
        parents = {p for _, p in ids if p}
        specific = sorted(cid for cid, _ in ids if cid not in parents) or sorted(c for c, _ in ids)
        chosen.append((a, b, specific[0]))
    return tuple(sorted(chosen))


def _collapse_with_map(text: str, comma_at_breaks: bool = False) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space; return the new text and, per char, its old index.

    With `comma_at_breaks`, a run holding a line break becomes ", " (a caption's "Missouri Court of
    Appeals / Eastern District" is courts-db's "Missouri Court of Appeals, Eastern District").
    """
    out: list[str] = []
    index: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            j = i
            while j < len(text) and text[j].isspace():
                j += 1
            if comma_at_breaks and "\n" in text[i:j] and out and out[-1] != ",":
                out += [",", " "]
                index += [i, i]
            else:
                out.append(" ")
                index.append(i)
            i = j
        else:
            out.append(ch)
            index.append(i)
            i += 1
    return "".join(out), index


def find_courts(text: str) -> list[Candidate]:
    out: list[Candidate] = []
    for run in _COURT_RUN.finditer(text):
        raw = run.group()
        if not _COURT_KEYWORD.search(raw):
            continue
        found: list[tuple[int, int, str]] = []
        for variant in (False, True) if "\n" in raw else (False,):
            phrase, index = _collapse_with_map(raw, comma_at_breaks=variant)
            words = {w.strip(",.").lower() for w in phrase.split()}
            if words <= _GENERIC_COURT_WORDS:
                break
            for a, b, court_id in court_matches(phrase):
                found.append((run.start() + index[a], run.start() + index[b - 1] + 1, court_id))
        # the longest match wins where the two readings overlap; the plain reading wins ties
        chosen: list[tuple[int, int, str]] = []
        for start, end, court_id in sorted(found, key=lambda f: f[0] - f[1]):
            if not any(start < e and s < end for s, e, _ in chosen):
                chosen.append((start, end, court_id))
        out += [Candidate(s, e, "COURT", cid, "courts-db", 0.95) for s, e, cid in sorted(chosen)]
    return out


# --------------------------------------------------------------------------------------------
# Case numbers

_NUM = (
    r"(?:(?:[A-Z]{1,3}[ -]?)?\d[\dA-Za-z]*(?:[-\u2013\u2014:/][\dA-Za-z]+)+|[A-Z]{1,3}\d{4,})"
    r"(?![\w\-\u2013\u2014_/])"
)
_CASE_PREFIXED = re.compile(
    r"\b(?:(?:Civil|Criminal|CIVIL|CRIMINAL)\s+(?:Action|ACTION)\s+|(?:Case|CASE|Docket|DOCKET|Appeal|"
    r"APPEAL|Cause|CAUSE|File|FILE|Misc\.)\s+)?(?:Nos?\.|NOS?\.|Numbers?|No:|#)\s*"
    rf"(?P<num>{_NUM})"
    rf"|\b(?:Case|CASE|Docket|DOCKET)\s*:\s*(?P<num2>{_NUM})"
)
_CASE_LIST_NEXT = re.compile(rf"[ \t]*(?:,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+|[ \t]*&[ \t]*)(?P<num>{_NUM})")
_CASE_FEDERAL = re.compile(
    r"(?<![\w\-])\d{1,2}:\d{2}-[A-Za-z]{2,5}-\d{2,6}(?:-[A-Z]{1,5}){0,3}(?![\w\-])"
    r"|(?<![\w\-:])\d{2}-(?:cv|CV|cr|CR|mc|MC|mj|MJ|bk|BK|ap|AP)-\d{3,6}(?:-[A-Z]{1,5}){0,3}(?![\w\-])"
)
_CASE_NDCAL = re.compile(r"(?<![\w\-])(?:C|CV|CR)[ -]?\d{2}-\d{4,5}(?:[ -][A-Z]{2,4}\b)?(?![\w\-])")
_STATUTE_LIKE_PREFIX = re.compile(r"(?:Pub(?:lic)?\.?\s*L(?:aw)?\.?|Priv\.?\s*L\.?)\s*$")


def normalize_case_number(raw: str) -> str:
    return collapse_ws(_dash(raw)).upper()


def find_case_numbers(text: str) -> list[Candidate]:
    out: list[Candidate] = []
    for m in _CASE_PREFIXED.finditer(text):
        group = "num" if m.group("num") else "num2"
        if _STATUTE_LIKE_PREFIX.search(text, max(0, m.start() - 12), m.start()):
            continue  # "Pub. L. No. 111-203" is a statute
        start, end = m.span(group)
        out.append(
            Candidate(
                start, end, "CASE_NUMBER", normalize_case_number(text[start:end]), "rule:case_number", 0.9
            )
        )
        pos = end
        while (nxt := _CASE_LIST_NEXT.match(text, pos)) is not None:
            s, e = nxt.span("num")
            out.append(
                Candidate(s, e, "CASE_NUMBER", normalize_case_number(text[s:e]), "rule:case_number", 0.85)
            )
            pos = e
    for regex, confidence in ((_CASE_FEDERAL, 0.9), (_CASE_NDCAL, 0.75)):
        for m in regex.finditer(text):
            out.append(
                Candidate(
                    m.start(),
                    m.end(),
                    "CASE_NUMBER",
                    normalize_case_number(m.group()),
                    "rule:case_number",
                    confidence,
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# Citations and statutes found by eyecite

_CASE_CITATION_TYPES = ("FullCaseCitation", "ShortCaseCitation", "IdCitation")
SUPRA = "supra"  # how a supra citation's normalized form starts before it is resolved
_CITATION_TRAILER = re.compile(r"(?:[\s,;:]+|,?\s+at)+$")
_NOT_A_REPORTER = frozenset({"App."})  # "1 App. 24": a Joint Appendix page, not a reporter


def find_citations(text: str) -> list[Candidate]:
    """Case citations (full, short, Id., supra) as CITATION and statute citations as STATUTE
    (eyecite). A supra citation spans its case name ("Twombly, supra, at 556") and is normalized
    "supra Twombly" until `entities.resolve_short_citations` names its antecedent."""
    if not text.strip():
        return []
    import eyecite

    out: list[Candidate] = []
    for cite in eyecite.get_citations(text):
        kind = type(cite).__name__
        if kind == "FullLawCitation":
            label, confidence = "STATUTE", 0.9
            if (cite.groups or {}).get("reporter") == "Pub. L.":
                continue  # eyecite reads "Pub. L. No. 111-203, 124 Stat." as section 124; rule:public_law

        elif kind in _CASE_CITATION_TYPES:
            label, confidence = "CITATION", 0.9 if kind == "FullCaseCitation" else 0.8
            if (cite.groups or {}).get("reporter") in _NOT_A_REPORTER:
                continue
        elif kind == "SupraCitation" and cite.metadata.antecedent_guess:
            label, confidence = "CITATION", 0.7
        else:
            continue  # unknown "§" citations (statute rules below cover sections)
        # eyecite leaves span() and corrected_citation() unannotated
        start, end = cite.full_span() if kind == "SupraCitation" else cite.span()  # type: ignore[no-untyped-call]
        trimmed = _CITATION_TRAILER.sub("", text[start:end])
        end = start + len(trimmed)
        if end <= start:
            continue
        if kind == "SupraCitation":
            normalized = f"{SUPRA} {collapse_ws(cite.metadata.antecedent_guess)}"
        else:
            corrected = "Id." if kind == "IdCitation" else cite.corrected_citation()  # type: ignore[no-untyped-call]
            normalized = collapse_ws(corrected)
        if label == "STATUTE":
            normalized = normalize_statute(normalized)
        out.append(Candidate(start, end, label, normalized, "eyecite", confidence))
    return out


# --------------------------------------------------------------------------------------------
# Statutes by rule

_SECTION = r"\d[\w.\-\u2013]*(?:\([\w]+\))*(?<![.\-\u2013])"
# a provision's number with all its parts: "12b-1", "24.035", "4(a)(2)", "7A", "10b - 5" (tokenised text)
_PROVISION = r"\d+[A-Za-z]{0,2}(?:(?:\.|[ \t]?[-\u2013][ \t]?)\d+[A-Za-z]{0,2})*(?:\([\w]+\))*(?!\w)"
_SECTION_SIGN = r"(?:\u00a7\u00a7?|[Ss]ec(?:tions?|s?\.)|[Ss]ection)"
_STATUTE_PATTERNS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (
        re.compile(
            rf"\b\d+\s+(?:U\.\s?S\.\s?C\.(?:\s?A\.|\s?S\.)?|C\.\s?F\.\s?R\.)\s*(?:{_SECTION_SIGN}\s*)?{_SECTION}"
            r"(?:\s*et\.?\s+seq\.?)?"
        ),
        "rule:usc",
        0.9,
    ),
    (
        re.compile(
            r"\bFed(?:eral)?\.?\s*R(?:ules?)?\.?\s*(?:of\s+)?(?:Civ(?:il)?|Crim(?:inal)?|App(?:ellate)?|Evid(?:ence)?|"
            r"Bankr(?:uptcy)?)\.?\s*(?:P(?:roc(?:edure)?)?\.?\s*)?\d+(?:\.\d+)?(?:\([\w]+\))*"
        ),
        "rule:fed_rule",
        0.9,
    ),
    (
        re.compile(
            r"\bFederal\s+Rules?\s+of\s+(?:Civil|Criminal|Appellate|Bankruptcy)\s+Procedure\s+\d+(?:\.\d+)?(?:\([\w]+\))*"
            r"|\bFederal\s+Rules?\s+of\s+Evidence\s+\d+(?:\([\w]+\))*"
        ),
        "rule:fed_rule",
        0.9,
    ),
    (
        re.compile(
            r"\b(?:(?:[A-Z][A-Za-z]*\.?|&)\s+){0,5}(?:Code|Stat|Stats|Statutes|Laws|Rev\.\s?Stat)\.?(?:\s+Ann\.?)?,?\s*"
            rf"(?:[Tt]it(?:le)?\.?\s*\d+,?\s*)?\u00a7\u00a7?\s*{_SECTION}"
        ),
        "rule:state_code",
        0.85,
    ),
    (re.compile(rf"\bI\.\s?R\.\s?C\.\s*(?:{_SECTION_SIGN}\s*)?{_SECTION}"), "rule:irc", 0.9),
    (
        re.compile(r"\bPub(?:lic)?\.?\s*L(?:aw)?\.?\s*(?:No\.?\s*)?\d{1,3}(?:[-\u2013]\d{1,4})?\b"),
        "rule:public_law",
        0.9,
    ),
    (
        re.compile(rf"(?:(?:\u00a7\u00a7?|\b[Ss]ections?)\s*)?\b{_SECTION},?\s+RSMo\b"),
        "rule:state_code",
        0.85,
    ),
    # a court's own rules, the court named: "5th Circuit Rule 47.5", "Supreme Court Rule 10"
    (
        re.compile(r"\b(?:\d{1,2}(?:st|nd|rd|th)\s+Cir(?:cuit|\.)|Supreme\s+Court)\s+Rules?\s+" + _PROVISION),
        "rule:court_rule",
        0.6,
    ),
    # "Regulation S-K", "Regulation AB"
    (
        re.compile(r"\bRegulation[ \t]+[A-Z]{1,3}(?:[ \t]?-[ \t]?[A-Z0-9]{1,3})?(?![\w-])"),
        "rule:regulation",
        0.85,
    ),
    # accounting standards: "GAAP", "U.S. GAAP", "IFRS", "ASC 820", "ASU 2009-13", "SFAS No. 157"
    (
        re.compile(
            r"\b(?:U\.S\.[ \t]+|US[ \t]+)?GAAP\b|\bIFRS\b"
            r"|\b(?:FASB[ \t]+)?(?:ASC|ASU)"
            r"(?:[ \t]+(?:No\.[ \t]*|Topic[ \t]+)?\d{3,4}(?:[ \t]?-[ \t]?\d+)*)?\b"
            r"|\b(?:SFAS|FAS|FIN|SAS|SSAP)[ \t]+(?:No\.[ \t]*)?\d+\b"
            r"|\b(?:(?:U\.S\.|United[ \t]+States)[ \t]+)?[Gg]enerally[ \t]+"
            r"[Aa]ccepted[ \t]+[Aa]ccounting[ \t]+[Pp]rinciples\b"
            r"|\baccounting[ \t]+principles[ \t]+generally[ \t]+accepted\b"
            r"|\bAccounting[ \t]+Standards[ \t]+(?:Update|Codification)(?:[ \t]+No\.[ \t]*\d{4}-\d+)?"
        ),
        "rule:accounting_standard",
        0.85,
    ),
)
# PROVISION: a numbered part cited without the law it is part of ("Section 4(a)(2)", "§ 1983",
# "Rule 12b-1", "Item 7A of Form 10-K"). Which law is the document's context, so a provision is
# no STATUTE and names nothing outside its document.
_PROVISION_PATTERNS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(rf"\u00a7\u00a7?\s*{_SECTION}"), "rule:section", 0.6),
    (re.compile(rf"\b(?:[Ss]ections?|SECTIONS?|[Aa]rticles?)\s+{_PROVISION}"), "rule:section", 0.6),
    (re.compile(rf"\b(?:Local\s+)?Rules?\s+{_PROVISION}"), "rule:numbered_rule", 0.6),
    (
        re.compile(rf"\bItems?[ \t]+{_PROVISION}(?=[ \t]+of[ \t]+(?:Form|Regulation|Schedule|Part)\b)"),
        "rule:item",
        0.7,
    ),
)
# Title case or a heading's capitals ("SARBANES-OXLEY ACT OF 2002")
_ACT_KEYWORD = re.compile(r"\b(?:Act|Code|Compact|ACT|CODE)\b(?:[ \t]*\n?[ \t]*(?:of|OF)[ \t]+\d{4})?")
_ACT_WORD = re.compile(
    r"(?:[A-Z][A-Za-z'\u2019\-]*|(?:19|20)\d\d|of|and|the|for|on|in|to|with|&|OF|AND|THE|FOR|ON|IN|TO|WITH)"
)
_ACT_TOKEN = re.compile(r"\S+")
_ACT_BARRIER = frozenset("court opinion syllabus cite see cf under id ibid page".split())
_ACT_LEAD_STOP = frozenset(
    "see cf under pursuant the in of and but this that these its his her their our also although "
    "because moreover if when while after before section a an as by for from to with whether "
    "accordingly thus here".split()
)


def normalize_statute(raw: str) -> str:
    text = collapse_ws(_dash(raw))
    text = re.sub(r"U\.\s?S\.\s?C\.", "U.S.C.", text)
    text = re.sub(r"C\.\s?F\.\s?R\.", "C.F.R.", text)
    text = re.sub(r"(\u00a7\u00a7?)\s*", r"\1 ", text)
    return text


def _act_name_start(text: str, keyword_start: int) -> int | None:
    """Where the name of the Act/Code ending at `keyword_start` begins; None if it has no name.

    Walks back over capitalised words and connectors ("Ethics in Government Act"), at most one
    line break apart, then drops leading stop words ("See the", "Under").
    """
    window_start = max(0, keyword_start - 150)
    tokens = list(_ACT_TOKEN.finditer(text, window_start, keyword_start))
    first = len(tokens)
    gap_end = keyword_start
    while first > 0:
        token = tokens[first - 1]
        if (
            not _ACT_WORD.fullmatch(token.group())
            or text.count("\n", token.end(), gap_end) > 1
            or token.group().lower().strip(":,") in _ACT_BARRIER
        ):
            break
        if token.group().isdigit() and first < len(tokens):
            break  # a year names an Act only right before it ("the 1934 Act")
        first -= 1
        gap_end = token.start()
    for i in range(len(tokens) - 1, first, -1):  # "Once the Compact": the name starts after "the"
        if tokens[i].group().lower() == "the":
            first = i + 1
            break
    while first < len(tokens) and (
        tokens[first].group().lower() in _ACT_LEAD_STOP
        or not tokens[first].group()[0].isalnum()
        or tokens[first].group()[0].islower()
    ):
        first += 1
    if first >= len(tokens):
        return None
    return tokens[first].start()


def find_statutes(text: str) -> list[Candidate]:
    out: list[Candidate] = []
    for label, patterns in (("STATUTE", _STATUTE_PATTERNS), ("PROVISION", _PROVISION_PATTERNS)):
        for regex, method, confidence in patterns:
            for m in regex.finditer(text):
                out.append(
                    Candidate(m.start(), m.end(), label, normalize_statute(m.group()), method, confidence)
                )
    for m in _ACT_KEYWORD.finditer(text):
        start = _act_name_start(text, m.start())
        if start is not None:
            out.append(
                Candidate(
                    start, m.end(), "STATUTE", collapse_ws(text[start : m.end()]), "rule:named_act", 0.75
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# Money

_MONEY = re.compile(
    r"(?:\$|US\$|USD[ \t]?)[ \t]?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
    r"(?:[ \t]?(?P<mult>million|billion|thousand|trillion)\b)?"
    r"|\b(?P<num2>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
    r"[ \t]?(?P<mult2>million|billion|thousand)?[ \t]?dollars\b"
)
_MULTIPLIER = {None: 1, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def normalize_money(number: str, multiplier: str | None = None) -> str | None:
    try:
        value = Decimal(number.replace(",", "")) * _MULTIPLIER[multiplier and multiplier.lower()]
    except (InvalidOperation, KeyError):
        return None
    return f"{value:.2f}"


def find_money(text: str) -> list[Candidate]:
    out = []
    for m in _MONEY.finditer(text):
        number = m.group("num") or m.group("num2")
        normalized = normalize_money(number, m.group("mult") or m.group("mult2"))
        if normalized is not None:
            out.append(Candidate(m.start(), m.end(), "MONEY", normalized, "rule:money", 0.95))
    return out


# --------------------------------------------------------------------------------------------
# Dates

_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_MONTH = (
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_DATE_PATTERNS = (
    re.compile(
        rf"\b{_MONTH}[ \t]+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?[ \t]*\n?[ \t]*(?P<year>\d{{4}})\b", re.I
    ),
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?[ \t]+(?:day\s+of\s+)?{_MONTH},?[ \t]+(?P<year>\d{{4}})\b",
        re.I,
    ),
    re.compile(r"(?<![\d/\-])(?P<m>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\d/])"),
    re.compile(r"(?<![\d.\-])(?P<day>\d{1,2})\.(?P<m>\d{1,2})\.(?P<year>\d{4})(?![\d.]\d)"),
    # "10-31-17" in CM/ECF stamps and forms; not a section number ("§ 4-12-15")
    re.compile(r"(?<![\d/\-:])(?<!§ )(?<!§)(?P<m>\d{1,2})-(?P<day>\d{1,2})-(?P<year>\d{4}|\d{2})(?![\d\-])"),
    re.compile(r"(?<![\d\-])(?P<year>\d{4})-(?P<m>\d{2})-(?P<day>\d{2})(?![\d\-])"),
    re.compile(rf"\b{_MONTH},?[ \t]+(?P<year>\d{{4}})\b", re.I),
)
YEAR = re.compile(r"(?<![\d\-/.,])(?:1[6-9]|20)\d\d(?![\d\-/])")


def _month_number(word: str) -> int:
    return _MONTHS[word.lower().rstrip(".")]


def date_iso(year: int, month: int, day: int | None) -> str | None:
    try:
        if day is None:
            dt.date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


_MONTH_NAME = _MONTH.replace("(?P<month>", "(?:")
_MONTH_RANGE = re.compile(
    rf"\b(?P<first>{_MONTH_NAME})[ \t]+(?:to|through|until|-|\u2013)[ \t]+"
    rf"(?P<last>{_MONTH_NAME}),?[ \t]+(?P<year>\d{{4}})\b"
)


def find_dates(text: str) -> list[Candidate]:
    """Dates normalized to ISO; a range of months in one year ("May to December 2015") to an ISO
    interval ("2015-05/2015-12")."""
    out = []
    for m in _MONTH_RANGE.finditer(text):
        year, first, last = (
            int(m.group("year")),
            _month_number(m.group("first")),
            _month_number(m.group("last")),
        )
        if first < last:
            out.append(
                Candidate(
                    m.start(),
                    m.end(),
                    "DATE",
                    f"{year:04d}-{first:02d}/{year:04d}-{last:02d}",
                    "rule:date_range",
                    0.9,
                )
            )
    for regex in _DATE_PATTERNS:
        for m in regex.finditer(text):
            groups = m.groupdict()
            month_word = groups.get("month")
            if month_word and month_word[0].islower():
                continue  # "may 2019" is a verb far more often than a month
            month = _month_number(month_word) if month_word else int(groups["m"])
            year_text = groups["year"]
            year = (
                int(year_text)
                if len(year_text) == 4
                else 2000 + int(year_text)
                if int(year_text) < 50
                else 1900 + int(year_text)
            )
            day = int(groups["day"]) if groups.get("day") else None
            iso = date_iso(year, month, day)
            if iso is None and "/" in m.group() and day is not None:
                iso = date_iso(year, day, month)  # "29/12/2004": day first where month first is impossible
            if iso is None:
                continue
            out.append(Candidate(m.start(), m.end(), "DATE", iso, "rule:date", 0.95 if day else 0.85))
    return out


# --------------------------------------------------------------------------------------------
# Bates numbers


def find_bates(text: str) -> list[Candidate]:
    """Bates numbers as `docassets.core.bates` defines them, so a page's Bates field and its
    BATES mentions never disagree."""
    return [
        Candidate(start, end, "BATES", collapse_ws(text[start:end]).upper(), "rule:bates", 0.85)
        for start, end in bates_spans(text)
    ]


# --------------------------------------------------------------------------------------------
# Caption parties ("JOHN DOE, Plaintiff, v. ACME CORP., Defendant") and judges

ROLE_WORDS = {
    "plaintiff": "plaintiff",
    "plaintiffs": "plaintiff",
    "counter-plaintiff": "plaintiff",
    "defendant": "defendant",
    "defendants": "defendant",
    "third-party defendant": "defendant",
    "petitioner": "petitioner",
    "petitioners": "petitioner",
    "respondent": "respondent",
    "respondents": "respondent",
    "appellant": "appellant",
    "appellants": "appellant",
    "cross-appellant": "appellant",
    "appellee": "appellee",
    "appellees": "appellee",
    "cross-appellee": "appellee",
}
_ROLE = (
    r"(?:Plaintiffs?|Defendants?|Petitioners?|Respondents?|Appellants?|Appellees?"
    r"|Cross-Appellants?|Cross-Appellees?)"
)
_ROLE_CI = rf"(?=[A-Z])(?i:{_ROLE})"
_CAPTION_ROLE = re.compile(
    rf",[ \t]*(?:\d{{1,2}}[ \t]*)?\s*(?P<role>{_ROLE_CI}(?:[ \t]*(?:[\u2014\u2013\-/]|and)[ \t]*{_ROLE_CI})*)"
    r"(?=[ \t]*(?:[,.;]|v\.|vs\.|versus|\n|$))"
)
_CAPTION_BOUNDARY = re.compile(r"(?:^|\s)(?:v\.|vs\.|V\.|VS\.|versus|VERSUS|against|AGAINST)(?=\s|$)")
_ORG_WORDS = re.compile(
    r"\b(?:company|co|corp|corporation|inc|incorporated|llc|l\.l\.c|llp|l\.l\.p|lp|ltd|limited|bank|association|"
    r"ass'n|district|board|commission|commissioner|department|dept|agency|authority|university|college|city|"
    r"county|state|states|government|school|hospital|trust|fund|insurance|group|partners|partnership|"
    r"society|union|church|council|services|systems|holdings|office|bureau|republic|commonwealth|"
    r"township|village|estate|foundation|institute|center|centre|club|plc|n\.a|p\.c|p\.a|pllc|"
    r"brokerage|bancorp|bancshares)\b\.?",
    re.I,
)
_PARTY_TRAILER = re.compile(r"(?:[\s,;:]+|\s+(?:et\s+al\.?|ET\s+AL\.?))+$")
_PARTY_LEADER = re.compile(r"^(?:In\s+re:?|IN\s+RE:?|In\s+the\s+Matter\s+of|IN\s+THE\s+MATTER\s+OF)\s*")
_NAME_TOKEN = re.compile(r"^(?:[A-Z][A-Za-z'\u2019\-]+|[A-Z]\.|Jr\.|Sr\.|II|III|IV|St\.)$")


US_STATES = frozenset(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
    mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah
    vermont virginia washington wisconsin wyoming""".split()
    + [
        "new hampshire",
        "new jersey",
        "new mexico",
        "new york",
        "north carolina",
        "north dakota",
        "rhode island",
        "south carolina",
        "south dakota",
        "west virginia",
        "district of columbia",
    ]
)


_FIRM_SUFFIX_END = re.compile(
    r"(?:LLC|L\.L\.C\.|LLP|L\.L\.P\.|PLLC|Inc\.|Corp\.|Co\.|Ltd\.|P\.C\.|P\.A\.|N\.A\.|L\.P\.)$"
)


def looks_like_org(text: str) -> bool:
    return bool(_ORG_WORDS.search(text))


def looks_like_person(text: str) -> bool:
    tokens = text.replace(",", " ").split()
    return 2 <= len(tokens) <= 5 and all(_NAME_TOKEN.match(t) for t in tokens) and not looks_like_org(text)


def _last_line_group(text: str, start: int, end: int) -> tuple[int, int]:
    """The last run of non-blank lines of text[start:end] (a party's name sits in one)."""
    block = text[start:end]
    lines = block.split("\n")
    offset = len(block)
    group_start = end
    seen = False
    for line in reversed(lines):
        line_start = offset - len(line)
        if line.strip() and line.strip() != ")":
            group_start = start + line_start
            seen = True
        elif seen:
            break
        offset = line_start - 1
    return group_start, end


def find_caption_parties(text: str, boundaries: list[int]) -> list[Candidate]:
    """Parties named in a caption with their stated role.

    `boundaries` are offsets (ends of lines holding a court, case number or date) that no party
    name crosses. The party block is the last group of non-blank lines before ", Role", after the
    previous role label or "v."; it is split into parties on ";" and, between two personal names,
    on "and". A compound role keeps both parts, the original party role first:
    "Plaintiff—Appellant" gives "plaintiff-appellant" (`party_role`).
    """
    out: list[Candidate] = []
    previous_end = 0
    for m in _CAPTION_ROLE.finditer(text):
        role = party_role(m.group("role"))
        block_start = max([previous_end, max(0, m.start() - 250)] + [b for b in boundaries if b <= m.start()])
        previous_end = m.end("role")
        for v in _CAPTION_BOUNDARY.finditer(text, block_start, m.start()):
            block_start = max(block_start, v.end())
        start, end = _last_line_group(text, block_start, m.start())
        raw = text[start:end]
        if not raw.strip() or raw.count("\n") > 2 or len(raw) > 160 or re.search(r"\bNo\.|\d{3}", raw):
            continue
        for part in _split_parties(text, start, end):
            out.append(dataclasses.replace(part, role=role))
    return out


def _split_parties(text: str, start: int, end: int) -> list[Candidate]:
    pieces: list[tuple[int, int]] = []
    for part in re.finditer(r"[^;]+", text[start:end]):
        s, e = start + part.start(), start + part.end()
        sub = text[s:e]
        halves = re.split(r"\s+(?:and|AND|&)\s+", sub)
        if len(halves) == 2 and all(looks_like_person(collapse_ws(h)) for h in halves):
            cut = re.search(r"\s+(?:and|AND|&)\s+", sub)
            assert cut is not None  # the split above found it
            pieces += [(s, s + cut.start()), (s + cut.end(), e)]
        else:
            pieces.append((s, e))
    out = []
    for s, e in pieces:
        seg = text[s:e]
        lead = _PARTY_LEADER.match(seg.lstrip())
        s += len(seg) - len(seg.lstrip()) + (lead.end() if lead else 0)
        seg = text[s:e]
        trimmed = _PARTY_TRAILER.sub("", seg)
        e = s + len(trimmed)
        if e - s < 2 or not any(ch.isupper() for ch in trimmed) or trimmed[0].islower():
            continue
        label = "ORG" if looks_like_org(trimmed) or not looks_like_person(collapse_ws(trimmed)) else "PERSON"
        out.append(Candidate(s, e, label, "", "rule:caption", 0.9))
    return out


_JUDGE_TITLE_WORDS = (
    r"(?:(?:Chief|Senior|Presiding|Circuit|District|Magistrate|Bankruptcy|Associate|Administrative\s+Law|"
    r"Appellate|Trial|Special|Tax\s+Court)\s+)?"
)
_BEFORE_JUDGES = re.compile(
    r"\b(?:Before|BEFORE|Present|PRESENT)\s*:?\s+(?P<names>[^\n]{3,200}?(?:\n[^\n]{1,200}?)?),?\s+"
    rf"{_JUDGE_TITLE_WORDS}(?:Judges|JUDGES|Justices|JUSTICES|JJ\.)"
)
_NAME_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_SUFFIX = re.compile(r"^(?:Jr\.?|Sr\.?|II|III|IV)$")
_NAME = (
    r"[A-Z][A-Za-z'\u2019\-]+(?:[ \t]+(?:[A-Z]\.|[A-Z][A-Za-z'\u2019\-]+)){0,3}"
    r"(?:,?[ \t]+(?:Jr\.|Sr\.|II|III|IV)\b)?"
)
_TITLED_JUDGE = re.compile(
    rf"\b(?:(?:Chief|Senior|Presiding|Circuit|District|Magistrate|Bankruptcy|Associate)\s+)?(?:Judge|Justice)\s+(?P<name>{_NAME})"
    r"|\b(?:CHIEF\s+)?JUSTICE\s+(?P<caps>[A-Z][A-Z'\u2019\-]+)\b"
)


def find_judges(text: str) -> list[Candidate]:
    """Judges named in "Before A, B, and C, Circuit Judges." and after a title ("Judge A. Smith")."""
    out = []
    for m in _BEFORE_JUDGES.finditer(text):
        base = m.start("names")
        names = m.group("names")
        pieces: list[tuple[int, int]] = []
        pos = 0
        for sep in list(_NAME_SPLIT.finditer(names)) + [None]:
            s, e = pos, (sep.start() if sep else len(names))
            piece = names[s:e].strip()
            if _SUFFIX.match(piece) and pieces:
                pieces[-1] = (pieces[-1][0], base + e)
            elif piece:
                lead = len(names[s:e]) - len(names[s:e].lstrip())
                pieces.append((base + s + lead, base + s + lead + len(piece)))
            pos = sep.end() if sep else len(names)
        for s, e in pieces:
            name = text[s:e]
            if re.fullmatch(_NAME, collapse_ws(name)):
                out.append(Candidate(s, e, "PERSON", "", "rule:judges", 0.9, RULE_TIER, "judge"))
    for m in _TITLED_JUDGE.finditer(text):
        group = "name" if m.group("name") else "caps"
        s, e = m.span(group)
        out.append(Candidate(s, e, "PERSON", "", "rule:judge_title", 0.85, RULE_TIER, "judge"))
    return out


# --------------------------------------------------------------------------------------------
# Tribunals courts-db does not know, and circuits named on their own

_ORDINAL_CIRCUITS = {
    "first": "ca1",
    "second": "ca2",
    "third": "ca3",
    "fourth": "ca4",
    "fifth": "ca5",
    "sixth": "ca6",
    "seventh": "ca7",
    "eighth": "ca8",
    "ninth": "ca9",
    "tenth": "ca10",
    "eleventh": "ca11",
    "d.c.": "cadc",
    "federal": "cafc",
}
_CIRCUIT = re.compile(
    r"\b(?P<ordinal>First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Eleventh|D\.C\.|Federal)"
    r"[ \t]+Circuit\b(?![ \t]+(?:Rules?|Judges?|Court)\b)"
)
_CAPS_WORD = r"[A-Z][\w'\u2019]*"
_TRIBUNAL = re.compile(
    # "Workers' Compensation Appeals Board", "TENNESSEE\nWORKERS' COMPENSATION\nAPPEALS BOARD",
    # "Appeals Board"
    rf"(?:(?:{_CAPS_WORD})(?:[ \t]+|[ \t]*\n[ \t]*))"
    r"{0,4}(?:Appeals|APPEALS)[ \t]+(?:Board|BOARD)\b"
    # "Court of Workers' Compensation Claims" (across a caption's ")" column once it is blanked)
    rf"|\b(?:Court|COURT)[ \t]+(?:of|OF)(?:[ \t]+|\s*\n\s*)"
    rf"(?:{_CAPS_WORD}(?:[ \t]+|\s*\n\s*)){{1,4}}(?:Claims|CLAIMS)\b"
)
_NOT_TRIBUNAL_LEAD = frozenset("the of in and for from by to a an this that".split())


def find_tribunals(text: str) -> list[Candidate]:
    """COURT mentions courts-db has no entry for: "the Tenth Circuit" (normalized to its courts-db
    id), state agency tribunals ("Workers' Compensation Appeals Board", "Court of Workers'
    Compensation Claims": normalized as written, whitespace collapsed)."""
    out = []
    for m in _CIRCUIT.finditer(text):
        out.append(
            Candidate(
                m.start(),
                m.end(),
                "COURT",
                _ORDINAL_CIRCUITS[m.group("ordinal").lower()],
                "rule:circuit",
                0.85,
            )
        )
    for m in _TRIBUNAL.finditer(text):
        start = m.start()
        words = list(re.finditer(r"\S+", m.group()))
        while words and words[0].group().lower() in _NOT_TRIBUNAL_LEAD:
            words.pop(0)
        if words:
            start = m.start() + words[0].start()
        last_break = text.rfind("\n", start, m.end())
        if last_break != -1 and len(text[last_break : m.end()].split()) >= 4:
            start = (
                last_break
                + 1
                + len(text[last_break + 1 : m.end()])
                - len(text[last_break + 1 : m.end()].lstrip())
            )
        out.append(
            Candidate(start, m.end(), "COURT", collapse_ws(text[start : m.end()]), "rule:tribunal", 0.8)
        )
    return out


# --------------------------------------------------------------------------------------------
# Addresses and named places

US_STATE_CODES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
_CITY_STATE_ZIP = re.compile(
    r"^[ \t]*(?P<city>[A-Z][A-Za-z.'\u2019\-]+(?:[ \t]+[A-Z][A-Za-z.'\u2019\-]+){0,3}),[ \t]*"
    r"(?P<state>[A-Z]{2})[ \t]+\d{5}(?:-\d{4})?[ \t]*$",
    re.M,
)
_STREET_KIND = (
    r"(?:Street|Avenue|Road|Boulevard|Place|Plaza|Drive|Lane|Way|Square|Parkway|Circle|Terrace|Highway|"
    r"Court|Trail|STREET|AVENUE|ROAD|BOULEVARD|PLACE|PLAZA|DRIVE|LANE|WAY|SQUARE|PARKWAY)"
)
# "West Wacker Drive", "K Street": the name of a street after its number
_STREET_NAME = (
    rf"(?:(?:[NSEW]|North|South|East|West)\.?[ \t]+)?(?:[A-Z][A-Za-z'\u2019\-]*[ \t]+){{0,3}}{_STREET_KIND}"
)
# On an address line of its own, or inline after a comma ("Nuveen Investments, 333 West Wacker Drive")
_STREET = re.compile(
    rf"(?:^[ \t]*|(?<=,[ \t]))(?:\d+[A-Za-z]?|One|Two|Three)[ \t]+(?P<street>{_STREET_NAME})\b", re.M
)
_STREET_AFTER_NUMBER = re.compile(rf"[ \t]+{_STREET_NAME}\b")


def is_house_number(text: str, end: int) -> bool:
    """The number ending at `end` is a street address's ("2001 K Street"), not a year."""
    return bool(_STREET_AFTER_NUMBER.match(text, end))


_BUILDING_LINE = re.compile(
    r"^[ \t]*(?P<name>(?:[A-Z][A-Za-z'\u2019\-]+[ \t]+){1,3}"
    r"(?:Plaza|Square|Tower|Center|Centre))[ \t]*(?:,[^\n]*)?$",
    re.M,
)
# "Kansas City, MO 64121" inline: the state's code before a ZIP code
_STATE_ZIP = re.compile(r"(?<=,[ \t])(?P<state>[A-Z]{2})[ \t]+\d{5}(?:-\d{4})?\b")
# "Pledger, Franklin, Tennessee, for the employer": a city between commas, then a state's name
# (OCR and tokenised text put a space before the comma)
_CITY_STATE = re.compile(
    r"(?<=,[ \t])(?P<city>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)[ \t]?,[ \t]+"
    r"(?P<state>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)(?=[,.;]|\s+\d{5})"
)
_PLACE = re.compile(
    r"\b(?:State|Commonwealth|City[ \t]+and[ \t]+County|City|County|Town|Village)[ \t]+of[ \t]+"
    r"[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?"
)
# "a Delaware corporation", "each a Minnesota limited liability company", "the laws of Nevada":
# where a company is organised
_STATE_OF_ORGANISATION = re.compile(
    r"(?:\b(?:an?|each[ \t]+an?)[ \t]+(?P<state>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)[ \t]+"
    r"(?=(?:(?:general|limited|nonprofit|non-profit|not-for-profit|business|statutory|public|"
    r"professional|banking|stock|close)[ \t]+)*(?:corporation|company|partnership|trust|association)\b)"
    r"|\blaws[ \t]+of[ \t]+(?P<laws>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)\b)",
    re.I,
)


def find_places(text: str) -> list[Candidate]:
    """LOCATION by rule: the city and state of an address line ("New York, NY 10020"), a street
    without its number ("600 Fifth Avenue" -> "Fifth Avenue"), a building line ("Gateway Plaza"),
    "State of Colorado", "Commonwealth of Massachusetts", "City and County of Denver", a state of
    organisation ("a Delaware corporation", "the laws of Nevada")."""
    out = []
    for m in _CITY_STATE_ZIP.finditer(text):
        if m.group("state") in US_STATE_CODES:
            out.append(Candidate(m.start("city"), m.end("city"), "LOCATION", "", "rule:address", 0.85))
            out.append(Candidate(m.start("state"), m.end("state"), "LOCATION", "", "rule:address", 0.85))
    for m in _STREET.finditer(text):
        out.append(Candidate(m.start("street"), m.end("street"), "LOCATION", "", "rule:address", 0.8))
    for m in _BUILDING_LINE.finditer(text):
        out.append(Candidate(m.start("name"), m.end("name"), "LOCATION", "", "rule:address", 0.7))
    for m in _CITY_STATE.finditer(text):
        if m.group("state").lower() in US_STATES:
            out.append(Candidate(m.start("city"), m.end("city"), "LOCATION", "", "rule:address", 0.75))
            out.append(Candidate(m.start("state"), m.end("state"), "LOCATION", "", "rule:address", 0.8))
    for m in _STATE_ZIP.finditer(text):
        if m.group("state") in US_STATE_CODES:
            out.append(Candidate(m.start("state"), m.end("state"), "LOCATION", "", "rule:address", 0.8))
    for m in _PLACE.finditer(text):
        out.append(Candidate(m.start(), m.end(), "LOCATION", "", "rule:place", 0.8))
    for m in _STATE_OF_ORGANISATION.finditer(text):
        group = "state" if m.group("state") else "laws"
        if m.group(group).lower() in US_STATES and m.group(group)[0].isupper():
            out.append(Candidate(m.start(group), m.end(group), "LOCATION", "", "rule:place", 0.8))
    return out


# --------------------------------------------------------------------------------------------
# Captions laid out in columns

_CAPS_NAME_LINE = re.compile(
    r"^[ \t]*(?P<name>[A-Z][A-Z.'\u2019&\-]*(?:[ \t]+[A-Z][A-Z.'\u2019&\-]*){1,7}),[ \t]*$", re.M
)
_ROLE_LINE = re.compile(
    rf"^[ \t]*(?P<role>{_ROLE_CI}(?:[ \t]*(?:[\u2014\u2013\-/]|and)[ \t]*{_ROLE_CI})*)[ \t]*[,.]?[ \t]*$",
    re.M,
)


def find_column_caption_parties(text: str) -> list[Candidate]:
    """Parties of a caption printed as a table: "NICHOLE MARIE JAGELS," on one line and, a few
    lines on, after the other column's lines ("No. ED108783", ")"), "Appellant," on its own."""
    out = []
    for m in _CAPS_NAME_LINE.finditer(text):
        window = text[m.end() : m.end() + 200]
        role = _ROLE_LINE.search(window)
        if role is None or _CAPS_NAME_LINE.search(window, 0, role.start()):
            continue
        between = [line for line in window[: role.start()].split("\n") if line.strip() not in ("", ")")]
        if len(between) > 4:
            continue
        name = m.group("name")
        label = "ORG" if looks_like_org(name) or not looks_like_person(name) else "PERSON"
        out.append(
            Candidate(
                m.start("name"),
                m.end("name"),
                label,
                "",
                "rule:caption",
                0.85,
                RULE_TIER,
                party_role(role.group("role")),
            )
        )
    return out


def party_role(phrase: str) -> str | None:
    """The role a caption states: "Plaintiff" -> "plaintiff"; "Plaintiff—Appellant" ->
    "plaintiff-appellant" (both kept, original role first, as relationships.py reads them)."""
    words = [
        w.lower().replace(" ", "-")
        for w in re.split(r"[ \t]*(?:[\u2014\u2013\-/]|\band\b)[ \t]*", phrase)
        if w
    ]
    roles = []
    for i, word in enumerate(words):
        if word == "cross" and i + 1 < len(words):  # "Cross-Appellant" was split at its hyphen
            continue
        role = ROLE_WORDS.get(("cross-" + word) if i and words[i - 1] == "cross" else word)
        if role and role not in roles:
            roles.append(role)
    return "-".join(roles) or None
