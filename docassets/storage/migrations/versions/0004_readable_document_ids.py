"""readable document ids: document id columns widened from 36 characters (a UUID) to 128

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:55:00

A document's id is now `<project>~<file stem>-<suffix>` (storage/registry.py), which is also its
Dagster partition key. Documents registered before keep their UUIDs; nothing else changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from docassets.storage.tables import SEARCH_DDL

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "documents": ["document_id"],
    "batch_files": ["document_id"],
    "source_documents": ["document_id"],
    "chunks": ["document_id"],
    "entity_mentions": ["document_id"],
    "defined_terms": ["document_id"],
    "relationships": ["document_id"],
    "document_summary": ["document_id"],
    "entity_links": ["document_id"],
    "search_index": ["document_id"],
    "document_duplicates": ["document_id", "pivot_document_id"],
    "document_failures": ["document_id"],
    "document_progress": ["document_id"],
}


def _retype(old: sa.String, new: sa.String) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=old, type_=new)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite rebuilt search_index (it cannot change a column's type in place), dropping the
        # triggers that keep its full-text index current: make them again and rebuild the index.
        for statement in SEARCH_DDL["sqlite"][1:]:
            op.execute(statement)
        op.execute("INSERT INTO search_index_fts(search_index_fts) VALUES ('rebuild')")


def upgrade() -> None:
    _retype(sa.String(length=36), sa.String(length=128))


def downgrade() -> None:
    _retype(sa.String(length=128), sa.String(length=36))
