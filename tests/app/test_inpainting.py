"""Inpainting through the HTTP API, end to end: real Redis, a real worker, tiny real models (both cards)."""

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from core.store import blob_key
from models.imageio import decode_image
from tests.imagecorpus import encode, exif_rotated_jpeg, photo, png_bomb
from tests.service_fixtures import finished, image_field

pytestmark = pytest.mark.slow

PHOTO = photo(150, 100, seed=7)
BOX = (60, 40, 30, 20)


def png(array: np.ndarray) -> bytes:
    return encode(Image.fromarray(array), "PNG")


def mask_png(width: int, height: int, box: tuple[int, int, int, int] | None = BOX) -> bytes:
    gray = np.zeros((height, width), dtype=np.uint8)
    if box is not None:
        x, y, w, h = box
        gray[y : y + h, x : x + w] = 255
    return png(gray)


def upload(photo_bytes: bytes, mask: bytes | None = None) -> dict:
    files = image_field(photo_bytes, "photo.png")
    if mask is not None:
        files["mask"] = ("mask.png", mask, "image/png")
    return files


def pixels(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG"
    return np.asarray(im.convert("RGB"))


def outside_the_band(result: dict, box: tuple[int, int, int, int]) -> np.ndarray:
    """The pixels farther from the hole than the feather band (the tiny card's 3 px at network scale)."""
    mask = np.zeros((result["height"], result["width"]), dtype=bool)
    x, y, w, h = box
    mask[y : y + h, x : x + w] = True
    feather = 3.0 * result["window"]["side"] / result["network_side"]
    return ndimage.distance_transform_edt(~mask) >= max(feather, 1.0)


def test_a_box_job_gives_the_filled_photo_and_the_bare_fill(api, job_store):
    resp = api.post("/api/v1/inpainting", files=upload(png(PHOTO)), data={"box": "60,40,30,20"})
    assert resp.status_code == 202, resp.text
    job = finished(api, resp.json()["id"])
    assert job["status"] == "succeeded" and job["kind"] == "inpainting", job
    result = job["result"]
    assert (result["width"], result["height"]) == (150, 100)
    assert result["hole_pixels"] == 600 and result["hole_box"] == list(BOX) and result["source"] == "box"
    window = result["window"]
    assert window["side"] == 60 and window["x"] <= 60 and window["x"] + 60 >= 90
    assert result["model"]["name"] == "inpainting" and result["model"]["version"].startswith("inpainting-tiny")
    assert job["links"]["result"].endswith("/result")

    filled = pixels(api.get(job["links"]["result"]).content)
    assert filled.shape == PHOTO.shape
    far = outside_the_band(result, BOX)
    np.testing.assert_array_equal(filled[far], PHOTO[far])
    assert job["links"]["fill"] == f"/api/v1/jobs/{job['id']}/fill"
    fill = api.get(job["links"]["fill"])
    assert fill.status_code == 200 and fill.headers["content-type"] == "image/png"
    assert pixels(fill.content).shape == (60, 60, 3)
    assert not job_store.client.exists(blob_key(job["id"], "input"))


def test_a_mask_job_through_the_inpaint_alias_with_the_adversarial_model(api, job_store):
    resp = api.post("/api/v1/inpaint", files=upload(png(PHOTO), mask_png(150, 100)),
                    data={"model": "adversarial"}, params={"wait": 30})
    assert resp.status_code == 200, resp.text
    job = resp.json()
    assert job["status"] == "succeeded" and job["kind"] == "inpainting", job
    result = job["result"]
    assert result["source"] == "mask" and result["hole_pixels"] == 600 and result["hole_box"] == list(BOX)
    assert result["model"]["name"] == "inpainting-adversarial"
    filled = pixels(api.get(job["links"]["result"]).content)
    far = outside_the_band(result, BOX)
    np.testing.assert_array_equal(filled[far], PHOTO[far])
    # The mask is stored beside the input for the worker, and deleted with it once the job is done.
    assert not job_store.client.exists(blob_key(job["id"], "mask"))


def test_an_exif_rotated_photo_takes_a_mask_and_a_box_as_it_is_shown(api):
    rotated = exif_rotated_jpeg(90, 60)  # stored 90 x 60, shown 60 x 90
    shown = decode_image(rotated)
    assert shown.shape[:2] == (90, 60)
    box = (10, 50, 20, 30)  # inside 60 x 90, outside 90 x 60
    by_mask = api.post("/api/v1/inpainting", files=upload(rotated, mask_png(60, 90, box)), params={"wait": 30})
    by_box = api.post("/api/v1/inpainting", files=upload(rotated), data={"box": "10,50,20,30"},
                      params={"wait": 30})
    for resp in (by_mask, by_box):
        assert resp.status_code == 200, resp.text
        job = resp.json()
        assert job["status"] == "succeeded", job
        filled = pixels(api.get(job["links"]["result"]).content)
        assert filled.shape == shown.shape
        far = outside_the_band(job["result"], box)
        np.testing.assert_array_equal(filled[far], shown[far])
    # The same model, the same hole: a mask and a box agree.
    np.testing.assert_array_equal(pixels(api.get(by_mask.json()["links"]["result"]).content),
                                  pixels(api.get(by_box.json()["links"]["result"]).content))
    stored_size = api.post("/api/v1/inpainting", files=upload(rotated, mask_png(90, 60, (10, 10, 20, 20))))
    assert stored_size.status_code == 422 and "the photo 60x90" in stored_size.json()["detail"]


GOOD = png(PHOTO)
BAD = {
    "mask of another size": ({"mask": mask_png(100, 150)}, {}, 422, "the mask is 100x150, the photo 150x100"),
    "empty mask": ({"mask": mask_png(150, 100, None)}, {}, 422, "mask is empty"),
    "mask of the whole photo": ({"mask": mask_png(150, 100, (0, 0, 150, 100))}, {}, 422, "whole photo"),
    "mask not an image": ({"mask": b"this is no image\n" * 8}, {}, 422, "mask is not a usable image"),
    "empty mask file": ({"mask": b""}, {}, 422, "mask is not a usable image"),
    "mask a decompression bomb": ({"mask": png_bomb()}, {}, 413, "mask"),
    "mask padded past its pixels": ({"mask": mask_png(150, 100) + bytes(1_300_000)}, {}, 413, "the mask file is"),
    "mask and box": ({"mask": mask_png(150, 100)}, {"box": "1,1,5,5"}, 422, "not both"),
    "neither mask nor box": ({}, {}, 422, "mask (field mask) or give box"),
    "box off the photo": ({}, {"box": "140,90,20,20"}, 422, "outside the 150x100 photo"),
    "empty box": ({}, {"box": "10,10,0,5"}, 422, "empty"),
    "box of the whole photo": ({}, {"box": "0,0,150,100"}, 422, "whole photo"),
    "box not X,Y,W,H": ({}, {"box": "10,10,-5,5"}, 422, "X,Y,W,H"),
}


@pytest.mark.parametrize(("files", "fields", "status", "says"), BAD.values(), ids=BAD.keys())
def test_a_bad_hole_is_refused_at_submission_with_a_clear_message(api, files, fields, status, says):
    sent = image_field(GOOD, "photo.png")
    sent.update({name: (f"{name}.png", data, "image/png") for name, data in files.items()})
    resp = api.post("/api/v1/inpainting", files=sent, data=fields)
    assert resp.status_code == status, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and says in detail, detail


def test_an_unknown_model_is_422_naming_the_field(api):
    resp = api.post("/api/v1/inpainting", files=upload(GOOD), data={"box": "1,1,5,5", "model": "gan"})
    assert resp.status_code == 422 and any(err["loc"][-1] == "model" for err in resp.json()["detail"])


def test_the_api_docs_list_the_mask_upload_and_the_hole_parameters(api):
    schema = api.get("/openapi.json").json()
    body = schema["paths"]["/api/v1/inpainting"]["post"]["requestBody"]["content"]["multipart/form-data"]
    fields = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert {"image", "mask", "box", "model"} <= set(fields["properties"])
    assert fields["required"] == ["image"]
    assert "white = fill" in fields["properties"]["mask"]["description"]
    assert "/api/v1/inpaint" in schema["paths"] and "/api/v1/jobs/{job_id}/fill" in schema["paths"]


def test_a_mask_sent_as_text_is_422_and_an_empty_file_field_counts_as_not_sent(api):
    as_text = api.post("/api/v1/inpainting", files=upload(GOOD), data={"mask": "0,0,5,5"})
    assert as_text.status_code == 422, as_text.text
    unused = upload(GOOD)
    unused["mask"] = ("", b"", "application/octet-stream")  # a form's file input left empty
    resp = api.post("/api/v1/inpainting", files=unused, data={"box": "60,40,30,20"})
    assert resp.status_code == 202, resp.text
