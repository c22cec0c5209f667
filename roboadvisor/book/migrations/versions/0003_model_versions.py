"""Model portfolio versions (the five tier portfolios published together) and the model
version each account was last rebalanced to.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    raise NotImplementedError("the book is migrated forwards only")
