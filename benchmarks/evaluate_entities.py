"""Precision, recall and F1 of `docassets.core.entities` per label, against labelled data.

    .venv/bin/python benchmarks/evaluate_entities.py            # tuning split, with its errors
    .venv/bin/python benchmarks/evaluate_entities.py --heldout  # also the held-out split (scores only)
    .venv/bin/python benchmarks/evaluate_entities.py --inlegalner   # also the InLegalNER dev set

Gold set: `docassets_tests/gold/entities.jsonl`, one line per page of a real sample document
(`source`, `page`, `split`, `reader`, `text`, `entities`: start, end, text, label, normalized,
role). `reader` says where `text` came from: pymupdf's `page.get_text()` for the first eight
pages, `docassets.core.pdf.extract_pages` (the pipeline's page text, OCR for scans) for the
rest. `split` is `tune` (pages whose errors were looked at while improving the extractor) or
`heldout` (pages annotated before any tuning and whose errors are never printed: only their
scores, so that they keep measuring text the rules were not fitted to). Pages are
annotated by hand with the span conventions of `entities.py`: no leading
article, title or role word, no trailing punctuation; defined-term aliases in quotes or
parentheses ("(“Berkshire”)") and generic references ("the Court", "States") are not entities;
COURT normalized is the courts-db id or null when courts-db has no such court; DATE normalized is
ISO or null when the expression names no single date ("May to December 2015"). Repeated and
short references ("Tarrant", "Mr. Bordelon" -> "Bordelon") count, bare years count as DATE,
street names (without the number), cities and state abbreviations of addresses as LOCATION,
agencies and firms as ORG, a tribunal's name as COURT even across a caption's ")" column
("Court of Workers' \n)\nCompensation Claims"). Layout noise is annotated like any other text
when it names something (a CM/ECF stamp's docket and date, a running head's docket): pages are
scored one at a time, so running heads are not recognised as such here. Uses of a descriptive
defined term linked to the party it defines ("the City" -> City of El Paso, method
`rule:defined_term`) are aliases that the gold set, annotated before they existed, does not hold:
they are not scored (short names, `rule:defined_name`, are).

Scores:
- strict: a predicted mention counts when a gold entity has the same start, end and label;
- overlap: ... when a gold entity of the same label overlaps it (each gold entity used once);
- normalized: share of strict matches whose `normalized` equals the gold one (gold null skipped);
- role: over gold entities that state a role, the share found with the same span and that role,
  and over predicted roles on strict matches, the share that are right.

InLegalNER (Indian judgments, 14 labels) is mapped onto ours and scored by overlap only:
COURT->COURT, DATE->DATE, ORG->ORG, GPE->LOCATION, STATUTE and PROVISION->STATUTE,
PRECEDENT->CITATION, CASE_NUMBER->CASE_NUMBER, JUDGE/LAWYER/WITNESS/OTHER_PERSON->PERSON,
PETITIONER/RESPONDENT->PERSON or ORG (either counts). courts-db and eyecite know US courts and
reporters, so COURT and CITATION there measure little beyond spaCy.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

if TYPE_CHECKING:
    from docassets.core.models import Mention

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "docassets_tests" / "gold" / "entities.jsonl"
INLEGALNER = Path("/work/shared/datasets/inlegalner-dev.spacy")
INLEGALNER_MAP = {
    "COURT": {"COURT"},
    "DATE": {"DATE"},
    "ORG": {"ORG"},
    "GPE": {"LOCATION"},
    "STATUTE": {"STATUTE"},
    "PROVISION": {"STATUTE"},
    "PRECEDENT": {"CITATION"},
    "CASE_NUMBER": {"CASE_NUMBER"},
    "JUDGE": {"PERSON"},
    "LAWYER": {"PERSON"},
    "WITNESS": {"PERSON"},
    "OTHER_PERSON": {"PERSON"},
    "PETITIONER": {"PERSON", "ORG"},
    "RESPONDENT": {"PERSON", "ORG"},
}
INLEGALNER_ROLE = {
    "JUDGE": "judge",
    "LAWYER": "counsel",
    "PETITIONER": "petitioner",
    "RESPONDENT": "respondent",
}


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


class GoldSpan(TypedDict):
    start: int
    end: int
    label: str


_Gold = TypeVar("_Gold", bound=Mapping[str, Any])


def overlap_matches(gold: Sequence[_Gold], pred: list[Mention], same_label) -> list[tuple[_Gold, Mention]]:
    """Greedy one-to-one pairing of overlapping gold and predicted spans with compatible labels."""
    used: set[int] = set()
    pairs = []
    for p in pred:
        for i, g in enumerate(gold):
            if i not in used and g["start"] < p.end and p.start < g["end"] and same_label(g, p):
                used.add(i)
                pairs.append((g, p))
                break
    return pairs


def print_table(title: str, rows: dict[str, tuple], header: tuple[str, ...]) -> None:
    print(f"\n{title}")
    print("  " + "".join(f"{h:>11}" for h in header))
    for label, values in rows.items():
        cells = "".join(f"{v:>11.3f}" if isinstance(v, float) else f"{v:>11}" for v in values)
        print(f"  {label:<12}{cells}")


# goal: micro F1 >= 0.65; a provision counts as the statute it was labelled before PROVISION existed
HEADLINE = ("PERSON", "ORG", "LOCATION", "STATUTE", "PROVISION", "COURT")
EXACT = ("CASE_NUMBER", "CITATION", "MONEY", "DATE", "BATES")  # goal: >= 0.95 each


def load_gold(split: str) -> list[dict]:
    records = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in records if split == "all" or r["split"] == split]


def evaluate_gold(extractor, split: str = "tune", show_errors: bool = True) -> dict[str, float]:
    """Print the scores of one split; return the headline figures."""
    from docassets.core.defined_terms import USE_METHOD
    from docassets.core.models import Page

    records = load_gold(split)
    strict_tp: Counter[str] = Counter()
    over_tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    norm_ok: Counter[str] = Counter()
    norm_n: Counter[str] = Counter()
    role_gold, role_found, role_pred, role_pred_ok = 0, 0, 0, 0
    errors: list[str] = []
    start = time.perf_counter()
    for rec in records:
        mentions = [
            m for m in extractor.extract_pages([Page(1, rec["text"], "text")]) if m.method != USE_METHOD
        ]
        gold = rec["entities"]
        for g in gold:
            n_gold[g["label"]] += 1
        for m in mentions:
            n_pred[m.label] += 1
        by_span = {(g["start"], g["end"], g["label"]): g for g in gold}
        predicted = {(m.start, m.end, m.label): m for m in mentions}
        for key, m in predicted.items():
            g = by_span.get(key)
            if g is None:
                continue
            strict_tp[m.label] += 1
            if g["normalized"] is not None:
                norm_n[m.label] += 1
                norm_ok[m.label] += m.normalized == g["normalized"]
                if m.normalized != g["normalized"]:
                    errors.append(f"normalized {m.label} {m.text!r}: {m.normalized!r} != {g['normalized']!r}")
            if m.role:
                role_pred += 1
                role_pred_ok += m.role == g["role"]
        for g in gold:
            if g["role"]:
                role_gold += 1
                m = predicted.get((g["start"], g["end"], g["label"]))
                role_found += bool(m and m.role == g["role"])
        for g, _ in overlap_matches(gold, mentions, lambda g, p: g["label"] == p.label):
            over_tp[g["label"]] += 1
        missed = [g for g in gold if (g["start"], g["end"], g["label"]) not in predicted]
        errors += [f"missed {g['label']} {g['text']!r} ({rec['source']} p{rec['page']})" for g in missed]
        errors += [
            f"spurious {m.label} {m.text!r} ({rec['source']} p{rec['page']})"
            for m in mentions
            if (m.start, m.end, m.label) not in by_span
        ]
    elapsed = time.perf_counter() - start
    labels = sorted(set(n_gold) | set(n_pred))
    rows = {}
    for label in labels:
        p, r, f = prf(strict_tp[label], n_pred[label], n_gold[label])
        po, ro, fo = prf(over_tp[label], n_pred[label], n_gold[label])
        norm = norm_ok[label] / norm_n[label] if norm_n[label] else float("nan")
        rows[label] = (n_gold[label], n_pred[label], p, r, f, fo, norm)
    total = prf(sum(strict_tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    total_o = prf(sum(over_tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    rows["ALL"] = (
        sum(n_gold.values()),
        sum(n_pred.values()),
        *total,
        total_o[2],
        sum(norm_ok.values()) / max(1, sum(norm_n.values())),
    )
    print(
        f"\nGold set {GOLD.relative_to(ROOT)}, split {split!r}: {len(records)} pages, "
        f"{sum(n_gold.values())} entities, {elapsed:.2f}s"
    )
    print_table(
        "strict = exact span and label; F1 overlap = same label, overlapping span",
        rows,
        ("label", "gold", "pred", "P", "R", "F1", "F1 overlap", "normalized"),
    )
    print(
        f"\n  roles: {role_found}/{role_gold} gold roles found on the exact span "
        f"({role_found / max(1, role_gold):.3f}); {role_pred_ok}/{role_pred} predicted roles right "
        f"({role_pred_ok / max(1, role_pred):.3f})"
    )
    headline = prf(
        sum(strict_tp[lb] for lb in HEADLINE),
        sum(n_pred[lb] for lb in HEADLINE),
        sum(n_gold[lb] for lb in HEADLINE),
    )
    print(
        f"\n  micro F1 over {'/'.join(HEADLINE)}: {headline[2]:.3f}"
        f" (P {headline[0]:.3f}, R {headline[1]:.3f})"
    )
    if show_errors and errors:
        print("\n  recall, precision and normalisation errors:")
        for line in errors:
            print("   ", line)
    return {"headline_f1": headline[2], **{label: rows[label][4] for label in labels}}


def evaluate_inlegalner(extractor, limit: int | None) -> None:
    import spacy
    from spacy.tokens import DocBin

    from docassets.core.models import Page

    docs = list(DocBin().from_disk(INLEGALNER).get_docs(spacy.blank("en").vocab))[:limit]
    tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    roles: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])  # label: [right role, gold]
    start = time.perf_counter()
    pages = [Page(1, doc.text, "text") for doc in docs]
    for doc, page in zip(docs, pages, strict=True):
        mentions = extractor.extract_pages([page])
        gold = [GoldSpan(start=e.start_char, end=e.end_char, label=e.label_) for e in doc.ents]
        for g in gold:
            n_gold[g["label"]] += 1
        for m in mentions:
            n_pred[m.label] += 1
        for g, found in overlap_matches(
            gold, mentions, lambda g, p: p.label in INLEGALNER_MAP.get(g["label"], ())
        ):
            tp[g["label"]] += 1
            if g["label"] in INLEGALNER_ROLE:
                roles[g["label"]][0] += found.role == INLEGALNER_ROLE[g["label"]]
        for g in gold:
            if g["label"] in INLEGALNER_ROLE:
                roles[g["label"]][1] += 1
    elapsed = time.perf_counter() - start
    rows = {}
    for label in sorted(n_gold):
        ours = INLEGALNER_MAP.get(label, set())
        pred = sum(n_pred[o] for o in ours)  # predictions of the mapped label(s): precision is shared
        p, r, f = prf(tp[label], pred, n_gold[label])
        rows[label] = (
            "/".join(sorted(ours)),
            n_gold[label],
            r,
            p if len(ours) == 1 and label in ("COURT", "DATE", "CASE_NUMBER") else float("nan"),
        )
    print(
        f"\nInLegalNER dev: {len(docs)} excerpts, {sum(n_gold.values())} entities, {elapsed:.2f}s "
        f"(overlap matching; precision only where one gold label maps to one of ours)"
    )
    print_table("", rows, ("gold label", "ours", "gold", "recall", "precision"))
    print(
        "\n  role found on the matched span: "
        + ", ".join(f"{label} {found}/{total}" for label, (found, total) in sorted(roles.items()))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--heldout", action="store_true", help="also score the held-out split (no errors shown)"
    )
    parser.add_argument("--inlegalner", action="store_true", help="also score the InLegalNER dev set")
    parser.add_argument("--limit", type=int, default=None, help="InLegalNER excerpts to score")
    args = parser.parse_args()
    import logging

    logging.getLogger("eyecite").setLevel(logging.ERROR)  # "Unknown overlap case" on every opinion
    from docassets.core.entities import EntityExtractor, load_pipeline

    extractor = EntityExtractor(load_pipeline())
    evaluate_gold(extractor, "tune")
    if args.heldout:
        evaluate_gold(extractor, "heldout", show_errors=False)
    if args.inlegalner:
        evaluate_inlegalner(extractor, args.limit)


if __name__ == "__main__":
    main()
