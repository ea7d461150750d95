"""Pairwise precision, recall and F1 of `docassets.api.resolve_names` on labelled name variants.

    .venv/bin/python benchmarks/evaluate_resolution.py            # both splits, per label
    .venv/bin/python benchmarks/evaluate_resolution.py --errors   # also list wrong pairs (tuning only)

Gold sets: `docassets_tests/gold/names/tuning.jsonl` (thresholds and rules were tuned on it) and
`heldout.jsonl` (written at the same time, never tuned on). One line per written form: `name`,
`label` (PERSON or ORG), `cluster` (gold id: equal ids are one real-world entity) and `source`
(the sample PDF the form or entity comes from, or "knowledge": real US companies, firms,
agencies and people as US filings write them, with their legal-form, punctuation, all-caps,
"Last, First", abbreviation, d/b/a and OCR variants, and hard negatives such as a parent and
its subsidiary, or two insurers whose names differ by one word).

Every item is passed to `resolve_names` in one call, so each counts as its own document: an
acronym ("IRS") can never be defined there and stays apart, as the resolution rules intend.
Scores are over pairs of items of one label: a pair is predicted positive when both items get
the same cluster id, and is truly positive when they share a gold cluster.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from docassets.api import resolve_names

GOLD = Path(__file__).resolve().parents[1] / "docassets_tests" / "gold" / "names"
SPLITS = ("tuning", "heldout")


def load(split: str) -> list[dict]:
    with open(GOLD / f"{split}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pairwise(items: list[dict], predicted: list[int]) -> dict[str, dict]:
    """Per label: tp, fp, fn, precision, recall, f1, and the wrong pairs."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        by_label[item["label"]].append(k)
    out = {}
    for label, indices in sorted(by_label.items()):
        tp = fp = fn = 0
        wrong: list[tuple[str, str, str]] = []
        for a, b in combinations(indices, 2):
            same_gold = items[a]["cluster"] == items[b]["cluster"]
            same_pred = predicted[a] == predicted[b]
            if same_gold and same_pred:
                tp += 1
            elif same_pred:
                fp += 1
                wrong.append(("merged", items[a]["name"], items[b]["name"]))
            elif same_gold:
                fn += 1
                wrong.append(("missed", items[a]["name"], items[b]["name"]))
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        clusters = len({items[k]["cluster"] for k in indices})
        out[label] = {"items": len(indices), "clusters": clusters, "tp": tp, "fp": fp, "fn": fn,
                      "precision": p, "recall": r, "f1": f1, "wrong": wrong}
    return out


def evaluate(split: str) -> dict[str, dict]:
    items = load(split)
    return pairwise(items, resolve_names([(i["name"], i["label"]) for i in items]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list wrong pairs of the tuning split")
    parser.add_argument("--heldout-errors", action="store_true", help="also list held-out errors")
    args = parser.parse_args()
    print(f"{'split':<8} {'label':<7} {'items':>5} {'clusters':>8} {'pairs+':>6} "
          f"{'P':>6} {'R':>6} {'F1':>6}  (fp merged, fn missed)")
    for split in SPLITS:
        scores = evaluate(split)
        for label, s in scores.items():
            print(f"{split:<8} {label:<7} {s['items']:>5} {s['clusters']:>8} {s['tp'] + s['fn']:>6} "
                  f"{s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f}  ({s['fp']}, {s['fn']})")
            if (args.errors and split == "tuning") or (args.heldout_errors and split == "heldout"):
                for kind, a, b in s["wrong"]:
                    print(f"    {kind}: {a!r} ~ {b!r}")


if __name__ == "__main__":
    main()
