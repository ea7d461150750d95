"""Precision and recall of duplicate grouping on planted cases built from the sample PDFs.

Every source (a sample, or four pages of a long opinion) gives an original and its variants
(`docassets_tests/planted_duplicates.py`): re-stamped, re-OCRed, a page added, a page removed,
lightly edited; all are read through `extract_pages` (Tesseract for image pages). Documents of
different sources are the negatives.

* pair precision: of the (member, pivot) links found, the share joining two documents of one source;
* recall: of the planted variants, the share grouped with their original (in one exact or near group);
* kind accuracy: of the variants found, the share given the kind planted (re-stamped and re-OCRed:
  exact; page added or removed, edited: near).

Sources are split: `tuning` (looked at while setting the thresholds) and `heldout` (never).

    .venv/bin/python benchmarks/evaluate_duplicates.py            # all 17 sources (~10 min of OCR)
    .venv/bin/python benchmarks/evaluate_duplicates.py --quick    # 4 sources
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # docassets_tests holds the planted cases

from docassets.core.duplicates import duplicate_links, find_duplicates  # noqa: E402
from docassets_tests.planted_duplicates import EXPECTED_KIND, SOURCES, PlantedDocument, planted_documents  # noqa: E402

QUICK = ("mo-opinion", "tn-order-scan", "tax-a", "disclosure-scan")


def evaluate(documents: list[PlantedDocument]) -> dict[str, dict]:
    """Scores per split and per variant, from one grouping of all documents together."""
    groups = find_duplicates([(d.document_id, d.pages) for d in documents])
    source_of = {d.document_id: d.source for d in documents}
    split_of = {s.name: s.split for s in SOURCES}
    links = duplicate_links(groups)
    pivot = {(link.document_id, link.kind): link.pivot_document_id for link in links}

    def together(a: str, b: str) -> str | None:
        """How two documents are grouped, as search collapses them: by exact pivot, then near pivot."""
        exact_a, exact_b = pivot.get((a, "exact"), a), pivot.get((b, "exact"), b)
        if exact_a == exact_b:
            return "exact"
        if pivot.get((a, "near"), exact_a) == pivot.get((b, "near"), exact_b):
            return "near"
        return None

    scores: dict[str, dict] = defaultdict(
        lambda: {"links": 0, "correct_links": 0, "planted": 0, "found": 0, "kind_right": 0, "wrong": []}
    )
    for link in links:
        split = split_of[source_of[link.document_id]]
        scores[split]["links"] += 1
        if source_of[link.document_id] == source_of[link.pivot_document_id]:
            scores[split]["correct_links"] += 1
        else:
            scores[split]["wrong"].append(
                f"{link.document_id} -> {link.pivot_document_id} ({link.similarity})"
            )
    variants: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for d in documents:
        if d.variant == "original":
            continue
        split = split_of[d.source]
        kind = together(d.document_id, f"{d.source}/original")
        scores[split]["planted"] += 1
        scores[split]["found"] += kind is not None
        scores[split]["kind_right"] += kind == EXPECTED_KIND[d.variant]
        variants[split][d.variant].append(kind)
    for split, by_variant in variants.items():
        scores[split]["variants"] = dict(by_variant)
    return dict(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only the sources {', '.join(QUICK)}")
    args = parser.parse_args()
    sources = [s for s in SOURCES if not args.quick or s.name in QUICK]
    started = time.perf_counter()
    documents = planted_documents(sources)
    built = time.perf_counter() - started
    print(f"{len(documents)} documents from {len(sources)} sources, read in {built:.0f} s")
    print("| split | planted variants | found | recall | links | pair precision | kind right |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    scores = evaluate(documents)
    for split in ("tuning", "heldout"):
        if split not in scores:
            continue
        s = scores[split]
        precision = s["correct_links"] / s["links"] if s["links"] else 1.0
        print(
            f"| {split} | {s['planted']} | {s['found']} | {s['found'] / s['planted']:.3f} | {s['links']} | "
            f"{precision:.3f} | {s['kind_right']}/{s['found']} |"
        )
    for split in ("tuning", "heldout"):
        for variant, kinds in sorted(scores.get(split, {}).get("variants", {}).items()):
            print(
                f"  {split} {variant}: expected {EXPECTED_KIND[variant]}, got "
                + ", ".join(f"{k or 'missed'} x{kinds.count(k)}" for k in sorted(set(kinds), key=str))
            )
        for wrong in scores.get(split, {}).get("wrong", []):
            print(f"  {split} wrong link: {wrong}")


if __name__ == "__main__":
    main()
