"""How fast and how well `extract_pages` reads pages, and how much memory a large production takes.

Every figure is measured in the same run as the raw library doing the same work, and printed
as a ratio to it:

1. text layer: pages/s of `extract_pages` on the samples' text-layer pages versus a bare PyMuPDF
   `page.get_text()` loop over the same file (the median ratio of 41 interleaved pairs of runs);
2. OCR: pages/s of `extract_pages` on the samples' scanned pages versus bare `tesseract` runs on
   the same pages pre-rendered to 300 dpi PNG files, on one core (the whole process tree pinned to
   CPU 0) and on all cores (our worker pool versus one `tesseract` per core), plus our own
   all-cores / one-core speed-up;
3. memory: peak RSS of the process tree (the run process and its `tesseract` children, sampled every
   50 ms with psutil) while the `ocr_text` asset reads a generated Bates-stamped production: real
   scanned sample pages re-embedded as 330 dpi colour images, ~1.8 MB a page, with a "CONFIDENTIAL"
   legend and "WOMBAT 000001"... in the footer;
4. quality: character error rate of the OCR path on the Supreme Court opinion, whose pages are
   rendered to 300 dpi images to build an image-only twin, against the opinion's text layer.

    .venv/bin/python benchmarks/text_extraction.py            # full: a 330-page, ~590 MB production
    .venv/bin/python benchmarks/text_extraction.py --quick    # a few minutes: 40-page production
    .venv/bin/python benchmarks/text_extraction.py --only ocr # any of text,ocr,memory,quality

The machine should be otherwise idle: other work lowers "ours" and "bare" alike, but not
always by the same amount, and the all-cores figures cannot exceed the cores that are free.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pymupdf
from rapidfuzz.distance import Levenshtein
from tabulate import tabulate

from docassets.core.bates import bates_gaps
from docassets.core.ocr import render_page_png
from docassets.core.pdf import ExtractionSettings, extract_pages

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CPUS = len(os.sched_getaffinity(0))
# Every sample with a text layer; the opinion's pages 29-30 are map images (OCRed), so left out.
TEXT_LAYER = [
    ("scotus-tarrant-opinion.pdf", range(0, 28)),
    ("tax-court-memo-bordelon.pdf", None),
    ("mo-court-of-appeals-opinion.pdf", None),
    ("tn-appeals-board-diaz-opinion.pdf", None),
    ("dcolo-complaint-first-page.pdf", None),
    ("ca5-filing-00516242060.pdf", None),
    ("ca10-filing-010110462922.pdf", None),
    ("notice-of-docket-activity.pdf", None),
    ("judicial-disclosure-lucero.pdf", None),
]
# Every scanned sample page: no text layer, or one holding only a CM/ECF header.
SCANNED: list[tuple[str, range | None]] = [
    ("tn-workers-comp-order-scan.pdf", None),
    ("judicial-disclosure-2014-scan.pdf", None),
    ("ca4-filing-17-scan.pdf", None),
    ("cafc-header-only-text-layer.pdf", None),
]
# Scanned pages re-embedded in the generated production (the opinion's two maps lie sideways).
PRODUCTION_SOURCES = (
    [("tn-workers-comp-order-scan.pdf", 0)]
    + [("judicial-disclosure-2014-scan.pdf", n) for n in range(6)]
    + [("ca4-filing-17-scan.pdf", 0), ("scotus-tarrant-opinion.pdf", 28), ("scotus-tarrant-opinion.pdf", 29)]
)
PRODUCTION_DPI = 330
LEGEND = "CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER"
OPINION = "scotus-tarrant-opinion.pdf"


def combine(parts: list[tuple[str, range | None]], path: Path, copies: int = 1) -> Path:
    out = pymupdf.open()
    for _ in range(copies):
        for name, pages in parts:
            with pymupdf.open(SAMPLES / name) as doc:
                if pages is None:
                    out.insert_pdf(doc)
                else:
                    out.insert_pdf(doc, from_page=pages.start, to_page=pages.stop - 1)
    out.save(path)
    return path


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


# --- 1. text layer ----------------------------------------------------------------------------


def bench_text_layer(work: Path, rounds: int) -> list[list]:
    path = combine(TEXT_LAYER, work / "text-layer.pdf")
    settings = ExtractionSettings(workers=1)

    def bare() -> None:
        with pymupdf.open(path) as doc:
            for page in doc:
                page.get_text()

    def ours() -> None:
        pages = list(extract_pages(path, name=path.name, settings=settings))
        assert {page.method for page in pages} == {"text"}, "a text-layer page was OCRed"

    with pymupdf.open(path) as doc:
        count = doc.page_count
    bare()  # warm the file cache and the imports
    ours()
    bare_times, our_times = [], []
    for _ in range(rounds):  # interleaved, so that a busy moment hurts both alike
        bare_times.append(timed(bare))
        our_times.append(timed(ours))
    # The headline is the median of each round's ratio: a pair of runs a moment apart shares the
    # machine's state, so it is steadier than comparing the fastest run of each side.
    paired = statistics.median(bare / ours for bare, ours in zip(bare_times, our_times, strict=True))
    bare_best, our_best = count / min(bare_times), count / min(our_times)
    return [
        [
            "text layer, 1 process",
            count,
            f"{count / statistics.median(bare_times):.0f}",
            f"{count / statistics.median(our_times):.0f}",
            f"{paired:.2f}",
            f"median of {rounds} paired rounds;"
            f" best {our_best:.0f} vs {bare_best:.0f}: {our_best / bare_best:.2f}",
        ],
    ]


# --- 2. OCR -----------------------------------------------------------------------------------


def bare_tesseract(images: list[Path], threads: int) -> None:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def read(image: Path) -> None:
        subprocess.run(
            ["tesseract", str(image), "stdout", "-l", "eng"], env=env, check=True, capture_output=True
        )

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(read, images))


def cpu_seconds() -> float:
    """User + system CPU time of this process and of every child it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(function) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process tree) of one call."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    function()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def bench_ocr(work: Path, rounds: int, copies: int) -> tuple[list[list], dict]:
    path = combine(SCANNED, work / "scans.pdf", copies=copies)
    images = []
    with pymupdf.open(path) as doc:
        for page in doc:
            image = work / f"scan-{page.number:03d}.png"
            image.write_bytes(render_page_png(page, 300))
            images.append(image)
    count = len(images)

    def ours(workers: int) -> None:
        pages = list(extract_pages(path, name=path.name, settings=ExtractionSettings(workers=workers)))
        assert [page.method for page in pages] == ["ocr"] * count, [page.method for page in pages]

    everything = os.sched_getaffinity(0)
    one_cpu = {min(everything)}
    runs: dict[str, list[tuple[float, float]]] = {"bare 1": [], "ours 1": [], "bare n": [], "ours n": []}
    for _ in range(rounds):  # interleaved; the best round of each is the least disturbed one
        os.sched_setaffinity(0, one_cpu)  # inherited by every child: workers and tesseract alike
        try:
            runs["bare 1"].append(measured(lambda: bare_tesseract(images, 1)))
            runs["ours 1"].append(measured(lambda: ours(1)))
        finally:
            os.sched_setaffinity(0, everything)
        runs["bare n"].append(measured(lambda: bare_tesseract(images, CPUS)))
        runs["ours n"].append(measured(lambda: ours(CPUS)))
    wall = {key: min(wall for wall, _ in values) for key, values in runs.items()}
    cpu = {key: min(cpu for _, cpu in values) for key, values in runs.items()}
    rows = [
        [
            "OCR, 1 core",
            count,
            f"{count / wall['bare 1']:.3f}",
            f"{count / wall['ours 1']:.3f}",
            f"{wall['bare 1'] / wall['ours 1']:.2f}",
            f"CPU s/page {cpu['bare 1'] / count:.2f} vs {cpu['ours 1'] / count:.2f}: "
            f"{cpu['bare 1'] / cpu['ours 1']:.2f}; tree pinned to one CPU",
        ],
        [
            f"OCR, {CPUS} cores",
            count,
            f"{count / wall['bare n']:.3f}",
            f"{count / wall['ours n']:.3f}",
            f"{wall['bare n'] / wall['ours n']:.2f}",
            f"CPU s/page {cpu['bare n'] / count:.2f} vs {cpu['ours n'] / count:.2f}: "
            f"{cpu['bare n'] / cpu['ours n']:.2f}; {CPUS} workers vs {CPUS} tesseract at a time",
        ],
    ]
    speedups = {"ours": wall["ours 1"] / wall["ours n"], "bare": wall["bare 1"] / wall["bare n"]}
    return rows, speedups


# --- 3. memory on a large production ----------------------------------------------------------


def build_production(path: Path, pages: int, batch: int = 25) -> None:
    """Real scans re-embedded as high-resolution colour images, one distinct image per page.

    PyMuPDF holds an inserted image uncompressed until the file is saved (30 MB a page here),
    so the production is written in compressed batches of `batch` pages and then joined.
    """
    sources = []
    for name, number in PRODUCTION_SOURCES:
        with pymupdf.open(SAMPLES / name) as doc:
            page = doc[number]
            sources.append((page.rect, page.get_pixmap(dpi=PRODUCTION_DPI, alpha=False)))
    parts: list[Path] = []
    for first in range(0, pages, batch):
        part = pymupdf.open()
        for index in range(first, min(first + batch, pages)):
            rect, source = sources[index % len(sources)]
            pixmap = pymupdf.Pixmap(source)  # a copy
            # a few pixels unique to this page, so that no two pages share (deduplicate) an image
            pixmap.set_rect(pymupdf.IRect(0, 0, 3, 3), tuple((index >> 8 * k) % 256 for k in range(pixmap.n)))
            page = part.new_page(width=rect.width, height=rect.height)
            page.insert_image(page.rect, pixmap=pixmap)
            footer = rect.height - 14
            page.insert_text((36, footer), LEGEND, fontsize=8)
            page.insert_text((rect.width - 120, footer), f"WOMBAT {index + 1:06d}", fontsize=10)
        part_path = path.with_name(f"{path.stem}-part{len(parts)}.pdf")
        part.save(part_path, deflate=True, deflate_images=True)
        part.close()
        parts.append(part_path)
    out = pymupdf.open()
    for part_path in parts:
        with pymupdf.open(part_path) as part:
            out.insert_pdf(part)
        part_path.unlink()
    out.save(path, garbage=1)


def extract_production(path: Path, workers: int) -> dict:
    """Runs in a child process: the production through the `ocr_text` asset itself (embedded
    configuration, a throwaway Dagster instance), as a run would read it: validated by
    `source_documents`, pages checkpointed and streamed to Parquet, stored by the IO manager."""
    import dagster as dg
    import pandas as pd

    from docassets.defs.assets.documents import source_documents
    from docassets.defs.assets.text import ocr_text
    from docassets.defs.definitions import build_resources
    from docassets.local_run import QUIET, LocalPipeline
    from docassets.settings import Settings

    with (
        tempfile.TemporaryDirectory(prefix="docassets-bench-home-") as home,
        dg.instance_for_test() as instance,
    ):
        settings = Settings.from_env({"DOCASSETS_HOME": home, "DOCASSETS_OCR_WORKERS": str(workers)})
        pipeline = LocalPipeline(settings, instance)
        document_id = pipeline.add_document(path, project="bench")
        started = time.perf_counter()
        result = dg.materialize(
            [source_documents, ocr_text],
            partition_key=document_id,
            instance=instance,
            resources=build_resources(settings),
            run_config=QUIET,
        )
        seconds = time.perf_counter() - started
        assert result.success
        frame = pd.read_parquet(io.BytesIO(pipeline.store.get_bytes(f"ocr_text/{document_id}.parquet")))
    bates = [b if isinstance(b, str) else None for b in frame.sort_values("page_number").bates]
    expected = [f"WOMBAT {n:06d}" for n in range(1, len(frame) + 1)]
    return {
        "pages": len(frame),
        "seconds": seconds,
        "methods": {k: int(v) for k, v in frame.method.value_counts().items()},
        "bates_correct": sum(found == wanted for found, wanted in zip(bates, expected, strict=True)),
        "bates_gaps": len(bates_gaps(bates)),
        "text_chars": int(frame.text.str.len().sum()),
        "self_max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "largest_child_max_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True)


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def bench_memory(work: Path, pages: int) -> tuple[list[list], dict]:
    path = work / f"WOMBAT 000001-{pages:06d}.pdf"
    build_seconds = timed(lambda: child("build", str(path), str(pages)).wait())
    size_mb = path.stat().st_size / 1e6

    extracting = child("extract", str(path), str(CPUS))
    watched = psutil.Process(extracting.pid)
    peak = 0
    samples = 0
    while extracting.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
            samples += 1
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    assert extracting.stdout is not None  # child() pipes it
    result = json.loads(extracting.stdout.read())
    result.update(build_seconds=build_seconds, size_mb=size_mb, tree_peak_mb=peak / 2**20, samples=samples)
    rows = [
        [
            f"{pages}-page production through ocr_text, {CPUS} workers",
            f"{size_mb:.0f} MB",
            f"{result['tree_peak_mb']:.0f} MiB",
            f"{result['self_max_rss_mb']:.0f} MiB",
            f"{result['largest_child_max_rss_mb']:.0f} MiB",
            f"{result['seconds']:.0f} s ({result['pages'] / result['seconds']:.2f} pages/s)",
        ]
    ]
    return rows, result


# --- 4. OCR quality ---------------------------------------------------------------------------

_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\xad": "-"})


def normalise(text: str, fold: bool) -> str:
    """Whitespace runs become one space; with `fold`, also NFKC and typographic quotes/dashes."""
    if fold:
        text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return " ".join(text.split())


def bench_quality(work: Path, last_page: int) -> tuple[list[list], dict]:
    original = SAMPLES / OPINION
    twin_path = work / "opinion-image-only.pdf"
    twin = pymupdf.open()
    with pymupdf.open(original) as doc:
        for number in range(last_page):
            page = doc[number]
            image_page = twin.new_page(width=page.rect.width, height=page.rect.height)
            image_page.insert_image(image_page.rect, stream=render_page_png(page, 300))
    twin.save(twin_path)
    settings = ExtractionSettings(workers=CPUS)
    reference = list(extract_pages(original, name=original.name, settings=settings))[:last_page]
    read = list(extract_pages(twin_path, name=twin_path.name, settings=settings))
    assert {page.method for page in reference} == {"text"} and {page.method for page in read} == {"ocr"}
    rows = []
    totals = {False: [0, 0], True: [0, 0]}
    for truth, ocr in zip(reference, read, strict=True):
        row: list[int | str] = [truth.number, len(normalise(truth.text, False))]
        for fold in (False, True):
            want, got = normalise(truth.text, fold), normalise(ocr.text, fold)
            distance = Levenshtein.distance(got, want)
            totals[fold][0] += distance
            totals[fold][1] += len(want)
            row.append(f"{100 * distance / max(len(want), 1):.2f}%")
        row.append(f"{ocr.ocr_confidence:.1f}")
        rows.append(row)
    overall = {fold: 100 * d / n for fold, (d, n) in totals.items()}
    return rows, overall


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, a 40-page production")
    parser.add_argument("--production-pages", type=int, help="pages of the generated production")
    parser.add_argument(
        "--only", default="text,ocr,memory,quality", help="comma-separated sections to run (default: all)"
    )
    options = parser.parse_args()
    quick = options.quick
    sections = set(options.only.split(","))
    pymupdf.TOOLS.mupdf_display_errors(False)  # "skipping bad link" while joining samples
    production_pages = options.production_pages or (40 if quick else 330)
    started = time.perf_counter()
    tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split()[1]
    print(
        f"docassets text extraction benchmark ({'quick' if quick else 'full'}); {CPUS} CPUs, "
        f"PyMuPDF {pymupdf.VersionBind}, {tesseract} tesseract\n"
    )
    with tempfile.TemporaryDirectory(prefix="docassets-bench-") as folder:
        work = Path(folder)

        rows = bench_text_layer(work, rounds=11 if quick else 41) if "text" in sections else []
        if "ocr" in sections:
            ocr_rows, speedups = bench_ocr(work, rounds=1 if quick else 2, copies=1 if quick else 2)
            rows += ocr_rows
        if rows:
            print(
                tabulate(
                    rows,
                    headers=["throughput", "pages", "bare pages/s", "ours pages/s", "ours / bare", "note"],
                )
            )
        if "ocr" in sections:
            print(
                f"\nOCR speed-up, {CPUS} cores over 1: ours {speedups['ours']:.2f}x, "
                f"bare tesseract {speedups['bare']:.2f}x (same run; load average now "
                f"{os.getloadavg()[0]:.1f}: other work on the machine lowers both)\n"
            )

        if "memory" in sections:
            memory_rows, memory = bench_memory(work, production_pages)
            print(
                tabulate(
                    memory_rows,
                    headers=[
                        "memory",
                        "file",
                        "peak RSS, process tree",
                        "extracting process",
                        "largest worker/tesseract",
                        "time",
                    ],
                )
            )
            print(
                f"  built in {memory['build_seconds']:.0f} s; pages by method {memory['methods']}; "
                f"Bates numbers read right on {memory['bates_correct']}/{memory['pages']} pages, "
                f"{memory['bates_gaps']} gaps; {memory['samples']} RSS samples\n"
            )

        if "quality" in sections:
            quality_rows, overall = bench_quality(work, last_page=6 if quick else 28)
            print(
                tabulate(
                    quality_rows,
                    headers=[
                        "opinion page",
                        "reference chars",
                        "CER",
                        "CER, quotes/dashes folded",
                        "OCR confidence",
                    ],
                )
            )
            print(
                f"  overall CER {overall[False]:.2f}% (whitespace normalised), "
                f"{overall[True]:.2f}% (also NFKC, typographic quotes and dashes folded)\n"
            )
    print(f"benchmark took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        task, target, number = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
        if task == "build":
            build_production(target, number)
        else:
            print(json.dumps(extract_production(target, number)))
    else:
        main()
