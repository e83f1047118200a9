"""Jobs of every task: status, result, and each output a task's spec lists as served."""

from fastapi import APIRouter
from fastapi.responses import Response

from app.api.deps import JobDep, StoreDep
from app.api.schemas import JobOut, QueuePlace, job_out
from app.services.jobs import succeeded_result
from core.errors import JobStateError
from core.tasks import all_tasks
from core.tasks.spec import Output, TaskSpec

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut)
async def read_job(job: JobDep, store: StoreDep) -> JobOut:
    """A job's status, its place in its task's queue while queued, its result when it succeeded, its error
    when it failed."""
    out = job_out(job)
    if job.status == "queued" and (position := await store.queue_position(job)) is not None:
        out.queue = QueuePlace(position=position, ahead=position - 1)
    return out


@router.get("/{job_id}/result", response_class=Response, responses={200: {"content": {"image/png": {}}}})
async def read_result(job: JobDep, store: StoreDep) -> Response:
    """The job's output image (PNG)."""
    if job.status != "succeeded":
        raise JobStateError(f"job {job.id} is {job.status}; it has a result once it has succeeded")
    return Response(await store.blob(job.id, "result"), media_type="image/png")


def _output_route(spec: TaskSpec, output: Output) -> None:
    async def read_output(job: JobDep, store: StoreDep) -> Response:
        succeeded_result(job, spec.name, output.name)
        return Response(await store.blob(job.id, output.name), media_type=output.media_type)

    read_output.__name__ = f"read_{spec.name}_{output.name}"
    read_output.__doc__ = f"A {spec.name} job's {output.name}: {output.description}."
    router.add_api_route(f"/{{job_id}}/{output.name}", read_output, methods=["GET"], response_class=Response,
                         responses={200: {"content": {output.media_type: {}}}}, tags=[spec.name])


for _spec in all_tasks():
    for _output in _spec.outputs:
        if _output.served and _output.name != "result":
            _output_route(_spec, _output)
