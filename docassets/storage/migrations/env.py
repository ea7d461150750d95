"""Alembic's environment for docassets: always run through `docassets.storage.migrations`, which
passes the connection in; SQLite alters tables in batch mode (copy and rename), PostgreSQL directly."""

from alembic import context

from docassets.storage.tables import declared_by_ddl, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=lambda name, type_, parent_names: not declared_by_ddl(name),
)
with context.begin_transaction():
    context.run_migrations()
