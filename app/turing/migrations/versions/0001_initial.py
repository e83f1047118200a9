"""The Turing-test schema: photos, colorizations, participants, sessions, trials, votes.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "turing_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("png", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "turing_colorizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("photo_id", sa.Integer, sa.ForeignKey("turing_photos.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model_name", sa.String(100), nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("temperature", sa.Float, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("png", sa.LargeBinary, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_turing_colorizations_photo_id", "turing_colorizations", ["photo_id"])
    op.create_index("ix_turing_colorizations_status", "turing_colorizations", ["status"])
    op.create_table(
        "turing_participants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "turing_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("turing_participants.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("n_practice", sa.Integer, nullable=False),
        sa.Column("n_test", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_turing_sessions_participant_id", "turing_sessions", ["participant_id"])
    op.create_table(
        "turing_trials",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("session_id", sa.String(32), sa.ForeignKey("turing_sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("is_attention", sa.Boolean, nullable=False),
        sa.Column("photo_id", sa.Integer, sa.ForeignKey("turing_photos.id"), nullable=False),
        sa.Column("colorization_id", sa.Integer, sa.ForeignKey("turing_colorizations.id"), nullable=False),
        sa.Column("real_side", sa.String(8), nullable=False),
        sa.Column("left_image", sa.String(43), nullable=False, unique=True),
        sa.Column("right_image", sa.String(43), nullable=False, unique=True),
        sa.UniqueConstraint("session_id", "position", name="uq_turing_trials_position"),
    )
    op.create_index("ix_turing_trials_session_id", "turing_trials", ["session_id"])
    op.create_table(
        "turing_votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trial_id", sa.String(32), sa.ForeignKey("turing_trials.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("turing_participants.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("chosen_side", sa.String(8), nullable=False),
        sa.Column("chose_real", sa.Boolean, nullable=False),
        sa.Column("response_ms", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_turing_votes_participant", "turing_votes", ["participant_id"])


def downgrade() -> None:
    for table in ("turing_votes", "turing_trials", "turing_sessions", "turing_participants",
                  "turing_colorizations", "turing_photos"):
        op.drop_table(table)
