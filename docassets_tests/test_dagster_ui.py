"""The Dagster UI as a paralegal uses it: Debian's Chromium driven by Playwright against `dagster dev`
on an instance of its own (embedded storage: SQLite and a local folder).

One document is processed first (`docassets process`, as `make demo` does), so the project's graph
exists; a second one is registered and waits. In the UI the test finds the waiting document by
typing part of its file name, launches it, waits for its run to succeed, and reads what a person
must see: the file name, the columns, the counts, the checks and the graph picture.

Screenshots go to $DOCASSETS_SCREENSHOTS when set (the README's pictures come from
`DOCASSETS_SCREENSHOTS=docs/screenshots pytest docassets_tests/test_dagster_ui.py`), else to a
temporary folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from playwright.sync_api import Page, expect

from docassets.defs.groups import GROUPS
from docassets.local_run import LocalPipeline
from docassets.settings import Settings
from docassets.storage.tables import TableStore

from .conftest import _free_port, sample

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PROJECT = "smith-v-jones"
PROCESSED = "dcolo-complaint-first-page.pdf"
WAITING = "cafc-header-only-text-layer.pdf"
TYPED = "header-only"  # what the person types: part of the waiting document's file name
RUN_SECONDS = 240  # for the document's run to succeed on a busy two-core machine


@dataclass(frozen=True)
class DagsterUI:
    url: str
    tables: TableStore
    processed: str  # document ids
    waiting: str


def _environment(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCASSETS_", "DAGSTER_"))}
    env.update(
        DOCASSETS_HOME=str(root / "home"), DAGSTER_HOME=str(root / "dagster"), DOCASSETS_OCR_WORKERS="2"
    )
    return env


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"dagster dev did not serve {url} within 180 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterUI]:
    root = tmp_path_factory.mktemp("dagster-ui")
    env = _environment(root)
    subprocess.run([ROOT / "scripts" / "dagster-home.sh"], env=env, check=True)
    url, log = f"http://127.0.0.1:{_free_port()}", root / "dagster-dev.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                BIN / "dagster",
                "dev",
                "--host",
                "127.0.0.1",
                "--port",
                url.rsplit(":", 1)[1],
                "-w",
                "workspace.yaml",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its webserver, daemon and code server stop with it
        )
    try:
        # While dagster dev starts: one document processed (the graph), one registered and waiting.
        processed = subprocess.run(
            [BIN / "docassets", "process", "--project", PROJECT, sample(PROCESSED)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert processed.returncode == 0, processed.stdout + processed.stderr
        settings = Settings.from_env(env)
        instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
        waiting = LocalPipeline(settings, instance).add_document(sample(WAITING), project=PROJECT)
        instance.dispose()
        tables = TableStore(settings.database_url)
        [processed_id] = tables.read_frame("documents", {"file_name": PROCESSED}).document_id
        _wait_until_serving(url, server, log)
        yield DagsterUI(url, tables, processed_id, waiting)
        tables.engine.dispose()
    finally:
        os.killpg(server.pid, signal.SIGINT)  # dagster dev shuts its processes down on Ctrl-C
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _reload_until(page: Page, locator, seconds: float) -> None:
    """Reload the page until `locator` shows (a page that does not update itself as runs finish)."""
    deadline = time.monotonic() + seconds
    while not locator.count() and time.monotonic() < deadline:
        page.wait_for_timeout(3000)
        page.reload()
        page.wait_for_load_state("networkidle")


def _metadata_row(page: Page, key: str):
    return page.locator("tr", has=page.get_by_text(key, exact=True)).first


def test_a_document_found_by_its_file_name_is_launched_and_shown_with_columns_counts_checks_and_graph(
    browser, dagster_ui, screenshots
):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)  # the code location loads while the first page is shown
    # Dagster's newsletter prompt opens a second after the first page of a new instance, over
    # whatever dialog is open then; the key its Skip button sets keeps it closed from the start.
    page.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
    ui, key = dagster_ui, dagster_ui.waiting
    assert key.startswith(f"{PROJECT}~cafc-header-only-text-layer-")

    # The asset graph, its groups in pipeline order.
    page.goto(f"{ui.url}/asset-groups")
    for group in GROUPS:
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    page.screenshot(path=screenshots / "ui-1-asset-graph.png")

    page.goto(f"{ui.url}/locations/docassets/jobs/process_document")

    # The document, found by typing part of its file name, launched from the UI.
    page.get_by_role("button", name="Materialize all").click()
    page.get_by_text("Select a partition or create one").click()
    page.keyboard.type(TYPED)
    option = page.locator("span", has_text=key).first
    expect(option).to_be_visible()
    expect(page.locator("span", has_text=ui.processed)).to_have_count(0)  # the filter left the other out
    page.screenshot(path=screenshots / "ui-2-find-document.png")
    option.click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Launch 1 run").click()
    expect(page.get_by_text("Launch runs to materialize")).to_have_count(0)  # launched, the dialog closed

    page.goto(f"{ui.url}/runs")
    expect(page.get_by_text(f"partition: {key}")).to_be_visible(timeout=RUN_SECONDS * 1000)

    # Success, as the document's last stage shows it: materialized, status completed.
    page.goto(f"{ui.url}/assets/document_summary?view=partitions&partition={key}")
    _reload_until(page, _metadata_row(page, "status"), RUN_SECONDS)
    expect(_metadata_row(page, "status")).to_contain_text("completed")
    expect(_metadata_row(page, "file_name")).to_contain_text(WAITING)
    # The document's run succeeded (its runs filtered by partition, as a person would), and so did
    # every other run: the first document's and the project's, as many as the automation's timing made.
    query = urllib.parse.urlencode({"q[]": f"tag:dagster/partition={key}"})
    page.goto(f"{ui.url}/runs?{query}")
    expect(page.get_by_text("Success", exact=True)).to_have_count(1)
    page.goto(f"{ui.url}/runs")
    expect(page.get_by_text("Success", exact=True).nth(2)).to_be_visible()  # processed, a project, ours
    expect(page.get_by_text("Failure", exact=True)).to_have_count(0)
    page.screenshot(path=screenshots / "ui-3-runs.png")

    summary = ui.tables.read_frame("document_summary", {"document_id": key}).iloc[0]

    # The document's validated original: its file name, a link to the stored PDF, one row.
    page.goto(f"{ui.url}/assets/source_documents?view=partitions&partition={key}")
    expect(_metadata_row(page, "file_name")).to_contain_text(WAITING)
    expect(_metadata_row(page, "pdf")).to_contain_text(f"documents/{key}.pdf")
    expect(_metadata_row(page, "dagster/row_count")).to_contain_text("1")
    page.screenshot(path=screenshots / "ui-4-document.png", full_page=True)

    # Its chunks: this document's count, the run's total labelled as such.
    page.goto(f"{ui.url}/assets/chunks?view=partitions&partition={key}")
    expect(_metadata_row(page, "chunks")).to_contain_text(str(summary.chunks))
    expect(_metadata_row(page, "dagster/row_count")).to_contain_text(str(summary.chunks))
    expect(_metadata_row(page, "run_total_rows_chunks")).to_be_visible()

    # The page text: a link to its Parquet file, and no null for a text-layer document's OCR confidence.
    page.goto(f"{ui.url}/assets/ocr_text?view=partitions&partition={key}")
    expect(_metadata_row(page, "page_text")).to_contain_text(f"ocr_text/{key}.parquet")
    expect(_metadata_row(page, "pages")).to_contain_text(str(summary.pages))
    expect(_metadata_row(page, "mean_ocr_confidence")).not_to_contain_text("null")
    page.screenshot(path=screenshots / "ui-5-page-text.png", full_page=True)

    # The columns of a table, each described.
    page.goto(f"{ui.url}/assets/chunks")
    for column in ("page_start", "bates_start", "token_count"):
        expect(page.get_by_text(column, exact=True).first).to_be_visible()
    expect(page.get_by_text("Bates number of the first page covered").first).to_be_visible()
    page.screenshot(path=screenshots / "ui-6-columns.png", full_page=True)

    # The checks of the page text, passed for this document's run.
    page.goto(f"{ui.url}/assets/ocr_text?view=checks")
    for check in ("every_page_accounted", "pages_readable", "bates_consecutive"):
        expect(page.get_by_text(check, exact=True).first).to_be_visible()
    expect(page.get_by_text("Passed").first).to_be_visible()
    expect(page.get_by_text("Failed")).to_have_count(0)
    expect(_metadata_row(page, "documents")).to_contain_text(key)  # which documents the verdict covers
    page.screenshot(path=screenshots / "ui-7-checks.png")

    # The project's graph: its files linked, its picture one click away, its storage kind right.
    page.goto(f"{ui.url}/assets/entity_graph?view=partitions&partition={PROJECT}")
    expect(_metadata_row(page, "entity_graph.graphml")).to_contain_text(
        f"entity_graph/{PROJECT}/entity_graph.graphml"
    )
    expect(_metadata_row(page, "picture_file")).to_contain_text(f"entity_graph/{PROJECT}/entity_graph.svg")
    expect(page.get_by_text("S3", exact=True)).to_have_count(0)  # stored in a local folder
    _metadata_row(page, "picture").get_by_text("Show Markdown").click()
    picture = page.get_by_role("dialog").locator("img").first
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") > 300
    page.screenshot(path=screenshots / "ui-8-graph.png")
    page.keyboard.press("Escape")

    # The sensor that turns uploads into runs, described.
    page.goto(f"{ui.url}/locations/docassets/sensors/upload_sensor")
    expect(page.get_by_text("finds new PDFs", exact=False).first).to_be_visible()
    page.screenshot(path=screenshots / "ui-9-upload-sensor.png")
