"""Typed, evidenced edges between the entities of one document.

Every edge names the sentence that supports it and the chunk that sentence starts in. The rules:

- MENTIONS: document -> each distinct entity key (not Bates numbers: they are provenance, on pages,
  chunks and mentions); count = its mentions; evidence = first sentence.
- PLAINTIFF_IN, DEFENDANT_IN, PETITIONER_IN, RESPONDENT_IN, APPELLANT_IN, APPELLEE_IN: a party
  (PERSON/ORG with that `role`; "plaintiff-appellant" gives both) -> the document's case: its most
  frequent CASE_NUMBER (ties: the first written), or the document itself when it has none.
- PRESIDES_OVER: a PERSON with role judge -> the case.
- REPRESENTS: counsel -> party, where the text says "Attorney(s) for ...", "Counsel for ...",
  "on behalf of ...", or "<name>, for <role>" (Tax Court and Tennessee opinions: "Ray C. Mayo, Jr.,
  for petitioners."). The party is the PERSON/ORG named right after the phrase, else every party
  with the role word that follows it ("Attorneys for Plaintiff"; "for the employer-appellant" is
  the appellant). Counsel are the counsel-role mentions (else PERSON/ORG mentions that are not
  parties) of the block the phrase belongs to: after a colon ("Counsel for Appellant: John Smith,
  ...") or below a heading line that is only the phrase ("ATTORNEYS FOR PLAINTIFF"), the lines that
  follow up to a blank line, the next phrase or `SIGNATURE_LINES` lines; otherwise the signature
  block above: back to the nearest of the previous blank line, the start of its sentence, the
  previous phrase, or `SIGNATURE_LINES` lines up. For "<name>, for <role>" it is the name that
  starts the line.
- MEMBER_OF: an attorney's name line -> a law firm ORG on an adjacent line of the same block.
- FILED_IN: document -> the first COURT written (the caption or header) and -> the case number.
- CITES: document -> each CITATION and STATUTE.
- CO_OCCURS: two PERSON/ORG/LOCATION/COURT entities in one sentence; one edge per pair with
  count = number of sentences. Sentences naming more than `MAX_COOCCURRING` entities (lists,
  tables, long captions) are left out: they say nothing about any particular pair.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from docassets.core.chunking import split_sentences
from docassets.core.graph import NON_NODE_LABELS
from docassets.core.models import Chunk, EntityKey, Mention, Relationship

ROLE_TYPES = {
    "plaintiff": "PLAINTIFF_IN",
    "defendant": "DEFENDANT_IN",
    "petitioner": "PETITIONER_IN",
    "respondent": "RESPONDENT_IN",
    "appellant": "APPELLANT_IN",
    "appellee": "APPELLEE_IN",
}
PARTY_LABELS = frozenset({"PERSON", "ORG"})
COOCCURRING_LABELS = frozenset({"PERSON", "ORG", "LOCATION", "COURT"})
CITED_LABELS = frozenset({"CITATION", "STATUTE"})
MAX_COOCCURRING = 12  # distinct entities in one sentence above which it is a list, not a statement
SIGNATURE_LINES = 8  # how far up a signature block reaches from "Attorneys for ..."
MAX_EVIDENCE_CHARS = 600  # longer "sentences" (PDF text without periods) are cut around the finding
CAPTION_CHARS = 1500  # a court written this early is the court the document is filed in

_ROLES = r"plaintiffs?|defendants?|petitioners?|respondents?|appellants?|appellees?"
_REPRESENTS = re.compile(
    r"\b(?:attorneys?|counsel|lawyers?)\s+(?:of\s+record\s+)?for\b|\bon\s+behalf\s+of\b"
    # "Ray C. Mayo, Jr., for petitioners." / "J. Pledger, Franklin, Tennessee, for the employer-appellant"
    rf"|(?<=,)[ \t]*(?P<bare>for)(?=[ \t]+(?:the[ \t]+)?(?:[a-z]+[-–—])?(?:{_ROLES})\b)",
    re.IGNORECASE,
)
_ROLE_WORD = re.compile(
    r"\s*(?:the\s+)?(?:named\s+)?(?:[a-z]+[-–—](?=(?:" + _ROLES + r")\b))?"
    r"(?P<role>" + _ROLES + r")"
    r"(?:\s*[-–—/]\s*(?P<role2>appellants?|appellees?|petitioners?|respondents?|cross-appellants?))?",
    re.IGNORECASE,
)
_COLON = re.compile(r"[ \t]*:")
_FIRM = re.compile(
    r"\b(?:L\.?L\.?P|P\.?L\.?L\.?C|P\.?C|P\.?A|L\.?P\.?A|law\s+(?:firm|offices?|group)|attorneys|"
    r"associates|legal|counsel(?:ors)?)\b\.?|&|\blaw\b",
    re.IGNORECASE,
)
_SIGNATURE_NOISE = re.compile(
    r"/s/|\bby:|\besq\.?|\b(?:bar|sbn|state bar)\s*(?:no\.?|number|#)?\s*[\d-]+|[,.:()\[\]]", re.IGNORECASE
)


@dataclass
class _Evidence:
    chunk_index: int | None
    sentence: str
    confidence: float
    count: int = 0


class _Document:
    """Positions of one document's sentences, chunks and lines."""

    def __init__(self, text: str, chunks: Sequence[Chunk]) -> None:
        self.text = text
        self.sentences = split_sentences(text) or [(0, len(text))]  # the chunks' sentences
        self.sentence_starts = [s for s, _ in self.sentences]
        ordered = sorted(chunks, key=lambda c: (c.char_start, c.index))
        self.chunk_starts = [c.char_start for c in ordered]
        self.chunks = ordered
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def sentence_index(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.sentence_starts, pos) - 1)

    def chunk_index(self, pos: int) -> int | None:
        k = bisect.bisect_right(self.chunk_starts, pos) - 1
        while k >= 0:
            if self.chunks[k].char_start <= pos < self.chunks[k].char_end:
                return self.chunks[k].index
            k -= 1
        return None

    def evidence(self, start: int, end: int | None = None) -> tuple[int | None, str]:
        """(chunk index, sentence text) of the sentence holding [start, end)."""
        s, e = self.sentences[self.sentence_index(start)]
        end = start if end is None else end
        if e - s > MAX_EVIDENCE_CHARS:
            half = MAX_EVIDENCE_CHARS // 2
            s, e = max(s, start - half), min(e, max(end, start) + half)
        return self.chunk_index(start), " ".join(self.text[s:e].split())

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.newlines, pos - 1)

    def line_text(self, line: int) -> str:
        start = self.newlines[line - 1] + 1 if line > 0 else 0
        end = self.newlines[line] if line < len(self.newlines) else len(self.text)
        return self.text[start:end]


def _key(m: Mention) -> EntityKey:
    """The mention's entity key exactly as stored, so edges join to (document, label, normalized)."""
    return EntityKey(m.label, m.normalized)


def _roles(m: Mention) -> list[str]:
    if not m.role:
        return []
    return [r.strip().casefold().rstrip("s") for r in re.split(r"[-–—/,\s]+", m.role) if r.strip()]


def find_relationships(
    document_id: str, text: str, chunks: Sequence[Chunk], mentions: Sequence[Mention]
) -> list[Relationship]:
    """Every relationship one document states between its entities, with evidence."""
    doc = _Document(text, chunks)
    mentions = sorted(mentions, key=lambda m: (m.start, m.end))
    document = EntityKey("DOCUMENT", document_id)
    edges: dict[tuple[str, EntityKey, EntityKey], _Evidence] = {}

    def add(
        kind: str,
        source: EntityKey,
        target: EntityKey,
        start: int,
        end: int | None,
        confidence: float,
        count: int = 1,
    ) -> None:
        if source == target:
            return
        key = (kind, source, target)
        found = edges.get(key)
        if found is None:
            chunk_index, sentence = doc.evidence(start, end)
            edges[key] = _Evidence(chunk_index, sentence, confidence, count)
        else:
            found.count += count
            found.confidence = max(found.confidence, confidence)

    # MENTIONS, CITES; a Bates number is provenance of its page and a provision needs its document:
    # neither is a node
    for m in mentions:
        if m.label in NON_NODE_LABELS:
            continue
        add("MENTIONS", document, _key(m), m.start, m.end, m.confidence)
        if m.label in CITED_LABELS:
            add("CITES", document, _key(m), m.start, m.end, m.confidence)

    # the case: most frequent docket, ties to the first written
    dockets = [m for m in mentions if m.label == "CASE_NUMBER"]
    if dockets:
        frequency = Counter(_key(m) for m in dockets)
        case = max(
            frequency, key=lambda k: (frequency[k], -next(i for i, m in enumerate(dockets) if _key(m) == k))
        )
        first = next(m for m in dockets if _key(m) == case)
        add("FILED_IN", document, case, first.start, first.end, 0.9 * first.confidence, frequency[case])
    else:
        case = document
    courts = [m for m in mentions if m.label == "COURT"]
    if courts:
        court = courts[0]
        add(
            "FILED_IN",
            document,
            _key(court),
            court.start,
            court.end,
            (0.9 if court.start < CAPTION_CHARS else 0.6) * court.confidence,
        )

    # party roles and judges
    parties: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        if m.label not in PARTY_LABELS:
            continue
        for role in _roles(m):
            if role in ROLE_TYPES:
                parties[role].append(m)
                add(ROLE_TYPES[role], _key(m), case, m.start, m.end, m.confidence)
            elif role == "judge":
                add("PRESIDES_OVER", _key(m), case, m.start, m.end, m.confidence)
    party_keys = {_key(m) for ms in parties.values() for m in ms}

    _represents(doc, mentions, parties, party_keys, add)
    _member_of(doc, mentions, party_keys, add)
    _co_occurs(doc, mentions, add)

    return [
        Relationship(
            type=kind,
            source=source,
            target=target,
            chunk_index=ev.chunk_index,
            sentence=ev.sentence,
            confidence=round(min(1.0, max(0.0, _confidence(kind, ev))), 4),
            count=ev.count,
        )
        for (kind, source, target), ev in edges.items()
    ]


class _AddEdge(Protocol):
    """Records one piece of evidence for an edge (`relationships`' `add`)."""

    def __call__(
        self,
        kind: str,
        source: EntityKey,
        target: EntityKey,
        start: int,
        end: int | None,
        confidence: float,
        count: int = 1,
    ) -> None: ...


def _confidence(kind: str, ev: _Evidence) -> float:
    if kind == "CO_OCCURS":  # weak alone; each further sentence halves the doubt
        return 1.0 - 0.5**ev.count
    return ev.confidence


def _represents(
    doc: _Document,
    mentions: list[Mention],
    parties: dict[str, list[Mention]],
    party_keys: set[EntityKey],
    add: _AddEdge,
) -> None:
    starts = [m.start for m in mentions]
    phrases = list(_REPRESENTS.finditer(doc.text))
    previous_end = 0
    for n, phrase in enumerate(phrases):
        next_phrase = phrases[n + 1].start() if n + 1 < len(phrases) else len(doc.text)
        # the party: a name right after the phrase, else every party with the role word
        after = phrase.end()
        role_match = _ROLE_WORD.match(doc.text, after)
        if role_match:
            after = role_match.end()
        k = bisect.bisect_left(starts, phrase.end())
        named = [
            m
            for m in mentions[k : k + 3]
            if m.label in PARTY_LABELS
            and m.start - after <= 3
            and "\n" not in doc.text[after : m.start]
            and ":" not in doc.text[after : m.start]  # "Counsel for Appellant: John Smith" lists counsel
        ]
        if named:
            targets = [named[0]]
            after = max(after, named[0].end)
        elif role_match:
            roles = {role_match.group("role").casefold().rstrip("s")}
            if role_match.group("role2"):
                roles.add(role_match.group("role2").casefold().rstrip("s").split("-")[-1])
            targets = [m for r in sorted(roles) for m in parties.get(r, [])]
        else:
            targets = []
        if phrase.group("bare"):
            counsel, confidence = _counsel_starting_the_line(doc, mentions, phrase.start())
        else:
            below = _counsel_below(doc, phrase.start(), after, next_phrase)
            if below is not None:  # "Counsel for Appellant: A, B" or an "ATTORNEYS FOR PLAINTIFF" heading
                lo, hi = below
            else:  # the signature block above the phrase (and the phrase's own line before it)
                lo, hi = _block_above(doc, phrase.start(), previous_end), phrase.start()
            in_block = [
                m for m in mentions if lo <= m.start < hi and m.label in PARTY_LABELS and m not in targets
            ]
            counsel = [m for m in in_block if "counsel" in _roles(m)]
            confidence = 0.9
            if not counsel:
                counsel = [m for m in in_block if _key(m) not in party_keys]
                confidence = 0.6
            if below is not None:
                after = max(after, hi)
        previous_end = max(phrase.end(), after)
        target_keys = {_key(t) for t in targets}
        for c in counsel:
            for t in target_keys:
                if _key(c) not in target_keys:
                    add("REPRESENTS", _key(c), t, phrase.start(), phrase.end(), confidence * c.confidence)


def _block_above(doc: _Document, pos: int, previous_end: int) -> int:
    """Start of the block that ends at `pos`: the nearest of the previous blank line, the start of
    the sentence, the end of the previous phrase, or `SIGNATURE_LINES` lines up."""
    line = doc.line(pos)
    first_line = line
    while first_line > 0 and line - first_line < SIGNATURE_LINES and doc.line_text(first_line - 1).strip():
        first_line -= 1
    return max(
        previous_end,
        doc.newlines[first_line - 1] + 1 if first_line > 0 else 0,
        doc.sentences[doc.sentence_index(pos)][0],
    )


def _counsel_below(doc: _Document, start: int, end: int, limit: int) -> tuple[int, int] | None:
    """Where counsel are listed after the phrase [start, end), or None when they are above it.

    After a colon ("Counsel for Appellant: John Smith, ...") or below a heading line that is only
    the phrase ("ATTORNEYS FOR PLAINTIFF" with a blank line or nothing above it): up to the next
    phrase, the next blank line or `SIGNATURE_LINES` lines down."""
    colon = _COLON.match(doc.text, end)
    line = doc.line(start)
    line_start = doc.newlines[line - 1] + 1 if line > 0 else 0
    line_end = doc.newlines[line] if line < len(doc.newlines) else len(doc.text)
    heading = (
        not doc.text[line_start:start].strip()
        and not doc.text[end:line_end].strip(" \t:.")
        and (line == 0 or not doc.line_text(line - 1).strip())
    )
    if not colon and not heading:
        return None
    lo = colon.end() if colon else line_end
    hi = lo
    last_line = doc.line(lo)
    for k in range(last_line, min(len(doc.newlines) + 1, last_line + SIGNATURE_LINES)):
        text = doc.line_text(k)
        if k > last_line and not text.strip():
            break
        hi = doc.newlines[k] if k < len(doc.newlines) else len(doc.text)
    return lo, min(hi, limit)


def _counsel_starting_the_line(
    doc: _Document, mentions: list[Mention], pos: int
) -> tuple[list[Mention], float]:
    """ "Ray C. Mayo, Jr., for petitioners.": the name that starts the line of a bare ", for <role>"
    phrase, and any mention before the phrase that the extractor marked as counsel."""
    line = doc.line(pos)
    line_start = doc.newlines[line - 1] + 1 if line > 0 else 0
    on_line = [m for m in mentions if line_start <= m.start < pos and m.label in PARTY_LABELS]
    counsel = [m for m in on_line if "counsel" in _roles(m)]
    if on_line and not doc.text[line_start : on_line[0].start].strip() and on_line[0] not in counsel:
        counsel.insert(0, on_line[0])
    confidence = 0.9 if all("counsel" in _roles(m) for m in counsel) else 0.7
    return counsel, confidence


def _name_line(doc: _Document, m: Mention) -> bool:
    """The mention is most of its line: a signature-block line, not a name inside prose."""
    line = doc.line_text(doc.line(m.start))
    rest = _SIGNATURE_NOISE.sub(" ", line.replace(m.text, " ", 1))
    return len(rest.strip()) <= max(6, len(m.text) // 2)


def _member_of(doc: _Document, mentions: list[Mention], party_keys: set[EntityKey], add: _AddEdge) -> None:
    firms = [
        m
        for m in mentions
        if m.label == "ORG"
        and _key(m) not in party_keys
        and (_FIRM.search(m.text) or "counsel" in _roles(m))
        and _name_line(doc, m)
    ]
    if not firms:
        return
    people = [m for m in mentions if m.label == "PERSON" and _key(m) not in party_keys and _name_line(doc, m)]
    firm_lines = {doc.line(f.start): f for f in firms}
    for person in people:
        line = doc.line(person.start)
        best = None
        for distance in (1, 2, 3):
            for candidate in (line + distance, line - distance):
                firm = firm_lines.get(candidate)
                if firm is None:
                    continue
                lo, hi = sorted((line, candidate))
                if all(doc.line_text(k).strip() for k in range(lo, hi + 1)):
                    best = firm
                    break
            if best:
                break
        if best is not None:
            confidence = 0.85 if "counsel" in _roles(person) else 0.7
            start, end = sorted((person.start, best.start))[0], max(person.end, best.end)
            add(
                "MEMBER_OF",
                _key(person),
                _key(best),
                start,
                end,
                confidence * min(person.confidence, best.confidence),
            )


def _co_occurs(doc: _Document, mentions: list[Mention], add: _AddEdge) -> None:
    by_sentence: dict[int, dict[EntityKey, Mention]] = defaultdict(dict)
    for m in mentions:
        if m.label in COOCCURRING_LABELS:
            by_sentence[doc.sentence_index(m.start)].setdefault(_key(m), m)
    for index in sorted(by_sentence):
        found = by_sentence[index]
        if len(found) < 2 or len(found) > MAX_COOCCURRING:
            continue
        keys = sorted(found, key=str)
        start = doc.sentences[index][0]
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                add("CO_OCCURS", a, b, max(start, min(found[a].start, found[b].start)), None, 0.5)
