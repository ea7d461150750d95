"""Defined terms of a document, and the mentions they make.

Agreements and filings name a party once and then use a defined term for it:
`Acme Holdings, Inc., a Delaware corporation (the "Company")`, `John Smith ("Executive")`,
`hereinafter "Lessee"`, `(collectively, the "Defendants")`, `"Good Reason" shall mean ...`.
Straight and curly quotes alike.

- A definition's *referent* is the named entity written just before it: the mention that ends
  right before the parenthesis, or before an appositive (", a Delaware corporation", ", as
  amended"). After "collectively"/"together" it is the list of mentions before it, a group.
- Without quotes, a parenthesis right after a person's or organisation's name defines a short
  name when it is an acronym or made of the name's own words (`Nuveen Core Equity Alpha Fund
  (Core Equity)`, `Sun Communities Operating LP (SCOLP)`), or follows "the" (`Acme (the Company)`).
- Where no mention ends right before such a short name, the capitalised words before it are the
  referent, an organisation (`rule:defined_referent`): "Hallmark Entertainment Investments Co.
  (HEIC)", for an acronym the words whose initials spell it.
- A later use of a term with a single named referent ("the Company", article not in the span) is
  a mention with the referent's label and normalized name, so resolution joins it with the
  referent: method `rule:defined_term` for a descriptive term ("the Company", "Executive",
  "Buyer"), `rule:defined_name` for a short name (an acronym, even after "the", or words of the
  referent's own name: "SCCII", "FDIC", "Core Equity", "Berkshire"). A short name is a name
  before its definition too (a summary up front), and one that the firm rule reads as a firm of
  its own ("Many LLC") is still a use of its referent.
- A term with no named referent ("Good Reason", "Effective Date", "Common Stock") names no entity:
  model and alias mentions with exactly its text are dropped, and so are those inside the quotes
  of any definition (the definition itself is not a mention).

Everything here works on document offsets (pages joined by `models.PAGE_SEPARATOR`).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cleanco import basename

from docassets.core.legal_rules import collapse_ws
from docassets.core.models import Mention

NAME_LABELS = frozenset({"PERSON", "ORG", "LOCATION"})
# Mentions that a definition can overrule: the statistical model's and short-form aliases.
_OVERRULABLE = re.compile(r"^(?:spacy|rule:alias)")
USE_METHOD = "rule:defined_term"
NAME_METHOD = "rule:defined_name"
FIRM_METHOD = "rule:firm"  # entities.py's names ending in a legal form
REFERENT_METHOD = "rule:defined_referent"  # a name found only because a short name is defined for it
USE_CONFIDENCE = 0.8

_OPEN_Q = "\"\u201c\u201d\u2018'"
_CLOSE_Q = "\"\u201d\u201c\u2019'"
_TERM = r"[A-Z0-9][\w.&'\u2019\-]*(?:[ \t]+(?:[A-Z0-9][\w.&'\u2019\-]*|of|and|the|for|on|in|to|&)){0,6}"
_QUOTED = re.compile(rf"[{_OPEN_Q}](?P<term>{_TERM}?)[,.]?[{_CLOSE_Q}]")
_LEAD = (
    r"(?:(?:together|collectively|jointly|each|individually|severally|"
    r"hereinafter(?:[ \t]+referred[ \t]+to[ \t]+as)?"
    r"|(?:referred[ \t]+to[ \t]+)?(?:herein[ \t]+)?as|herein)[ \t]*,?[ \t]*"
    r"(?:with[ \t]+[^()]{1,40}?,[ \t]*)?)*"
    r"(?:(?:the|a|an|each[ \t]+a|each[ \t]+an|any)[ \t]+)?"
)
_PARENTHESIS = re.compile(rf"\([ \t]*(?P<lead>{_LEAD})(?P<body>[{_OPEN_Q}][^()]{{1,160}}?)\)")
_HEREINAFTER = re.compile(
    rf"\b(?:hereinafter|herein(?:after)?[ \t]+referred[ \t]+to[ \t]+as"
    rf"|referred[ \t]+to[ \t]+(?:herein[ \t]+)?as)"
    rf"[ \t]*,?[ \t]*(?:the[ \t]+)?(?=[{_OPEN_Q}])",
    re.I,
)
_MEANS = re.compile(
    rf"(?:^|(?<=[\s(]))(?P<quote>[{_OPEN_Q}](?P<term>{_TERM}?)[,.]?[{_CLOSE_Q}])[ \t]*"
    r"(?:shall[ \t]+)?(?:means?|mean[ \t]+|ha(?:s|ve)[ \t]+the[ \t]+meanings?"
    r"|includes?|refers?[ \t]+to|is[ \t]+defined)\b"
)
_UNQUOTED = re.compile(
    rf"\([ \t]*(?P<lead>{_LEAD})(?P<term>[A-Z][\w&.'\u2019/\-]*"
    rf"(?:[ \t]+[A-Z0-9][\w&.'\u2019/\-]*){{0,4}})[ \t]*\)"
)
_ARTICLE_LEAD = re.compile(r"\b(?:the|a|an)[ \t]*$", re.I)
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]{1,7}")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019\-]*")
_COLLECTIVE = re.compile(r"\b(?:together|collectively|jointly)\b", re.I)
# Between a referent and its definition: nothing but punctuation, or an appositive.
_DIRECT_GAP = re.compile(r"^[ \t\n,]*$")
_APPOSITIVE_GAP = re.compile(
    r"^,?[ \t\n]*(?:(?:an?|the)[ \t\n]+[^()\"\u201c\u201d;:.]{1,80}?"
    r"|as[ \t\n]+amended|formerly[ \t\n]+[^()]{1,80}?)"
    r"[ \t\n,]*$"
)
# A list of a company's segments or units names parts of its business, not organisations.
_PARTS_OF_A_BUSINESS = re.compile(
    r"\b(?:segments|reporting[ \t]+units|business[ \t]+units|product[ \t]+lines)\b[^.;]*$", re.I
)
_LIST_GAP = re.compile(r"^[ \t\n]*(?:,|and|or|&|,[ \t\n]*(?:and|or))[ \t\n]*$")


@dataclass(frozen=True)
class DefinedTerm:
    """One definition of one document (offsets index the document text).

    `referent` is the text of the named entity it defines ("Acme Holdings, Inc."), or None when
    the definition names none ("Good Reason" shall mean ...); `label` and `normalized` are that
    entity's, None when it has none or is a group of several (`collectively`)."""

    term: str
    start: int
    end: int
    page_number: int | None
    referent: str | None
    referent_start: int | None
    referent_end: int | None
    label: str | None
    normalized: str | None
    descriptive: bool = True  # "the Company", not a short name such as "SCCII"
    uses: int = 0

    @property
    def names_entity(self) -> bool:
        return self.label is not None and self.normalized is not None


@dataclass(frozen=True)
class _Definition:
    term: str
    start: int
    end: int
    at: int  # where the definition starts (the parenthesis, "hereinafter", or the quote)
    collective: bool
    referent_required: bool  # "X" shall mean ... has no referent by construction
    article: bool  # introduced with "the", "a", "an": a descriptive term
    quoted: bool = True


def _quoted_terms(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    out = []
    for q in _QUOTED.finditer(text, start, end):
        term = q.group("term").rstrip(".,")
        if term and term[0].isupper() and any(ch.isalpha() for ch in term):
            out.append((term, q.start("term"), q.start("term") + len(term)))
    return out


def _definitions(text: str) -> list[_Definition]:
    found: dict[int, _Definition] = {}
    for m in _PARENTHESIS.finditer(text):
        collective = bool(_COLLECTIVE.search(m.group("lead")))
        article = bool(_ARTICLE_LEAD.search(m.group("lead")))
        for term, s, e in _quoted_terms(text, m.start("body"), m.end("body")):
            found.setdefault(s, _Definition(term, s, e, m.start(), collective, True, article))
    for m in _UNQUOTED.finditer(text):
        article = bool(_ARTICLE_LEAD.search(m.group("lead")))
        found.setdefault(
            m.start("term"),
            _Definition(
                m.group("term"), m.start("term"), m.end("term"), m.start(), False, True, article, quoted=False
            ),
        )
    for m in _HEREINAFTER.finditer(text):
        q = _QUOTED.match(text, m.end())
        if q and (term := q.group("term").rstrip(".,")) and term[0].isupper():
            found.setdefault(
                q.start("term"),
                _Definition(
                    term, q.start("term"), q.start("term") + len(term), m.start(), False, True, False
                ),
            )
    for m in _MEANS.finditer(text):
        term = m.group("term").rstrip(".,")
        if term and term[0].isupper():
            found.setdefault(
                m.start("term"),
                _Definition(
                    term, m.start("term"), m.start("term") + len(term), m.start("quote"), False, False, False
                ),
            )
    return sorted(found.values(), key=lambda d: d.start)


def _referent(text: str, definition: _Definition, before: Sequence[Mention]) -> list[Mention]:
    """The mention(s) a definition names: the nearest entity mention before it that only
    punctuation or an appositive separates from it; for a collective definition, the list."""
    if not definition.referent_required:
        return []
    if not definition.quoted:
        return _unquoted_referent(text, definition, before)
    for i in range(len(before) - 1, max(-1, len(before) - 6), -1):
        m = before[i]
        gap = text[m.end : definition.at]
        if len(gap) > 120:
            break
        if _DIRECT_GAP.match(gap) or (m.label in ("PERSON", "ORG", "STATUTE") and _APPOSITIVE_GAP.match(gap)):
            if m.label in ("DATE", "MONEY", "BATES", "CASE_NUMBER") or collapse_ws(m.text) == definition.term:
                return []  # a date, or the term itself ("holders of Common Stock (the "Common Stock")")
            group = [m]
            if definition.collective:
                j = i - 1
                while j >= 0 and _LIST_GAP.match(text[before[j].end : group[0].start]):
                    group.insert(0, before[j])
                    j -= 1
            return group
    return []


def _unquoted_referent(text: str, definition: _Definition, before: Sequence[Mention]) -> list[Mention]:
    if before and _DIRECT_GAP.match(text[before[-1].end : definition.at]):
        m = before[-1]
        if m.label not in ("PERSON", "ORG") or collapse_ws(m.text) == definition.term:
            return []
        if definition.article or _short_name(definition.term, m.text):
            return [m]
    return _named_run(text, definition)


_CAPITALISED_RUN = re.compile(
    r"(?:[A-Z][\w&'\u2019\-]*\.?|\d+|of|and|&)(?:[ \t]+(?:[A-Z][\w&'\u2019\-]*\.?|\d+|of|and|&)|[ \t]?,[ \t]*"
    r"(?:Inc|Co|Corp|Ltd|LLC|L\.P)\.?){0,14}[ \t]*$"
)


def _named_run(text: str, definition: _Definition) -> list[Mention]:
    """The name a short name stands for when no mention ends right before it (the model cut
    "Nuveen Multi-Currency Short-Term Government Income Fund (Multi-Currency)" short, or missed
    "Hallmark Entertainment Investments Co. (HEIC)"): the capitalised words before the parenthesis,
    for an acronym the last of them whose initials spell it. An organisation's name."""
    run = _CAPITALISED_RUN.search(text, max(0, definition.at - 200), definition.at)
    if run is None:
        return []
    words = list(re.finditer(r"[A-Z][\w&'\u2019\-]*\.?", run.group()))
    if _ACRONYM.fullmatch(definition.term):
        n = len(definition.term)
        if len(words) < n or "".join(w.group()[0] for w in words[-n:]) != definition.term:
            return []
        start = run.start() + words[-n].start()
    elif len(words) >= 2 and _short_name(definition.term, run.group()):
        start = run.start() + words[0].start()
    else:
        return []
    end = run.start() + len(run.group().rstrip())
    name = text[start:end]
    return [Mention(start, end, name, "ORG", collapse_ws(name), REFERENT_METHOD, USE_CONFIDENCE)]


def _short_name(term: str, name: str) -> bool:
    """An acronym, or made of the name's own words: "SCCII", "Core Equity" of "Nuveen Core Equity
    Alpha Fund"."""
    words = {w.casefold() for w in _WORD.findall(term)}
    return (
        bool(_ACRONYM.fullmatch(term)) or bool(words) and words <= {w.casefold() for w in _WORD.findall(name)}
    )


def _descriptive_term(definition: _Definition, group: Sequence[Mention]) -> bool:
    """ "the Company" describes its referent; "HEIC" and "Core Equity" name it. After an article
    an acronym is a name when it spells its referent ("the Federal Deposit Insurance Corporation
    (the FDIC)"), not when it stands for an event the sentence tells of ("... and TPG (the LBO)")."""
    if not group:
        return True
    if definition.article:
        return not _spells(definition.term, group[0].text)
    return not _short_name(definition.term, group[0].text)


def _spells(acronym: str, name: str) -> bool:
    """ "FDIC" of "Federal Deposit Insurance Corporation", "BNYM" of "Bank of New York Mellon": the
    initials of the name's words, in order, from the first (words may be left out)."""
    if not _ACRONYM.fullmatch(acronym):
        return False
    initials = [w[0] for w in _WORD.findall(name) if w[0].isupper()]
    if not initials or initials[0] != acronym[0]:
        return False
    remaining = iter(initials)
    return all(letter in remaining for letter in acronym if letter.isalpha())


def _has_legal_form(name: str) -> bool:
    """ "Acme Software Works Corporation", "Sun Communities Operating LP": a company's name."""
    name = collapse_ws(name)
    base: str = basename(name)  # cleanco is not annotated
    return base.strip(" ,.") != name.strip(" ,.")


def _page_of(starts: Sequence[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def find_defined_terms(
    text: str,
    mentions: Sequence[Mention],
    page_starts: Sequence[int] = (0,),
    generic: Callable[[str], bool] = lambda name: False,
) -> list[DefinedTerm]:
    """The document's definitions with their referents; `mentions` are its entity mentions and
    `page_starts` the offsets where its pages start (page numbers count from 1). `generic` tells
    a phrase of common words ("Higher Education", "Public Sector") that names no organisation: a
    short name defined for one (a business segment's "HE") names no entity."""
    ordered = sorted(mentions, key=lambda m: (m.end, m.start))
    ends = [m.end for m in ordered]
    out = []
    for d in _definitions(text):
        before = ordered[: bisect.bisect_right(ends, d.at)]
        group = [m for m in _referent(text, d, before) if m.method != REFERENT_METHOD or not generic(m.text)]
        if _PARTS_OF_A_BUSINESS.search(text, max(0, d.at - 200), d.at):
            # "segments: Financial Systems (FS), ... and Availability Services (AS)"; a company
            # named in the same breath keeps its short name ("... through Acme Corporation (AC)")
            group = [m for m in group if _has_legal_form(m.text)]
        if not d.quoted and not group:
            continue  # a parenthesis without quotes defines nothing unless it names a short name
        label = normalized = None
        if len(group) == 1:
            label, normalized = group[0].label, group[0].normalized
        out.append(
            DefinedTerm(
                term=d.term,
                start=d.start,
                end=d.end,
                page_number=_page_of(page_starts, d.start),
                referent=collapse_ws(text[group[0].start : group[-1].end]) if group else None,
                referent_start=group[0].start if group else None,
                referent_end=group[-1].end if group else None,
                label=label,
                normalized=normalized,
                descriptive=_descriptive_term(d, group),
            )
        )
    return out


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    return re.compile(rf"(?<![\w.\-&])(?:{alternatives})(?![\w\-]|[ \t]+[A-Z][a-z])")


def _referent_mention(t: DefinedTerm, text: str, page_starts: Sequence[int]) -> Mention:
    """The mention of the entity a term names (`names_entity`), read off the text."""
    assert t.referent_start is not None and t.referent_end is not None
    assert t.label is not None and t.normalized is not None
    return Mention(
        t.referent_start,
        t.referent_end,
        text[t.referent_start : t.referent_end],
        t.label,
        t.normalized,
        REFERENT_METHOD,
        USE_CONFIDENCE,
        _page_of(page_starts, t.referent_start),
    )


def apply_defined_terms(
    text: str,
    mentions: Sequence[Mention],
    terms: Sequence[DefinedTerm],
    page_starts: Sequence[int] = (0,),
    bates_of_page: Sequence[str | None] = (),
) -> tuple[list[Mention], list[DefinedTerm]]:
    """The mentions with the definitions applied (see the module docstring), and the terms with
    their count of linked uses."""
    if not terms:
        return list(mentions), list(terms)
    quoted = [(t.start, t.end) for t in terms]
    # The last definition of a term holds from where it is made (a term can be redefined).
    by_term: dict[str, DefinedTerm] = {}
    for t in terms:
        if t.term not in by_term or t.names_entity:
            by_term[t.term] = t

    # A term without referent whose words are part of a longer name ("Epicor" of "Epicor Software
    # Corporation", defined where the name is not in view) is a short name still: it stays.
    names = {collapse_ws(m.text) for m in mentions if m.label in NAME_LABELS}
    in_names = {
        t
        for t, d in by_term.items()
        if d.referent is None and any(n != t and re.search(rf"(?<!\w){re.escape(t)}\b", n) for n in names)
    }

    def overruled(m: Mention) -> bool:
        if m.label not in NAME_LABELS:
            return False
        if not _OVERRULABLE.match(m.method):
            # a firm rule's name that is a short name defined for an entity is a use of it:
            # "Many LLC" of `Allegiance Hospital of Many, LLC ("Many LLC")`
            term = by_term.get(collapse_ws(m.text))
            return m.method == FIRM_METHOD and term is not None and term.names_entity
        if any(s < m.end and m.start < e for s, e in quoted):
            return True
        return collapse_ws(m.text) in by_term and collapse_ws(m.text) not in in_names

    # Referents read off the text (`_named_run`) replace the model's pieces of them.
    spans = {(m.start, m.end) for m in mentions}
    named = (_referent_mention(t, text, page_starts) for t in terms if t.names_entity)
    referents = {(m.start, m.end): m for m in named if (m.start, m.end) not in spans}
    kept = [
        m
        for m in mentions
        if not overruled(m)
        and not (_OVERRULABLE.match(m.method) and any(s < m.end and m.start < e for s, e in referents))
    ]
    kept += [m for (s, e), m in referents.items() if not any(k.start < e and s < k.end for k in kept)]
    taken = sorted((m.start, m.end) for m in kept)
    starts = [s for s, _ in taken]
    linked = {t: d for t, d in by_term.items() if d.names_entity}
    first: dict[str, int] = {}  # where each term is first defined: a descriptive term refers only after it
    for t in terms:
        first.setdefault(t.term, t.start)
    pattern = _term_pattern(list(linked))
    uses: dict[str, int] = {}
    added = []
    for m in pattern.finditer(text) if pattern else ():
        d = linked[m.group()]
        if (d.descriptive and m.start() < first[d.term]) or any(s <= m.start() < e for s, e in quoted):
            continue  # a descriptive term before its definition, or the definition itself
        if (
            d.referent_start is not None
            and d.referent_end is not None
            and d.referent_start <= m.start() < d.referent_end
        ):
            continue
        i = bisect.bisect_right(starts, m.start())
        if (i and taken[i - 1][1] > m.start()) or (i < len(taken) and taken[i][0] < m.end()):
            continue  # part of another mention ("Company" in "Acme Company, Inc.")
        page = _page_of(page_starts, m.start())
        assert d.label is not None and d.normalized is not None  # `linked` holds terms that name an entity
        added.append(
            Mention(
                start=m.start(),
                end=m.end(),
                text=m.group(),
                label=d.label,
                normalized=d.normalized,
                method=USE_METHOD if d.descriptive else NAME_METHOD,
                confidence=USE_CONFIDENCE,
                page_number=page,
                bates=bates_of_page[page - 1] if 0 < page <= len(bates_of_page) else None,
            )
        )
        uses[d.term] = uses.get(d.term, 0) + 1
    counted = [dataclasses.replace(t, uses=uses.get(t.term, 0) if by_term[t.term] is t else 0) for t in terms]
    return sorted(kept + added, key=lambda m: (m.start, m.end)), counted
