"""Alembic migrations of the book schema."""
