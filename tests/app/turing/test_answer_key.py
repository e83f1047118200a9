"""Served images are no answer key: the public model cannot reproduce the fake, and no bytes repeat.

Issue #33, attacks 1 and 2: the fake of each pair was the shipped model's output on the stored photo, so
colorizing the real side of a pair gave the fake bit for bit; and a photo's bytes were the same in every
trial, so one session's practice feedback made a hash table of real photos for the next.
"""

import hashlib
import io
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from app.main import create_app
from app.turing import repository as repo
from app.turing.db import Database
from app.turing.images import square
from app.turing.tables import Colorization, Photo
from app.turing.variants import present
from models.color import rgb8_to_lab
from models.colorization_model import ColorizationModel
from tests.app.turing.helpers import truth, turing_settings
from tests.imagecorpus import photo


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def seed_model_pool(db: Database, model: ColorizationModel, n_photos: int = 3) -> None:
    """Photos whose fake is the model's own colorization of the stored photo, as the pool's worker makes it."""
    rng = np.random.default_rng(0)
    with db.session() as s:
        for i in range(n_photos):
            sq = square(photo(320, 256, seed=10 + i))
            p = repo.add_photo(s, sq, f"model-{i}.png", "tests", rng)
            repo.add_model_colorization(s, p.id, model.colorize(sq).rgb8, "colorization", "tiny")


def test_colorizing_a_served_image_does_not_give_the_served_fake(db_url: str, tmp_path: Path, tiny_models_dir):
    model = ColorizationModel(root=tiny_models_dir, device="cpu")
    app = create_app(turing_settings(db_url, tmp_path / "var"))
    with TestClient(app) as client:
        db = app.state.turing.db
        seed_model_pool(db, model)
        with db.session() as s:  # the attack works on what is stored, which is what used to be served
            stored = s.scalars(select(Photo).order_by(Photo.id)).first()
            fake = s.scalar(select(Colorization.png).where(Colorization.photo_id == stored.id,
                                                           Colorization.kind == "model"))
        assert np.array_equal(model.colorize(pixels(stored.png)).rgb8, pixels(fake))
        session = client.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()
        checked = 0
        while session["trial"] is not None and checked < 8:
            trial = session["trial"]
            t = truth(db, trial["id"])
            served = {side: pixels(client.get(trial["images"][side]).content) for side in ("left", "right")}
            real, other = served[t.real_side], served["right" if t.real_side == "left" else "left"]
            # The answer-key rule: the side whose colorization is the other side is the real one.
            for side, image in served.items():
                again = model.colorize(image).rgb8
                assert not np.array_equal(again, served["right" if side == "left" else "left"]), (side, t.real_side)
            # Fair: both sides went through one transform (a model fake keeps the photo's lightness).
            if not t.is_attention:
                lightness = [rgb8_to_lab(x)[..., 0] for x in (real, other)]
                assert float(np.mean(np.abs(lightness[0] - lightness[1]))) < 1.0
            vote = client.post(trial["links"]["vote"], json={"choice": "left"})
            session = vote.json()["session"]
            checked += 1
        assert checked == 8


def test_a_photo_is_served_as_new_bytes_in_every_trial_and_session(turing_client):
    client, db = turing_client
    other = TestClient(client.app)  # another participant
    hashes: dict[int, set[str]] = {}  # photo id -> sha256 of its served real image
    served = 0
    for c in (client, client, other):
        session = c.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()
        for _ in range(12):  # a pool of 4 photos: each comes up three times in a session
            trial = session["trial"]
            t = truth(db, trial["id"])
            data = c.get(trial["images"][t.real_side]).content
            digest = hashlib.sha256(data).hexdigest()
            assert digest not in hashes.setdefault(t.photo_id, set()), "a real photo's bytes came back"
            hashes[t.photo_id].add(digest)
            with db.session() as s:
                stored = s.get(Photo, t.photo_id).png
                fake = s.get(Colorization, t.colorization_id).png
            assert data != stored and hashlib.sha256(stored).hexdigest() != digest
            # The fake went through the very same presentation as the real photo.
            fake_side = "right" if t.real_side == "left" else "left"
            assert c.get(trial["images"][fake_side]).content == present(fake, t.seed)
            served += 1
            session = c.post(trial["links"]["vote"], json={"choice": "left"}).json()["session"]
    assert served == 36 and sum(len(h) for h in hashes.values()) == 36


def test_untimed_mode_serves_the_same_bytes_again_within_a_trial(turing_client):
    client, _db = turing_client
    trial = client.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()["trial"]
    first, again = client.get(trial["images"]["left"]), client.get(trial["images"]["left"])
    assert first.status_code == again.status_code == 200 and first.content == again.content
