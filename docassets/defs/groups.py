"""The asset groups, named so that the Dagster UI, which sorts groups by name, lists them in
pipeline order. Dagster has no group descriptions: these are shown in the README and in each
asset's description."""

INGEST = "1_ingest"
TEXT = "2_text"
ENTITIES = "3_entities"
PROJECT = "4_project"

GROUPS = {
    INGEST: "Each uploaded PDF, validated: size, sha256, pages, encryption, project and file name.",
    TEXT: "Each document's page text (text layer or OCR), its chunks and its full-text search rows.",
    ENTITIES: "Each document's entity mentions and relationships; its summary marks it complete.",
    PROJECT: "Across the completed documents of a project: canonical entities, duplicates, the graph.",
}
