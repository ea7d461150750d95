"""Near-duplicate grouping at scale: synthetic productions of 10k to 100k documents.

Each generated document has 1 to 8 pages of about 300 words drawn from a 30,000-word Zipf
vocabulary, a Bates number per page and, on some pages, a CM/ECF header. 5% of the documents are
re-stamped copies of an earlier one, 10% near-duplicates (a page dropped or added, or about 3% of
words changed). Timed: `fingerprints` on 2 worker processes (normalising the pages, MinHash) and
`DuplicateFinder.groups` (LSH, verification, stars), against bare datasketch in the same run:
MinHash of the whitespace-split text's 3-word shingles and a MinHashLSH insert and query per
document, on one process, with nothing normalised or verified. Generation is not timed.

    .venv/bin/python benchmarks/duplicate_scale.py --quick    # 10k and 20k documents (~5 min)
    .venv/bin/python benchmarks/duplicate_scale.py            # 10k, 50k and 100k documents
    .venv/bin/python benchmarks/duplicate_scale.py --sizes 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zlib

import numpy as np
from datasketch import MinHash, MinHashLSH

from docassets.core.duplicates import (
    DuplicateFinder,
    DuplicateSettings,
    content_words,
    fingerprints,
    shingles,
)
from docassets.core.models import Page

VOCABULARY = 30_000
WORDS_PER_PAGE = 300


def generate(count: int, seed: int = 7) -> tuple[list[tuple[str, list[Page]]], int]:
    """`count` documents and how many of them were planted as copies or near-duplicates."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}" for i in range(VOCABULARY)])
    documents: list[tuple[str, list[Page]]] = []
    planted = 0
    for index in range(count):
        kind = rng.random()
        if index > 100 and kind < 0.15:
            planted += 1
            _, base = documents[int(rng.integers(0, index))]
            texts = [_body(p.text) for p in base]
            if kind < 0.05:
                pass  # re-stamped copy: same text, other Bates numbers
            elif kind < 0.10 and len(texts) > 1:
                texts.pop(int(rng.integers(0, len(texts))))
            elif kind < 0.10:
                texts.append(_page_text(rng, vocabulary))
            else:
                texts = [_edited(text, rng, vocabulary) for text in texts]
        else:
            texts = [_page_text(rng, vocabulary) for _ in range(int(rng.integers(1, 9)))]
        pages = []
        for number, text in enumerate(texts, start=1):
            header = (
                f"Case 1:19-cv-0{index % 9000:04d} Document {index % 97} Filed 03/0{number % 9}/2020\n"
                if number % 2
                else ""
            )
            pages.append(Page(number, f"{header}{text}\nPROD{index:07d}{number:04d}", "text"))
        documents.append((f"doc-{index:07d}", pages))
    return documents, planted


def _page_text(rng, vocabulary) -> str:
    words = vocabulary[np.minimum(rng.zipf(1.3, WORDS_PER_PAGE) - 1, VOCABULARY - 1)]
    lines = [" ".join(words[i : i + 12]) for i in range(0, WORDS_PER_PAGE, 12)]
    return "\n".join(lines)


def _body(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(line for line in lines if not line.startswith(("Case 1:", "PROD")))


def _edited(text: str, rng, vocabulary) -> str:
    words = text.split(" ")
    for i in rng.choice(len(words), size=max(1, len(words) // 33), replace=False):
        words[i] = str(vocabulary[int(rng.integers(0, VOCABULARY))])
    return " ".join(words)


def ours(documents: list[tuple[str, list[Page]]], workers: int) -> tuple[float, int]:
    pages_of = dict(documents)
    started = time.perf_counter()
    finder = DuplicateFinder(lambda document_id: content_words(pages_of[document_id]))
    groups = finder.groups(fingerprints(documents, workers=workers))
    return time.perf_counter() - started, sum(len(g.members) for g in groups)


def bare_datasketch(documents: list[tuple[str, list[Page]]]) -> float:
    settings = DuplicateSettings()
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=settings.near_threshold, num_perm=settings.num_perm)
    permutations = MinHash(num_perm=settings.num_perm).permutations
    sketches = []
    for document_id, pages in documents:
        minhash = MinHash(
            num_perm=settings.num_perm, hashfunc=zlib.crc32, permutations=permutations, scheme="affine32"
        )
        words = " ".join(p.text for p in pages).split()
        minhash.update_batch([s.encode() for s in shingles(words, settings.shingle_words)])
        lsh.insert(document_id, minhash, check_duplication=False)
        sketches.append(minhash)
    for minhash in sketches:
        lsh.query(minhash)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 20k documents")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sizes", help="comma-separated document counts, instead of the modes' sizes")
    args = parser.parse_args()
    sizes = [10_000, 20_000] if args.quick else [10_000, 50_000, 100_000]
    if args.sizes:
        sizes = [int(size) for size in args.sizes.split(",")]
    print(
        f"| documents | words | planted | grouped | ours s ({args.workers} processes) | "
        "ms/document | growth | "
        "bare datasketch s (1 process) | ours / bare | load average |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    first_rate = None
    for size in sizes:
        documents, planted = generate(size)
        words = sum(len(p.text.split()) for _, pages in documents for p in pages)
        wall, grouped = ours(documents, args.workers)
        load = os.getloadavg()[0]
        print(
            f"  ours: {size:,} documents in {wall:.1f} s (load average {load:.1f})",
            file=sys.stderr,
            flush=True,
        )
        bare = bare_datasketch(documents)
        rate = wall / size
        first_rate = first_rate or rate
        print(
            f"| {size:,} | {words:,} | {planted:,} | {grouped:,} | {wall:.1f} | {rate * 1000:.2f} | "
            f"{rate / first_rate:.2f}x | {bare:.1f} | {wall / bare:.2f} | {os.getloadavg()[0]:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
