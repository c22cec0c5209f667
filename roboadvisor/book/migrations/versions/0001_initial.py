"""The first book: clients, assessments, accounts, positions, the append-only advice record.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_GUARDS = [
    "CREATE TRIGGER records_no_update BEFORE UPDATE ON records "
    "BEGIN SELECT RAISE(ABORT, 'advice records are append-only: UPDATE refused'); END",
    "CREATE TRIGGER records_no_delete BEFORE DELETE ON records "
    "BEGIN SELECT RAISE(ABORT, 'advice records are append-only: DELETE refused'); END",
]
_PG_GUARDS = [
    "CREATE FUNCTION records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'advice records are append-only: % refused', TG_OP; END $$",
    "CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON records "
    "FOR EACH ROW EXECUTE FUNCTION records_append_only()",
    "CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON records "
    "FOR EACH STATEMENT EXECUTE FUNCTION records_append_only()",
]


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table("book_settings", sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    op.create_table("clients", sa.Column("id", sa.String(64), primary_key=True),
                    sa.Column("name_enc", sa.LargeBinary), sa.Column("birth_date_enc",
                                                                    sa.LargeBinary),
                    sa.Column("created_at", tz, nullable=False), sa.Column("erased_at", tz))
    op.create_table(
        "assessments", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.id"), nullable=False,
                  index=True),
        sa.Column("questionnaire_id", sa.String(64), nullable=False),
        sa.Column("questionnaire_version", sa.Integer, nullable=False),
        sa.Column("questionnaire_sha256", sa.String(64), nullable=False),
        sa.Column("answers_enc", sa.LargeBinary),
        sa.Column("answers_sha256", sa.String(64), nullable=False),
        sa.Column("tolerance_score", sa.Float, nullable=False),
        sa.Column("capacity_score", sa.Float, nullable=False),
        sa.Column("combined_score", sa.Float, nullable=False),
        sa.Column("score_tier", sa.Integer, nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("lowest", sa.Boolean, nullable=False),
        sa.Column("assessed_at", tz, nullable=False), sa.Column("expires_at", tz, nullable=False))
    op.create_table(
        "accounts", sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.id"), nullable=False,
                  index=True),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("above_level", sa.Boolean, nullable=False),
        sa.Column("acknowledgement_enc", sa.LargeBinary),
        sa.Column("cash", sa.Numeric(20, 4), nullable=False),
        sa.Column("opened_at", tz, nullable=False))
    op.create_table(
        "positions",
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("shares", sa.Numeric(24, 8), nullable=False))
    op.create_table(
        "records", sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("client_id", sa.String(64), index=True),
        sa.Column("account_id", sa.String(64)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("prev_hash", name="uq_records_prev_hash"))
    op.create_table("blobs", sa.Column("sha256", sa.String(64), primary_key=True),
                    sa.Column("data", sa.LargeBinary, nullable=False))
    guards = _PG_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the advice record is never dropped")
