"""The colorization Turing test: sessions, trials, their images, votes, statistics and the vote export.

Database work runs through ``TuringState.run`` (threads of the Turing test's own, a bounded number); the
database not open yet, unreachable, locked or too slow is a 503 with Retry-After (app/api/errors.py).
"""

import csv
import hmac
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from app.api.deps import ClientDep
from app.api.schemas import API_PREFIX
from app.turing import protocol, screening
from app.turing import repository as repo
from app.turing.db import DOWN_RETRY_AFTER_S, DatabaseUnavailableError
from app.turing.service import TuringState, lifespan
from app.turing.tables import Trial, TuringSession
from app.turing.variants import present

router = APIRouter(prefix="/turing", tags=["turing"], lifespan=lifespan)

COOKIE = "turing_participant"
COOKIE_MAX_AGE = 365 * 24 * 3600
BASE = f"{API_PREFIX}/turing"
NO_STORE = {"Cache-Control": "no-store"}


def _state(request: Request) -> TuringState:
    """The Turing test's state once its database is open; else 503 with Retry-After (the app serves on)."""
    state = getattr(request.app.state, "turing", None)
    if state is None:
        raise DatabaseUnavailableError("the Turing test is not running (the app has not started)",
                                       retry_after_s=DOWN_RETRY_AFTER_S)
    if state.db is None:
        raise state.unavailable()
    return state


StateDep = Annotated[TuringState, Depends(_state)]


class SessionIn(BaseModel):
    mode: Literal["timed", "untimed"] = "timed"


class VoteIn(BaseModel):
    choice: Literal["left", "right"]
    # What the page measured; kept in the export, never used for the figure (the server times each vote).
    response_ms: int | None = Field(default=None, ge=0, le=3_600_000)


def _json(body: Any, status: int = 200, token: str | None = None) -> JSONResponse:
    resp = JSONResponse(body, status_code=status, headers=NO_STORE)
    if token is not None:
        resp.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="strict", path="/")
    return resp


def _refuse(exc: repo.TuringError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def _limited(retry_after: float, what: str) -> HTTPException:
    return HTTPException(429, f"too many {what}; try again in {retry_after:.0f} s",
                         headers={"Retry-After": str(max(1, round(retry_after)))})


def trial_out(trial: Trial, session: TuringSession) -> dict[str, Any]:
    """A trial as the participant sees it: nothing that tells which side is real."""
    return {
        "id": trial.id,
        "number": trial.position + 1,
        "phase": trial.phase,
        "images": {"left": f"{BASE}/images/{trial.left_image}", "right": f"{BASE}/images/{trial.right_image}"},
        "display_ms": protocol.DISPLAY_MS if session.mode == "timed" else None,
        "links": {"vote": f"{BASE}/trials/{trial.id}/vote"},
    }


def session_out(s: Any, session: TuringSession, rule: screening.Rule, after: Trial | None = None) -> dict[str, Any]:
    """The session as its participant sees it; ``after``: the trial just answered (saves two queries)."""
    total = session.n_practice + session.n_test
    if after is not None:  # trials are answered in order
        done = after.position + 1
        current = repo.trial_at(s, session.id, done) if done < total else None
    else:
        done = repo.votes_done(s, session.id)
        current = repo.current_trial(s, session)
    return {
        "id": session.id,
        "mode": session.mode,
        "practice_trials": session.n_practice,
        "test_trials": session.n_test,
        "progress": {"done": done, "total": total},
        "finished": session.finished_at is not None,
        "trial": trial_out(current, session) if current is not None else None,
        "score": repo.session_score(s, session, rule) if session.finished_at is not None else None,
        "links": {"self": f"{BASE}/sessions/{session.id}", "stats": f"{BASE}/stats"},
    }


_bearer = HTTPBearer(auto_error=False, scheme_name="admin token",
                     description="PRETEXT_ADMIN_TOKEN: per-vote data is the admin's")


def _admin(state: StateDep,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """Per-vote data is the admin's: a bearer token equal to PRETEXT_ADMIN_TOKEN, else 401/403."""
    expected = state.settings.admin_token.get_secret_value() if state.settings.admin_token else ""
    if not expected:
        raise HTTPException(403, "the per-vote export is disabled: no admin token is configured on the server "
                                 "(set PRETEXT_ADMIN_TOKEN); the aggregate statistics are at /api/v1/turing/stats")
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "the per-vote export needs the admin token: send 'Authorization: Bearer TOKEN'",
                            headers={"WWW-Authenticate": "Bearer"})


AdminDep = Annotated[None, Depends(_admin)]


@router.get("/pool")
async def pool(state: StateDep) -> JSONResponse:
    """How many photos the pool holds, how many are ready (a finished colorization), how many wait."""

    def read() -> dict[str, Any]:
        with state.db.session() as s:
            return repo.pool_status(s)

    status = await state.run(read)
    status["empty"] = status["ready"] == 0
    return _json(status)


@router.post("/sessions", status_code=201)
async def create_session(request: Request, state: StateDep, address: ClientDep,
                         body: SessionIn | None = None) -> JSONResponse:
    """Start a session (10 practice + 40 test trials) for this browser's participant, created if new."""
    body = body or SessionIn()
    token = request.cookies.get(COOKIE)
    quotas = state.quotas

    def create() -> tuple[dict[str, Any], str | None]:
        # Quotas are counted before the write transaction, so a slow Redis never holds the database.
        if wait := quotas.wait(quotas.sessions_per_address, address):
            raise _limited(wait, "new sessions from this address")
        with state.db.session() as s:
            known = repo.participant_for(s, token)
            public_id = known.public_id if known is not None else None
        if public_id is None and (wait := quotas.wait(quotas.new_participants, address)):
            raise _limited(wait, "new participants from this address")
        if public_id is not None and (wait := quotas.wait(quotas.sessions, public_id)):
            raise _limited(wait, "new sessions")
        with state.db.writing(), state.db.session() as s:
            participant = repo.participant_for(s, token)
            new_token = None
            if participant is None:
                participant, new_token = repo.new_participant(s)
            session = repo.create_session(s, participant, body.mode, exclude=state.hidden_photos)
            out = session_out(s, session, state.rule)
            public_id = participant.public_id
        if new_token is not None:  # a new participant's first session counts against its own quota too
            quotas.wait(quotas.sessions, public_id)
        return out, new_token

    try:
        out, new_token = await state.run(create)
    except repo.TuringError as exc:
        raise _refuse(exc) from exc
    return _json(out, 201, new_token)


@router.get("/sessions/{session_id}")
async def read_session(session_id: str, request: Request, state: StateDep) -> JSONResponse:
    """The session's progress and its current trial; the participant's score once it is finished."""
    token = request.cookies.get(COOKIE)

    def read() -> dict[str, Any]:
        with state.db.session() as s:
            session = repo.own_session(s, repo.participant_for(s, token), session_id)
            return session_out(s, session, state.rule)

    try:
        return _json(await state.run(read))
    except repo.TuringError as exc:
        raise _refuse(exc) from exc


@router.get("/images/{image_id}", response_class=Response,
            responses={200: {"content": {"image/png": {}}}, 410: {"description": "timed mode: already shown"}})
async def image(image_id: str, request: Request, state: StateDep) -> Response:
    """One side of one of the participant's trials (both sides: same size, same encoding, no metadata).

    Served in the trial's own presentation (zoom, crop, re-encoding); in timed mode only once.
    """
    token = request.cookies.get(COOKIE)

    def read() -> bytes:
        with state.db.writing(), state.db.session() as s:
            stored = repo.serve_image(s, repo.participant_for(s, token), image_id)
        return present(stored.png, stored.seed)

    try:
        data = await state.run(read)
    except repo.TuringError as exc:
        raise _refuse(exc) from exc
    return Response(data, media_type="image/png",
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/trials/{trial_id}/vote", status_code=201)
async def vote(trial_id: str, body: VoteIn, request: Request, state: StateDep) -> JSONResponse:
    """Answer a trial: which side is the real photo. One vote per trial, on one's own current trial."""
    token = request.cookies.get(COOKIE)

    def record() -> dict[str, Any]:
        if not token:
            raise repo.Forbidden("no participant cookie: start a session first")
        if wait := state.quotas.wait(state.quotas.votes, repo.token_hash(token)):
            raise _limited(wait, "votes")
        with state.db.writing(), state.db.session() as s:
            participant = repo.participant_for(s, token)
            if participant is None:
                raise repo.Forbidden("no participant cookie: start a session first")
            out = repo.record_vote(s, participant, trial_id, body.choice, body.response_ms)
            result: dict[str, Any] = {"trial": trial_id, "recorded": True, "phase": out.trial.phase}
            if out.trial.phase == "practice":
                result["feedback"] = {"correct": out.vote.chose_real, "real": out.trial.real_side}
            result["session"] = session_out(s, out.session, state.rule, after=out.trial)
            return result

    try:
        return _json(await state.run(record), 201)
    except repo.TuringError as exc:
        raise _refuse(exc) from exc


@router.get("/photos/{photo_id}/thumbnail", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def photo_thumbnail(photo_id: Annotated[int, Path(ge=1, le=2**31 - 1)], state: StateDep) -> Response:
    """A pool photo as a small grayscale PNG, for the results page (its colours would answer its trials)."""

    def read() -> bytes:
        with state.db.session() as s:
            return repo.photo_thumbnail(s, photo_id)

    try:
        data = await state.run(read)
    except repo.TuringError as exc:
        raise _refuse(exc) from exc
    return Response(data, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/stats")
async def stats(state: StateDep) -> JSONResponse:
    """Fooling rate per model version (95% Wilson interval), attention-check pass rate, per-photo rates."""

    def read() -> dict[str, Any]:
        with state.db.session() as s:
            return repo.statistics(s, state.rule)

    return _json(await state.run(read))


@router.get("/votes.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def votes_csv(state: StateDep, _admin: AdminDep) -> Response:
    """Every vote of every finished session, one row each (participants by public id only); admin token only."""

    def read() -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(repo.VOTE_COLUMNS)
        with state.db.session() as s:
            writer.writerows(repo.vote_rows(s, state.rule))
        return buf.getvalue()

    data = await state.run(read)
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="turing-votes.csv"', **NO_STORE})
