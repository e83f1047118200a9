"""The Turing-test tables (SQLAlchemy 2 declarative models); the migrations create the same schema."""

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Photo(Base):
    """A real photo of the pool, stored normalised (trial size, PNG, no metadata)."""

    __tablename__ = "turing_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # where it came from, e.g. "kodak/kodim23.jpg"
    source: Mapped[str] = mapped_column(String(200))  # the folder or package it was imported from
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # of the normalised pixels: no duplicates
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Colorization(Base):
    """A fake of a photo: a model's colorization, or a random-colour version for attention checks."""

    __tablename__ = "turing_colorizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("turing_photos.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "model" or "attention"
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(100))
    temperature: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, succeeded, failed
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Participant(Base):
    """An anonymous participant: the cookie holds a secret token, the table only its hash."""

    __tablename__ = "turing_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # shown in the CSV export
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TuringSession(Base):
    """One run through the protocol: practice trials with feedback, then test trials without."""

    __tablename__ = "turing_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # opaque random
    participant_id: Mapped[int] = mapped_column(ForeignKey("turing_participants.id", ondelete="CASCADE"),
                                                index=True)
    mode: Mapped[str] = mapped_column(String(16))  # "timed" or "untimed"
    n_practice: Mapped[int] = mapped_column(Integer)
    n_test: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Trial(Base):
    """One forced choice: the real photo and a fake, on sides drawn server-side, under opaque ids."""

    __tablename__ = "turing_trials"
    __table_args__ = (UniqueConstraint("session_id", "position", name="uq_turing_trials_position"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # opaque random
    session_id: Mapped[str] = mapped_column(ForeignKey("turing_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based order in the session
    phase: Mapped[str] = mapped_column(String(16))  # "practice" or "test"
    is_attention: Mapped[bool] = mapped_column(Boolean)
    photo_id: Mapped[int] = mapped_column(ForeignKey("turing_photos.id"))
    colorization_id: Mapped[int] = mapped_column(ForeignKey("turing_colorizations.id"))
    real_side: Mapped[str] = mapped_column(String(8))  # "left" or "right"
    left_image: Mapped[str] = mapped_column(String(43), unique=True)  # opaque image tokens
    right_image: Mapped[str] = mapped_column(String(43), unique=True)
    # How this trial presents its pair (app.turing.variants); None on trials made before there were seeds.
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # When each image was first served: a timed trial serves each once, and the vote's time counts from here.
    left_served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    right_served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Vote(Base):
    """The participant's answer to one trial; the unique trial id makes a second vote impossible."""

    __tablename__ = "turing_votes"
    __table_args__ = (Index("ix_turing_votes_participant", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[str] = mapped_column(ForeignKey("turing_trials.id", ondelete="CASCADE"), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("turing_participants.id", ondelete="CASCADE"))
    chosen_side: Mapped[str] = mapped_column(String(8))
    chose_real: Mapped[bool] = mapped_column(Boolean)
    response_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)  # as the client claims it
    # Pair served -> vote, by the server's clock (0: the images were never fetched); None before it was kept.
    server_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
