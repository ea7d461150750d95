"""The `docassets` command: process, upload, status, export, migrate, worker and doctor."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from docassets.settings import ConfigurationError, Settings

SUMMARY_COLUMNS = ("file", "status", "pages", "ocr", "chunks", "mentions", "entities", "relations")


def _project(_context, _parameter, name: str | None) -> str | None:
    """Validate a --project value before anything is stored under it."""
    from docassets.projects import InvalidProjectName, validated_project

    try:
        return name if name is None else validated_project(name)
    except InvalidProjectName as error:
        raise click.BadParameter(str(error)) from None


def _tables():
    from docassets.storage.tables import open_tables

    return open_tables(Settings.from_env().database_url)


def _operational_errors() -> tuple[type[BaseException], ...]:
    """Errors of the machine, not of docassets: a setting, the database, the blob store. A command
    reports them in one line; anything else is a bug and keeps its traceback."""
    from sqlalchemy.exc import OperationalError

    from docassets.preflight import StorageUnavailable
    from docassets.projects import InvalidProjectName
    from docassets.storage.blobs import BlobStoreError
    from docassets.storage.tables import DatabaseUnavailable

    return (
        ConfigurationError,
        InvalidProjectName,
        StorageUnavailable,
        DatabaseUnavailable,
        BlobStoreError,
        OperationalError,
    )


def _one_line(error: BaseException) -> str:
    from sqlalchemy.exc import OperationalError

    if isinstance(error, OperationalError):  # its text holds the SQL and a link; the cause is the first line
        cause = str(error.orig).strip().splitlines()[0]
        return f"the database is unreachable ({cause}); check DOCASSETS_DATABASE_URL"
    return str(error).strip().splitlines()[0]


class _Commands(click.Group):
    def invoke(self, context: click.Context):
        try:
            return super().invoke(context)
        except click.ClickException:
            raise
        except Exception as error:
            if not isinstance(error, _operational_errors()):
                raise
            raise click.ClickException(_one_line(error)) from None


@click.group(cls=_Commands)
def main() -> None:
    """Turn legal PDFs into text, chunks, entities, resolved entities and an entity graph."""
    # dagster-postgres logs every connection retry on the root logger; the checks say it in one line.
    logging.getLogger().setLevel(logging.ERROR)


FILES = click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
FORCE = click.option(
    "--force", is_flag=True, help="Reprocess files the project already has (their rows are replaced)."
)


def _files(paths: tuple[Path, ...]) -> list[Path]:
    """The PDFs among PATHS (folders searched recursively); other files in folders are listed as skipped."""
    from docassets.submission import pdf_files

    files, skipped = pdf_files(paths)
    for path in skipped:
        click.echo(f"skipped (not a PDF): {path}", err=True)
    if not files:
        raise click.ClickException("no PDF files to process")
    return files


@main.command()
@FILES
@click.option(
    "--project",
    default="default",
    show_default=True,
    callback=_project,
    help="The matter the documents belong to.",
)
@FORCE
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file: file, status, error.")
def process(paths: tuple[Path, ...], project: str, force: bool, as_json: bool) -> None:
    """Run the whole pipeline on local PATHS (PDF files or folders) now, through Dagster, and print a
    summary per document. Files the project already has are reported as duplicates."""
    import json

    from docassets.local_run import process_files

    result = process_files(_files(paths), project=project, settings=Settings.from_env(), force=force)
    if as_json:
        for d in result.documents:
            click.echo(
                json.dumps(
                    {"file": d.file_name, "status": d.status, "error": d.error, "document_id": d.document_id}
                )
            )
    else:
        widths = (38, 9, 5, 4, 6, 8, 8, 9)
        click.echo("  ".join(f"{c:<{w}}" for c, w in zip(SUMMARY_COLUMNS, widths, strict=True)))
        for d in result.documents:
            cells = (
                d.file_name[:38],
                d.status,
                d.pages,
                d.ocr_pages,
                d.chunks,
                d.mentions,
                d.entities,
                d.relationships,
            )
            click.echo("  ".join(f"{str(c):<{w}}" for c, w in zip(cells, widths, strict=True)))
            if d.error:
                click.echo(f"    error: {d.error}", err=True)
        click.echo(
            f"\nproject {project}: {result.entities} resolved entities; graph at {result.graph_location}"
        )
    if result.failed:
        raise click.ClickException(f"{len(result.failed)} of {len(result.documents)} documents failed")


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--project", default="default", show_default=True, callback=_project)
@click.option("--priority", type=click.Choice(["high", "normal", "low"]), default="normal", show_default=True)
def upload(files: tuple[Path, ...], project: str, priority: str) -> None:
    """Upload FILES to the blob store; the upload sensor registers and processes them."""
    from docassets.preflight import blob_store_for
    from docassets.storage.registry import upload_document

    store = blob_store_for(Settings.from_env())
    with click.progressbar(files, label="uploading", item_show_func=lambda p: p.name if p else "") as bar:
        ids = [(path, upload_document(store, path, project=project, priority=priority)) for path in bar]
    for path, document_id in ids:
        click.echo(f"{document_id}  {path.name}")


@main.command()
@FILES
@click.option("--project", required=True, callback=_project, help="The matter the documents belong to.")
@click.option("--priority", type=click.Choice(["high", "normal", "low"]), default="normal", show_default=True)
@FORCE
def submit(paths: tuple[Path, ...], project: str, priority: str, force: bool) -> None:
    """Upload a batch of PATHS (PDF files or folders) and queue their runs; refuses when the runs
    could not start."""
    from docassets.preflight import SUBMIT_CHECKS, run_checks
    from docassets.submission import submit_files

    files = _files(paths)
    settings = Settings.from_env()
    problems = [result for result in run_checks(settings, SUBMIT_CHECKS) if not result.ok]
    if problems:
        raise click.ClickException(
            "not submitting, the runs could not start:\n"
            + "\n".join(f"  {r.name}: {r.detail}" for r in problems)
        )
    total = sum(path.stat().st_size for path in files)
    with click.progressbar(length=total, label=f"uploading {len(files)} files") as bar:
        batch = submit_files(
            settings, files, project=project, priority=priority, force=force, on_bytes=bar.update
        )
    for item in batch.files:
        click.echo(f"{item.document_id}  {item.outcome:<12}  {item.path.name}")
    duplicates = sum(item.outcome == "duplicate" for item in batch.files)
    click.echo(
        f"batch {batch.batch_id}: {len(batch.files) - duplicates} queued at {priority} priority, "
        f"{duplicates} duplicates skipped{' (use --force to reprocess them)' if duplicates else ''}"
    )
    click.echo(f"follow it with: docassets status --batch {batch.batch_id}")


@main.command()
@click.option("--project", default=None, callback=_project, help="Only this project's documents.")
@click.option("--batch", "batch_id", default=None, help="Only this batch (printed by submit).")
@click.option("--document", "document_id", default=None, help="Only this document.")
def status(project: str | None, batch_id: str | None, document_id: str | None) -> None:
    """Per-document progress through the stages, failures with their causes, and an ETA."""
    from docassets.progress import STAGES, minutes, read_progress
    from docassets.storage.tables import TableStore

    settings = Settings.from_env()
    tables = TableStore(settings.database_url)
    tables.ensure_schema()
    progress = read_progress(tables, project=project, batch_id=batch_id, document_id=document_id)
    if not progress.documents:
        raise click.ClickException("no documents registered for that selection")
    stage_names = [name for name, _ in STAGES]
    for d in progress.documents:
        reached = stage_names.index(d.last_stage) + 1 if d.last_stage else 0
        bar = "#" * reached + "-" * (len(stage_names) - reached)
        click.echo(f"{d.document_id}  [{bar}] {d.state:<9}  {d.project:<12}  {d.file_name}")
        if d.state == "failed":
            click.echo(f"    failed in {d.failed_stage}: {d.error}")
        elif d.state == "retrying":
            click.echo(f"    retrying {d.failed_stage} after: {d.error}")
        if d.pages is not None and d.state != "failed":
            click.echo(f"    {d.pages}")
    total = len(progress.documents)
    done = progress.count("completed") + progress.count("failed")
    filled = round(30 * done / total)
    eta = f", about {minutes(progress.eta)} left" if progress.eta else ""
    click.echo(
        f"[{'#' * filled}{'-' * (30 - filled)}] {progress.count('completed')}/{total} completed, "
        f"{progress.count('failed')} failed,"
        f" {progress.count('running') + progress.count('retrying')} running, "
        f"{progress.count('queued')} queued{eta}"
    )
    if progress.count("queued") + progress.count("running"):
        from docassets.preflight import DAEMON_CHECKS, run_checks

        for check in run_checks(settings, DAEMON_CHECKS[:2]):
            if not check.ok:
                click.echo(f"runs are waiting for a dagster daemon: {check.name}: {check.detail}")
                break
        if settings.celery_broker_url is not None:
            _report_queue_waits(settings)


def _report_queue_waits(settings: Settings) -> None:
    """Name each queue that holds a run's step and that no Celery worker consumes."""
    from docassets.distributed import queue_states, steps_in_queues, unconsumed_queues
    from docassets.preflight import dagster_instance

    unconsumed = {state.name for state in unconsumed_queues(queue_states(settings))}
    for queue in sorted(unconsumed):
        click.echo(
            f"waiting for a worker on queue {queue}: no Celery worker consumes it; "
            f"start one with `docassets worker --queues {queue}`"
        )
    for step in steps_in_queues(dagster_instance(settings)):
        if step.queue in unconsumed:
            click.echo(f"    run {step.run_id}: step {step.step} is waiting in queue {step.queue}")


@main.command()
@click.option("--project", default=None, callback=_project, help="Every document of this project.")
@click.option("--document", "document_ids", multiple=True, help="This document (repeatable).")
@click.option("--failed", is_flag=True, help="Only documents whose last run failed.")
def reprocess(project: str | None, document_ids: tuple[str, ...], failed: bool) -> None:
    """Backfill: run the chosen documents again (the sensor requests the runs; rows are replaced)."""
    from docassets.progress import read_progress
    from docassets.storage.registry import request_reruns

    if not project and not document_ids:
        raise click.ClickException("choose documents with --project or --document")
    tables = _tables()
    chosen = [
        d.document_id
        for d in read_progress(tables, project=project).documents
        if (not document_ids or d.document_id in document_ids) and (not failed or d.state == "failed")
    ]
    request_reruns(tables, chosen)
    click.echo(f"{len(chosen)} documents queued for reprocessing")


@main.command()
@click.option("--project", required=True, callback=_project)
@click.option("--out", "folder", required=True, type=click.Path(file_okay=False, path_type=Path))
def export(project: str, folder: Path) -> None:
    """Write a project's graph (GraphML, Neo4j CSV) and tables (CSV) to FOLDER."""
    from docassets.export import export_project

    try:
        written = export_project(Settings.from_env(), project, folder)
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(str(path))


@main.command()
@click.option(
    "--new",
    "message",
    default=None,
    help="Instead: write the revision that brings the schema to docassets/storage/tables.py.",
)
def migrate(message: str | None) -> None:
    """Upgrade the database (DOCASSETS_DATABASE_URL) to this code's schema revision."""
    from docassets.storage.migrations import new_revision
    from docassets.storage.tables import DatabaseUnavailable, TableStore

    if message:
        click.echo(f"wrote {new_revision(message)}; read it, then run `docassets migrate`")
        return
    tables = TableStore(Settings.from_env().database_url)
    try:
        before, now = tables.migrate()
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{tables.shown_url}: schema revision {before or 'none'} -> {now}")


@main.command()
@click.option(
    "--queues",
    default="ocr,nlp,dagster",
    show_default=True,
    help="Comma-separated queues to consume (ocr: Tesseract, nlp: chunks and entities, dagster: the rest).",
)
@click.option("--concurrency", default=1, show_default=True, help="Steps this worker runs at once.")
@click.option("--name", default="docassets", show_default=True, help="Worker name (NAME@host).")
def worker(queues: str, concurrency: int, name: str) -> None:
    """Run a Celery worker for the steps of runs (needs DOCASSETS_CELERY_BROKER_URL)."""
    import os

    from docassets.distributed import QUEUES, worker_command

    settings = Settings.from_env()
    if settings.celery_broker_url is None:
        raise click.ClickException(
            "DOCASSETS_CELERY_BROKER_URL is not set: there is no broker to consume from"
        )
    chosen = tuple(queue.strip() for queue in queues.split(",") if queue.strip())
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown:
        raise click.ClickException(
            f"no stage is routed to {', '.join(unknown)}; the queues are {', '.join(QUEUES)}"
        )
    command = worker_command(chosen, concurrency=concurrency, name=name)
    os.execv(command[0], command)


@main.command()
def doctor() -> None:
    """Check every dependency; exit non-zero when any check fails."""
    from docassets.preflight import run_checks

    try:
        results = run_checks(Settings.from_env())
    except ConfigurationError as error:
        click.echo(f"FAIL  configuration: {error}")
        sys.exit(1)
    click.echo("ok    configuration: settings parsed")
    for result in results:
        click.echo(f"{'ok  ' if result.ok else 'FAIL'}  {result.name}: {result.detail}")
    if not all(result.ok for result in results):
        sys.exit(1)


@main.command()
@click.argument("query")
@click.option("--project", required=True, help="The matter to search.")
@click.option(
    "--entity",
    "entities",
    multiple=True,
    help="Only pages mentioning this resolved entity (id, name or any alias); repeat for several.",
)
@click.option(
    "--same",
    "together",
    type=click.Choice(["page", "sentence"]),
    default="page",
    show_default=True,
    help="With several --entity: all on one page, or all in one sentence.",
)
@click.option(
    "--document", "documents", multiple=True, help="Only this document (id or file name); repeatable."
)
@click.option("--date-from", help="Only pages mentioning a date on or after this ISO date.")
@click.option("--date-to", help="Only pages mentioning a date on or before this ISO date.")
@click.option(
    "--label", "labels", multiple=True, help="Only pages mentioning an entity of this label (ORG, MONEY...)."
)
@click.option("--collapse-duplicates", is_flag=True, help="Leave out documents that duplicate another one.")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of hits.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a citation column, ready for a brief.")
def search(query: str, project: str, as_json: bool, as_csv: bool, **filters) -> None:
    """Search a project's pages for QUERY; every hit cited by Bates number or page.

    \b
    QUERY syntax (the same on PostgreSQL and SQLite):
      acme audit         both words          "2019 audit"   a phrase
      audit*             a prefix           acme OR wombat either
      acme -draft        acme, not draft    (a OR b) c     grouping
    A QUERY starting with "-" goes after "--": docassets search --project P -- "-draft acme".
    """
    import csv
    import json

    from docassets.core.search_query import QuerySyntaxError
    from docassets.search import EntityNotFound
    from docassets.search import search as run_search

    try:
        hits = run_search(_tables(), project, query, **filters)
    except (QuerySyntaxError, EntityNotFound) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps([hit.as_dict() for hit in hits], indent=2))
    elif as_csv:
        columns = ["citation", "document_id", "file", "page", "bates", "chunk_index", "score", "snippet"]
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(hit.as_dict() for hit in hits)
    else:
        from tabulate import tabulate

        rows = [(hit.citation, hit.page, f"{hit.score:.3f}", " ".join(hit.snippet.split())) for hit in hits]
        click.echo(
            tabulate(
                rows, headers=["citation", "page", "score", "snippet"], maxcolwidths=[28, None, None, 90]
            )
        )
        click.echo(f"{len(hits)} hits")


@main.command()
@click.argument("name")
@click.option("--project", required=True)
@click.option("--json", "as_json", is_flag=True)
def entity(name: str, project: str, as_json: bool) -> None:
    """Everything known about the resolved entity NAME (id, name or alias): its aliases, every
    mention with its page, Bates cite and sentence, and its relationships with their evidence."""
    import dataclasses
    import json

    from docassets.entity_record import entity_record
    from docassets.search import EntityNotFound

    try:
        record = entity_record(_tables(), project, name)
    except EntityNotFound as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(record), indent=2))
        return
    from tabulate import tabulate

    e = record.entity
    click.echo(f"{e.canonical_name}  ({e.label}, {e.entity_id})")
    click.echo(f"aliases: {'; '.join(e.aliases)}")
    click.echo(f"{e.mention_count} mentions in {e.document_count} documents\n")
    click.echo(
        tabulate(
            [(m.where.cite, m.text, m.sentence) for m in record.mentions],
            headers=["cite", "mention", "sentence"],
            maxcolwidths=[28, 24, 80],
        )
    )
    if record.relationships:
        click.echo("\nrelationships")
        rows = [
            (r.type, "->" if r.role == "source" else "<-", r.other, r.where.cite, r.sentence)
            for r in record.relationships
        ]
        click.echo(
            tabulate(
                rows, headers=["type", "", "other", "cite", "evidence"], maxcolwidths=[16, 2, 28, 28, 70]
            )
        )


@main.command()
@click.option("--port", default=8765, show_default=True)
def serve(port: int) -> None:
    """A read-only search page for the review team on http://127.0.0.1:PORT."""
    import uvicorn

    from docassets.web import create_app

    click.echo(f"docassets search page on http://127.0.0.1:{port}")
    uvicorn.run(create_app(Settings.from_env()), host="127.0.0.1", port=port, log_level="warning")
