"""The tables as `create_all` made them before there were migrations (the baseline).

Revision ID: 0001
Revises:
Create Date: 2026-11-30 05:03:59.785533
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_table(
        "chunks",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("char_start", sa.Integer(), nullable=False),
        sa.Column("char_end", sa.Integer(), nullable=False),
        sa.Column("page_start", sa.Integer(), nullable=False),
        sa.Column("page_end", sa.Integer(), nullable=False),
        sa.Column("bates_start", sa.Text(), nullable=True),
        sa.Column("bates_end", sa.Text(), nullable=True),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "chunk_index"),
    )
    op.create_table(
        "document_failures",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_table(
        "document_summary",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("ocr_pages", sa.Integer(), nullable=False),
        sa.Column("unreadable_pages", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("relationships", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("batch_id", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), server_default="normal", nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_owed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("document_id"),
        sa.UniqueConstraint("blob_key", "etag", name="documents_blob_version"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_run_requested_at"), ["run_requested_at"], unique=False)

    op.create_table(
        "entity_links",
        sa.Column("mention_id", sa.Text(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("mention_id"),
    )
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entity_links_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entity_links_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "entity_mentions",
        sa.Column("mention_id", sa.Text(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=True),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("page_number", sa.Integer(), nullable=True),
        sa.Column("bates", sa.Text(), nullable=True),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("mention_id"),
    )
    with op.batch_alter_table("entity_mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entity_mentions_document_id"), ["document_id"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("blob_key", "etag"),
    )
    op.create_table(
        "relationships",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("relationship_index", sa.Integer(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("source_label", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("target_label", sa.Text(), nullable=False),
        sa.Column("target_name", sa.Text(), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "relationship_index"),
    )
    op.create_table(
        "resolved_entities",
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("canonical_name", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("document_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity_id"),
    )
    with op.batch_alter_table("resolved_entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolved_entities_project"), ["project"], unique=False)

    op.create_table(
        "source_documents",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("project", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )


def downgrade() -> None:
    op.drop_table("source_documents")
    with op.batch_alter_table("resolved_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolved_entities_project"))

    op.drop_table("resolved_entities")
    op.drop_table("relationships")
    op.drop_table("quarantine")
    with op.batch_alter_table("entity_mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_mentions_document_id"))

    op.drop_table("entity_mentions")
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_links_entity_id"))
        batch_op.drop_index(batch_op.f("ix_entity_links_document_id"))

    op.drop_table("entity_links")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_run_requested_at"))

    op.drop_table("documents")
    op.drop_table("document_summary")
    op.drop_table("document_failures")
    op.drop_table("chunks")
    op.drop_table("batches")
