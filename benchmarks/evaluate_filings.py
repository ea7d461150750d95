"""Exact span and label of `docassets.core.entities` on hand-annotated SEC filings (E-NER).

    .venv/bin/python benchmarks/evaluate_filings.py            # both parts; errors of the tuning part
    .venv/bin/python benchmarks/evaluate_filings.py --quick    # the first 4 filings of each part

The data, `ener-dev.csv` (26 EDGAR filings, CC BY-NC-SA 4.0), is read from `../shared/datasets`
at run time and never copied into the project; nothing derived from it is either (see its README).
Conventions of that gold set, mapped onto ours: BUSINESS and GOVERNMENT -> ORG, LOCATION,
PERSON, COURT as they are, LEGISLATION/ACT -> STATUTE; MISCELLANEOUS is not scored (a prediction
with exactly its span is neither right nor wrong). Only PERSON, ORG, LOCATION, STATUTE and COURT
predictions are scored, and not the uses of a defined term linked to its referent ("the Company"
-> Acme Holdings, Inc., method `rule:defined_term`): E-NER annotates the referent, never the term.
Tags are IOB1 (a stray `P` or `I-LOC` is read as O / LOCATION).

Each filing is rebuilt as one document: the tokens of a sentence joined by single spaces, one
sentence a line. Filings alternate between the tuning part (0, 2, 4, ...) and the held-out part
(1, 3, 5, ...); only the tuning part's most frequent false positives and negatives are printed,
the held-out part reports scores only, so that it keeps measuring what generalises.
"""

from __future__ import annotations

import argparse
import csv
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from evaluate_entities import prf  # the same scoring as the court-filing gold set

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "ener-dev.csv"
LABELS = {
    "BUSINESS": "ORG",
    "GOVERNMENT": "ORG",
    "LOCATION": "LOCATION",
    "LOC": "LOCATION",
    "PERSON": "PERSON",
    "COURT": "COURT",
    "LEGISLATION/ACT": "STATUTE",
    "MISCELLANEOUS": "MISC",
}
SCORED = ("PERSON", "ORG", "LOCATION", "STATUTE", "COURT")
GOAL = 0.70


@dataclass(frozen=True)
class Filing:
    index: int
    text: str
    spans: frozenset[tuple[int, int, str]]  # gold (start, end, label), MISC included


def read_filings(path: Path = DATA) -> list[Filing]:
    """The filings of an E-NER CSV with their gold spans over the rebuilt text."""
    filings: list[Filing] = []
    lines: list[str] = []
    spans: set[tuple[int, int, str]] = set()
    line: list[str] = []
    offset = 0  # where the current line starts in the filing's text
    open_span: list | None = None  # [start, end, tag]

    def close_span() -> None:
        nonlocal open_span
        if open_span:
            spans.add((open_span[0], open_span[1], LABELS[open_span[2]]))
        open_span = None

    def end_line() -> None:
        nonlocal line, offset
        close_span()
        if line:
            text = " ".join(line)
            lines.append(text)
            offset += len(text) + 1
        line = []

    def end_filing() -> None:
        nonlocal lines, spans, offset
        end_line()
        if lines:
            filings.append(Filing(len(filings), "\n".join(lines), frozenset(spans)))
        lines, spans, offset = [], set(), 0

    with path.open(encoding="utf-8", newline="") as handle:
        for token, tag in csv.reader(handle):
            if token == "-DOCSTART-":
                end_filing()
                continue
            if not token:
                end_line()
                continue
            start = offset + sum(len(t) + 1 for t in line)
            line.append(token)
            kind = tag[2:] if tag[:2] in ("I-", "B-") else None
            if kind is None:
                close_span()
            elif open_span and open_span[2] == kind and tag.startswith("I-"):
                open_span[1] = start + len(token)
            else:
                close_span()
                open_span = [start, start + len(token), kind]
    end_filing()
    return filings


def evaluate(extractor, filings: list[Filing], name: str, show_errors: bool, top: int = 25) -> float:
    """Print micro and per-label P/R/F1 of one part; return its micro F1."""
    from docassets.core.defined_terms import USE_METHOD
    from docassets.core.models import Page

    tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    false_pos: Counter[tuple[str, str]] = Counter()
    false_neg: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    for filing in filings:
        gold = {s for s in filing.spans if s[2] in SCORED}
        misc = {(s, e) for s, e, label in filing.spans if label == "MISC"}
        predicted = {
            (m.start, m.end, m.label)
            for m in extractor.extract_pages([Page(1, filing.text, "text")])
            if m.label in SCORED and m.method != USE_METHOD and (m.start, m.end) not in misc
        }
        for s, e, label in gold:
            n_gold[label] += 1
            if (s, e, label) in predicted:
                tp[label] += 1
            else:
                false_neg[(label, filing.text[s:e])] += 1
        for s, e, label in predicted:
            n_pred[label] += 1
            if (s, e, label) not in gold:
                false_pos[(label, filing.text[s:e])] += 1
    elapsed = time.perf_counter() - started
    micro = prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    print(
        f"\nE-NER {name} part: filings {[f.index for f in filings]}, {sum(n_gold.values())} gold entities, "
        f"{elapsed:.1f}s"
    )
    print(f"  {'label':<10}{'gold':>7}{'pred':>7}{'P':>8}{'R':>8}{'F1':>8}")
    for label in SCORED:
        p, r, f = prf(tp[label], n_pred[label], n_gold[label])
        print(f"  {label:<10}{n_gold[label]:>7}{n_pred[label]:>7}{p:>8.3f}{r:>8.3f}{f:>8.3f}")
    print(
        f"  {'micro':<10}{sum(n_gold.values()):>7}{sum(n_pred.values()):>7}"
        f"{micro[0]:>8.3f}{micro[1]:>8.3f}{micro[2]:>8.3f}   (goal F1 >= {GOAL})"
    )
    if show_errors:
        for title, counter in (("false positives", false_pos), ("false negatives", false_neg)):
            print(f"\n  most frequent {title}:")
            for (label, text), count in counter.most_common(top):
                print(f"    {count:>4}  {label:<9} {text!r}")
    return micro[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first 4 filings of each part")
    parser.add_argument("--data", type=Path, default=DATA, help="an E-NER CSV (default: ../shared/datasets)")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(
            f"{args.data} not found: the E-NER data is read from ../shared/datasets, never copied here"
        )
    logging.getLogger("eyecite").setLevel(logging.ERROR)
    from docassets.core.entities import EntityExtractor, load_pipeline

    filings = read_filings(args.data)
    tuning, heldout = filings[0::2], filings[1::2]
    if args.quick:
        tuning, heldout = tuning[:4], heldout[:4]
    extractor = EntityExtractor(load_pipeline())
    evaluate(extractor, tuning, "tuning", show_errors=True)
    evaluate(extractor, heldout, "held-out", show_errors=False)


if __name__ == "__main__":
    main()
