"""Nothing the participant receives tells which photo is real: JSON, URLs, headers or image bytes."""

import io
import json
import re
import struct

from PIL import Image

from tests.app.turing.helpers import truth

TRIAL_KEYS = {"id", "number", "phase", "images", "display_ms", "links"}
TELLTALE = re.compile(r"real|fake|attention|coloriz|photo|model|truth|answer", re.IGNORECASE)
IMAGE_ID = re.compile(r"^/api/v1/turing/images/[A-Za-z0-9_-]{43}$")
OPAQUE_TOKEN = re.compile(r"(?<=/api/v1/turing/images/)[A-Za-z0-9_-]{43}")


def readable(obj: object) -> str:
    """JSON text with the random image tokens blanked: 43 random characters spell "rEaL" now and then."""
    return OPAQUE_TOKEN.sub("TOKEN", json.dumps(obj))


def png_chunks(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kinds.append(data[pos + 4:pos + 8].decode("ascii"))
        pos += 12 + length
    return kinds


def test_the_answer_cannot_be_recovered_from_responses_or_image_bytes(turing_client):
    client, db = turing_client
    session = client.post("/api/v1/turing/sessions", json={"mode": "timed"}).json()
    seen_ids, sides_real = set(), set()
    while session["trial"] is not None:
        trial = session["trial"]
        assert set(trial) == TRIAL_KEYS
        assert not TELLTALE.search(readable(trial)), trial
        assert IMAGE_ID.match(trial["images"]["left"]) and IMAGE_ID.match(trial["images"]["right"])
        assert trial["id"] not in trial["images"]["left"] + trial["images"]["right"]
        left, right = client.get(trial["images"]["left"]), client.get(trial["images"]["right"])
        assert left.status_code == right.status_code == 200
        assert dict(left.headers) == dict(right.headers)  # same type, length, caching: nothing differs
        assert "etag" not in left.headers and "last-modified" not in left.headers
        for resp in (left, right):
            assert png_chunks(resp.content) == ["IHDR"] + ["IDAT"] * (len(png_chunks(resp.content)) - 2) + ["IEND"]
            with Image.open(io.BytesIO(resp.content)) as im:
                assert (im.format, im.mode, im.size) == ("PNG", "RGB", (256, 256))
                assert not im.info or set(im.info) <= {"dpi"}
        assert len(left.content) == len(right.content)
        seen_ids.update({trial["id"], trial["images"]["left"], trial["images"]["right"]})
        sides_real.add(truth(db, trial["id"]).real_side)
        r = client.post(trial["links"]["vote"], json={"choice": "left"})
        body = r.json()
        if body["phase"] == "test":
            assert "feedback" not in body and not TELLTALE.search(readable(body["session"]["trial"] or {}))
        session = body["session"]
    assert len(seen_ids) == 150  # every trial and image id is new: no id names a photo or a side
    assert sides_real == {"left", "right"}


def test_the_same_photo_gets_new_image_ids_in_every_session(turing_client):
    client, _db = turing_client
    one = client.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()["trial"]
    two = client.post("/api/v1/turing/sessions", json={"mode": "untimed"}).json()["trial"]
    assert not {one["images"]["left"], one["images"]["right"]} & {two["images"]["left"], two["images"]["right"]}
