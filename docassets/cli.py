"""The `docassets` command: process, upload, status, export, migrate and doctor."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from docassets.settings import ConfigurationError, Settings

SUMMARY_COLUMNS = ("file", "status", "pages", "ocr", "chunks", "mentions", "entities", "relations")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None


@click.group()
def main() -> None:
    """Turn legal PDFs into text, chunks, entities, resolved entities and an entity graph."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", default="default", show_default=True, help="The matter the documents belong to.")
def process(files: tuple[Path, ...], project: str) -> None:
    """Run the whole pipeline on local FILES now, through Dagster, and print a summary per document."""
    from docassets.local_run import process_files
    from docassets.preflight import StorageUnavailable

    try:
        result = process_files(files, project=project, settings=_settings())
    except StorageUnavailable as error:
        raise click.ClickException(str(error)) from None
    widths = (38, 9, 5, 4, 6, 8, 8, 9)
    click.echo("  ".join(f"{c:<{w}}" for c, w in zip(SUMMARY_COLUMNS, widths, strict=True)))
    for d in result.documents:
        cells = (d.file_name[:38], d.status, d.pages, d.ocr_pages, d.chunks, d.mentions, d.entities, d.relationships)
        click.echo("  ".join(f"{str(c):<{w}}" for c, w in zip(cells, widths, strict=True)))
        if d.error:
            click.echo(f"    error: {d.error}", err=True)
    click.echo(f"\nproject {project}: {result.entities} resolved entities; graph at {result.graph_location}")
    if result.failed:
        raise click.ClickException(f"{len(result.failed)} of {len(result.documents)} documents failed")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", default="default", show_default=True)
@click.option("--priority", type=click.Choice(["high", "normal", "low"]), default="normal", show_default=True)
def upload(files: tuple[Path, ...], project: str, priority: str) -> None:
    """Upload FILES to the blob store; the upload sensor registers and processes them."""
    from docassets.preflight import blob_store_for
    from docassets.storage.registry import upload_document

    store = blob_store_for(_settings())
    with click.progressbar(files, label="uploading", item_show_func=lambda p: p.name if p else "") as bar:
        ids = [(path, upload_document(store, path, project=project, priority=priority)) for path in bar]
    for path, document_id in ids:
        click.echo(f"{document_id}  {path.name}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", required=True, help="The matter the documents belong to.")
@click.option("--priority", type=click.Choice(["high", "normal", "low"]), default="normal", show_default=True)
@click.option("--force", is_flag=True, help="Reprocess files the project already has (their rows are replaced).")
def submit(files: tuple[Path, ...], project: str, priority: str, force: bool) -> None:
    """Upload a batch of FILES and queue their runs; refuses when the runs could not start."""
    from docassets.preflight import SUBMIT_CHECKS, run_checks
    from docassets.submission import submit_files

    settings = _settings()
    problems = [result for result in run_checks(settings, SUBMIT_CHECKS) if not result.ok]
    if problems:
        raise click.ClickException(
            "not submitting, the runs could not start:\n" + "\n".join(f"  {r.name}: {r.detail}" for r in problems)
        )
    total = sum(path.stat().st_size for path in files)
    with click.progressbar(length=total, label=f"uploading {len(files)} files") as bar:
        batch = submit_files(settings, files, project=project, priority=priority, force=force, on_bytes=bar.update)
    for item in batch.files:
        click.echo(f"{item.document_id}  {item.outcome:<12}  {item.path.name}")
    duplicates = sum(item.outcome == "duplicate" for item in batch.files)
    click.echo(f"batch {batch.batch_id}: {len(batch.files) - duplicates} queued at {priority} priority, "
               f"{duplicates} duplicates skipped{' (use --force to reprocess them)' if duplicates else ''}")
    click.echo(f"follow it with: docassets status --batch {batch.batch_id}")


@main.command()
@click.option("--project", default=None, help="Only this project's documents.")
@click.option("--batch", "batch_id", default=None, help="Only this batch (printed by submit).")
@click.option("--document", "document_id", default=None, help="Only this document.")
def status(project: str | None, batch_id: str | None, document_id: str | None) -> None:
    """Per-document progress through the stages, failures with their causes, and an ETA."""
    from docassets.progress import STAGES, read_progress
    from docassets.storage.tables import TableStore

    tables = TableStore(_settings().database_url)
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
    total = len(progress.documents)
    done = progress.count("completed") + progress.count("failed")
    filled = round(30 * done / total)
    eta = f", about {progress.eta.total_seconds() / 60:.0f} min left" if progress.eta else ""
    click.echo(f"[{'#' * filled}{'-' * (30 - filled)}] {progress.count('completed')}/{total} completed, "
               f"{progress.count('failed')} failed, {progress.count('running')} running, "
               f"{progress.count('queued')} queued{eta}")


@main.command()
@click.option("--project", default=None, help="Every document of this project.")
@click.option("--document", "document_ids", multiple=True, help="This document (repeatable).")
@click.option("--failed", is_flag=True, help="Only documents whose last run failed.")
def reprocess(project: str | None, document_ids: tuple[str, ...], failed: bool) -> None:
    """Backfill: run the chosen documents again (the sensor requests the runs; rows are replaced)."""
    from docassets.progress import read_progress
    from docassets.storage.registry import request_reruns
    from docassets.storage.tables import TableStore

    if not project and not document_ids:
        raise click.ClickException("choose documents with --project or --document")
    tables = TableStore(_settings().database_url)
    tables.ensure_schema()
    chosen = [
        d.document_id
        for d in read_progress(tables, project=project).documents
        if (not document_ids or d.document_id in document_ids) and (not failed or d.state == "failed")
    ]
    request_reruns(tables, chosen)
    click.echo(f"{len(chosen)} documents queued for reprocessing")


@main.command()
@click.option("--project", required=True)
@click.option("--out", "folder", required=True, type=click.Path(file_okay=False, path_type=Path))
def export(project: str, folder: Path) -> None:
    """Write a project's graph (GraphML, Neo4j CSV) and tables (CSV) to FOLDER."""
    from docassets.export import export_project

    for path in export_project(_settings(), project, folder):
        click.echo(str(path))


@main.command()
@click.option("--new", "message", default=None,
              help="Instead: write the revision that brings the schema to docassets/storage/tables.py.")
def migrate(message: str | None) -> None:
    """Upgrade the database (DOCASSETS_DATABASE_URL) to this code's schema revision."""
    from docassets.storage.migrations import new_revision
    from docassets.storage.tables import DatabaseUnavailable, TableStore

    if message:
        click.echo(f"wrote {new_revision(message)}; read it, then run `docassets migrate`")
        return
    tables = TableStore(_settings().database_url)
    try:
        before, now = tables.migrate()
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{tables.shown_url}: schema revision {before or 'none'} -> {now}")


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
