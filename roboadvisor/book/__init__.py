"""The client book: the SQL store (SQLAlchemy + Alembic), repositories, encryption of personal
data and the hash-chained advice record."""
