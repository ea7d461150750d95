"""The typed records that flow between the pipeline's stages.

Every offset is a character offset into the *document text*: the pages' texts joined with
`PAGE_SEPARATOR`. A stage may only add information to a record, never change what an
earlier stage measured, so that every finding can be traced back to its page and Bates number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PAGE_SEPARATOR = "\n\n"

TextMethod = Literal["text", "ocr", "empty"]


@dataclass(frozen=True)
class Page:
    """One page's text and how it was obtained."""

    number: int  # 1-based
    text: str
    method: TextMethod  # "text": the PDF's text layer; "ocr": Tesseract; "empty": nothing readable
    ocr_confidence: float | None = None  # Tesseract's mean word confidence (0-100) on OCR pages
    bates: str | None = None  # e.g. "WOMBAT 000454"
    stamp: str | None = None  # a CM/ECF header such as "Case: 21-1298 Document: 42 Page: 1 ..."
    # How well the text layer and a fresh OCR read (`docassets.core.text_quality.reading_score`,
    # 0-1), where they were compared: a scanned page's layer, and every OCR reading.
    layer_score: float | None = None
    ocr_score: float | None = None


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of the document text, bounded in tokens."""

    index: int
    text: str
    char_start: int
    char_end: int
    page_start: int
    page_end: int
    bates_start: str | None
    bates_end: str | None
    token_count: int


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity: `text == source_text[start:end]` always holds."""

    start: int
    end: int
    text: str
    label: str  # PERSON, ORG, LOCATION, DATE, MONEY, COURT, CASE_NUMBER, STATUTE, PROVISION, CITATION, BATES
    normalized: str  # the comparable form: ISO date, amount, court id, docket, citation, name
    method: str  # what found it: "spacy", "courts-db", "eyecite", "rule:<name>", ...
    confidence: float = 1.0
    page_number: int | None = None
    bates: str | None = None
    role: str | None = None  # party role where the text states it: plaintiff, defendant, ...


@dataclass(frozen=True)
class AliasEvidence:
    """A document's statement that `alias` names the same entity as `referent`: a defined term
    (`Acme Holdings, Inc. (the "Company")`) or an acronym (`Securities and Exchange Commission
    (the "SEC")`). `evidence` is the defining sentence or span as the document writes it."""

    document_id: str
    alias: str  # "the Company", "SEC"
    referent: str  # "Acme Holdings, Inc.", "Securities and Exchange Commission"
    label: str  # the label of the entity both name: ORG, PERSON, ...
    evidence: str
    page_number: int | None = None


@dataclass(frozen=True)
class Entity:
    """A canonical real-world entity of a project, with every form it was written in."""

    entity_id: str
    label: str
    canonical_name: str
    aliases: tuple[str, ...]
    mention_count: int
    document_count: int
    definitions: tuple[AliasEvidence, ...] = ()  # the definitions that joined aliases to it


@dataclass(frozen=True)
class EntityKey:
    """How a document refers to an entity before resolution: its label and normalised name."""

    label: str
    normalized: str

    def __str__(self) -> str:
        return f"{self.label}:{self.normalized}"


@dataclass(frozen=True)
class Relationship:
    """A typed, evidenced edge between two entities of one document.

    `source` / `target` are entity keys; the document itself is `EntityKey("DOCUMENT", <id>)`.
    """

    type: str  # MENTIONS, PLAINTIFF_IN, DEFENDANT_IN, REPRESENTS, CO_OCCURS, CITES, ...
    source: EntityKey
    target: EntityKey
    chunk_index: int | None
    sentence: str
    confidence: float
    count: int = 1
