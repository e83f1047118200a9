"""Colorization's own routes: fetch a job's stored distribution, re-decode it at another temperature."""

from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.deps import JobDep, SettingsDep, StoreDep, Temperature
from app.services.colorization import distribution_meta, recolor_hints, recolor_png
from app.services.slots import slot

router = APIRouter(tags=["colorization"])


DISTRIBUTION_FORMAT = (
    "Binary: the network's per-pixel distribution over the Q ab bins at network resolution, as "
    "log-probabilities in little-endian float16, layout (Q, h, w) in C order. Headers X-Shape "
    '("Q,h,w"), X-Dtype, X-Layout and X-Values describe it; the bin centres (a, b), in the order of '
    "Q, are in the job's result.distribution.bin_centres. Decoding at temperature T: per pixel, "
    "softmax(log_p / T) @ bin_centres, then upsample ab and combine with the photo's own L."
)


@router.get("/jobs/{job_id}/distribution", response_class=Response, description=DISTRIBUTION_FORMAT,
            responses={200: {"content": {"application/octet-stream": {}}}})
async def distribution(job: JobDep, store: StoreDep) -> Response:
    """The stored per-pixel ab distribution of a succeeded colorize job (format in the description)."""
    meta = distribution_meta(job)
    data = await store.blob(job.id, "distribution")
    headers = {
        "X-Shape": ",".join(str(n) for n in meta["shape"]),
        "X-Dtype": meta["dtype"],
        "X-Layout": meta["layout"],
        "X-Values": meta["values"],
        "Cache-Control": "private, max-age=3600",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


RecolorHints = Annotated[
    str | None,
    Query(max_length=16384,
          description="colour hints as in POST /api/v1/colorization (HINTS.json text), applied to the stored "
                      "distribution by the distribution method; absent: the job's own hints; [] for none"),
]


@router.api_route("/jobs/{job_id}/recolor", methods=["GET", "POST"], response_class=Response,
                  responses={200: {"content": {"image/png": {}}}})
async def recolor(request: Request, job: JobDep, store: StoreDep, settings: SettingsDep,
                  temperature: Temperature, hints: RecolorHints = None) -> Response:
    """The photo re-decoded from the stored distribution at ``temperature`` (with the job's hints, or those
    given), as PNG; no new job. At most ``recolor_concurrency`` run at once per API process (each holds the
    full-size photo); others wait up to ``recolor_wait_s``, then get 503 with Retry-After."""
    meta = distribution_meta(job)
    use_hints, points_inside = recolor_hints(job, hints)
    async with slot(request.app.state, "recolor", settings.recolor_concurrency, settings.recolor_wait_s):
        photo = await store.blob(job.id, "input")
        dist = await store.blob(job.id, "distribution")
        png = await anyio.to_thread.run_sync(
            recolor_png, photo, dist, meta, temperature, settings.max_image_pixels, use_hints, points_inside
        )
    return Response(png, media_type="image/png", headers={"X-Temperature": str(temperature)})
