"""A small processed matter for the search tests: real filings, one of them a Bates-stamped
production, one scanned (OCR), run through the whole pipeline once per database engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pymupdf
import pytest

from docassets.local_run import process_files
from docassets.settings import Settings
from docassets.storage.tables import TableStore

from .conftest import sample

PROJECT = "wombat"
FIRST_BATES = 510


@dataclass(frozen=True)
class Matter:
    engine: str
    settings: Settings
    tables: TableStore
    files: dict[str, str]  # file name -> document id


def bates_stamped(source: Path, pages: list[int], target: Path, first: int = FIRST_BATES) -> Path:
    """Pages of a real filing produced with a Bates number in each page's footer."""
    with pymupdf.open(source) as document:
        document.select(pages)
        for offset, page in enumerate(document):
            page.insert_text(
                (page.rect.width - 140, page.rect.height - 14), f"WOMBAT {first + offset:06d}", fontsize=10
            )
        document.save(target)
    return target


def matter_files(folder: Path) -> list[Path]:
    return [
        bates_stamped(
            sample("ca5-filing-00516242060.pdf"), list(range(6)), folder / "st-pierre-production.pdf"
        ),
        sample("dcolo-complaint-first-page.pdf"),
        sample("ca10-filing-010110462922.pdf"),
        sample("tn-workers-comp-order-scan.pdf"),
    ]


def process_matter(engine: str, home: Path, files: list[Path], database_url: str | None = None) -> Matter:
    environment = {"DOCASSETS_HOME": str(home), "DOCASSETS_OCR_WORKERS": "2"}
    if database_url:
        environment["DOCASSETS_DATABASE_URL"] = database_url
    settings = Settings.from_env(environment)
    # A database URL from the environment reaches the Dagster resources as an EnvVar, read at run time.
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        if database_url:
            patch.setenv("DOCASSETS_DATABASE_URL", database_url)
        result = process_files(files, project=PROJECT, settings=settings, instance=instance)
    assert not result.failed, result.failed
    return Matter(
        engine,
        settings,
        TableStore(settings.database_url),
        {d.file_name: d.document_id for d in result.documents},
    )
