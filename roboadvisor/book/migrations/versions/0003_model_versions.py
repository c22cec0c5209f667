"""Model portfolio versions (the five tier portfolios published together) and the model
version each account was last rebalanced to. A published version never changes: triggers refuse
UPDATE and DELETE on both tables, as on the advice record.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


_TABLES = ("model_versions", "model_tiers")


def _guards(dialect: str) -> list[str]:
    if dialect == "postgresql":
        out = ["CREATE FUNCTION models_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN RAISE EXCEPTION 'published model versions never change: % refused', "
               "TG_OP; END $$"]
        for table in _TABLES:
            out += [f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION models_insert_only()",
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION models_insert_only()"]
        return out
    return [f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'published model versions never change: {op_name} refused'); "
            "END" for table in _TABLES for op_name in ("UPDATE", "DELETE")]


def upgrade() -> None:
    op.create_table(
        "model_versions", sa.Column("version", sa.Integer, primary_key=True,
                                    autoincrement=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("record_seq", sa.Integer, nullable=False))
    op.create_table(
        "model_tiers",
        sa.Column("version", sa.Integer, sa.ForeignKey("model_versions.version"),
                  primary_key=True),
        sa.Column("tier", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text, nullable=False))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("model_version", sa.Integer, nullable=True))
    for statement in _guards(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the book is migrated forwards only")
