"""Baseline: the tables as they were before migrations (cases, audit trail, outbox, messages to people,
inbound de-duplication, encrypted contacts, periodic jobs).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("organization", sa.String(8), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("country", sa.String(2)),
        sa.Column("channel", sa.String(20)),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("open_key", sa.String(128), unique=True),
        sa.Column("indicators", sa.JSON, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("notified_at", TZ),
        sa.Column("claimed_at", TZ),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("closed_at", TZ),
        sa.Column("sla_round", sa.Integer, nullable=False),
    )
    op.create_index("ix_cases_conversation_id", "cases", ["conversation_id"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id")),
        sa.Column("responder_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("lease_until", TZ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
    )
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])
    op.create_index("ix_outbox_status", "outbox", ["status"])
    op.create_table(
        "user_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(20)),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id")),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
    )
    op.create_index("ix_user_messages_conversation_id", "user_messages", ["conversation_id"])
    op.create_index("ix_user_messages_status", "user_messages", ["status"])
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128)),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("failed_text", sa.LargeBinary),
        sa.UniqueConstraint("channel", "external_id", name="uq_inbound_channel_external"),
    )
    op.create_index("ix_inbound_messages_conversation_id", "inbound_messages", ["conversation_id"])
    op.create_table(
        "contacts",
        sa.Column("pseudonym", sa.String(128), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("last_run_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("jobs", "contacts", "inbound_messages", "user_messages", "outbox", "case_events", "cases"):
        op.drop_table(table)
