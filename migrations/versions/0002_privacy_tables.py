"""Erasure requests, Telegram message ids (48 hours) and per-minute rate-limit counters.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(128), unique=True),
        sa.Column("channel", sa.String(20)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("done_at", TZ),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_chat_messages_conversation_id", "chat_messages", ["conversation_id"])
    op.create_table(
        "rate_windows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("window", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.UniqueConstraint("conversation_id", "window", name="uq_rate_conversation_window"),
    )


def downgrade() -> None:
    for table in ("rate_windows", "chat_messages", "erasure_requests"):
        op.drop_table(table)
