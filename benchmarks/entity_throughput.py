"""Throughput of entity extraction, as a ratio to bare spaCy on the same text.

    .venv/bin/python benchmarks/entity_throughput.py            # 3 rounds, best of each
    .venv/bin/python benchmarks/entity_throughput.py --rounds 5

Text: every page the pipeline reads from a PDF text layer (`docassets.core.pdf.extract_pages`,
method "text") of every sample in `samples/`; scanned pages are left out, since OCR is not what
is measured here. Both sides get the same page texts, one document at a time:

- docassets: `EntityExtractor(load_pipeline()).extract_pages(pages)`: layout-noise masking,
  spaCy's NER (only the components NER needs) and every legal rule, overlap resolution, alias
  propagation and roles;
- spaCy: `nlp.pipe(texts)` with the full model (every component enabled), counting `doc.ents`.

Printed: mentions (entities) per second and characters per second of each, and the ratio of
docassets' mentions/s to spaCy's entities/s (goal: at least 0.8), plus the ratio of characters
per second, which does not depend on how many mentions either side finds. Each side is warmed
up once, then timed `--rounds` times; the best round counts. No figure here is asserted by the
test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


def text_layer_documents() -> list[tuple[str, list]]:
    from docassets.core.models import Page
    from docassets.core.pdf import ExtractionSettings, extract_pages

    documents = []
    for path in sorted(SAMPLES.glob("*.pdf")):
        pages = list(extract_pages(path, name=path.name, settings=ExtractionSettings(workers=1)))
        text_pages = [
            Page(p.number, p.text, p.method, bates=p.bates, stamp=p.stamp)
            for p in pages
            if p.method == "text"
        ]
        if text_pages:
            documents.append((path.name, text_pages))
    return documents


def best_of(rounds: int, run) -> tuple[float, int]:
    run()  # warm-up: caches (courts-db regexes, eyecite) and spaCy's first-call set-up
    timings = []
    count = 0
    for _ in range(rounds):
        started = time.perf_counter()
        count = run()
        timings.append(time.perf_counter() - started)
    return min(timings), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("eyecite").setLevel(logging.ERROR)

    from docassets.core.entities import EntityExtractor, load_pipeline

    documents = text_layer_documents()
    pages = sum(len(doc_pages) for _, doc_pages in documents)
    chars = sum(len(p.text) for _, doc_pages in documents for p in doc_pages)
    nlp = load_pipeline()
    extractor = EntityExtractor(nlp)

    def ours() -> int:
        return sum(len(extractor.extract_pages(doc_pages)) for _, doc_pages in documents)

    def spacy_full() -> int:
        return sum(
            len(doc.ents)
            for _, doc_pages in documents
            for doc in nlp.pipe([p.text for p in doc_pages], batch_size=extractor.batch_size)
        )

    ours_seconds, ours_mentions = best_of(args.rounds, ours)
    spacy_seconds, spacy_ents = best_of(args.rounds, spacy_full)
    ours_rate, spacy_rate = ours_mentions / ours_seconds, spacy_ents / spacy_seconds
    print(
        f"{len(documents)} text-layer documents, {pages} pages, {chars:,} characters; best of {args.rounds}"
    )
    print(f"  {'':<34}{'seconds':>9}{'mentions':>10}{'mentions/s':>12}{'chars/s':>12}")
    print(
        f"  {'docassets EntityExtractor':<34}{ours_seconds:>9.3f}{ours_mentions:>10}{ours_rate:>12.0f}"
        f"{chars / ours_seconds:>12.0f}"
    )
    print(
        f"  {'spaCy nlp.pipe (full model)':<34}{spacy_seconds:>9.3f}{spacy_ents:>10}"
        f"{spacy_rate:>12.0f}{chars / spacy_seconds:>12.0f}"
    )
    print(f"  ratio mentions/s docassets / spaCy: {ours_rate / spacy_rate:.2f} (goal >= 0.8)")
    print(f"  ratio chars/s    docassets / spaCy: {spacy_seconds / ours_seconds:.2f}")


if __name__ == "__main__":
    main()
