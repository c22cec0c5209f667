"""The book's tables (SQLAlchemy Core). The migrations in ``migrations/versions`` create them;
this module is the one description the repositories query through.

Core, not the ORM: rows cross into frozen dataclasses at the repository edge, every write is an
explicit statement inside the command's one transaction, and the advice record is an insert-only
table guarded by triggers: there are no mutable entities for an ORM session to track.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

HEAD = "0004"
"""The schema version this code reads and writes (the newest migration's revision)."""

metadata = MetaData()

settings = Table(
    "book_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

clients = Table(
    "clients", metadata,
    Column("id", String(64), primary_key=True),
    Column("name_enc", LargeBinary, nullable=True),
    Column("birth_date_enc", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)

assessments = Table(
    "assessments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), ForeignKey("clients.id"), nullable=False, index=True),
    Column("questionnaire_id", String(64), nullable=False),
    Column("questionnaire_version", Integer, nullable=False),
    Column("questionnaire_sha256", String(64), nullable=False),
    Column("answers_enc", LargeBinary, nullable=True),
    Column("answers_sha256", String(64), nullable=False),
    Column("tolerance_score", Float, nullable=False),
    Column("capacity_score", Float, nullable=False),
    Column("combined_score", Float, nullable=False),
    Column("score_tier", Integer, nullable=False),
    Column("tier", Integer, nullable=False),
    Column("lowest", Boolean, nullable=False),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", String(64), primary_key=True),
    Column("client_id", String(64), ForeignKey("clients.id"), nullable=False, index=True),
    Column("tier", Integer, nullable=False),
    Column("above_level", Boolean, nullable=False),
    Column("acknowledgement_enc", LargeBinary, nullable=True),
    Column("cash", Numeric(20, 4), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("allow_fractional", Boolean, nullable=False),
    Column("drift_threshold", Numeric(8, 6), nullable=False),
    Column("model_version", Integer, nullable=True),
    Column("cash_reserve", Numeric(20, 4), nullable=False, server_default="0"),
    Column("min_trade", Numeric(20, 4), nullable=True),
)

positions = Table(
    "positions", metadata,
    Column("account_id", String(64), ForeignKey("accounts.id"), primary_key=True),
    Column("ticker", String(32), primary_key=True),
    Column("shares", Numeric(24, 8), nullable=False),
)

cash_flows = Table(
    "cash_flows", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("amount", Numeric(20, 4), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

records = Table(
    "records", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("client_id", String(64), nullable=True, index=True),
    Column("account_id", String(64), nullable=True),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("prev_hash", name="uq_records_prev_hash"),
)

blobs = Table(
    "blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
"""Non-personal inputs of records (questionnaire, universe, policies, assumptions, prices)
kept by content hash so that ``records verify --recompute`` can re-run them."""

model_versions = Table(
    "model_versions", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("source", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("inputs", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("record_seq", Integer, nullable=False),
)
"""Published model portfolios: version N, the inputs' hashes (canonical JSON), the digest of
the five tier portfolios (two versions with the same digest are the same models) and the
advice record that announced it."""

model_tiers = Table(
    "model_tiers", metadata,
    Column("version", Integer, ForeignKey("model_versions.version"), primary_key=True),
    Column("tier", Integer, primary_key=True),
    Column("body", Text, nullable=False),
)
"""One tier of a model version (tier 0: the lowest category's R1-only portfolio, in versions
that carry one): canonical JSON of weights, expected return, volatility, the binding
constraints and the per-asset estimates (what ``model diff`` explains)."""
