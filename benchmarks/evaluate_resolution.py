"""Pairwise and B-cubed precision, recall and F1 of `docassets.api.resolve_names` on labelled
name variants, and its time on 2,400 names.

    .venv/bin/python benchmarks/evaluate_resolution.py            # every split, per label
    .venv/bin/python benchmarks/evaluate_resolution.py --errors   # also list wrong pairs (tuning splits only)

Gold sets in `docassets_tests/gold/names/`, one line per written form: `name`, `label` (PERSON or
ORG), `cluster` (gold id: equal ids are one real-world entity) and `source`. Two families, each
with a split the rules were tuned on and a held-out split written at the same time and never tuned on:

- `tuning` / `heldout`: names as US filings write them (`source` is the sample PDF the form comes
  from, or "knowledge": real US companies, firms, agencies and people with their legal-form,
  punctuation, all-caps, "Last, First", abbreviation, d/b/a and OCR variants, and hard negatives
  such as a parent and its subsidiary, or two insurers whose names differ by one word).
- `registry_tuning` / `registry_heldout` (`source` "registry"): real companies of several countries
  (NL, DE, CH, FR, SE, FI, DK, BE, IT, GB, US, JP, KR, CN) as patent registries, captions and
  productions write them: legal forms spaced and punctuated differently ("N.V.", "N. V.", "N V",
  "NV.,"), written out or before the name ("Aktiengesellschaft", "KABUSHIKI KAISHA TOSHIBA"), a seat
  after a comma (", EINDHOVEN, NL"), abbreviated words ("KONINKL", "TECH", "INTL"), one- and
  two-letter typos and OCR slips, with hard negatives (sister companies of one group: Samsung
  Electronics / SDI / Electro-Mechanics, Hitachi / Hitachi Metals); and people with nicknames
  (Bill / William), Jr. / Sr. and initials. Renamed companies and translated names ("Mitsubishi
  Denki Kabushiki Kaisha") are in the gold as the same company, though no rule here can join them.

Every item is passed to `resolve_names` in one call, so each counts as its own document: an
acronym ("IBM") can never be defined there and stays apart, as the resolution rules intend.
Pairwise scores are over pairs of items of one label (a pair is predicted positive when both
items get the same cluster id, truly positive when they share a gold cluster); B-cubed scores
average, over items, the share of an item's predicted cluster that is in its gold cluster
(precision) and the share of its gold cluster that is in its predicted cluster (recall).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from docassets.api import resolve_names

GOLD = Path(__file__).resolve().parents[1] / "docassets_tests" / "gold" / "names"
SPLITS = ("tuning", "heldout", "registry_tuning", "registry_heldout")
TIMED_NAMES = 2400


def load(split: str) -> list[dict]:
    with open(GOLD / f"{split}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(gold: list[str], predicted: list[int]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of one label's items."""
    both = Counter(zip(gold, predicted, strict=True))
    gold_size, predicted_size = Counter(gold), Counter(predicted)
    p = sum(both[(g, c)] / predicted_size[c] for g, c in zip(gold, predicted, strict=True)) / len(gold)
    r = sum(both[(g, c)] / gold_size[g] for g, c in zip(gold, predicted, strict=True)) / len(gold)
    return p, r, _f1(p, r)


def pairwise(items: list[dict], predicted: list[int]) -> dict[str, dict]:
    """Per label, then over all labels ("ALL": pairs are still pairs of one label): tp, fp, fn,
    pairwise precision, recall and f1, B-cubed ones, and the wrong pairs."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        by_label[item["label"]].append(k)
        by_label["ALL"].append(k)
    out = {}
    for label, indices in sorted(by_label.items(), key=lambda kv: (kv[0] == "ALL", kv[0])):
        tp = fp = fn = 0
        wrong: list[tuple[str, str, str]] = []
        for a, b in combinations(indices, 2):
            if items[a]["label"] != items[b]["label"]:
                continue
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
        clusters = len({items[k]["cluster"] for k in indices})
        b_p, b_r, b_f1 = bcubed([items[k]["cluster"] for k in indices], [predicted[k] for k in indices])
        out[label] = {
            "items": len(indices),
            "clusters": clusters,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": p,
            "recall": r,
            "f1": _f1(p, r),
            "b3_precision": b_p,
            "b3_recall": b_r,
            "b3_f1": b_f1,
            "wrong": wrong,
        }
    return out


def evaluate(split: str) -> dict[str, dict]:
    items = load(split)
    return pairwise(items, resolve_names([(i["name"], i["label"]) for i in items]))


def timed_names() -> list[tuple[str, str]]:
    """2,400 distinct written names: every gold form, then their lower-case and title-case forms."""
    forms = [(i["name"], i["label"]) for split in SPLITS for i in load(split)]
    names = list(
        dict.fromkeys(
            forms + [(n.lower(), label) for n, label in forms] + [(n.title(), label) for n, label in forms]
        )
    )
    return names[:TIMED_NAMES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list wrong pairs of the tuning splits")
    parser.add_argument("--heldout-errors", action="store_true", help="also list held-out errors")
    args = parser.parse_args()
    print(
        f"{'split':<17} {'label':<7} {'items':>5} {'clusters':>8} {'pairs+':>6} "
        f"{'P':>6} {'R':>6} {'F1':>6}  {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6}  (fp merged, fn missed)"
    )
    for split in SPLITS:
        scores = evaluate(split)
        for label, s in scores.items():
            print(
                f"{split:<17} {label:<7} {s['items']:>5} {s['clusters']:>8} {s['tp'] + s['fn']:>6} "
                f"{s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f}  {s['b3_precision']:6.3f} "
                f"{s['b3_recall']:6.3f} {s['b3_f1']:6.3f}  ({s['fp']}, {s['fn']})"
            )
            held_out = "heldout" in split
            if label != "ALL" and ((args.errors and not held_out) or (args.heldout_errors and held_out)):
                for kind, a, b in s["wrong"]:
                    print(f"    {kind}: {a!r} ~ {b!r}")
    names = timed_names()
    start = time.perf_counter()
    resolve_names(names)
    print(
        f"\nresolve_names on {len(names):,} distinct names (a fresh process): "
        f"{time.perf_counter() - start:.2f} s (goal: under 10 s)"
    )


if __name__ == "__main__":
    main()
