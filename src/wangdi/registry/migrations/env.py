"""Alembic environment: migrations run against the connection wangdi hands over."""

from alembic import context

from wangdi.registry.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run via the alembic CLI
    from sqlalchemy import create_engine

    from wangdi.settings import database_url

    connection = create_engine(database_url()).connect()
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
