"""What Dagster orchestration costs per document: the sensor, the run queue and the runs (several
documents each, see `docassets/defs/batching.py`) versus the same core functions called directly.

1. Builds N small real documents (default 200) from `samples/`: the two one-page filings and one- or
   two-page extracts of the text-layer filings, each with its own PDF title so that no two files
   share a sha256 (submit would skip a duplicate).
2. Direct: `extract_pages`, `chunk_pages`, `EntityExtractor.extract_pages` and `find_relationships`
   (what the per-document assets call) on every file, one after another in this process. The spaCy
   model is loaded once before the clock starts.
3. Dagster in one process: `LocalPipeline.run_documents` (the `process_document` job, runs of
   up to DOCASSETS_DOCUMENTS_PER_RUN documents,
   `execute_in_process`, SQLite instance) on a sample of the files, model already loaded: Dagster's
   bookkeeping per document without any process start.
4. Cold starts: fresh interpreters importing Dagster, loading the code location, loading spaCy: what
   every run's process pays before its first step.
5. Orchestrated: a temporary DOCASSETS_HOME and DAGSTER_HOME (embedded default: SQLite and a local
   folder) laid out by `scripts/dagster-home.sh`, a real `dagster-daemon run -w workspace.yaml` in
   its own process group, `docassets submit` of every file, then `read_progress` until every
   document is completed or failed. Wall time from the start of `submit` to the last completion.

Overhead per document = (orchestrated - direct) / N. The goal (issue 6) is at most 1 s on two cores.

    .venv/bin/python benchmarks/orchestration_overhead.py              # 200 documents
    .venv/bin/python benchmarks/orchestration_overhead.py --quick      # 20 documents
    .venv/bin/python benchmarks/orchestration_overhead.py --documents 50 --instance-yaml extra.yaml

`--instance-yaml` appends to the copied dagster.yaml (e.g. `run_queue: {dequeue_interval_seconds: 1}`)
and `--root` runs the orchestrated phase against a copy of the project, for experiments.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # docassets_tests starts the daemon
from docassets_tests.daemon import daemon_log, start_daemon  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
BIN = ROOT / ".venv" / "bin"
PROJECT = "overhead"
GOAL_SECONDS = 1.0
# (file, pages usable for extracts); the opinion's last two pages are map images, left out.
ONE_PAGE = ["dcolo-complaint-first-page.pdf", "ca10-filing-010110462922.pdf"]
TEXT_LAYER = [
    ("tn-appeals-board-diaz-opinion.pdf", 3),
    ("mo-court-of-appeals-opinion.pdf", 5),
    ("ca5-filing-00516242060.pdf", 10),
    ("notice-of-docket-activity.pdf", 7),
    ("judicial-disclosure-lucero.pdf", 9),
    ("tax-court-memo-bordelon.pdf", 32),
    ("scotus-tarrant-opinion.pdf", 28),
]


# ---------------------------------------------------------------- documents


def build_documents(count: int, folder: Path) -> list[Path]:
    """`count` distinct small PDFs: one-pagers with a new title, and 1-2 page extracts."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [(name, 1) for name in ONE_PAGE] + TEXT_LAYER
    paths, digests = [], set()
    for i in range(count):
        name, usable = sources[i % len(sources)]
        round_ = i // len(sources)
        span = 1 if usable == 1 else 1 + round_ % 2
        first = 0 if usable == 1 else (round_ * 3) % (usable - span + 1)
        source = pymupdf.open(SAMPLES / name)
        out = pymupdf.open()
        out.insert_pdf(source, from_page=first, to_page=first + span - 1)
        out.set_metadata({"title": f"docassets overhead benchmark document {i}", "producer": "benchmark"})
        path = folder / f"{i:03d}-{Path(name).stem}-p{first + 1}-{first + span}.pdf"
        out.save(path, garbage=3, deflate=True)
        digests.add(_sha256(path))
        paths.append(path)
    if len(digests) != count:
        raise RuntimeError(f"only {len(digests)} of {count} generated documents are distinct")
    return paths


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- direct


@dataclass
class Direct:
    seconds: float
    model_load_seconds: float
    pages: int
    mentions: dict[str, int]  # file name -> mentions, to check the orchestrated runs did the same work


def run_direct(paths: list[Path], settings) -> Direct:
    from docassets.core.chunking import chunk_pages, document_text
    from docassets.core.entities import EntityExtractor, load_pipeline
    from docassets.core.pdf import ExtractionSettings, extract_pages
    from docassets.core.relationships import find_relationships

    started = time.perf_counter()
    nlp = load_pipeline()  # once, outside the timing
    model_load = time.perf_counter() - started
    extraction = ExtractionSettings(workers=settings.ocr_workers)
    # One warm-up document outside the timing too: first calls compile rules and fill caches.
    warm = list(extract_pages(paths[0], name=paths[0].name, settings=extraction))
    find_relationships(
        "warm-up", document_text(warm), chunk_pages(warm), EntityExtractor(nlp).extract_pages(warm)
    )
    pages_total, mentions = 0, {}
    started = time.perf_counter()
    for path in paths:
        pages = list(extract_pages(path, name=path.name, settings=extraction))
        chunks = chunk_pages(pages, max_tokens=settings.chunk_max_tokens, overlap=settings.chunk_overlap)
        found = EntityExtractor(nlp).extract_pages(pages)
        find_relationships(path.stem, document_text(pages), chunks, found)
        pages_total += len(pages)
        mentions[path.name] = len(found)
    return Direct(time.perf_counter() - started, model_load, pages_total, mentions)


# ---------------------------------------------------------------- Dagster in one process


def run_in_process(paths: list[Path], home: Path, dagster_pg_url: str | None) -> float:
    """Seconds for `process_document` runs executed in this process (no process start, model cached)."""
    import dagster as dg

    from docassets.local_run import LocalPipeline
    from docassets.settings import Settings

    settings = Settings.from_env({"DOCASSETS_HOME": str(home), "DOCASSETS_OCR_WORKERS": "1"})
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    if dagster_pg_url:
        (home / "dagster" / "dagster.yaml").write_text(
            f"telemetry:\n  enabled: false\nstorage:\n  postgres:\n    postgres_url: {dagster_pg_url}\n"
        )
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        pipeline = LocalPipeline(settings, instance)
        ids = [pipeline.add_document(path, project=PROJECT) for path in paths]
        started = time.perf_counter()
        failed = pipeline.run_documents(ids)
        seconds = time.perf_counter() - started
    if failed:
        raise RuntimeError(f"{len(failed)} documents failed in the in-process runs")
    return seconds


# ---------------------------------------------------------------- cold starts

COLD_STARTS = {
    "python": "pass",
    "import dagster": "import dagster",
    "load code location (docassets.definitions)": "import docassets.definitions",
    "import spaCy + load model": "from docassets.core.entities import load_pipeline; load_pipeline()",
}


def cold_starts(env: dict[str, str], rounds: int = 2) -> dict[str, float]:
    """Best-of-`rounds` wall seconds of fresh interpreters doing what each run's process does first."""
    result = {}
    for label, code in COLD_STARTS.items():
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            subprocess.run(
                [str(BIN / "python"), "-c", code],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - started)
        result[label] = min(times)
    return result


# ---------------------------------------------------------------- orchestrated


@dataclass
class Orchestrated:
    seconds: float
    submit_seconds: float
    completed: int
    failed: int
    runs: dict[str, int]  # job name -> runs launched
    cpu_busy_seconds: float
    mentions: dict[str, int]
    timeline: dict[str, float]


def orchestration_env(tmp: Path, root: Path, dagster_pg_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCASSETS_", "DAGSTER_"))}
    env.update(
        DOCASSETS_HOME=str(tmp / "home"),
        DAGSTER_HOME=str(tmp / "dagster"),
        DOCASSETS_OCR_WORKERS="1",
        PATH=f"{BIN}:{env['PATH']}",
    )
    if dagster_pg_url:
        env["DOCASSETS_DAGSTER_PG_URL"] = dagster_pg_url  # scripts/dagster-home.sh puts the instance there
    if root != ROOT:
        env["PYTHONPATH"] = str(root)  # the copy's docassets shadows the installed one
    return env


def run_orchestrated(
    paths: list[Path],
    tmp: Path,
    root: Path,
    instance_yaml: Path | None,
    timeout: float,
    dagster_pg_url: str | None,
) -> Orchestrated:
    env = orchestration_env(tmp, root, dagster_pg_url)
    subprocess.run([str(root / "scripts" / "dagster-home.sh")], env=env, check=True)
    if instance_yaml:
        with (tmp / "dagster" / "dagster.yaml").open("a") as config:
            config.write("\n" + instance_yaml.read_text())
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DOCASSETS_", "DAGSTER_"))})
    from docassets.preflight import SUBMIT_CHECKS, run_checks
    from docassets.progress import read_progress
    from docassets.settings import Settings
    from docassets.storage.tables import TableStore

    settings = Settings.from_env()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    daemon = start_daemon(env, root)
    try:
        deadline = time.monotonic() + 180
        while not all(check.ok for check in run_checks(settings, SUBMIT_CHECKS)):
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError(f"the daemon never became ready; see {daemon_log(env)}")
            time.sleep(1)
        t0 = time.time()
        submitted = subprocess.run(
            [str(BIN / "docassets"), "submit", "--project", PROJECT, *map(str, paths)],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
        )
        submit_seconds = time.time() - t0
        if submitted.returncode != 0:
            raise RuntimeError(f"submit failed: {submitted.stderr}")
        batch = submitted.stdout.split("docassets status --batch ")[1].split()[0]
        tables = TableStore(settings.database_url)
        deadline = time.monotonic() + timeout
        while True:
            progress = read_progress(tables, batch_id=batch)
            finished = progress.count("completed") + progress.count("failed")
            if finished == len(paths) or time.monotonic() > deadline:
                break
            if daemon.poll() is not None:
                raise RuntimeError(
                    f"dagster-daemon exited (code {daemon.returncode}) with {finished} of "
                    f"{len(paths)} documents finished; see {daemon_log(env)}"
                )
            time.sleep(1)
        seen_last = time.time()
        completed = [d.completed_at.timestamp() for d in progress.documents if d.completed_at]
        failed = progress.count("failed")
        last = max(completed) if completed and not failed else seen_last
        import sqlalchemy as sa

        from docassets.storage import tables as t

        summaries = tables.frame(sa.select(t.document_summary.c.file_name, t.document_summary.c.mentions))
        mentions = dict(zip(summaries.file_name, summaries.mentions.astype(int), strict=True))
        runs, timeline = _run_statistics(t0, last)
        result = Orchestrated(
            last - t0, submit_seconds, len(completed), failed, runs, 0.0, mentions, timeline
        )
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
    # CPU of the daemon's process tree (sensor, queue, code server, every run) and of `submit`.
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.cpu_busy_seconds = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    return result


def _run_statistics(t0: float, last: float) -> tuple[dict[str, int], dict[str, float]]:
    """Where the wall time went, from the instance's run records and event logs."""
    import dagster as dg
    from dagster import DagsterEventType as E

    instance = dg.DagsterInstance.get()
    records = instance.get_run_records()
    runs: dict[str, int] = defaultdict(int)
    for record in records:
        runs[record.dagster_run.job_name] += 1
    document_runs = [r for r in records if r.dagster_run.job_name == "process_document"]
    parts: dict[str, list[float]] = defaultdict(list)
    intervals: list[tuple[float, float]] = []
    for record in document_runs:
        events: dict[str, float] = {}
        steps: dict[str, list[float]] = defaultdict(list)
        for entry in instance.all_logs(record.dagster_run.run_id):
            if entry.dagster_event is None:
                continue
            kind = entry.dagster_event.event_type
            if kind in (
                E.RUN_ENQUEUED,
                E.RUN_DEQUEUED,
                E.RUN_STARTING,
                E.RUN_START,
                E.RUN_SUCCESS,
                E.RUN_FAILURE,
            ):
                events.setdefault(kind.value, entry.timestamp)
            elif kind in (E.STEP_START, E.STEP_SUCCESS, E.STEP_FAILURE) and entry.step_key is not None:
                steps[entry.step_key].append(entry.timestamp)
        created = record.create_timestamp.timestamp()
        starting = events.get("PIPELINE_STARTING", events.get("RUN_STARTING"))
        started = events.get("PIPELINE_START", events.get("RUN_START"))
        ended = events.get("PIPELINE_SUCCESS", events.get("RUN_SUCCESS", events.get("PIPELINE_FAILURE")))
        if starting is None or started is None or ended is None or not steps:
            continue
        parts["submit to run created (sensor)"].append(created - t0)
        parts["queued (created to launched)"].append(starting - created)
        parts["process start (launched to run start)"].append(started - starting)
        for key, moments in steps.items():
            parts[f"step {key}"].append(max(moments) - min(moments))
        in_steps = sum(max(m) - min(m) for m in steps.values())
        parts["between steps and run end"].append(ended - started - in_steps)
        parts["run (launched to end)"].append(ended - starting)
        intervals.append((starting, ended))
    timeline = {f"mean {name}": statistics.fmean(values) for name, values in parts.items()}
    if intervals:
        timeline["first run launched after submit"] = min(s for s, _ in intervals) - t0
        timeline["mean runs in flight while any ran"] = sum(e - s for s, e in intervals) / (
            max(e for _, e in intervals) - min(s for s, _ in intervals)
        )
        timeline["max runs in flight"] = max(
            sum(s <= moment < e for s, e in intervals) for moment, _ in intervals
        )
        timeline["last run ended to last completion seen"] = last - max(e for _, e in intervals)
    return dict(runs), timeline


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 documents")
    parser.add_argument(
        "--in-process-sample",
        type=int,
        default=20,
        help="documents run through Dagster in this process (0: skip)",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="project copy for the orchestrated phase")
    parser.add_argument("--instance-yaml", type=Path, help="YAML appended to the instance's dagster.yaml")
    parser.add_argument(
        "--dagster-pg-url",
        help="keep the Dagster instance in this PostgreSQL database "
        "(DOCASSETS_DAGSTER_PG_URL) instead of SQLite files",
    )
    parser.add_argument(
        "--skip-direct",
        type=float,
        metavar="SECONDS",
        help="use this direct time instead of measuring it (experiments)",
    )
    parser.add_argument("--only-in-process", action="store_true", help="stop after the in-process phase")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (daemon log, instance)"
    )
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    count = 20 if args.quick else args.documents

    from docassets.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="docassets-overhead-"))
    try:
        paths = build_documents(count, tmp / "documents")
        settings = Settings.from_env({"DOCASSETS_HOME": str(tmp / "direct"), "DOCASSETS_OCR_WORKERS": "1"})
        if args.skip_direct is None:
            direct = run_direct(paths, settings)
        else:
            direct = Direct(args.skip_direct, 0.0, 0, {})
        sample = paths[: min(count, args.in_process_sample)]
        in_process = run_in_process(sample, tmp / "in-process", args.dagster_pg_url) if sample else None
        direct_sample = run_direct(sample, settings).seconds if sample else None
        if args.only_in_process:
            assert in_process is not None and direct_sample is not None, "--only-in-process needs documents"
            print(
                f"in process: {in_process:.1f} s, direct {direct_sample:.1f} s, "
                f"{(in_process - direct_sample) / len(sample):.2f} s/document"
            )
            return
        cold = cold_starts(orchestration_env(tmp / "cold", args.root) | {"DOCASSETS_HOME": str(tmp / "cold")})
        orchestrated = run_orchestrated(
            paths, tmp / "orchestrated", args.root, args.instance_yaml, args.timeout, args.dagster_pg_url
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    overhead = (orchestrated.seconds - direct.seconds) / count
    different = sorted(name for name, n in direct.mentions.items() if orchestrated.mentions.get(name) != n)
    print(f"\ndocuments                          {count} ({direct.pages or '?'} pages, text layer)")
    print(
        f"direct (core functions, 1 process) {direct.seconds:8.1f} s  (spaCy model loaded once beforehand, "
        f"{direct.model_load_seconds:.1f} s, not counted)"
    )
    print(
        f"orchestrated (sensor, queue, runs) {orchestrated.seconds:8.1f} s  (submit itself: "
        f"{orchestrated.submit_seconds:.1f} s)"
    )
    print(f"overhead per document              {overhead:8.2f} s")
    print(
        f"goal                               <= {GOAL_SECONDS:.1f} s/document: "
        f"{'MET' if overhead <= GOAL_SECONDS else 'NOT MET'}"
    )
    print(f"completed / failed                 {orchestrated.completed} / {orchestrated.failed}")
    print(f"runs launched                      {orchestrated.runs}")
    print(
        f"concurrency                        max_concurrent_runs from dagster.yaml; "
        f"{orchestrated.timeline.get('max runs in flight', 0):.0f} at most in flight, "
        f"{orchestrated.timeline.get('mean runs in flight while any ran', 0):.1f} on average; "
        f"{len(os.sched_getaffinity(0))} CPUs"
    )
    print(
        f"CPU of daemon tree + submit        {orchestrated.cpu_busy_seconds:8.1f} s "
        f"({orchestrated.cpu_busy_seconds / count:.2f} s/document)"
    )
    if direct.mentions:
        print(
            "same mentions as direct            "
            f"{'yes' if not different else 'NO: ' + ', '.join(different[:5])}"
        )
    if in_process is not None and direct_sample is not None:
        print(
            f"\nDagster in one process, {len(sample)} docs: {in_process:.1f} s"
            f" vs direct {direct_sample:.1f} s "
            f"-> {(in_process - direct_sample) / len(sample):.2f} s/document of run bookkeeping"
        )
    print("\ncold start of a fresh interpreter (best of 2):")
    for label, seconds in cold.items():
        print(f"  {label:<45} {seconds:6.2f} s")
    print("\nwhere a document's run spends its time:")
    for label, seconds in orchestrated.timeline.items():
        print(f"  {label:<45} {seconds:8.2f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "documents": count,
                    "direct_seconds": direct.seconds,
                    "orchestrated_seconds": orchestrated.seconds,
                    "overhead_per_document": overhead,
                    "submit_seconds": orchestrated.submit_seconds,
                    "runs": orchestrated.runs,
                    "completed": orchestrated.completed,
                    "failed": orchestrated.failed,
                    "cpu_busy_seconds": orchestrated.cpu_busy_seconds,
                    "in_process_seconds": in_process,
                    "direct_sample_seconds": direct_sample,
                    "cold_starts": cold,
                    "timeline": orchestrated.timeline,
                },
                indent=2,
            )
        )
    sys.exit(0 if overhead <= GOAL_SECONDS and not orchestrated.failed else 1)


if __name__ == "__main__":
    main()
