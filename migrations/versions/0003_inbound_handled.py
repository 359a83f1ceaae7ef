"""inbound_messages.handled_at: a webhook recorded but never handled (its server died) is handled on retry.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True)))
    # everything recorded before this column existed was handled
    op.execute("UPDATE inbound_messages SET handled_at = received_at")


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("handled_at")
