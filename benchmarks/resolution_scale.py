"""How entity resolution scales: generate realistic mentions of a growing production and time
`resolve_mentions`, first from scratch and then with one more document on top of the last run.
Companies are written as filings and registries write them (legal forms of several countries,
spaced or not, a seat after a comma, an abbreviated word), and every document defines "the
Company" (an alias passed as evidence) and uses it.

    .venv/bin/python benchmarks/resolution_scale.py                       # 10k, 100k and 1M mentions
    .venv/bin/python benchmarks/resolution_scale.py 10000 100000 1000000  # any sizes, smallest first

Each size runs in a fresh interpreter, so "from scratch" starts with empty name caches (the +1
document run then reuses them, as a long-lived process would). Wall and CPU seconds are both
shown because a shared machine inflates wall time; "growth" is CPU time per mention relative to
the first (smallest) size, so 1.00x everywhere would be exactly linear. Resolution is single-threaded
Python (nameparser and cleanco dominate); the host's core count is printed for the record.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

from docassets.core.models import AliasEvidence
from docassets.core.resolution import MentionRecord, resolve_mentions

FIRST = (
    "Michael Michelle James Jennifer Robert Roberta Maria Carlos David Sarah Vanessa Thomas Karen "
    "Christopher Elizabeth Daniel Danielle Anthony Patricia Jose Linda Kevin Nancy Brian Lisa Steven "
    "Kristen Kristin Paul Paula Andrew Rebecca Joshua Laura Ryan Amanda Eric Erica Jonathan Stephanie "
    "Sonia Clarence Samuel Neil Elena Brett Amy Ketanji Anthony Ruth"
).split()
SURNAME_ROOTS = (
    "Paul Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Christensen Hansen Hanson Sotomayor Lucero Bordelon Herrmann Diaz Pierre"
).split()
COMPANY_WORDS = (
    "Wombat Standard Pacific Atlantic Summit Pioneer Liberty Heritage Granite Cedar Harbor "
    "Meridian Sterling Keystone Frontier Beacon Evergreen Northern Southern Regional Water "
    "Insurance Holdings Capital Logistics Energy Partners Construct Medical Trust Realty"
).split()
LEGAL_FORMS = [
    "Corp.",
    "Corporation",
    "Inc.",
    "LLC",
    "Co.",
    "Company",
    "L.L.C.",
    "Corp., Inc.",
    "LLP",
    "N.V.",
    "N. V.",
    "B.V.",
    "GmbH",
    "AG",
    "S.A.",
    "S.p.A.",
    "K.K.",
    "plc",
    "Co., Ltd.",
]
SEATS = [", ROTTERDAM", ", DEN HAAG, NL", ", Tokyo", ", 80333 MUENCHEN"]
COURTS = ["ca5", "ca10", "ca4", "cafc", "scotus", "cod", "tax", "moctapp", "txwd", "nysd"]


def _surnames(n: int, rng: random.Random) -> list[str]:
    roots = list(SURNAME_ROOTS)
    out = list(roots)
    while len(out) < n:  # synthetic but name-shaped surnames for big productions
        a, b = rng.choice(roots), rng.choice(roots)
        out.append(a[: max(2, len(a) // 2)] + b[len(b) // 2 :].lower())
    return out


def _ocr(word: str, rng: random.Random) -> str:
    if len(word) < 10:
        return word
    k = rng.randrange(1, len(word) - 1)
    return word[:k] + {"l": "1", "i": "l", "e": "c", "o": "0"}.get(word[k], "e") + word[k + 1 :]


def _registry_form(name: str, rng: random.Random) -> str:
    """A company name as a registry may write it: legal form, sometimes a seat, an abbreviated word."""
    words = [w[: rng.randrange(4, 7)] if len(w) >= 8 and rng.random() < 0.1 else w for w in name.split()]
    text = f"{' '.join(words)} {rng.choice(LEGAL_FORMS)}"
    return text + rng.choice(SEATS) if rng.random() < 0.1 else text


def generate(
    n_mentions: int, seed: int = 7, per_document: int = 50
) -> tuple[list[MentionRecord], list[AliasEvidence]]:
    """Mentions of a synthetic production, and each document's definition of "the Company"."""
    rng = random.Random(seed)
    n_people = max(200, n_mentions // 25)
    surnames = _surnames(max(60, n_people // 6), rng)
    people = [
        (rng.choice(FIRST), rng.choice("ABCDEFGHJKLMNPRSTW"), rng.choice(surnames)) for _ in range(n_people)
    ]
    companies = [
        " ".join(rng.sample(COMPANY_WORDS, rng.choice((1, 2, 3))))
        + f"{'' if rng.random() < 0.8 else ' ' + str(rng.randrange(2, 9))}"
        for _ in range(max(100, n_mentions // 60))
    ]
    out: list[MentionRecord] = []
    aliases: list[AliasEvidence] = []
    doc = 0
    while len(out) < n_mentions:
        document_id = f"doc-{doc:07d}"
        cast = rng.sample(range(len(people)), 6)
        firms = rng.sample(range(len(companies)), 3)
        docket = f"{rng.randrange(10, 25)}-{rng.randrange(10000, 99999)}"
        defined = _registry_form(companies[firms[0]], rng)
        sentence = f'{defined} (the "Company")'
        aliases.append(AliasEvidence(document_id, "the Company", defined, "ORG", sentence, 1))
        for k in range(per_document):
            kind = rng.random()
            if kind < 0.45:
                first, initial, last = people[rng.choice(cast)]
                form = rng.random()
                text = (
                    f"{first} {last}"
                    if form < 0.4
                    else (
                        f"{last}, {first}"
                        if form < 0.55
                        else (
                            f"{first} {initial}. {last}"
                            if form < 0.7
                            else (
                                f"{first} {last}".upper()
                                if form < 0.8
                                else f"Mr. {last}"
                                if form < 0.95
                                else f"{first} {_ocr(last, rng)}"
                            )
                        )
                    )
                )
                normalized = text if not text.startswith("Mr. ") else last
                label = "PERSON"
            elif kind < 0.75:
                text = _registry_form(companies[rng.choice(firms)], rng) if kind < 0.72 else "the Company"
                text = text.upper() if rng.random() < 0.2 else text
                normalized, label = text, "ORG"
            elif kind < 0.82:
                text = normalized = rng.choice(COURTS)
                label = "COURT"
            elif kind < 0.9:
                text, normalized, label = f"No. {docket}", docket, "CASE_NUMBER"
            elif kind < 0.96:
                vol, page = rng.randrange(100, 600), rng.randrange(1, 1200)
                text = normalized = f"{vol} U.S. {page}"
                label = "CITATION"
            else:
                text = f"${rng.randrange(1, 10**6):,}"
                normalized, label = text.replace("$", "").replace(",", ""), "MONEY"
            out.append(MentionRecord(f"{document_id}-{k}", document_id, label, text, normalized))
            if len(out) >= n_mentions:
                break
        doc += 1
    return out, aliases


def measure(n: int) -> dict:
    """Seconds (wall and CPU) of one from-scratch resolution of `n` mentions and of the same
    production plus one document, with the previous run's links."""
    data, aliases = generate(n)
    started, cpu = time.perf_counter(), time.process_time()
    result = resolve_mentions(data, project="bench", aliases=aliases)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    extra = generate(n + 50, seed=7)[0][n:]  # one more document on top
    extra = [MentionRecord(r.mention_id + "-new", "doc-new", r.label, r.text, r.normalized) for r in extra]
    started, again_cpu = time.perf_counter(), time.process_time()
    again = resolve_mentions(data + extra, project="bench", previous=result.links, aliases=aliases)
    again_wall, again_cpu = time.perf_counter() - started, time.process_time() - again_cpu
    kept = sum(again.links[m] == e for m, e in result.links.items()) / len(result.links)
    return {
        "n": n,
        "wall": wall,
        "cpu": cpu,
        "entities": len(result.entities),
        "again_wall": again_wall,
        "again_cpu": again_cpu,
        "kept": kept,
        "merged": len(again.merged),
        "split": len(again.split),
    }


def main(sizes: list[int]) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cores} cores available; resolution uses one (single-threaded Python)")
    print(
        f"{'mentions':>9} | {'wall s':>7} {'cpu s':>7} {'mentions/s':>10} {'growth':>6} {'entities':>9} | "
        f"+1 document: {'wall s':>7} {'cpu s':>7} {'links kept':>10} {'merged':>6} {'split':>5}"
    )
    base = None
    for n in sizes:  # a fresh interpreter per size: empty caches and heap, as a new run has
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(out.splitlines()[-1])
        per_mention = r["cpu"] / n
        base = base or per_mention
        print(
            f"{n:>9,} | {r['wall']:7.2f} {r['cpu']:7.2f} {n / r['cpu']:10,.0f} {per_mention / base:5.2f}x "
            f"{r['entities']:>9,} | {'':12} {r['again_wall']:7.2f} {r['again_cpu']:7.2f} "
            f"{r['kept']:>10.2%} {r['merged']:>6} {r['split']:>5}",
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
