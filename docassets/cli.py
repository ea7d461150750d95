"""The `docassets` command: process, upload, status, export and doctor."""
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
@click.option("--project", default=None, help="Only this project's documents.")
@click.option("--document", "document_id", default=None, help="Only this document.")
def status(project: str | None, document_id: str | None) -> None:
    """Show each registered document's state: completed, failed (with the cause) or pending."""
    from docassets.storage.tables import TableStore

    tables = TableStore(_settings().database_url)
    tables.create_schema()
    registered = tables.read_frame("documents", {"project": project} if project else None)
    if document_id:
        registered = registered[registered.document_id == document_id]
    done = set(tables.read_frame("document_summary").document_id)
    failures = {row.document_id: row for row in tables.read_frame("document_failures").itertuples()}
    total = len(registered)
    for row in registered.sort_values("registered_at").itertuples():
        state = "completed" if row.document_id in done else "failed" if row.document_id in failures else "pending"
        click.echo(f"{row.document_id}  {state:<9}  {row.project:<12}  {row.file_name}")
        if state == "failed":
            failure = failures[row.document_id]
            click.echo(f"    {failure.stage}: {failure.error}")
    completed = sum(1 for d in registered.document_id if d in done)
    click.echo(f"{completed}/{total} completed, {sum(1 for d in registered.document_id if d in failures and d not in done)} failed")


@main.command()
@click.option("--project", required=True)
@click.option("--out", "folder", required=True, type=click.Path(file_okay=False, path_type=Path))
def export(project: str, folder: Path) -> None:
    """Write a project's graph (GraphML, Neo4j CSV) and tables (CSV) to FOLDER."""
    from docassets.export import export_project

    for path in export_project(_settings(), project, folder):
        click.echo(str(path))


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
