"""Code versions of the extraction stages, so the UI marks documents that older rules processed.

A stage's version is a hash of the source of the core modules whose rules it runs (and, for
entities, the spaCy model's name): editing a rule changes it, Dagster then shows the stage's
materialized partitions as stale, and a backfill of the stale partitions brings them up to date.
"""

import hashlib
import inspect
from collections.abc import Callable
from types import ModuleType

from docassets.core import (
    bates,
    chunking,
    defined_terms,
    duplicates,
    entities,
    graph,
    legal_rules,
    ocr,
    pdf,
    relationships,
    resolution,
    text_quality,
)
from docassets.frames import search_index_rows


def code_version(*sources: ModuleType | Callable[..., object], extra: str = "") -> str:
    """A short hash of the modules' or functions' source (in the order given) and `extra`."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(inspect.getsource(source).encode("utf-8"))
    digest.update(extra.encode("utf-8"))
    return digest.hexdigest()[:16]


TEXT_VERSION = code_version(pdf, ocr, text_quality, bates)
CHUNKS_VERSION = code_version(chunking)
MENTIONS_VERSION = code_version(
    entities, legal_rules, defined_terms, chunking, bates, extra=entities.DEFAULT_MODEL
)
RELATIONSHIPS_VERSION = code_version(relationships)
RESOLUTION_VERSION = code_version(resolution)
GRAPH_VERSION = code_version(graph)
SEARCH_INDEX_VERSION = code_version(search_index_rows)  # the rows; the index itself is the schema's
DUPLICATES_VERSION = code_version(duplicates)
