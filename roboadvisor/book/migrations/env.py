"""Alembic environment, run programmatically by ``roboadvisor.book.store`` on the connection it
passes in ``config.attributes["connection"]`` (no alembic.ini on disk)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
