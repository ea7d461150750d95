"""Pages already read of a document, kept in the blob store as they are written, so that a retried
step or a re-executed run resumes after the last page saved instead of OCRing a 300-page
production again.

Parts live under `<asset>/_partial/<document_id>/<version>/`, one Parquet file per batch of pages,
named by its first and last page. The version names the PDF (its sha256) and the extraction
settings, so pages read from another file or with other settings are never resumed. The blob IO
manager removes a document's parts once its whole output is stored (`clear`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pandas as pd

from docassets.storage.blobs import BlobInfo, BlobStore

PARTIAL_FOLDER = "_partial"


def partial_prefix(asset: str, document_id: str) -> str:
    return f"{asset}/{PARTIAL_FOLDER}/{document_id}/"


class PageCheckpoints:
    """The saved page batches of one document and version."""

    def __init__(self, store: BlobStore, asset: str, document_id: str, version: str):
        self.store = store
        self.prefix = f"{partial_prefix(asset, document_id)}{version}/"

    def saved(self) -> Iterator[pd.DataFrame]:
        """The saved batches that continue each other from page 1, in page order."""
        expected = 1
        for info in _every_blob(self.store, self.prefix):
            first, _, last = info.key.rsplit("/", 1)[-1].removesuffix(".parquet").partition("-")
            if not (first.isdigit() and last.isdigit()) or int(first) != expected:
                return  # a gap: what follows cannot be trusted to continue the document
            yield pd.read_parquet(io.BytesIO(self.store.get_bytes(info.key)))
            expected = int(last) + 1

    def save(self, pages: pd.DataFrame) -> None:
        """Keep one batch of consecutive pages (a `pages_frame`)."""
        first, last = int(pages.page_number.min()), int(pages.page_number.max())
        buffer = io.BytesIO()
        pages.to_parquet(buffer, index=False)
        self.store.put_bytes(f"{self.prefix}{first:06d}-{last:06d}.parquet", buffer.getvalue())


def clear_checkpoints(store: BlobStore, asset: str, document_id: str) -> None:
    """Remove every saved batch of a document, whatever its version."""
    for info in list(_every_blob(store, partial_prefix(asset, document_id))):
        store.delete(info.key)


def _every_blob(store: BlobStore, prefix: str) -> Iterator[BlobInfo]:
    start_after = ""
    while True:
        page = store.list(prefix, start_after=start_after)
        yield from page
        if len(page) < 1000:
            return
        start_after = page[-1].key
