"""Account settings: a cash reserve kept out of the market (currency, default 0) and a minimum
order value of the account's own (null: the run's --min-trade), set with ``account set``.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("cash_reserve", sa.Numeric(20, 4), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("min_trade", sa.Numeric(20, 4), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("the book is migrated forwards only")
