"""The stable public facade of docassets. Imports are deferred so `import docassets.api` stays fast.

from docassets import api
pages = api.extract_pages("order.pdf")          # [Page(number=1, text=..., method="ocr", ...)]
mentions = api.extract_entities(pages[0].text)  # [Mention(start, end, text, label, ...)]
api.resolve_names([("Paul, Michael", "PERSON"), ("Michael Paul", "PERSON")])  # [0, 0]
result = api.process(["a.pdf", "b.pdf"], project="wombat")
hits = api.search("wombat", '"2019 audit" acme', entities=["Acme Corp."])  # [Hit(..., bates="WOMBAT 000512")]
record = api.entity("wombat", "Acme")           # its aliases, mentions with cites, relationships
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docassets.core.models import Mention, Page
    from docassets.entity_record import EntityRecord
    from docassets.local_run import ProcessResult
    from docassets.search import Hit
    from docassets.settings import Settings

__all__ = ["extract_pages", "extract_entities", "resolve_names", "process", "search", "entity"]


def extract_pages(path: str | Path, *, workers: int | None = None) -> list[Page]:
    """Every page's text: the text layer where it is good, Tesseract OCR where it is not.

    `workers` Tesseract processes read pages at once (default: one per core).
    """
    from docassets.core.pdf import ExtractionSettings
    from docassets.core.pdf import extract_pages as extract

    settings = ExtractionSettings() if workers is None else ExtractionSettings(workers=workers)
    return list(extract(path, name=Path(path).name, settings=settings))


def extract_entities(text: str) -> list[Mention]:
    """Entity mentions of a text, offsets into it: the same mentions the `entity_mentions` asset finds."""
    from docassets.core.entities import extract_entities as extract

    return extract(text)


def resolve_names(items: Sequence[tuple[str, str]]) -> list[int]:
    """For (name, label) pairs, one cluster id per item; equal ids mean the same real-world entity."""
    from docassets.core.resolution import resolve_names as resolve

    return resolve(items)


def process(
    paths: Sequence[str | Path],
    *,
    project: str = "default",
    settings: Settings | None = None,
    force: bool = False,
) -> ProcessResult:
    """Run the whole pipeline through Dagster on local files or folders of PDFs (embedded default
    unless configured). A file the project already has is a "duplicate", not run again unless `force`."""
    from docassets.local_run import process_files
    from docassets.settings import Settings

    return process_files(paths, project=project, settings=settings or Settings.from_env(), force=force)


def search(project: str, query: str, *, settings: Settings | None = None, **filters) -> list[Hit]:
    """Pages of a project matching `query` (docassets' search syntax), best first, each cited.

    Filters (keywords): `entities`, `together` ("page" | "sentence"), `documents`, `date_from`,
    `date_to`, `labels`, `collapse_duplicates`, `exclude_documents`, `limit`; see `docassets.search.search`.
    """
    from docassets.search import search as run

    return run(_tables(settings), project, query, **filters)


def entity(project: str, name: str, *, settings: Settings | None = None) -> EntityRecord:
    """The record of a project's resolved entity (id, name or alias): mentions with cites and sentences,
    relationships with their evidence."""
    from docassets.entity_record import entity_record

    return entity_record(_tables(settings), project, name)


def _tables(settings: Settings | None):
    from docassets.settings import Settings
    from docassets.storage.tables import open_tables

    return open_tables((settings or Settings.from_env()).database_url)
