"""What the Turing test stores and reads: the photo pool, participants, sessions, trials, votes, stats."""

import hashlib
import random
import secrets
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.turing import protocol, screening
from app.turing.images import gray_thumbnail, pixels_sha256, random_colour, square, trial_png
from app.turing.tables import Colorization, Participant, Photo, Trial, TuringSession, Vote, utcnow
from app.turing.variants import new_seed

THUMBNAILS = "/api/v1/turing/photos"  # a photo's gray thumbnail: app/api/routes/turing.py
ATTENTION_MODEL = ("random-colour", "ab-rotation")  # (model_name, model_version) of attention fakes


class TuringError(Exception):
    """A refused request; ``status`` is its HTTP status."""

    status = 400


class NotFound(TuringError):
    status = 404


class Forbidden(TuringError):
    status = 403


class Conflict(TuringError):
    status = 409


class Gone(TuringError):
    status = 410


class PoolEmpty(TuringError):
    status = 503


# ---- the photo pool --------------------------------------------------------------------------------


def add_photo(s: Session, rgb8: np.ndarray, name: str, source: str, rng: np.random.Generator) -> Photo | None:
    """Add a photo (normalised) and its attention-check fake; None if the same pixels are already there."""
    sq = square(rgb8)
    digest = pixels_sha256(sq)
    if s.scalar(select(Photo.id).where(Photo.sha256 == digest)) is not None:
        return None
    photo = Photo(name=name[:200], source=source[:200], sha256=digest, width=sq.shape[1], height=sq.shape[0],
                  png=trial_png(sq))
    s.add(photo)
    s.flush()
    s.add(Colorization(photo_id=photo.id, kind="attention", model_name=ATTENTION_MODEL[0],
                       model_version=ATTENTION_MODEL[1], temperature=None, status="succeeded",
                       png=trial_png(random_colour(sq, rng))))
    return photo


def photos_without_model(s: Session) -> list[Photo]:
    """Photos with no model colorization queued or done (new, or whose jobs all failed)."""
    has = select(Colorization.photo_id).where(Colorization.kind == "model",
                                              Colorization.status.in_(("queued", "succeeded")))
    return list(s.scalars(select(Photo).where(Photo.id.not_in(has)).order_by(Photo.id)))


def add_queued(s: Session, photo_id: int, job_id: str) -> Colorization:
    col = Colorization(photo_id=photo_id, kind="model", model_name="colorization", model_version="pending",
                       temperature=None, status="queued", job_id=job_id)
    s.add(col)
    return col


def queued_colorizations(s: Session) -> list[Colorization]:
    return list(s.scalars(select(Colorization).where(Colorization.status == "queued").order_by(Colorization.id)))


def complete(s: Session, col_id: int, rgb8: np.ndarray, model_name: str, model_version: str,
             temperature: float | None) -> None:
    col = s.get(Colorization, col_id)
    if col is None or col.status != "queued":
        return  # another collector got there first
    col.png = trial_png(rgb8)
    col.model_name, col.model_version, col.temperature = model_name[:100], model_version[:100], temperature
    col.status = "succeeded"


def fail(s: Session, col_id: int, error: str) -> None:
    col = s.get(Colorization, col_id)
    if col is not None and col.status == "queued":
        col.status, col.error = "failed", error[:2000]


def add_model_colorization(s: Session, photo_id: int, rgb8: np.ndarray, model_name: str, model_version: str,
                           temperature: float | None = None) -> Colorization:
    """A finished model colorization (tests, the load script): no job involved."""
    col = Colorization(photo_id=photo_id, kind="model", model_name=model_name, model_version=model_version,
                       temperature=temperature, status="succeeded", png=trial_png(rgb8))
    s.add(col)
    s.flush()
    return col


def pool_status(s: Session) -> dict[str, int]:
    def count(*where: Any) -> int:
        return int(s.scalar(select(func.count()).select_from(Colorization).where(Colorization.kind == "model",
                                                                               *where)) or 0)

    photos = int(s.scalar(select(func.count()).select_from(Photo)) or 0)
    ready = int(s.scalar(select(func.count(func.distinct(Colorization.photo_id))).where(
        Colorization.kind == "model", Colorization.status == "succeeded")) or 0)
    return {"photos": photos, "ready": ready, "queued": count(Colorization.status == "queued"),
            "failed": count(Colorization.status == "failed")}


# ---- participants ----------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def participant_for(s: Session, token: str | None) -> Participant | None:
    if not token or len(token) > 100:
        return None
    return s.scalar(select(Participant).where(Participant.token_hash == token_hash(token)))


def new_participant(s: Session) -> tuple[Participant, str]:
    """A new anonymous participant and the secret token its cookie carries."""
    token = secrets.token_urlsafe(32)
    p = Participant(public_id=secrets.token_hex(8), token_hash=token_hash(token))
    s.add(p)
    s.flush()
    return p, token


# ---- sessions and trials ---------------------------------------------------------------------------


def _plan(n: int, n_attention: int, rng: random.Random) -> list[bool]:
    flags = [True] * n_attention + [False] * (n - n_attention)
    rng.shuffle(flags)
    return flags


def create_session(s: Session, participant: Participant, mode: str,
                   n_practice: int = protocol.PRACTICE_TRIALS, n_test: int = protocol.TEST_TRIALS,
                   exclude: frozenset[int] = frozenset()) -> TuringSession:
    """A new session: its trials drawn now, sides drawn by the server; PoolEmpty without ready photos.

    Photos in ``exclude`` (public elsewhere: app.turing.public_photos) are never drawn.
    """
    if mode not in protocol.MODES:
        raise TuringError(f"mode must be one of {', '.join(protocol.MODES)}")
    rows = s.execute(select(Colorization.id, Colorization.photo_id, Colorization.kind)
                     .where(Colorization.status == "succeeded")).all()
    model_of: dict[int, list[int]] = defaultdict(list)
    attention_of: dict[int, list[int]] = defaultdict(list)
    for col_id, photo_id, kind in rows:
        (model_of if kind == "model" else attention_of)[photo_id].append(col_id)
    ready = sorted(p for p in model_of if attention_of.get(p) and p not in exclude)
    if not ready:
        raise PoolEmpty("the photo pool is empty: no photo has a finished colorization yet; "
                        "add photos with `pretext turing import DIR`")
    rng = random.SystemRandom()
    session = TuringSession(id=secrets.token_hex(16), participant_id=participant.id, mode=mode,
                            n_practice=n_practice, n_test=n_test)
    s.add(session)
    s.flush()
    # Photos without replacement while the pool lasts, then again in a new order.
    order: list[int] = []
    flags = (_plan(n_practice, protocol.attention_count(n_practice), rng)
             + _plan(n_test, protocol.attention_count(n_test), rng))
    for position, attention in enumerate(flags):
        if not order:
            order = list(ready)
            rng.shuffle(order)
        photo_id = order.pop()
        col_id = rng.choice(attention_of[photo_id] if attention else model_of[photo_id])
        s.add(Trial(id=secrets.token_hex(16), session_id=session.id, position=position,
                    phase="practice" if position < n_practice else "test", is_attention=attention,
                    photo_id=photo_id, colorization_id=col_id, real_side=rng.choice(protocol.SIDES),
                    left_image=secrets.token_urlsafe(32), right_image=secrets.token_urlsafe(32),
                    seed=new_seed()))
    s.flush()
    return session


def own_session(s: Session, participant: Participant | None, session_id: str) -> TuringSession:
    session = s.get(TuringSession, session_id) if len(session_id) <= 64 else None
    if session is None:
        raise NotFound("no such session")
    if participant is None or session.participant_id != participant.id:
        raise Forbidden("this session belongs to another participant")
    return session


def votes_done(s: Session, session_id: str) -> int:
    return int(s.scalar(select(func.count()).select_from(Vote).join(Trial, Vote.trial_id == Trial.id)
                        .where(Trial.session_id == session_id)) or 0)


def current_trial(s: Session, session: TuringSession) -> Trial | None:
    """The first trial of the session without a vote, or None once all are answered."""
    return s.scalar(select(Trial).outerjoin(Vote, Vote.trial_id == Trial.id)
                    .where(Trial.session_id == session.id, Vote.id.is_(None))
                    .order_by(Trial.position).limit(1))


def trial_at(s: Session, session_id: str, position: int) -> Trial | None:
    return s.scalar(select(Trial).where(Trial.session_id == session_id, Trial.position == position))


def _aware(t: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def trial_seed(trial: Trial) -> int:
    """The trial's presentation seed; trials made before seeds existed get one from their random id."""
    if trial.seed is not None:
        return trial.seed
    return int(hashlib.sha256(trial.id.encode()).hexdigest()[:8], 16) >> 1


@dataclass
class StoredImage:
    png: bytes  # as stored: app.turing.variants.present turns it into what is served
    seed: int


def serve_image(s: Session, participant: Participant | None, token: str) -> StoredImage:
    """The stored image behind a token of one of the participant's own trials, marked as served.

    The first fetch of each side is timed (the vote's time counts from the later side); in timed mode it is
    also the only one: Gone afterwards, so the pair cannot be looked at again after its display window.
    """
    if len(token) > 64:
        raise NotFound("no such image")
    trial = s.scalar(select(Trial).where((Trial.left_image == token) | (Trial.right_image == token)))
    if trial is None:
        raise NotFound("no such image")
    session = s.get(TuringSession, trial.session_id)
    if participant is None or session is None or session.participant_id != participant.id:
        raise Forbidden("this image belongs to another participant's session")
    side = "left" if trial.left_image == token else "right"
    column = Trial.left_served_at if side == "left" else Trial.right_served_at
    # A conditional UPDATE: of two concurrent first fetches, exactly one finds the column empty.
    first = s.execute(update(Trial).where(Trial.id == trial.id, column.is_(None)).values({column.key: utcnow()})
                      .execution_options(synchronize_session=False)).rowcount == 1
    if not first and session.mode == "timed":
        raise Gone("in timed mode each image is shown once, for its display window; answer from memory")
    if side == trial.real_side:
        png = s.scalar(select(Photo.png).where(Photo.id == trial.photo_id))
    else:
        png = s.scalar(select(Colorization.png).where(Colorization.id == trial.colorization_id))
    return StoredImage(png, trial_seed(trial))


def server_ms(trial: Trial, now: datetime) -> int:
    """Milliseconds from the pair being served (its later side) to ``now``; 0 when it never was."""
    served = [_aware(t) for t in (trial.left_served_at, trial.right_served_at) if t is not None]
    if not served:
        return 0
    return max(0, min(2**31 - 1, round((now - max(served)).total_seconds() * 1000)))


@dataclass
class VoteOutcome:
    trial: Trial
    vote: Vote
    session: TuringSession
    finished: bool


def record_vote(s: Session, participant: Participant | None, trial_id: str, side: str,
                response_ms: int | None) -> VoteOutcome:
    """One vote on the participant's current trial; refused on others' trials and answered ones."""
    if side not in protocol.SIDES:
        raise TuringError("choice must be 'left' or 'right'")
    trial = s.get(Trial, trial_id) if len(trial_id) <= 64 else None
    if trial is None:
        raise NotFound("no such trial")
    session = s.get(TuringSession, trial.session_id)
    if participant is None or session is None or session.participant_id != participant.id:
        raise Forbidden("this trial belongs to another participant's session")
    if s.scalar(select(Vote.id).where(Vote.trial_id == trial.id)) is not None:
        raise Conflict("this trial has already been answered; each trial takes one vote")
    current = current_trial(s, session)
    if current is None or current.id != trial.id:
        raise Conflict("this is not the session's current trial; answer the trials in order")
    now = utcnow()
    vote = Vote(trial_id=trial.id, participant_id=participant.id, chosen_side=side,
                chose_real=(side == trial.real_side), response_ms=response_ms, server_ms=server_ms(trial, now),
                created_at=now)
    s.add(vote)
    try:
        s.flush()
    except IntegrityError as exc:  # a concurrent vote on the same trial won
        raise Conflict("this trial has already been answered; each trial takes one vote") from exc
    finished = trial.position == session.n_practice + session.n_test - 1
    if finished and session.finished_at is None:
        session.finished_at = utcnow()
    return VoteOutcome(trial, vote, session, finished)


def session_score(s: Session, session: TuringSession, rule: screening.Rule | None = None) -> dict[str, Any]:
    """The participant's own result in a session: how often the fake fooled them, attention checks passed,
    and (given the screening ``rule``) whether their answers count in the published figures, and why not."""
    rows = s.execute(select(Trial.is_attention, Vote.chose_real).join(Vote, Vote.trial_id == Trial.id)
                     .where(Trial.session_id == session.id, Trial.phase == "test")).all()
    real = [ok for att, ok in rows if not att]
    checks = [ok for att, ok in rows if att]
    return {"test_trials": len(real), "spotted_real": sum(real), "fooled": len(real) - sum(real),
            "fooled_rate": (len(real) - sum(real)) / len(real) if real else None,
            "attention_checks": {"passed": sum(checks), "total": len(checks)},
            **({} if rule is None else exclusion_of(s, session.participant_id, rule))}


def exclusion_of(s: Session, participant_id: int, rule: screening.Rule) -> dict[str, Any]:
    """{"excluded", "exclusion_reasons"} of one participant, judged over all their finished sessions."""
    reasons = _excluded(_finished_votes(s, participant_id), rule).get(participant_id, [])
    return {"excluded": bool(reasons), "exclusion_reasons": reasons}


# ---- statistics and export -------------------------------------------------------------------------

VOTE_COLUMNS = ("vote_id", "voted_at", "participant", "session", "mode", "phase", "position", "attention_check",
                "photo_id", "photo", "model", "model_version", "temperature", "real_side", "chosen_side",
                "chose_real", "fooled", "response_ms", "participant_excluded", "server_ms", "exclusion_reasons")


def _finished_votes(s: Session, participant_id: int | None = None) -> list[Any]:
    q = (select(Vote.id, Vote.created_at, Participant.public_id, Participant.id, TuringSession.id,
                TuringSession.mode, Trial.phase, Trial.position, Trial.is_attention, Photo.id, Photo.name,
                Colorization.model_name, Colorization.model_version, Colorization.temperature,
                Trial.real_side, Vote.chosen_side, Vote.chose_real, Vote.response_ms, Vote.server_ms)
         .join(Trial, Vote.trial_id == Trial.id)
         .join(TuringSession, Trial.session_id == TuringSession.id)
         .join(Participant, Vote.participant_id == Participant.id)
         .join(Photo, Trial.photo_id == Photo.id)
         .join(Colorization, Trial.colorization_id == Colorization.id)
         .where(TuringSession.finished_at.is_not(None))
         .order_by(Vote.id))
    if participant_id is not None:
        q = q.where(Vote.participant_id == participant_id)
    return list(s.execute(q).all())


def _excluded(rows: list[Any], rule: screening.Rule) -> dict[int, list[str]]:
    """Participants left out of the fooling rates (app.turing.screening), with their reasons."""
    answers = (screening.Answer(participant=r[3], attention=bool(r[8]), chose_real=bool(r[16]), side=r[15],
                                server_ms=r[18]) for r in rows if r[6] == "test")
    return screening.screen(answers, rule)


def statistics(s: Session, rule: screening.Rule) -> dict[str, Any]:
    """Fooling rates per model version and per photo (95% Wilson intervals), attention and participants.

    Only finished sessions count, only test trials, and participants the screening rule leaves out (too
    few attention checks passed, as in the paper, or answers that are not a person's) are not counted.
    """
    rows = _finished_votes(s)
    excluded = _excluded(rows, rule)
    participants = {r[3] for r in rows}
    checks = [bool(r[16]) for r in rows if r[6] == "test" and r[8]]
    per_model: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    per_photo: dict[int, list[Any]] = {}
    temps: dict[tuple[str, str], set] = defaultdict(set)
    fooled_all = total_all = 0
    for r in rows:
        if r[6] != "test" or r[8] or r[3] in excluded:
            continue
        fooled = not r[16]
        key = (r[11], r[12])
        per_model[key][0] += fooled
        per_model[key][1] += 1
        temps[key].add(r[13])
        entry = per_photo.setdefault(r[9], [r[10], 0, 0])
        entry[1] += fooled
        entry[2] += 1
        fooled_all += fooled
        total_all += 1
    models = [{"model": name, "version": version,
               "temperatures": sorted(t for t in temps[(name, version)] if t is not None),
               **protocol.rate(k, n)} for (name, version), (k, n) in sorted(per_model.items())]
    photos = [{"photo_id": pid, "photo": name, "thumbnail_url": f"{THUMBNAILS}/{pid}/thumbnail", **protocol.rate(k, n)}
              for pid, (name, k, n) in per_photo.items()]
    photos.sort(key=lambda p: (-(p["rate"] or 0.0), -p["total"], p["photo_id"]))
    return {
        "fooling_rate": protocol.rate(fooled_all, total_all),
        "models": models,
        "photos": photos,
        "attention_checks": protocol.rate(sum(checks), len(checks)),
        "attention_pass_min": rule.attention_pass_min,
        "participants": {"total": len(participants), "excluded": len(excluded),
                         "included": len(participants - excluded.keys())},
        "exclusions": {"min_response_ms": rule.min_response_ms,
                       "reasons": {reason: sum(reason in rs for rs in excluded.values())
                                   for reason in screening.REASONS}},
        "sessions_finished": len({r[4] for r in rows}),
        "votes": len(rows),
    }


def vote_rows(s: Session, rule: screening.Rule) -> Iterator[tuple[Any, ...]]:
    """Every vote of finished sessions, in VOTE_COLUMNS order."""
    rows = _finished_votes(s)
    excluded = _excluded(rows, rule)
    for r in rows:
        yield (r[0], r[1].isoformat() if r[1] else "", r[2], r[4], r[5], r[6], r[7], int(r[8]), r[9], r[10],
               r[11], r[12], "" if r[13] is None else r[13], r[14], r[15], int(r[16]), int(not r[16]),
               "" if r[17] is None else r[17], int(r[3] in excluded), "" if r[18] is None else r[18],
               " ".join(excluded.get(r[3], ())))


def photo_thumbnail(s: Session, photo_id: int) -> bytes:
    """A small grayscale PNG of a pool photo for the results page: its colours would give its trials away."""
    photo = s.get(Photo, photo_id)
    if photo is None:
        raise NotFound("no such photo in the pool")
    return gray_thumbnail(photo.png)
