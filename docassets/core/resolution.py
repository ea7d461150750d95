"""Resolve a project's entity mentions into canonical entities whose ids survive recomputation.

The unit of resolution is a *document group*: every mention of one document with the same
(label, normalized). A group is never split, so other stages can map
(document_id, label, normalized) -> entity_id. Groups are joined by label-specific rules:

- PERSON: names are parsed with nameparser into given names, surname and generational suffix.
  "Paul, Michael", "Michael Paul", "Michael J. Paul" and "MICHAEL PAUL" are one person;
  "Michael Paul" / "Michelle Paul" and "Michael J. Paul" / "Michael K. Paul" are not; a listed
  nickname is its given name ("Bill Gates" / "William H. Gates", the `nicknames` package). A name
  without a written-out given name ("Mr. Paul", "Paul", "M. Paul") joins a person only when the
  same document has exactly one compatible person, or, with two initials or more ("J. K. Skilling"),
  when the project has exactly one; otherwise it stays a person of that document alone. A lone
  word that is no surname of the document ("Ruben") joins the one person of the document whose
  given name it is.
- ORG: legal forms of any country are stripped however they are spaced or punctuated, before or
  after the name (cleanco's list plus written-out forms: "N. V.", "NV.,", "Aktiengesellschaft",
  "KABUSHIKI KAISHA TOSHIBA"), with a seat written after them (", EINDHOVEN, NL"); case and
  punctuation folded; then near-identical names joined: one spelling with an OCR slip, or the
  same words one by one, abbreviated ("KONINKL", "TECH", "INTL"), singular/plural or misspelt by a
  letter or two in long words. Names that differ only by legal form are one organisation, except
  banks (N.A.) and limited partnerships. Acronym rule: an ORG whose
  written form is an acronym ("IRS", "F.B.I.") joins the organisation whose initials it spells only
  in documents where both occur and exactly one organisation there matches; documents that use
  the acronym alone follow it when every document that defines the acronym agrees on one
  organisation, and otherwise keep the acronym as an entity of its own.
- Definitions (`AliasEvidence`: defined terms and acronyms a document defines) make the alias's
  mentions in that document resolve as their referent, so they join it across documents.
- COURT: the normalized value (a courts-db id or a tribunal's name) with case and punctuation
  folded; in a document, a short name joins the one longer name it ends ("Appeals Board").
- CASE_NUMBER, CITATION, STATUTE, MONEY, DATE, BATES: the normalized value, exactly.
- PROVISION ("Section 13", "Rule 12b-1"): the normalized value within its document only: which law
  it is part of is that document's context, so "Section 13" of two documents are two entities.
- Any other label (LOCATION, ...): the normalized value with case, accents and punctuation folded.

Fuzzy comparisons only happen inside blocks (surnames, name prefixes, suffixes, word skeletons),
scored with rapidfuzz, and clusters are grown around their most frequent spelling so that a chain
of small differences never joins two distinct names.
"""

from __future__ import annotations

import gc
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import numpy as np
from cleanco import basename
from cleanco.clean import prepare_default_terms
from nameparser import HumanName
from nameparser.config import Constants
from nicknames import NickNamer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from docassets.core.models import AliasEvidence, Entity

# fixed forever: every entity id derives from it
ENTITY_NAMESPACE = uuid.UUID("5b0f3c52-31a4-4f0e-9d0c-6a1c2a7e8d11")

EXACT_LABELS = frozenset(
    {"COURT", "CASE_NUMBER", "CITATION", "STATUTE", "PROVISION", "MONEY", "DATE", "BATES"}
)
DOCUMENT_LOCAL_LABELS = frozenset({"PROVISION"})  # never joined across documents


@dataclass(frozen=True)
class MentionRecord:
    """The columns of one mention that resolution needs."""

    mention_id: str
    document_id: str
    label: str
    text: str
    normalized: str


@dataclass(frozen=True)
class ResolutionSettings:
    """Thresholds of entity resolution. Precision first: a wrong merge of two parties is worse
    than a missed one, because a merged party silently attaches one party's filings to another."""

    # rapidfuzz fuzz.ratio (0-100) two given names, or two surnames, need to count as one spelling.
    # 90 admits one dropped or added letter ("Jonson"/"Johnson" 92) and one wrong letter only in
    # names of ten or more letters, so distinct pairs such as Michael/Michelle (80),
    # Kristen/Kristin (86), Hansen/Hanson (83) or Stephen/Stephan (86) stay apart.
    name_similarity: float = 90.0
    # Names shorter than this must match exactly: one letter is too much of "Paul" (Saul, Pauls).
    min_fuzzy_name_length: int = 5
    # fuzz.ratio two cleaned organisation names need: one OCR slip in an 18-letter name
    # ("Standard lnsurance" 94.4) but not a different word in a short one ("Wombat"/"Wombats" 92).
    org_similarity: float = 94.0
    # Cleaned organisation names shorter than this must match exactly (short names are acronyms or
    # single words where one letter changes the company: "Acme"/"Acne").
    min_fuzzy_org_length: int = 10
    # An ORG written as 2..this many capital letters (periods and spaces ignored) is an acronym.
    max_acronym_length: int = 6
    # Largest block scored pairwise; bigger blocks are split on a longer prefix so the work stays
    # near-linear in the number of distinct names (a block of 2,000 is 4M scores).
    max_block_size: int = 2000


@dataclass(frozen=True)
class Resolution:
    """Canonical entities, the link of every mention, and how ids changed since the last run."""

    entities: list[Entity]
    links: dict[str, str]  # mention_id -> entity_id, every input mention exactly once
    merged: list[tuple[str, ...]]  # previous entity ids that were merged into one entity this time
    split: list[str]  # previous entity ids whose mentions now belong to several entities


# ---------------------------------------------------------------------------------------------
# text folding


def _strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_OCR_DIGIT = re.compile(r"(?<=[a-z])[01](?=[a-z])")  # a 1 or 0 between letters is an OCR slip


@lru_cache(maxsize=1 << 18)
def _fold(value: str) -> str:
    """Case, accents and punctuation folded: "O'Brien-Smith, J.P." -> "obrien smith jp"."""
    value = _strip_accents(value).casefold().replace("&", " and ")
    value = _OCR_DIGIT.sub(lambda m: "l" if m.group(0) == "1" else "o", value)  # "Wo1pert", "Casua1ty"
    value = re.sub(r"[.'’`]", "", value)
    value = re.sub(r"[^\w\s]|_", " ", value)
    return " ".join(value.split())


def _similar(a: str, b: str, threshold: float, min_length: int) -> bool:
    """Two name tokens are one spelling: equal, or long enough and within `threshold` without one
    being the other plus an ending (Robert/Roberta, Paul/Pauls, Daniel/Danielle are different)."""
    if a == b:
        return True
    if min(len(a), len(b)) < min_length or a.startswith(b) or b.startswith(a):
        return False
    return fuzz.ratio(a, b, score_cutoff=threshold) > 0


# ---------------------------------------------------------------------------------------------
# people

_NAME_CONSTANTS = Constants()
_NAME_CONSTANTS.titles.add("justice", "magistrate", "commissioner", "attorney", "counsel", "honorable")
_GENERATIONAL = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "2nd", "3rd"})
_SAINT = frozenset({"st", "ste", "saint"})
# titles that really are titles; any other one-word "title" before a surname is a given name
_HONORIFICS = frozenset(
    "mr mrs ms miss mx dr judge justice hon honorable chief magistrate commissioner attorney counsel "
    "sir dame rev reverend father sister brother prof professor sen senator rep representative gov "
    "governor president mayor sheriff officer sgt lt col capt gen maj adm det deputy agent trustee "
    "clerk master st ste saint".split()
)


@dataclass(frozen=True)
class _PersonName:
    given: tuple[str, ...]  # first then middle names, folded; a single letter is an initial
    surname: str  # folded; "" when the name could not be parsed
    suffix: str  # generational suffix (jr, iii), folded, or ""

    @property
    def strong(self) -> bool:
        """Has a written-out given name: can stand for a person across documents."""
        return bool(self.surname) and any(len(g) > 1 for g in self.given)

    @property
    def specificity(self) -> tuple[int, int, int]:
        return (sum(len(g) > 1 for g in self.given), len(self.given), int(bool(self.suffix)))


@lru_cache(maxsize=1 << 18)
def _parse_person(value: str) -> _PersonName:
    name = HumanName(value, constants=_NAME_CONSTANTS)
    first, middle, last = name.first, name.middle, name.last
    title = _fold(name.title)
    if title and not first and len(title.split()) == 1 and title not in _HONORIFICS and last:
        first, title = name.title, ""  # nameparser's long title list holds given names: "Rock Bordelon"
    if title.split() and title.split()[-1] in _SAINT and not first:
        last = f"{title.split()[-1]} {last}"  # "St. Pierre" is a surname, not Saint Pierre
    if first and not last and not middle:
        first, last = "", first  # a lone word in legal text is a surname: "Paul", "Mr. Paul"
    given = tuple(t for part in (first, middle) for t in _fold(part).split())
    suffix = " ".join(t for t in _fold(name.suffix).split() if t in _GENERATIONAL)
    return _PersonName(given=given, surname=_fold(last), suffix=suffix)


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()  # reads the package's curated name list once


@lru_cache(maxsize=1 << 16)
def _nickname_pair(a: str, b: str) -> bool:
    """One given name is a listed nickname of the other (Bill / William, Peggy / Margaret); only
    direct pairs of the list, never a chain (Fred - Bill - William)."""
    names = _nicknamer()
    return b in names.canonicals_of(a) or a in names.canonicals_of(b)


def _given_name_agrees(x: str, y: str, settings: ResolutionSettings) -> bool:
    """An initial agrees with a name it starts; full names must be one spelling or nicknames."""
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]
    return _similar(x, y, settings.name_similarity, settings.min_fuzzy_name_length) or _nickname_pair(x, y)


def _given_compatible(a: tuple[str, ...], b: tuple[str, ...], settings: ResolutionSettings) -> bool:
    """Given names agree position by position; the shorter list's names are all that must agree."""
    return all(_given_name_agrees(x, y, settings) for x, y in zip(a, b, strict=False))


def _person_compatible(a: _PersonName, b: _PersonName, settings: ResolutionSettings) -> bool:
    if a.suffix and b.suffix and a.suffix != b.suffix:
        return False
    return _given_compatible(a.given, b.given, settings)


# ---------------------------------------------------------------------------------------------
# organisations

_STOPWORDS = frozenset({"of", "the", "and", "for", "in", "on", "at", "to"})

# what follows the entity's own name: "X d/b/a Y" and "X f/k/a Y" are X; "X, as Trustee" is X;
# "X, a Delaware corporation" and "Acuity, A Mutual Insurance Company" are X
_TRAILERS = (
    re.compile(
        r"[\s,;(]+(?:d\s*/\s*b\s*/\s*a|d\.b\.a\.?|dba|a\s*/\s*k\s*/\s*a|a\.k\.a\.?|"
        r"f\s*/\s*k\s*/\s*a|f\.k\.a\.?|"
        r"n\s*/\s*k\s*/\s*a|t\s*/\s*a|doing\s+business\s+as|trading\s+as|formerly\s+known\s+as|"
        r"also\s+known\s+as|now\s+known\s+as|successor\s+(?:by\s+merger\s+)?to)(?![\w]).*$",
        re.IGNORECASE,
    ),
    re.compile(
        r",\s*(?:individually\s+and\s+)?(?:solely\s+)?(?:in\s+its\s+capacity\s+)?as\s+(?:the\s+)?"
        r"(?:(?:indenture|owner|collateral|administrative|successor)\s+)?"
        r"(?:trustee|receiver|conservator|agent|administrator|executor|custodian|servicer)\b.*$",
        re.IGNORECASE,
    ),
    re.compile(
        r",\s*an?\s+(?:[\w.'’-]+\s+){0,4}?(?:corporation|company|partnership|association|trust|"
        r"limited\s+liability\s+company|limited\s+partnership|professional\s+corporation)\s*$",
        re.IGNORECASE,
    ),
)
# Bluebook T6 abbreviations in company and agency names, folded ("Nat'l" -> "natl"), written out
_ABBREVIATED = {
    "assn": "association",
    "asso": "association",
    "auto": "automobile",
    "bros": "brothers",
    "cas": "casualty",
    "co": "company",
    "commn": "commission",
    "corp": "corporation",
    "dept": "department",
    "dist": "district",
    "envtl": "environmental",
    "fed": "federal",
    "gen": "general",
    "govt": "government",
    "hosp": "hospital",
    "indem": "indemnity",
    "ins": "insurance",
    "intl": "international",
    "mfg": "manufacturing",
    "mgmt": "management",
    "mut": "mutual",
    "natl": "national",
    "rr": "railroad",
    "ry": "railway",
    "sav": "savings",
    "serv": "services",
    "svcs": "services",
    "sys": "systems",
    "univ": "university",
    "med": "medical",
    "fin": "financial",
    "liab": "liability",
    "tel": "telephone",
    "transp": "transportation",
    "prop": "property",
    "elec": "electric",
    "pharm": "pharmaceutical",
    "prods": "products",
    "hous": "housing",
    "ctr": "center",
    "admin": "administration",
    "div": "division",
    "cnty": "county",
    "twp": "township",
    "mktg": "marketing",
    "indus": "industries",
}
# a federal body is the same with or without "U.S." / "United States" before it
_GOVERNMENT_NOUNS = frozenset(
    "department commission agency administration service bureau office corps army navy force "
    "board marshals customs patrol authority attorneys".split()
)
# bank forms: "X Bank, N.A." is the bank, "X Corporation" its holding company; limited partnerships
# ("Purdue Pharma L.P.") are not their general partner ("Purdue Pharma Inc."). The marker is a
# short token, so it takes part in `_identifying_tokens` and fuzzy matches across it never happen.
_BANK_FORM = re.compile(
    r"(?:[\s,]+(?:N\.?\s?A\.?|National\s+Association|F\.?\s?S\.?\s?B\.?))+\s*$", re.IGNORECASE
)
_LP_FORM = re.compile(r"(?:^|\s)(?:lp|limited partnership)(?:\s|$)")
_LONG_FORMS = ("corporation", "incorporated", "company", "limited", "association")
# Written-out legal forms of the main jurisdictions, which cleanco lists only abbreviated
# ("AG", "N.V.", "K.K."); folded, as `_fold` writes them.
_WRITTEN_OUT_FORMS = (
    "aktiengesellschaft",
    "aktiebolag",
    "aktiebolaget",
    "aktieselskab",
    "aktieselskabet",
    "gesellschaft mit beschrankter haftung",
    "kommanditgesellschaft auf aktien",
    "kommanditgesellschaft",
    "offene handelsgesellschaft",
    "kabushiki kaisha",
    "kabushikigaisha",
    "kabushikikaisha",
    "yugen kaisha",
    "godo kaisha",
    "naamloze vennootschap",
    "besloten vennootschap",
    "besloten vennootschap met beperkte aansprakelijkheid",
    "societe anonyme",
    "societe par actions simplifiee",
    "societe a responsabilite limitee",
    "societa per azioni",
    "societa a responsabilita limitata",
    "sociedad anonima",
    "sociedad limitada",
    "sociedade anonima",
    "public limited company",
    "limited liability company",
    "limited liability partnership",
    "limited partnership",
    "osakeyhtio",
    "julkinen osakeyhtio",
    "company limited",
    "co limited",
    "publ",
    "handelsbolag",
)
# legal forms registries write before the name: "KABUSHIKI KAISHA TOSHIBA", "AB SKF"
_LEADING_FORMS = frozenset(
    {("kabushiki", "kaisha"), ("kk",), ("aktiebolaget",), ("ab",), ("ooo",), ("zao",), ("oao",), ("pao",)}
)


def _joined_initials(tokens: Sequence[str]) -> list[str]:
    """Runs of single letters are one word: "N. V." and "N V" are "NV", "L M Ericsson" "LM Ericsson"."""
    out: list[str] = []
    run = ""
    for t in [*tokens, ""]:
        if len(t) == 1 and t.isalpha():
            run += t
            continue
        if run:
            out.append(run)
            run = ""
        if t:
            out.append(t)
    return out


@lru_cache(maxsize=1)
def _legal_forms() -> frozenset[tuple[str, ...]]:
    """cleanco's legal forms of every country plus the written-out ones, as folded token tuples."""
    written = [" ".join(parts) for _, parts in prepare_default_terms()] + list(_WRITTEN_OUT_FORMS)
    return frozenset(tuple(_joined_initials(_fold(form).split())) for form in written if _fold(form))


def _strip_legal_forms(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Folded name tokens without trailing and leading legal forms, and the forms removed
    ("henkel ag and co kgaa" -> ["henkel"]; "kabushiki kaisha toshiba" -> ["toshiba"])."""
    forms = _legal_forms()
    removed: list[str] = []
    # a legal form is stripped only from a name that has a word of its own left ("The Company")
    while any(t not in _STOPWORDS for t in tokens[:-1]):
        n = next((n for n in (4, 3, 2, 1) if len(tokens) > n and tuple(tokens[-n:]) in forms), 0)
        # a legal form with an OCR slip ("Chevron Corporatlon") is still a legal form
        if not n and any(fuzz.ratio(tokens[-1], form, score_cutoff=85) for form in _LONG_FORMS):
            n = 1
        if not n:
            break
        removed += tokens[-n:]
        tokens = tokens[:-n]
    while len(tokens) > 2 and tuple(tokens[:2]) in _LEADING_FORMS:
        removed += tokens[:2]
        tokens = tokens[2:]
    if len(tokens) > 1 and (tokens[0],) in _LEADING_FORMS:
        removed.append(tokens[0])
        tokens = tokens[1:]
    return tokens, removed


def _legal_form_parts(part: str) -> tuple[bool, bool]:
    """(ends with a legal form, is nothing but legal forms) for one comma-separated part."""
    tokens = _joined_initials(_fold(part).split())
    if not tokens:
        return False, False
    kept = _strip_legal_forms(["name", *tokens])[0]
    return len(kept) <= len(tokens), kept == ["name"]


def _without_seat(value: str) -> str:
    """The name without what follows its legal form: "Philips N.V., Eindhoven, NL" -> "Philips
    N.V."; "Samsung Electronics Co., Ltd., Suwon-si" -> "Samsung Electronics Co., Ltd."."""
    parts = value.split(",")
    for k, part in enumerate(parts[:-1]):
        if _legal_form_parts(part)[0]:
            end = k + 1
            while end < len(parts) and (_legal_form_parts(parts[end])[1] or not parts[end].strip()):
                end += 1
            return ",".join(parts[:end]).strip(" ,")
    return value


@lru_cache(maxsize=1 << 18)
def _org_base(value: str) -> str:
    """The written name without cleanco's legal forms, repeatedly: "Wombat Corp., Inc." -> "Wombat"."""
    current = " ".join(value.split())
    while True:
        stripped = basename(current).strip(" ,;")
        if not stripped or stripped == current:
            return current
        current = stripped


@lru_cache(maxsize=1 << 18)
def _org_key(value: str) -> str:
    """The comparable form of an organisation's name: legal forms of any country (however spaced
    or punctuated, before or after the name), a seat after the legal form, "The", punctuation,
    case, "&"/"and", Bluebook abbreviations, "U.S."/"United States" and trailing d/b/a, capacity
    and "a Delaware corporation" phrases folded away; bank and limited-partnership forms kept as
    a marker ("~na", "~lp")."""
    value = " ".join(value.split())
    for trailer in _TRAILERS:
        value = trailer.sub("", value).strip(" ,;") or value
    marker = ""
    bank = _BANK_FORM.search(value)
    if bank and bank.start() > 0:
        value, marker = value[: bank.start()].strip(" ,;"), "~na"
    value = _without_seat(value)
    tokens, removed = _strip_legal_forms(_joined_initials(_fold(value).split()))
    key = re.sub(r"\bunited states(?: of america)?\b|\busa\b", "us", " ".join(tokens))
    tokens = [_ABBREVIATED.get(t, t) for t in key.split()]
    if not marker and not removed and "bank" in tokens:
        marker = "~na"  # "Wells Fargo Bank" without a form is the bank
    elif not marker and _LP_FORM.search(" ".join(removed)):
        marker = "~lp"
    if tokens[:1] == ["the"] and len(tokens) > 1:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in _STOPWORDS:
        tokens = tokens[:-1]
    if len(tokens) > 2 and tokens[0] == "us" and _GOVERNMENT_NOUNS & set(tokens):
        tokens = tokens[1:]
    key = " ".join(tokens) or _fold(value)
    return f"{key} {marker}" if marker else key


@lru_cache(maxsize=1 << 16)
def _org_head_key(value: str) -> str | None:
    """The key of the part before the first comma of a name with a comma and no legal form (which
    may be a name and its seat, "L'OREAL, PARIS"), else None."""
    head, comma, _ = value.partition(",")
    if not comma or any(_legal_form_parts(p)[0] for p in value.split(",")):
        return None
    return _org_key(head)


_CAPITALS = re.compile(r"[A-Z.\s]*")


def _acronym(value: str, settings: ResolutionSettings) -> str | None:
    # the name without legal forms is a prefix of the written name, so an acronym lies within its
    # leading capitals: most names are ruled out before cleanco's (slow) legal-form scan
    capitals = _CAPITALS.match(value)
    assert capitals is not None  # `*`: it matches, if only the empty string
    if len(re.sub(r"[.\s]", "", capitals.group(0))) < 2:
        return None
    compact = re.sub(r"[.\s]", "", _org_base(value))
    if 2 <= len(compact) <= settings.max_acronym_length and compact.isalpha() and compact.isupper():
        return compact.casefold()
    return None


@lru_cache(maxsize=1 << 16)
def _initials(value: str) -> frozenset[str]:
    """Acronyms an organisation name can be abbreviated to, with and without small words and
    legal forms: "Federal Bureau of Investigation" -> {"fbi", "fboi"}."""
    found = set()
    for form in (value, _org_base(value)):
        tokens = _fold(form.replace("-", " ")).split()
        if tokens[:1] == ["us"]:
            tokens = ["u", "s", *tokens[1:]]
        for keep_small in (True, False):
            letters = "".join(t[0] for t in tokens if keep_small or t not in _STOPWORDS)
            if len(letters) >= 2:
                found.add(letters)
    return frozenset(found)


_ROMAN_NUMERAL = re.compile(r"[ivxlc]{1,5}")


def _identifying(token: str) -> bool:
    """A token one letter of which makes another organisation: numbers, roman numerals, short
    words and letters ("SDI" / "SDS", "Partners VII" / "Partners VIII"), the bank and LP markers."""
    return (
        len(token) <= 3
        or any(c.isdigit() for c in token)
        or token.startswith("~")
        or _ROMAN_NUMERAL.fullmatch(token) is not None
    )


def _identifying_tokens(key: str) -> frozenset[str]:
    return frozenset(t for t in key.split() if _identifying(t))


def _abbreviates(short: str, long: str) -> bool:
    """`short` is how registries abbreviate `long`: a prefix of four letters or more ("KONINKL",
    "ELECTRON", "TECH"; three when the word is long: "INT"), or a contraction that keeps the first
    and the last letter ("INTL", "MFG", "LABS")."""
    if len(short) >= len(long) or len(short) < 3 or short[0] != long[0] or not short.isalpha():
        return False
    if long.startswith(short):
        return len(short) >= 4 or len(long) >= 7
    letters = iter(long)
    return short[-1] == long[-1] and all(c in letters for c in short)


def _singular(word: str) -> str:
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _same_word(a: str, b: str) -> bool:
    """One word of a name written two ways: equal, singular/plural, abbreviated, or one spelling
    with an OCR slip or typo (one letter in words of five letters or more, two from nine)."""
    if a == b or _singular(a) == _singular(b) or _abbreviates(a, b) or _abbreviates(b, a):
        return True
    if _identifying(a) or _identifying(b):
        return False
    shortest = min(len(a), len(b))
    allowed = 2 if shortest >= 9 else 1 if shortest >= 5 else 0
    return allowed > 0 and Levenshtein.distance(a, b, score_cutoff=allowed) <= allowed


def _same_organisation_words(a: str, b: str) -> bool:
    """Two organisation keys of several words name one organisation: word by word the same word
    (`_same_word`), with at least one word of three letters or more written identically. Word
    counts must agree, so "Samsung Electronics" / "Samsung Electro-Mechanics" and "Siemens" /
    "Siemens Healthcare" stay apart."""
    words_a, words_b = a.split(), b.split()
    if len(words_a) != len(words_b) or len(words_a) < 2:
        return False
    anchored = False
    for x, y in zip(words_a, words_b, strict=True):
        if x == y:
            anchored = anchored or (len(x) >= 3 and x not in _STOPWORDS)
        elif not _same_word(x, y):
            return False
    return anchored


_CONFUSABLE = str.maketrans("l10", "iio")  # OCR reads I as l or 1, O as 0


def _word_skeleton(key: str) -> str:
    """The first three letters of each word, OCR-confusable letters folded: the blocking key under
    which abbreviated and misspelt forms of one name meet ("koninkl philips electron" and
    "koninklijke phillips electronics" are both "kon phi ele")."""
    return " ".join(w.translate(_CONFUSABLE)[:3] for w in key.split())


def _word_matches(keys: Sequence[str], max_block: int) -> list[tuple[int, int]]:
    """Pairs of multi-word keys that `_same_organisation_words` joins, compared only within a word
    skeleton (and, when a skeleton is very common, within its first word)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if " " in key:
            blocks[_word_skeleton(key)].append(i)
    pairs: list[tuple[int, int]] = []
    pending = list(blocks.values())
    while pending:
        members = pending.pop()
        if len(members) > max_block:
            by_first: dict[str, list[int]] = defaultdict(list)
            for i in members:
                by_first[keys[i].split()[0]].append(i)
            pending += [m for m in by_first.values() if len(m) < len(members)]
            continue
        pairs += [(a, b) for a, b in combinations(members, 2) if _same_organisation_words(keys[a], keys[b])]
    return pairs


# ---------------------------------------------------------------------------------------------
# blocking and centre clustering


def _blocks(keys: Sequence[str], max_size: int, width: int = 3) -> list[list[int]]:
    """Indices of keys sharing a prefix or a suffix; big blocks are split on longer prefixes."""
    result: list[list[int]] = []

    def split(indices: list[int], w: int, from_end: bool) -> None:
        groups: dict[str, list[int]] = defaultdict(list)
        for i in indices:
            groups[keys[i][-w:] if from_end else keys[i][:w]].append(i)
        for members in groups.values():
            if len(members) < 2:
                continue
            if len(members) > max_size and w < 12:
                split(members, w + 2, from_end)
            else:
                result.append(members)

    everything = list(range(len(keys)))
    split(everything, width, False)
    split(everything, width, True)
    return result


def _centre_clusters(
    keys: Sequence[str],
    weights: Sequence[int],
    threshold: float,
    max_block: int,
    accept: Callable[[str, str], bool] = lambda a, b: True,
    also_similar: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """For each key the index of its centre: keys are visited from most to least frequent (then
    longest, the most complete form); an unassigned key becomes a centre and takes every
    unassigned key scoring >= threshold with it, or paired with it in `also_similar`. Centres are
    frequent spellings, so rare variants attach to them and never chain together."""
    neighbours: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for a, b in also_similar:
        s = fuzz.ratio(keys[a], keys[b])
        neighbours[a].append((s, b))
        neighbours[b].append((s, a))
    for block in _blocks(keys, max_block):
        block_keys = [keys[i] for i in block]
        scores = process.cdist(
            block_keys, block_keys, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8, workers=1
        )
        rows, cols = np.nonzero(scores)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if r < c:
                a, b = block[r], block[c]
                if accept(keys[a], keys[b]):
                    s = float(scores[r, c])
                    neighbours[a].append((s, b))
                    neighbours[b].append((s, a))
    centre = list(range(len(keys)))
    assigned = [False] * len(keys)
    for i in sorted(range(len(keys)), key=lambda i: (-weights[i], -len(keys[i]), keys[i])):
        if assigned[i]:
            continue
        assigned[i] = True
        for _, j in sorted(neighbours.get(i, ()), key=lambda t: (-t[0], keys[t[1]])):
            if not assigned[j]:
                assigned[j] = True
                centre[j] = i
    return centre


# ---------------------------------------------------------------------------------------------
# clustering of document groups


@dataclass(slots=True)
class _Group:
    """All mentions of one document with one (label, normalized)."""

    document_id: str
    label: str
    normalized: str
    mention_ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # written form of each mention, in input order
    defined_as: AliasEvidence | None = None  # the definition whose referent now stands for the group


class _Clusters:
    """Union of groups into clusters, with an optional fixed key naming each cluster."""

    def __init__(self, n: int) -> None:
        self.of: list[int] = [-1] * n
        self.members: list[list[int]] = []

    def new(self, groups: Iterable[int] = ()) -> int:
        self.members.append([])
        cid = len(self.members) - 1
        for g in groups:
            self.add(g, cid)
        return cid

    def add(self, group: int, cid: int) -> None:
        self.of[group] = cid
        self.members[cid].append(group)


def _cluster_exact(
    groups: list[_Group], indices: list[int], clusters: _Clusters, fold: bool, document_local: bool
) -> None:
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in indices:
        g = groups[i]
        value = _fold(g.normalized) if fold else g.normalized.strip()
        by_key[(value, g.document_id if document_local else "")].append(i)
    for key in sorted(by_key):
        clusters.new(by_key[key])


def _cluster_courts(groups: list[_Group], indices: list[int], clusters: _Clusters) -> None:
    """Courts and tribunals by their folded name (courts-db ids fold to themselves), and, within a
    document, a shorter name to the longer ones it ends ("Appeals Board" -> "Workers' Compensation
    Appeals Board" -> "Tennessee Workers' Compensation Appeals Board") when those form one chain;
    "Court of Appeals" in a document naming two states' courts of appeals stays apart."""
    key = {i: _fold(groups[i].normalized) for i in indices}
    parent = {k: k for k in key.values()}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    by_document: dict[str, set[str]] = defaultdict(set)
    for i in indices:
        by_document[groups[i].document_id].add(key[i])
    # the longer names of a chain are one tribunal everywhere; the shortest stands for them only
    # in its own document ("Appeals Board" elsewhere may be another board)
    stands_for: dict[tuple[str, str], str] = {}
    for document in sorted(by_document):
        names = sorted(by_document[document], key=len)
        for n, short in enumerate(names):
            longer = [k for k in names[n + 1 :] if k.endswith(" " + short)]
            if longer and all(longer[-1].endswith(" " + k) for k in longer[:-1]):
                for k in longer[:-1]:
                    parent[root(k)] = root(longer[-1])
                stands_for[(document, short)] = longer[-1]
    by_root: dict[str, list[int]] = defaultdict(list)
    for i in indices:
        by_root[root(stands_for.get((groups[i].document_id, key[i]), key[i]))].append(i)
    for r in sorted(by_root):
        clusters.new(by_root[r])


def _cluster_people(
    groups: list[_Group], indices: list[int], clusters: _Clusters, settings: ResolutionSettings
) -> None:
    # parsed once per distinct written form: a production repeats each form in many documents
    parsed = {form: _parse_person(form) for form in {groups[i].normalized for i in indices}}
    names = {i: parsed[groups[i].normalized] for i in indices}
    unparsed = [i for i in indices if not names[i].surname]
    for i in unparsed:
        clusters.new([i])

    # one spelling per surname: rare variants ("Jonson") attach to the frequent one ("Johnson")
    surname_weight: Counter[str] = Counter()
    for i in indices:
        if names[i].surname:
            surname_weight[names[i].surname] += len(groups[i].mention_ids)
    surnames = sorted(surname_weight)
    min_len = settings.min_fuzzy_name_length
    centre = _centre_clusters(
        surnames,
        [surname_weight[s] for s in surnames],
        settings.name_similarity,
        settings.max_block_size,
        accept=lambda a, b: min(len(a), len(b)) >= min_len and not (a.startswith(b) or b.startswith(a)),
    )
    canonical_surname = {s: surnames[centre[k]] for k, s in enumerate(surnames)}

    # strong names: grouped by (surname, first initial), then complete-linkage in order of
    # specificity, so "Michael J. Paul" founds a person that "Michael Paul" can then join
    by_signature: dict[_PersonName, list[int]] = defaultdict(list)
    for i in indices:
        n = names[i]
        if n.strong:
            sig = _PersonName(n.given, canonical_surname[n.surname], n.suffix)
            by_signature[sig].append(i)
    # blocked by surname alone: a nickname may start with another letter (Bill / William)
    blocks: dict[str, list[_PersonName]] = defaultdict(list)
    for sig in by_signature:
        blocks[sig.surname].append(sig)

    doc_clusters: dict[str, set[int]] = defaultdict(set)  # document -> person clusters it names
    strong_members: dict[int, list[_PersonName]] = {}
    ambiguous: list[tuple[_PersonName, list[int]]] = []
    for block_key in sorted(blocks):
        sigs = sorted(
            blocks[block_key],
            key=lambda s: (
                tuple(-x for x in s.specificity),
                -sum(len(groups[i].mention_ids) for i in by_signature[s]),
                s.given,
                s.suffix,
            ),
        )
        local: list[int] = []
        for sig in sigs:
            fits = [c for c in local if all(_person_compatible(sig, m, settings) for m in strong_members[c])]
            if len(fits) == 1 and not sig.suffix and all(m.suffix == "jr" for m in strong_members[fits[0]]):
                # "Frederick W. Smith" beside "Frederick W. Smith Jr." may be the father (the elder
                # is commonly written without "Sr."): the son only where its own document names him
                ambiguous.append((sig, fits))
                continue
            if len(fits) == 1:
                cid = fits[0]
            elif not fits:
                cid = clusters.new()
                strong_members[cid] = []
                local.append(cid)
            else:
                ambiguous.append((sig, fits))
                continue
            strong_members[cid].append(sig)
            for i in by_signature[sig]:
                clusters.add(i, cid)
                doc_clusters[groups[i].document_id].add(cid)
        # a name that fits several people joins the one its own document names, if exactly one
    for sig, fits in ambiguous:
        leftover = None
        for i in by_signature[sig]:
            present = [c for c in fits if c in doc_clusters[groups[i].document_id]]
            if len(present) == 1:
                clusters.add(i, present[0])
            else:
                if leftover is None:
                    leftover = clusters.new()
                    strong_members[leftover] = [sig]
                clusters.add(i, leftover)
        for i in by_signature[sig]:
            doc_clusters[groups[i].document_id].add(clusters.of[i])

    # weak names ("Mr. Paul", "M. Paul", "Ruben"): through their own document; a name of two
    # initials or more ("J. K. Skilling") also joins the one person of the project it fits
    people_of_surname: dict[str, list[int]] = defaultdict(list)
    for cid in sorted(strong_members):
        people_of_surname[strong_members[cid][0].surname].append(cid)
    for i in indices:
        n = names[i]
        if not n.surname or n.strong:
            continue
        surname = canonical_surname[n.surname]
        in_document = sorted(doc_clusters[groups[i].document_id])
        fits = [
            c
            for c in in_document
            if all(m.surname == surname and _person_compatible(n, m, settings) for m in strong_members[c])
        ]
        if not fits and len(n.given) >= 2:
            fits = [
                c
                for c in people_of_surname[surname]
                if all(_person_compatible(n, m, settings) for m in strong_members[c])
                and any(len(m.given) >= len(n.given) for m in strong_members[c])
            ]
        if (
            not fits
            and not n.given
            and not any(m.surname == surname for c in in_document for m in strong_members[c])
        ):
            # a lone word that is nobody's surname here is a given name: "Ruben" for "Ruben Diaz"
            fits = [
                c
                for c in in_document
                if any(_given_name_agrees(n.surname, m.given[0], settings) for m in strong_members[c])
            ]
        if len(fits) == 1:
            clusters.add(i, fits[0])
        else:
            clusters.new([i])


def _cluster_orgs(
    groups: list[_Group], indices: list[int], clusters: _Clusters, settings: ResolutionSettings
) -> None:
    forms = {groups[i].normalized for i in indices}  # keyed once per distinct written form
    key_of = {form: _org_key(form) for form in forms}
    acronym_of = {form: _acronym(form, settings) for form in forms}
    keys = {i: key_of[groups[i].normalized] for i in indices}
    acronyms = {i: acronym_of[groups[i].normalized] for i in indices}
    named = {keys[i].replace(" ", "") for i in indices if acronyms[i] is None}
    # an all-capital word that is also some organisation's name ("WOMBAT", "L OREAL") is that name
    acronym_groups = [i for i in indices if acronyms[i] is not None and keys[i].replace(" ", "") not in named]
    name_groups = [i for i in indices if acronyms[i] is None or keys[i].replace(" ", "") in named]

    # a seat after a name without legal form ("L'OREAL, PARIS") is dropped when the name before
    # the comma is an organisation of its own elsewhere
    written = {keys[i] for i in name_groups}
    for i in name_groups:
        head = _org_head_key(groups[i].normalized)
        if head in written:
            keys[i] = head

    # spacing is no difference: "ExxonMobil" / "Exxon Mobil", "JP Morgan" / "JPMorgan", "E. I." / "E.I."
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    for i in name_groups:
        spelled[keys[i].replace(" ", "")][keys[i]] += len(groups[i].mention_ids)
    for i in name_groups:
        spellings = spelled[keys[i].replace(" ", "")]
        keys[i] = min(spellings, key=lambda k: (-spellings[k], k))

    weight: Counter[str] = Counter()
    for i in name_groups:
        weight[keys[i]] += len(groups[i].mention_ids)
    distinct = sorted(weight)
    min_len = settings.min_fuzzy_org_length
    centre = _centre_clusters(
        distinct,
        [weight[k] for k in distinct],
        settings.org_similarity,
        settings.max_block_size,
        accept=lambda a, b: (
            min(len(a), len(b)) >= min_len and _identifying_tokens(a) == _identifying_tokens(b)
        ),
        also_similar=_word_matches(distinct, settings.max_block_size),
    )
    cluster_of_key: dict[str, int] = {}
    for k, key in enumerate(distinct):
        head = distinct[centre[k]]
        if head not in cluster_of_key:
            cluster_of_key[head] = clusters.new()
        cluster_of_key[key] = cluster_of_key[head]
    by_document: dict[str, list[int]] = defaultdict(list)
    for i in sorted(name_groups, key=lambda i: (keys[i], groups[i].document_id)):
        clusters.add(i, cluster_of_key[keys[i]])
        by_document[groups[i].document_id].append(i)

    # an acronym a document defines explicitly ("Financial Industry Regulatory Authority (FINRA)")
    alias_defined: dict[str, set[int]] = defaultdict(set)
    for i in name_groups:
        definition = groups[i].defined_as
        acronym = definition and _acronym(re.sub(r"(?i)^the\s+", "", definition.alias), settings)
        if acronym:
            alias_defined[acronym].add(clusters.of[i])
    by_acronym: dict[str, list[int]] = defaultdict(list)
    for i in acronym_groups:
        group_acronym = acronyms[i]
        assert group_acronym is not None  # what makes it an acronym group
        by_acronym[group_acronym].append(i)
    for acronym in sorted(by_acronym):
        members = sorted(by_acronym[acronym], key=lambda i: (groups[i].document_id, groups[i].normalized))
        defined: dict[int, int] = {}
        for i in members:
            expansions = {
                clusters.of[j]
                for j in by_document[groups[i].document_id]
                if acronym in _initials(groups[j].normalized)
            }
            if len(expansions) == 1:
                defined[i] = expansions.pop()
        agreed = set(defined.values()) | alias_defined.get(acronym, set())
        leftover = None
        for i in members:
            if i in defined:
                clusters.add(i, defined[i])
            elif len(agreed) == 1:
                clusters.add(i, next(iter(agreed)))
            else:
                if leftover is None:
                    leftover = clusters.new()
                clusters.add(i, leftover)


# ---------------------------------------------------------------------------------------------
# canonical names and stable ids


def _canonical_name(
    groups: list[_Group], members: list[int], label: str, settings: ResolutionSettings
) -> str:
    """Most frequent full form (ties: longest, then alphabetical). Full forms are written-out
    names for people and non-acronyms for organisations; all-capital forms (captions) only count
    when nothing else was written."""
    counts: Counter[str] = Counter()
    for i in members:
        counts[groups[i].normalized] += len(groups[i].mention_ids)

    def full(form: str) -> bool:
        if label == "PERSON":
            return _parse_person(form).strong
        if label == "ORG":
            return _acronym(form, settings) is None
        return True

    def rank(form: str) -> tuple[bool, bool, int, int, str]:
        return (
            not full(form),
            form.isupper() and any(c.isalpha() for c in form),
            -counts[form],
            -len(form),
            form,
        )

    return min(counts, key=rank)


def _entity_key(
    label: str, groups: list[_Group], members: list[int], canonical: str, document_local: bool
) -> str:
    if label == "PERSON":
        n = _parse_person(canonical)
        key = " ".join((*n.given, n.surname, n.suffix)).strip()
    elif label == "ORG":
        key = _org_key(canonical)
    elif label in EXACT_LABELS:
        key = canonical.strip()
    else:
        key = _fold(canonical)
    if document_local:
        key += "@" + min(groups[i].document_id for i in members)
    return key


def entity_id_for(project: str, label: str, key: str) -> str:
    """The id of a brand-new entity: uuid5 of project, label and canonical key."""
    return str(uuid.uuid5(ENTITY_NAMESPACE, f"{project}\x1f{label}\x1f{key}"))


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Resolution allocates a few objects per mention and builds no reference cycles. With the
    collector running, every full collection walks the whole heap (the caller's mentions
    included), so its share grows with the production: 22% of the time at 1M mentions. The switch
    is process-wide: cyclic garbage of other threads waits until the call returns."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def resolve_mentions(
    records: Iterable[MentionRecord],
    *,
    project: str,
    previous: Mapping[str, str] = {},  # noqa: B006 - read only
    settings: ResolutionSettings = ResolutionSettings(),
    aliases: Iterable[AliasEvidence] = (),
) -> Resolution:
    """Cluster a project's mentions into entities, keeping the ids of `previous` (mention_id ->
    entity_id of the last run) for every entity that neither merged nor split.

    `aliases` are definitions found in the documents (defined terms, acronyms). In its document,
    a mention of a defined alias ("the Company", "SEC") resolves as its referent would, so it
    joins the referent's entity there and in every other document; the entity keeps the
    definition in `Entity.definitions`. An alias one document defines as two different referents
    is left as written.

    Time grows close to linearly with the number of mentions: names are parsed once per distinct
    written form, fuzzy scores are computed only inside bounded blocks, and the cyclic garbage
    collector is paused while the (cycle-free) working structures are built."""
    with _cyclic_gc_paused():
        return _resolve(records, project, previous, settings, aliases)


def _alias_key(value: str) -> str:
    """How a defined term is matched to its uses: folded, without a leading "the"."""
    folded = _fold(value)
    return folded[4:] if folded.startswith("the ") else folded


def _apply_definitions(
    groups: list[_Group], aliases: Iterable[AliasEvidence]
) -> dict[int, list[AliasEvidence]]:
    """Let each group of a defined alias stand for its referent; return, per group, the
    definitions it carries (on the alias's group, else on the referent's group of that document)."""
    definitions: dict[tuple[str, str, str], list[AliasEvidence]] = defaultdict(list)
    for a in aliases:
        definitions[(a.document_id, a.label, _alias_key(a.alias))].append(a)
    if not definitions:
        return {}
    groups_named: dict[tuple[str, str, str], list[int]] = defaultdict(list)  # "Company", "the Company"
    for i, g in enumerate(groups):
        groups_named[(g.document_id, g.label, _alias_key(g.normalized))].append(i)
    carried: dict[int, list[AliasEvidence]] = defaultdict(list)
    for (document_id, label, alias), found in sorted(definitions.items()):
        if len({_alias_key(a.referent) for a in found}) > 1:
            continue  # one alias, two referents in one document: no basis to choose
        definition = min(found, key=lambda a: (a.page_number or 0, a.evidence))
        uses = groups_named.get((document_id, label, alias), [])
        for gi in uses:
            groups[gi].normalized = " ".join(definition.referent.split())
            groups[gi].defined_as = definition
        holders = uses or groups_named.get((document_id, label, _alias_key(definition.referent)), [])
        if holders:
            carried[holders[0]].append(definition)
    return carried


def _resolve(
    records: Iterable[MentionRecord],
    project: str,
    previous: Mapping[str, str],
    settings: ResolutionSettings,
    aliases: Iterable[AliasEvidence],
) -> Resolution:
    groups: list[_Group] = []
    group_of: dict[tuple[str, str, str], int] = {}
    seen: set[str] = set()
    for r in records:
        if r.mention_id in seen:
            raise ValueError(
                f"mention {r.mention_id!r} occurs twice in the input; every mention must be unique"
            )
        seen.add(r.mention_id)
        key = (r.document_id, r.label, r.normalized)  # the invariant holds for the stored value
        gi = group_of.get(key)
        if gi is None:
            gi = group_of[key] = len(groups)
            comparable = " ".join((r.normalized or r.text).split())
            groups.append(_Group(r.document_id, r.label, comparable))
        groups[gi].mention_ids.append(r.mention_id)
        groups[gi].texts.append(r.text)
    carried = _apply_definitions(groups, aliases)

    by_label: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by_label[g.label].append(i)
    clusters = _Clusters(len(groups))
    for label in sorted(by_label):
        indices = by_label[label]
        if label == "PERSON":
            _cluster_people(groups, indices, clusters, settings)
        elif label == "ORG":
            _cluster_orgs(groups, indices, clusters, settings)
        elif label == "COURT":
            _cluster_courts(groups, indices, clusters)
        else:
            _cluster_exact(
                groups,
                indices,
                clusters,
                fold=label not in EXACT_LABELS,
                document_local=label in DOCUMENT_LOCAL_LABELS,
            )

    # describe each cluster
    live = [cid for cid, members in enumerate(clusters.members) if members]
    info: dict[int, tuple[str, str, str]] = {}  # label, canonical name, entity key
    for cid in live:
        members = clusters.members[cid]
        label = groups[members[0]].label
        canonical = _canonical_name(groups, members, label, settings)
        document_local = label in DOCUMENT_LOCAL_LABELS or (
            label == "PERSON" and not _parse_person(canonical).strong and len(members) == 1
        )
        info[cid] = (label, canonical, _entity_key(label, groups, members, canonical, document_local))

    # stable ids: each previous id goes to the cluster holding most of its mentions
    previous_size: Counter[str] = Counter()
    overlap: Counter[tuple[int, str]] = Counter()
    for cid in live:
        for gi in clusters.members[cid]:
            for m in groups[gi].mention_ids:
                old = previous.get(m)
                if old is not None:
                    previous_size[old] += 1
                    overlap[(cid, old)] += 1
    clusters_of_old: dict[str, set[int]] = defaultdict(set)
    olds_of_cluster: dict[int, set[str]] = defaultdict(set)
    for cid, old in overlap:
        clusters_of_old[old].add(cid)
        olds_of_cluster[cid].add(old)

    entity_of: dict[int, str] = {}
    used: set[str] = set()
    for (cid, old), _count in sorted(
        overlap.items(), key=lambda kv: (-kv[1], -previous_size[kv[0][1]], kv[0][1], info[kv[0][0]][2])
    ):
        if cid not in entity_of and old not in used:
            entity_of[cid] = old
            used.add(old)
    used |= set(previous_size)  # an old id never names a different entity
    for cid in sorted((c for c in live if c not in entity_of), key=lambda c: (info[c][0], info[c][2])):
        label, _, entity_key = info[cid]
        eid = entity_id_for(project, label, entity_key)
        if eid in used:
            first_group = min((groups[i].document_id, groups[i].normalized) for i in clusters.members[cid])
            eid = entity_id_for(project, label, f"{entity_key}#{first_group[0]}#{first_group[1]}")
        entity_of[cid] = eid
        used.add(eid)

    entities: list[Entity] = []
    links: dict[str, str] = {}
    for cid in live:
        members = clusters.members[cid]
        label, canonical, _ = info[cid]
        texts: Counter[str] = Counter()
        definitions: list[AliasEvidence] = []
        for gi in members:
            texts.update(groups[gi].texts)
            definitions += carried.get(gi, ())
            for m in groups[gi].mention_ids:
                links[m] = entity_of[cid]
        entities.append(
            Entity(
                entity_id=entity_of[cid],
                label=label,
                canonical_name=canonical,
                aliases=tuple(sorted(texts, key=lambda t: (-texts[t], t))),
                mention_count=sum(texts.values()),
                document_count=len({groups[gi].document_id for gi in members}),
                definitions=tuple(sorted(definitions, key=lambda d: (d.document_id, d.alias, d.evidence))),
            )
        )
    entities.sort(key=lambda e: (e.label, e.canonical_name, e.entity_id))
    merged = sorted(tuple(sorted(olds)) for olds in olds_of_cluster.values() if len(olds) > 1)
    split = sorted(old for old, cids in clusters_of_old.items() if len(cids) > 1)
    return Resolution(entities=entities, links=links, merged=merged, split=split)


def resolve_names(items: Sequence[tuple[str, str]]) -> list[int]:
    """One cluster id per (name, label) pair, numbered by first appearance; equal ids are the
    same real-world entity. Each item counts as its own document."""
    records = [
        MentionRecord(
            mention_id=str(k),
            document_id=f"item-{k}",
            label=label.strip().upper(),
            text=name,
            normalized=name,
        )
        for k, (name, label) in enumerate(items)
    ]
    links = resolve_mentions(records, project="resolve_names").links
    numbers: dict[str, int] = {}
    return [numbers.setdefault(links[r.mention_id], len(numbers)) for r in records]
