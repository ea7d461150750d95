"""Metadata values as a person reads them in the Dagster UI: blanks for what is missing, links to
stored files, tables without `nan`."""

from __future__ import annotations

import math

import dagster as dg
import pandas as pd

from docassets.frames import present
from docassets.storage.blobs import BlobStore

BLANK = ""  # what the UI shows for a value that does not apply (not `null`, not `nan`)


def blank_if_missing(value: float | None, digits: int = 2) -> float | str:
    """A number rounded for display, or a blank where there is none (a text page has no OCR confidence)."""
    return BLANK if value is None or math.isnan(value) else round(float(value), digits)


def markdown_table(frame: pd.DataFrame) -> dg.MetadataValue:
    """A preview table with missing values (a page without Bates number, a text page's OCR
    confidence) as blank cells."""
    return dg.MetadataValue.md(present(frame).to_markdown(index=False, missingval=BLANK))


def blob_link(store: BlobStore, key: str) -> dg.MetadataValue:
    """A link to a stored file: a path on this machine for a local folder, the object's URL at the
    S3 endpoint otherwise."""
    link = store.link(key)
    return dg.MetadataValue.url(link) if "://" in link else dg.MetadataValue.path(link)
