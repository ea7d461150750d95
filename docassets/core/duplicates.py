"""Duplicate and near-duplicate documents of a project, grouped around a pivot document.

A document's *content* is its page text without what a production or a court adds to each page
(Bates numbers, legends such as CONFIDENTIAL, CM/ECF headers, page and line numbers, running
heads), compared as lower-case
words: case, punctuation, whitespace, ligatures and end-of-line hyphenation do not count.

* **exact**: the same content. Two documents whose word sequences are equal are exact without
  further work (a re-stamped copy, a re-saved file); two that differ only by OCR noise are exact
  too (a re-scan, a re-OCR): every difference is a short misreading of a word or a speck, and
  the differences add up to a small share of the text (see `same_content`).
* **near**: the Jaccard similarity of the word shingle sets reaches `near_threshold` (a page
  added or removed, a lightly edited version).

Candidates come from MinHash LSH (datasketch) over the shingles and are verified exactly, so the
similarity reported is the true Jaccard similarity, not the sketch's estimate. Groups are stars:
each document not yet grouped becomes a pivot in turn and takes the ungrouped documents similar
to it, so every member is similar to its pivot itself (no chains). Exact groups come first, their
pivots the longest documents; near groups then join exact groups whole, through their pivots, and
take as pivots first the documents with the most near neighbours.
"""

from __future__ import annotations

import multiprocessing
import re
import unicodedata
import zlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from hashlib import sha256
from itertools import islice
from typing import Literal, TypeVar

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from numpy.typing import NDArray
from rapidfuzz.distance import Levenshtein, Opcode

from docassets.core.bates import bates_spans, find_bates
from docassets.core.chunking import page_noise
from docassets.core.models import Page

DuplicateKind = Literal["exact", "near"]

_HYPHENATED = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w)")  # "docu-\nment": a word split at a line end
# Legends a production stamps beside its Bates numbers, in capitals as stamped.
_LEGEND = re.compile(
    r"\b(?:(?:HIGHLY\s+)?CONFIDENTIAL|ATTORNEYS?['’]?\s+EYES\s+ONLY|SUBJECT\s+TO\s+PROTECTIVE\s+ORDER"
    r"|PRODUCED\s+IN\s+DISCOVERY|FOR\s+SETTLEMENT\s+PURPOSES\s+ONLY)\b"
)
# Runs of letters and digits (punctuation between them is dropped), except lone letters, mostly
# OCR specks ("i", "l", "'"); lone digits stay, they carry meaning.
_WORD = re.compile(r"[^\W_]{2,}|\d")


@dataclass(frozen=True)
class DuplicateSettings:
    near_threshold: float = (
        0.5  # Jaccard of 3-word shingles: a 2-page document with a third page added is 0.6
    )
    shingle_words: int = 3  # three words: one misread word changes 3 shingles, a shared phrase still matches
    num_perm: int = 128  # MinHash permutations: about 0.04 standard error on a Jaccard estimate
    min_words: int = 20  # a document with less content (blank, a cover sheet) is in no group
    candidate_margin: float = 0.1  # LSH looks this far below the threshold; verification drops the rest
    # OCR noise that still counts as the same content (see `same_content`)
    noise_share: float = 0.03  # the differences' characters, as a share of the shorter text
    noise_word_share: float = (
        0.5  # one difference: edit distance / its longer side ("tlie" for "the": 2 of 4)
    )
    noise_insert_chars: int = 6  # a run inserted or dropped: "vy", a lost footnote mark "12"
    noise_speck_chars: int = 3  # or any longer run of words this short: "nee ee ee ee" read from a smudge


@dataclass(frozen=True)
class DocumentFingerprint:
    """What grouping keeps in memory for one document: no text, so a project of any size fits."""

    document_id: str
    content_key: str  # sha256 of the normalised words: equal keys, equal content
    words: int
    minhash: LeanMinHash = field(compare=False, repr=False)


@dataclass(frozen=True)
class DuplicateMember:
    document_id: str
    similarity: float  # Jaccard of shingle sets with the pivot; 1.0 for identical content
    kind: DuplicateKind


@dataclass(frozen=True)
class DuplicateGroup:
    """An exact group: the pivot's copies. A near group: exact groups' pivots (or documents with
    no copy) similar to the pivot; their copies come with them (see `duplicate_links`)."""

    pivot_document_id: str
    kind: DuplicateKind
    members: tuple[DuplicateMember, ...]  # never the pivot itself; sorted by document id


@dataclass(frozen=True)
class DuplicateLink:
    """One row of the `document_duplicates` table."""

    document_id: str
    pivot_document_id: str
    similarity: float
    kind: DuplicateKind


def content_words(pages: Sequence[Page]) -> list[str]:
    """A document's content as lower-case words, without each page's Bates number, CM/ECF header,
    page and line numbers, and running heads (found as the chunker finds them)."""
    pages = [page if page.bates else replace(page, bates=find_bates(page.text)) for page in pages]
    words: list[str] = []
    for page, noise in zip(pages, page_noise(pages), strict=True):
        text = page.text
        # Spans reach the stamp's end; Bates numbers in the body go as well: a re-stamped
        # copy's cites to its own pages differ ("see DEF 000012").
        spans = sorted(
            [(n.start, n.end) for n in noise] + bates_spans(text) + [m.span() for m in _LEGEND.finditer(text)]
        )
        kept, position = [], 0
        for start, end in spans:
            if start > position:
                kept.append(text[position:start])
            position = max(position, end)
        kept.append(text[position:])
        clean = _HYPHENATED.sub(r"\1\2", unicodedata.normalize("NFKC", " ".join(kept))).lower()
        words += _WORD.findall(clean)
    return words


def shingles(words: Sequence[str], size: int) -> set[str]:
    """The set of `size`-word runs of the text; a text shorter than that is one shingle."""
    if len(words) < size:
        return {" ".join(words)} if words else set()
    # the shifted copies are shorter: zip stops at the last full run
    return set(map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> NDArray[np.uint64]:
    permutations: NDArray[np.uint64] = MinHash(num_perm=num_perm).permutations
    return permutations


def fingerprint(
    document_id: str, words: Sequence[str], settings: DuplicateSettings = DuplicateSettings()
) -> DocumentFingerprint:
    # crc32: a fast, stable 32-bit hash; datasketch mixes it (MurmurHash3 finalizer) before permuting.
    minhash = MinHash(
        num_perm=settings.num_perm,
        hashfunc=zlib.crc32,
        permutations=_permutations(settings.num_perm),
        scheme="affine32",
    )
    minhash.update_batch(list(map(str.encode, shingles(words, settings.shingle_words))))
    key = sha256(" ".join(words).encode()).hexdigest()
    return DocumentFingerprint(document_id, key, len(words), LeanMinHash(minhash))


def fingerprint_pages(
    document_id: str, pages: Sequence[Page], settings: DuplicateSettings = DuplicateSettings()
) -> DocumentFingerprint:
    return fingerprint(document_id, content_words(pages), settings)


def fingerprints(
    documents: Iterable[tuple[str, Sequence[Page]]],
    settings: DuplicateSettings = DuplicateSettings(),
    *,
    workers: int = 1,
) -> Iterator[DocumentFingerprint]:
    """`fingerprint_pages` of each (document_id, pages), in order, on `workers` processes.

    Workers start from a fork server (a clean process importing only this module), never by
    forking the caller, which may hold threads (a Dagster run does). At most a few batches of
    documents are in flight, so the caller may stream them from storage.
    """
    if workers <= 1:
        yield from (fingerprint_pages(document_id, pages, settings) for document_id, pages in documents)
        return
    work = partial(_fingerprint_batch, settings=settings)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        pending: deque[Future[list[DocumentFingerprint]]] = deque()
        for batch in _batches(documents, _BATCH):
            pending.append(pool.submit(work, batch))
            if len(pending) > 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


_Item = TypeVar("_Item")

_BATCH = 64  # documents sent to a worker at once: few round trips, little held in flight


def _batches(items: Iterable[_Item], size: int) -> Iterator[list[_Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _fingerprint_batch(
    batch: Sequence[tuple[str, Sequence[Page]]], settings: DuplicateSettings
) -> list[DocumentFingerprint]:
    return [fingerprint_pages(document_id, pages, settings) for document_id, pages in batch]


def same_content(
    a: Sequence[str], b: Sequence[str], settings: DuplicateSettings = DuplicateSettings()
) -> bool:
    """Whether two word sequences differ only as two OCR readings of one page do.

    Every differing run of words must be a misreading: at most half of its characters edited
    ("Tlie" for "The", "court1" for "court"; a number by one digit at most), or a run of specks
    and marks inserted or dropped (words of up to three characters: "ee", "3", "vy"); and all the
    differences together stay under `noise_share` of the text. A changed amount ("5000" for
    "7500"), a changed word or a sentence added or removed makes the pair near, not exact.
    """
    if a == b:
        return True
    budget = settings.noise_share * min(sum(map(len, a)), sum(map(len, b)))
    spent = 0
    for left, right in _differences(a, b):
        joined_left, joined_right = "".join(left), "".join(right)
        distance = Levenshtein.distance(joined_left, joined_right)
        spent += distance
        if spent > budget:
            return False
        if not left or not right:
            run = left or right
            if distance > settings.noise_insert_chars and max(map(len, run)) > settings.noise_speck_chars:
                return False
        elif joined_left.isdigit() and joined_right.isdigit():
            if distance > 1:
                return False
        elif distance > max(1, settings.noise_word_share * max(len(joined_left), len(joined_right))):
            return False
    return True


def _differences(a: Sequence[str], b: Sequence[str]) -> Iterator[tuple[Sequence[str], Sequence[str]]]:
    """The differing runs of two word sequences, adjacent edits taken together: an alignment may
    split one misreading ("6an" for "6 an") into a replacement and a deletion."""
    run: list[Opcode] = []
    for op in [*Levenshtein.opcodes(a, b), None]:
        if op is not None and op.tag != "equal":
            run.append(op)
            continue
        if run:
            yield a[run[0].src_start : run[-1].src_end], b[run[0].dest_start : run[-1].dest_end]
            run = []


class DuplicateFinder:
    """Groups a project's documents from their fingerprints.

    Only fingerprints stay in memory; the words of a document are asked for (`words_of`) when a
    candidate pair has to be verified, so a caller streams text from storage twice at most.
    """

    def __init__(
        self,
        words_of: Callable[[str], Sequence[str]],
        settings: DuplicateSettings = DuplicateSettings(),
        cache_size: int = 256,
    ):
        self.settings = settings
        self._words_of = lru_cache(maxsize=cache_size)(lambda document_id: tuple(words_of(document_id)))
        self._shingles_of = lru_cache(maxsize=cache_size)(
            lambda document_id: shingles(self._words_of(document_id), settings.shingle_words)
        )

    def groups(self, fingerprints: Iterable[DocumentFingerprint]) -> list[DuplicateGroup]:
        """Exact groups first, then near groups over the exact groups' pivots (and the documents
        in no exact group), so that a near group's members are whole exact groups."""
        settings = self.settings
        by_key: dict[str, list[DocumentFingerprint]] = defaultdict(list)
        for item in fingerprints:
            if item.words >= settings.min_words:
                by_key[item.content_key].append(item)
        # Identical words need no verification: one representative per content key goes on.
        identical = {}
        for same in by_key.values():
            same.sort(key=_longest_first)
            identical[same[0].document_id] = [f.document_id for f in same[1:]]
        order = sorted((same[0] for same in by_key.values()), key=_longest_first)
        lsh_threshold = max(0.05, settings.near_threshold - settings.candidate_margin)
        lsh = MinHashLSH(threshold=lsh_threshold, num_perm=settings.num_perm)
        with lsh.insertion_session() as session:
            for item in order:
                session.insert(item.document_id, item.minhash, check_duplication=False)
        # LSH banding lets through pairs far below its threshold; the sketches' own estimate drops
        # them before any text is read for verification.
        sketch = {item.document_id: item.minhash for item in order}
        candidates = {
            item.document_id: [
                c
                for c in lsh.query(item.minhash)
                if c != item.document_id and sketch[c].jaccard(item.minhash) >= lsh_threshold
            ]
            for item in order
        }
        exact = self._exact_groups([item.document_id for item in order], identical, candidates)
        copies_of: dict[str, list[str]] = {pivot: [] for pivot in (item.document_id for item in order)}
        for group in exact:
            copies_of[group.pivot_document_id] = [m.document_id for m in group.members]
            for member in group.members:
                copies_of.pop(member.document_id, None)
        near = self._near_groups(copies_of, {item.document_id: item.words for item in order}, candidates)
        return sorted(exact + near, key=lambda g: (g.kind, g.pivot_document_id))

    def _exact_groups(
        self, order: list[str], identical: dict[str, list[str]], candidates: dict[str, list[str]]
    ) -> list[DuplicateGroup]:
        """Stars of the same content, the longest document first as pivot."""
        groups, taken = [], set()
        for pivot in order:
            if pivot in taken:
                continue
            taken.add(pivot)
            members = [DuplicateMember(twin, 1.0, "exact") for twin in identical[pivot]]
            for candidate in candidates[pivot]:
                if candidate in taken:
                    continue
                similarity = self._similarity(pivot, candidate)
                if similarity >= self.settings.near_threshold and same_content(
                    self._words_of(pivot), self._words_of(candidate), self.settings
                ):
                    taken.add(candidate)
                    members += [
                        DuplicateMember(d, similarity, "exact") for d in [candidate, *identical[candidate]]
                    ]
            if members:
                groups.append(DuplicateGroup(pivot, "exact", _by_id(members)))
        return groups

    def _near_groups(
        self, copies_of: dict[str, list[str]], words: dict[str, int], candidates: dict[str, list[str]]
    ) -> list[DuplicateGroup]:
        """Stars of similar exact groups (through their pivots), centred on the document most like
        the others: a copy with a page added is less like the rest than the copy itself."""
        neighbours = {
            pivot: {
                c: similarity
                for c in candidates[pivot]
                if c in copies_of
                and (similarity := self._similarity(pivot, c)) >= self.settings.near_threshold
            }
            for pivot in copies_of
        }

        def centrality(document_id: str) -> tuple[int, float, int, str]:
            near = neighbours[document_id]
            return -len(near), -sum(near.values()), -words[document_id], document_id

        groups, taken = [], set()
        for pivot in sorted(copies_of, key=centrality):
            if pivot in taken:
                continue
            taken.add(pivot)
            members = [
                DuplicateMember(c, similarity, "near")
                for c, similarity in neighbours[pivot].items()
                if c not in taken
            ]
            taken.update(m.document_id for m in members)
            if members:
                groups.append(DuplicateGroup(pivot, "near", _by_id(members)))
        return groups

    def _similarity(self, a: str, b: str) -> float:
        return round(jaccard(self._shingles_of(a), self._shingles_of(b)), 4)


def _longest_first(item: DocumentFingerprint) -> tuple[int, str]:
    return -item.words, item.document_id


def _by_id(members: list[DuplicateMember]) -> tuple[DuplicateMember, ...]:
    return tuple(sorted(members, key=lambda m: m.document_id))


def duplicate_links(groups: Iterable[DuplicateGroup]) -> list[DuplicateLink]:
    """One row per document and kind: an exact copy points at its exact group's pivot; every
    document of an exact group that is a near member (its pivot and its copies) points at the
    near group's pivot, with the similarity of the two pivots."""
    groups = list(groups)
    copies = {g.pivot_document_id: [m.document_id for m in g.members] for g in groups if g.kind == "exact"}
    links = [
        DuplicateLink(m.document_id, g.pivot_document_id, m.similarity, "exact")
        for g in groups
        if g.kind == "exact"
        for m in g.members
    ]
    links += [
        DuplicateLink(document_id, g.pivot_document_id, m.similarity, "near")
        for g in groups
        if g.kind == "near"
        for m in g.members
        for document_id in [m.document_id, *copies.get(m.document_id, [])]
    ]
    return sorted(links, key=lambda link: (link.kind, link.document_id))


def find_duplicates(
    documents: Sequence[tuple[str, Sequence[Page]]], settings: DuplicateSettings = DuplicateSettings()
) -> list[DuplicateGroup]:
    """Group documents held in memory, (document_id, pages) each: for tests and small sets."""
    words = {document_id: content_words(pages) for document_id, pages in documents}
    finder = DuplicateFinder(words.__getitem__, settings)
    return finder.groups(fingerprint(document_id, w, settings) for document_id, w in words.items())
