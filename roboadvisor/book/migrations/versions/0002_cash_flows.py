"""Cash flows (deposits and withdrawals, pending until a rebalance applies them); accounts gain
allow_fractional and a drift threshold for the rebalancing that builds on them.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("allow_fractional", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("drift_threshold", sa.Numeric(8, 6), nullable=False,
                                   server_default="0.03"))
    op.create_table(
        "cash_flows", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    raise NotImplementedError("the book is migrated forwards only")
