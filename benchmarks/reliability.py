"""The reliability table: each bad input, fault and load case, what happened, and how long it took.

    .venv/bin/python benchmarks/reliability.py                 # every case (~25 min); `make reliability`
    .venv/bin/python benchmarks/reliability.py --fast          # bad inputs in one call (~1 min; tests run it)
    .venv/bin/python benchmarks/reliability.py --write-readme  # and put the table in README.md

Bad inputs go through `docassets.api.process` in the embedded default (what `docassets process`
does): one file per call, each timed; with `--fast`, all in one call, sharing runs. Faults and load
go through the `docassets` command and a real `dagster-daemon`. Each case states what must happen;
the script prints the Markdown table and exits non-zero when any case did not go that way.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # docassets_tests starts the daemon
from docassets_tests.daemon import start_daemon  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SAMPLES = ROOT / "samples"
README_START, README_END = "<!-- reliability:start -->", "<!-- reliability:end -->"


@dataclass(frozen=True)
class Outcome:
    happened: str  # what a user sees, in a few words
    as_expected: bool


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Path], Outcome]  # given a scratch folder of its own


# ---- bad inputs, through `process` ----------------------------------------------------------------


@dataclass(frozen=True)
class BadFile:
    name: str
    build: Callable[[Path], Path]  # writes the file into a folder
    expected: str  # its status: completed | failed | duplicate
    cause: str = ""  # a fragment of its error
    ocr_timeout_seconds: int = 120


def _settings(ocr_timeout_seconds: int = 120):
    from docassets.settings import Settings

    env = {"DOCASSETS_HOME": str(SHARED_HOME), "DOCASSETS_OCR_WORKERS": "1"}
    return replace(Settings.from_env(env), ocr_timeout_seconds=ocr_timeout_seconds)


def _said(result) -> Outcome:
    return Outcome(
        f"{result.status}"
        + (
            f": {_short(result.error)}"
            if result.error
            else f" ({result.pages} pages, {result.mentions} mentions)"
        ),
        True,
    )


def _judged(bad: BadFile, result) -> Outcome:
    return replace(
        _said(result), as_expected=result.status == bad.expected and bad.cause in (result.error or "")
    )


def processed_alone(bad: BadFile) -> Case:
    """The file in a `process` call of its own (the time column is that call's)."""

    def run(folder: Path) -> Outcome:
        from docassets import api

        [result] = api.process(
            [bad.build(folder)], project="alone", settings=_settings(bad.ocr_timeout_seconds)
        ).documents
        return _judged(bad, result)

    return Case(bad.name, run)


def processed_together(bad_files: list[BadFile], folder: Path) -> list[tuple[Case, Outcome, str]]:
    """Every file in one `process` call, so bad documents share runs with good ones (with the
    shortest OCR timeout of them all: only the noise page needs OCR)."""
    from docassets import api

    paths = [bad.build(folder) for bad in bad_files]
    started = time.perf_counter()
    timeout = min(bad.ocr_timeout_seconds for bad in bad_files)
    results = api.process(paths, project="together", settings=_settings(timeout)).documents
    seconds = time.perf_counter() - started
    return [
        (processed_alone(bad), _judged(bad, result), f"{seconds:.1f} s for all {len(bad_files)}")
        for bad, result in zip(bad_files, results, strict=True)
    ]


SHARED_HOME = Path(tempfile.mkdtemp(prefix="docassets-reliability-"))


def _short(error: str) -> str:
    text = error.split(": ", 1)[-1]  # the file name is in the case column
    return text if len(text) <= 110 else text[:107] + "..."


def _sample(name: str, folder: Path, as_name: str | None = None) -> Path:
    return Path(shutil.copy(SAMPLES / name, folder / (as_name or name)))


def empty_file(folder: Path) -> Path:
    (path := folder / "empty.pdf").write_bytes(b"")
    return path


def not_a_pdf(folder: Path) -> Path:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 32, 32), False)
    (path := folder / "photo.pdf").write_bytes(pixmap.tobytes("png"))
    return path


def truncated(folder: Path) -> Path:
    data = (SAMPLES / "scotus-tarrant-opinion.pdf").read_bytes()
    (path := folder / "opinion-cut.pdf").write_bytes(data[: len(data) // 2])
    return path


def corrupt(folder: Path) -> Path:
    (path := folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(20_000) + b"\n%%EOF\n")
    return path


def encrypted(folder: Path) -> Path:
    path = folder / "sealed.pdf"
    with pymupdf.open(SAMPLES / "ca10-filing-010110462922.pdf") as pdf:
        pdf.save(
            path,
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]  # set at import time
            user_pw="sealed",
            owner_pw="court",
        )
    return path


def giant_page(folder: Path) -> Path:
    """A 14,400-point (200 inch) page holding only an image: OCR would render it at 3.6 gigapixels."""
    path = folder / "blueprint.pdf"
    with pymupdf.open() as pdf:
        page = pdf.new_page(width=14_400, height=14_400)
        page.insert_image(page.rect, pixmap=pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 8, 8), False))
        pdf.save(path)
    return path


def image_bomb(folder: Path) -> Path:
    """A letter page whose image is 30,000 x 30,000 pixels (900 MB decoded) in under 1 MB of file."""
    path = folder / "bomb.pdf"
    side = 30_000
    packer, packed = zlib.compressobj(9), []
    row = b"\xff" * side
    for _ in range(side):
        packed.append(packer.compress(row))
    packed.append(packer.flush())
    with pymupdf.open() as pdf:
        page = pdf.new_page()
        xref = page.insert_image(
            page.rect, pixmap=pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 8, 8), False)
        )
        pdf.update_stream(xref, b"".join(packed), compress=False)
        for key, value in (
            ("Width", str(side)),
            ("Height", str(side)),
            ("Filter", "/FlateDecode"),
            ("ColorSpace", "/DeviceGray"),
            ("BitsPerComponent", "8"),
            ("DecodeParms", "null"),
            ("SMask", "null"),
        ):
            pdf.xref_set_key(xref, key, value)
        pdf.save(path)
    return path


def noise_page(folder: Path) -> Path:
    """A letter page of random grey noise: Tesseract works on it far longer than on text."""
    path = folder / "noise.pdf"
    noise = pymupdf.Pixmap(pymupdf.csGRAY, 2550, 3300, os.urandom(2550 * 3300), False)
    with pymupdf.open() as pdf:
        page = pdf.new_page()
        page.insert_image(page.rect, pixmap=noise)
        pdf.save(path, deflate=True)
    return path


def javascript_and_attachment(folder: Path) -> Path:
    path = folder / "scripted.pdf"
    with pymupdf.open(SAMPLES / "dcolo-complaint-first-page.pdf") as pdf:
        pdf.embfile_add("payload.exe", b"MZ" + os.urandom(1000), filename="payload.exe")
        catalog = pdf.pdf_catalog()
        script = pdf.get_new_xref()
        pdf.update_object(script, "<< /S /JavaScript /JS (app.alert('hi');) >>")
        pdf.xref_set_key(catalog, "OpenAction", f"{script} 0 R")
        pdf.save(path)
    return path


def hostile_name(folder: Path) -> Path:
    return _sample("dcolo-complaint-first-page.pdf", folder, "x'); DROP TABLE documents; -- $(rm -rf ~).pdf")


def duplicate(folder: Path) -> Path:
    return _sample("ca10-filing-010110462922.pdf", folder, "order-again.pdf")  # processed by the case before


def hostile_project(_: Path) -> Outcome:
    from docassets import api
    from docassets.projects import InvalidProjectName

    try:
        api.process(
            [SAMPLES / "dcolo-complaint-first-page.pdf"], project="../../../escape", settings=_settings()
        )
    except InvalidProjectName as error:
        return Outcome(f"refused: {_short(str(error))}", True)
    return Outcome("accepted", False)


BAD_FILES = [
    BadFile("empty file", empty_file, "failed", "empty"),
    BadFile("PNG named .pdf", not_a_pdf, "failed", "not a PDF"),
    BadFile("PDF cut in half", truncated, "failed", "truncated"),
    BadFile("random bytes after a PDF header", corrupt, "failed", "corrupt"),
    BadFile("encrypted with a user password", encrypted, "failed", "password"),
    BadFile("14,400-point page (200 in)", giant_page, "failed", "megapixel page limit"),
    BadFile("page of noise, OCR timeout 1 s", noise_page, "failed", "did not finish", ocr_timeout_seconds=1),
    BadFile("JavaScript and an embedded .exe", javascript_and_attachment, "completed"),
    BadFile("file name with SQL and shell metacharacters", hostile_name, "completed"),
    BadFile("a good filing", lambda folder: _sample("ca10-filing-010110462922.pdf", folder), "completed"),
    BadFile("the same filing again, renamed", duplicate, "duplicate"),
]
IMAGE_BOMB = BadFile("30,000 x 30,000 image on a letter page", image_bomb, "completed")


# ---- faults and load, through the `docassets` command -------------------------------------------


def _env(folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCASSETS_", "DAGSTER_HOME"))}
    env.update(
        DOCASSETS_HOME=str(folder / "home"),
        DAGSTER_HOME=str(folder / "dagster"),
        DOCASSETS_OCR_WORKERS="1",
        PATH=f"{BIN}:{env['PATH']}",
        **extra,
    )
    return env


def _docassets(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "docassets"), *arguments], env=env, cwd=ROOT, capture_output=True, text=True, timeout=1200
    )


def _one_line(result: subprocess.CompletedProcess, prefix: str) -> Outcome:
    output = (result.stdout + result.stderr).strip()
    line = next((line for line in output.splitlines() if line.startswith(prefix)), output.splitlines()[0])
    clean = result.returncode == 1 and "Traceback" not in output
    return Outcome(f"exit {result.returncode}: `{_short(line)}`", clean)


def database_down(folder: Path) -> Outcome:
    env = _env(folder, DOCASSETS_DATABASE_URL="postgresql://docs:pw@127.0.0.1:1/docs")
    return _one_line(_docassets(env, "status"), "Error")


def instance_database_refuses(folder: Path) -> Outcome:
    (folder / "dagster").mkdir()
    (folder / "dagster" / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_url: postgresql://nobody:s3cret@127.0.0.1:5432/nowhere\n"
    )
    result = _docassets(_env(folder), "doctor")
    outcome = _one_line(result, "FAIL  dagster instance")
    return replace(outcome, as_expected=outcome.as_expected and "s3cret" not in result.stdout + result.stderr)


def daemon_stopped(folder: Path) -> Outcome:
    """SIGTERM to a live dagster-daemon; how soon after it a `doctor` call fails."""
    env = _env(folder)
    subprocess.run([str(ROOT / "scripts" / "dagster-home.sh")], env=env, check=True, capture_output=True)
    daemon = start_daemon(env)
    try:
        deadline = time.monotonic() + 180
        while _docassets(env, "doctor").returncode != 0:
            if time.monotonic() > deadline:
                return Outcome("the daemon never became healthy", False)
            time.sleep(5)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    stopped = time.monotonic()
    while True:  # `doctor` again and again; a call takes several seconds itself
        started = time.monotonic() - stopped
        if (doctor := _docassets(env, "doctor")).returncode != 0 or started > 300:
            break
    line = next(line for line in doctor.stdout.splitlines() if "dagster daemon" in line)
    return Outcome(f"`doctor` started {started:.0f} s after SIGTERM failed: `{_short(line)}`", started < 60)


def many_documents(count: int) -> Callable[[Path], Outcome]:
    def run(folder: Path) -> Outcome:
        inbox = folder / "inbox"
        inbox.mkdir()
        with pymupdf.open(SAMPLES / "ca5-filing-00516242060.pdf") as source:
            for index in range(count):
                with pymupdf.open() as one:
                    one.insert_pdf(
                        source, from_page=index % source.page_count, to_page=index % source.page_count
                    )
                    one.set_metadata({"subject": f"copy {index}"})  # every file distinct
                    one.save(inbox / f"page-{index:04d}.pdf")
        env = _env(folder)
        first = _docassets(env, "process", "--project", "load", "--json", str(inbox))
        statuses = re.findall(r'"status": "(\w+)"', first.stdout)
        again = _docassets(env, "process", "--project", "load", "--json", str(inbox))
        repeats = re.findall(r'"status": "(\w+)"', again.stdout)
        ok = statuses == ["completed"] * count and repeats == ["duplicate"] * count
        return Outcome(
            f"{statuses.count('completed')}/{count} completed; processed again: "
            f"{repeats.count('duplicate')}/{count} duplicates, nothing doubled",
            ok,
        )

    return run


def all_in_one_call(folder: Path) -> Outcome:
    rows = processed_together(BAD_FILES, folder)
    wrong = [case.name for case, outcome, _ in rows if not outcome.as_expected]
    return Outcome(
        f"{len(rows) - len(wrong)}/{len(rows)} as when alone"
        + (f"; not: {', '.join(wrong)}" if wrong else ""),
        not wrong,
    )


def faults_and_load(quick: bool) -> list[Case]:
    return [
        *map(processed_alone, [*BAD_FILES, IMAGE_BOMB]),
        Case(f"the {len(BAD_FILES)} files above in one `process` call (sharing runs)", all_in_one_call),
        Case("project name ../../../escape", hostile_project),
        Case("database unreachable, `status`", database_down),
        Case("Dagster instance database refuses the login, `doctor`", instance_database_refuses),
        Case("`dagster-daemon` stopped by SIGTERM", daemon_stopped),
        Case(
            f"{20 if quick else 100} one-page filings in one `process`, then again",
            many_documents(20 if quick else 100),
        ),
    ]


# ---- the table --------------------------------------------------------------------------------


def run_cases(cases: list[Case]) -> list[tuple[Case, Outcome, str]]:
    rows = []
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="docassets-case-") as folder:
            started = time.perf_counter()
            try:
                outcome = case.run(Path(folder))
            except Exception as error:  # a case that crashes is a finding, reported in the table
                outcome = Outcome(f"crashed: {type(error).__name__}: {_short(str(error))}", False)
            seconds = time.perf_counter() - started
        print(
            f"{'ok  ' if outcome.as_expected else 'FAIL'} {case.name}: {outcome.happened} ({seconds:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
        rows.append((case, outcome, f"{seconds:.1f} s"))
    return rows


def markdown(rows: list[tuple[Case, Outcome, str]]) -> str:
    lines = ["| case | what happened | as it should | time |", "|---|---|---|---:|"]
    for case, outcome, took in rows:
        happened = outcome.happened.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {case.name} | {happened} | {'yes' if outcome.as_expected else '**no**'} | {took} |")
    return "\n".join(lines)


def write_readme(table: str, only_rows: bool = False) -> None:
    """Put the table between the README's markers; with `only_rows`, replace just the rows of the
    cases run, keeping the others."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    if only_rows:
        fresh = {row.split(" | ")[0]: row for row in table.splitlines()[2:]}
        table = "\n".join(fresh.get(row.split(" | ")[0], row) for row in text[start:end].strip().splitlines())
    readme.write_text(text[:start] + "\n" + table + "\n" + text[end:])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fast", action="store_true", help="bad inputs only")
    parser.add_argument("--quick", action="store_true", help="a smaller load case")
    parser.add_argument("--write-readme", action="store_true", help="replace the table in README.md")
    parser.add_argument(
        "--only", help="run only the cases whose name contains this (and replace only their rows)"
    )
    arguments = parser.parse_args()
    os.environ.pop("DAGSTER_HOME", None)  # bad inputs use an instance under their own home
    try:
        if arguments.fast:
            with tempfile.TemporaryDirectory(prefix="docassets-cases-") as folder:
                rows = processed_together(BAD_FILES, Path(folder))
        else:
            rows = run_cases(
                [
                    case
                    for case in faults_and_load(arguments.quick)
                    if not arguments.only or arguments.only in case.name
                ]
            )
    finally:
        shutil.rmtree(SHARED_HOME, ignore_errors=True)
    table = markdown(rows)
    print(table)
    if arguments.write_readme:
        write_readme(table, only_rows=bool(arguments.only))
    return 0 if all(outcome.as_expected for _, outcome, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
