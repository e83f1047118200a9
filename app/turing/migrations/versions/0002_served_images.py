"""Per-trial presentation seeds, when each image was served, and the server's time of each vote.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("turing_trials") as batch:
        batch.add_column(sa.Column("seed", sa.Integer, nullable=True))
        batch.add_column(sa.Column("left_served_at", TS, nullable=True))
        batch.add_column(sa.Column("right_served_at", TS, nullable=True))
    with op.batch_alter_table("turing_votes") as batch:
        batch.add_column(sa.Column("server_ms", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("turing_votes") as batch:
        batch.drop_column("server_ms")
    with op.batch_alter_table("turing_trials") as batch:
        for column in ("right_served_at", "left_served_at", "seed"):
            batch.drop_column(column)
