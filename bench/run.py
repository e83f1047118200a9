"""``make bench``: this machine's figures for the three models, the API and the workers, in one report.

    python -m bench.run            # full run (tens of minutes on 2 cores)
    python -m bench.run --quick    # smoke-size run, about 1-2 minutes

Measures, with the shipped models in the settings' models_dir when installed and tiny untrained
ones (training/tiny_models.py) otherwise, the report saying which:
1. colorization latency at 256, 512, 1024 and 4096 px: the models/ pipeline and the network alone,
   onnxruntime vs the same network eager in PyTorch (bench/colorization_latency.py);
2. jigsaw and rotation latency through their models/ pipelines at the same sizes;
3. end-to-end API latency and throughput of colorization over loopback HTTP with 1 and 2 worker
   processes (bench/load_colorize.py: private Redis, a Celery worker and uvicorn on 127.0.0.1);
4. peak memory of a worker on a large photo: bench/colorize_memory.py (the colorization pipeline's
   stages) and bench/job_memory.py (the worker's job function of each kind), each in a subprocess.
Writes the Markdown report to bench/results-<date>.md (results-<date>-quick.md for --quick) and prints it.
Every stage is bounded in count and time; all traffic stays on 127.0.0.1.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ModelNotAvailableError
from core.settings import PROJECT_ROOT, get_settings
from core.tasks import all_tasks, task_names
from models.cards import card_path, load_card

MODEL_NAMES = tuple(spec.model for spec in all_tasks())
SIZES = (256, 512, 1024, 4096)
# Sources whose change makes the cached tiny models stale: everything they are built from.
TINY_SOURCES = ("training", "models")


@dataclass(frozen=True)
class Plan:
    name: str
    repeats: int  # timed calls per size up to 1024 px
    large_repeats: int  # timed calls per size above 1024 px
    network_sizes: tuple[int, ...]  # sides at which the colorization network alone is timed
    load_count: int  # requests per load run
    load_clients: int
    load_processes: tuple[int, ...]
    load_max_seconds: float
    load_size: int  # side of the photo the load test sends
    memory_megapixels: float
    stage_timeout_s: float  # per memory subprocess
    sizes: tuple[int, ...] = SIZES


FULL = Plan("full", repeats=10, large_repeats=3, network_sizes=SIZES, load_count=40, load_clients=4,
            load_processes=(1, 2), load_max_seconds=180, load_size=512, memory_megapixels=50.0,
            stage_timeout_s=900)
QUICK = Plan("quick", repeats=2, large_repeats=1, network_sizes=(256, 512, 1024), load_count=6, load_clients=2,
             load_processes=(1, 2), load_max_seconds=45, load_size=512, memory_megapixels=2.0,
             stage_timeout_s=180)


@dataclass
class Report:
    plan: Plan
    started: float = field(default_factory=time.time)
    machine: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], note: str = "") -> None:
        lines = [f"## {title}", ""]
        if note:
            lines += [note, ""]
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
        self.sections.append("\n".join(lines))
        print(self.sections[-1] + "\n", flush=True)

    def markdown(self) -> str:
        head = [f"# Benchmarks, {dt.date.today().isoformat()} ({self.plan.name} run)", ""]
        head += [f"- {k}: {v}" for k, v in self.machine.items()]
        head += [f"- model `{k}`: {v}" for k, v in self.models.items()]
        head.append(f"- wall time of the run: {time.time() - self.started:.0f} s")
        tail = ["## Notes", ""] + [f"- {n}" for n in self.notes] if self.notes else []
        return "\n".join(head) + "\n\n" + "\n\n".join(self.sections) + "\n\n" + "\n".join(tail) + "\n"


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}" if abs(value) >= 1000 else f"{value:.1f}"
    return str(value)


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


# ---- the models ---------------------------------------------------------------------------------------


def installed(root: Path, name: str) -> bool:
    try:
        card = load_card(name, root)
    except ModelNotAvailableError:
        return False
    return (root / card.file).is_file()


def tiny_digest() -> str:
    h = hashlib.sha256()
    for folder in TINY_SOURCES:
        for path in sorted((PROJECT_ROOT / folder).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build_tiny(target: Path) -> None:
    """The three tiny models into ``target``, built in a subprocess (torch export is memory-hungry)."""
    tmp = target.with_name(f"{target.name}.building-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    code = "import sys; from pathlib import Path; from training.tiny_models import tiny_models; " \
           "tiny_models(Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(tmp)], cwd=PROJECT_ROOT, check=True, timeout=600)
    if target.exists():
        shutil.rmtree(tmp)
    else:
        tmp.rename(target)


def prepare_models(workdir: Path, fresh: bool) -> tuple[Path, dict[str, str]]:
    """A folder with every model: the shipped one when installed, else a tiny untrained one; and which."""
    shipped = Path(get_settings().models_dir)
    missing = [n for n in MODEL_NAMES if not installed(shipped, n)]
    tiny_root = None
    if missing:
        if fresh:
            tiny_root = workdir / "tiny-models"
        else:  # cached: building them costs about a minute of two cores
            tiny_root = Path(get_settings().cache_dir) / "bench-models" / f"tiny-{tiny_digest()}"
        if not all(installed(tiny_root, n) for n in missing):
            print(f"building tiny untrained models in {tiny_root} (about a minute) ...", flush=True)
            build_tiny(tiny_root)
    target = workdir / "models"
    target.mkdir()
    which = {}
    for name in MODEL_NAMES:
        root = tiny_root if name in missing else shipped
        card = load_card(name, root)
        for src in (card_path(name, root), root / card.file):
            (target / src.name).symlink_to(src.resolve())
        origin = (f"tiny UNTRAINED stand-in from training/tiny_models.py ({tiny_root})" if name in missing
                  else f"shipped ({shipped})")
        which[name] = f"{card.version}, {origin}"
    return target, which


# ---- 1 and 2: latency of the models/ pipelines ---------------------------------------------------------


def timed_ms(fn: Callable[[], Any], size: int, plan: Plan) -> float:
    from bench.colorization_latency import timed

    big = size > 1024
    return 1e3 * timed(fn, plan.large_repeats if big else plan.repeats, 1 if big else 2)


def colorization_latency(report: Report, models_dir: Path, threads: int) -> None:
    import torch

    from bench.colorization_latency import measure, torch_net
    from models.colorization_model import ColorizationModel

    torch.set_num_threads(threads)
    colorizer = ColorizationModel(device=get_settings().device, root=models_dir, threads=threads)
    served = "+".join(map(str, (colorizer.spec.serve_short_side, *colorizer.spec.extra_short_sides)))
    net, same = torch_net(colorizer.card, models_dir / colorizer.card.file)
    if not same:
        report.notes.append("the PyTorch colorization network's convolutions differ from the ONNX file's; "
                            "its column compares different architectures")
    provider = colorizer.session.get_providers()[0]
    rows = measure(colorizer, net, report.plan.sizes, report.plan.repeats, report.plan.large_repeats,
                   report.plan.network_sizes)
    report.add(
        "Colorization latency (ms, median)",
        ["side px", "pipeline onnxruntime", "pipeline PyTorch", "PyTorch / onnxruntime",
         "network onnxruntime", "network PyTorch", "PyTorch / onnxruntime"],
        [[r["size"], r["pipeline_ort_ms"], r["pipeline_torch_ms"], ratio(r["pipeline_torch_ms"], r["pipeline_ort_ms"]),
          r.get("network_ort_ms"), r.get("network_torch_ms"), ratio(r.get("network_torch_ms"), r.get("network_ort_ms"))]
         for r in rows],
        note=(f"Pipeline: `ColorizationModel.colorize` on a square photo of that side (resize to the card's "
              f"serving sides = {served} px, network, annealed mean, recolouring at full "
              f"size); network: the bare network on a square L input of that side (— = not timed in this run). "
              f"onnxruntime on {provider}, PyTorch eager on the same device; {threads} threads each; "
              f"{report.plan.repeats} timed calls up to 1024 px, {report.plan.large_repeats} above."),
    )


def task_latency(report: Report, models_dir: Path, threads: int) -> None:
    from bench.colorization_latency import square_photo
    from models.jigsaw_model import JigsawModel
    from models.rotation_model import RotationModel

    device = get_settings().device
    jigsaw = JigsawModel(device=device, root=models_dir, threads=threads)
    rotation = RotationModel(device=device, root=models_dir, threads=threads)
    rows = []
    for size in report.plan.sizes:
        photo = square_photo(size)
        rows.append([size, timed_ms(lambda photo=photo: jigsaw.solve(photo), size, report.plan),
                     timed_ms(lambda photo=photo: rotation.predict(photo), size, report.plan)])
    report.add(
        "Jigsaw and rotation latency (ms, median)",
        ["side px", "jigsaw `JigsawModel.solve`", "rotation `RotationModel.predict`"], rows,
        note=(f"The models/ pipelines on a square photo of that side: jigsaw cuts the 3x3 tiles "
              f"({jigsaw.spec.tile} px) and solves with the card's default method "
              f"('{jigsaw.spec.default_method}'); rotation runs the four turns of the photo"
              f"{' and of its mirror image' if rotation.mirror_views else ''} at "
              f"{' and '.join(map(str, rotation.short_sides))} px short side plus attention maps. onnxruntime on "
              f"{jigsaw.session.get_providers()[0]}, {threads} threads."),
    )


# ---- 3: the API end to end -----------------------------------------------------------------------------


def api_load(report: Report, models_dir: Path, workdir: Path) -> None:
    from bench.load_colorize import Run, bench_processes, test_photo

    plan = report.plan
    args = argparse.Namespace(count=plan.load_count, clients=plan.load_clients, max_seconds=plan.load_max_seconds)
    photo = test_photo(plan.load_size)
    rows = []
    for n in plan.load_processes:
        print(f"load: {n} worker process(es), {plan.load_count} requests ...", flush=True)
        try:
            run = bench_processes(n, args, models_dir, photo, workdir)
        except Exception as exc:  # a service that did not start: report it, go on with the rest
            run = Run(n, errors=[f"{type(exc).__name__}: {exc}"])
        s = run.summary()
        rows.append([n, s["ok"], s["errors"], s.get("throughput_per_s"), s.get("p50_ms"), s.get("p95_ms"),
                     s.get("p99_ms"), s.get("mean_processing_ms"), s.get("mean_job_ms"), s.get("http_share_pct")])
        report.notes += [f"load run with {n} process(es): {e}" for e in run.errors[:2]]
    report.add(
        f"API end to end: colorize a {plan.load_size}x{plan.load_size} JPEG over loopback HTTP",
        ["worker processes", "ok", "errors", "throughput / s", "p50 ms", "p95 ms", "p99 ms", "mean processing ms",
         "mean job ms", "HTTP share %"], rows,
        note=(f"bench/load_colorize.py: a private Redis, one Celery worker with N prefork processes and uvicorn, "
              f"all on 127.0.0.1; {plan.load_clients} client threads each POST `?wait=` then GET the PNG, "
              f"{plan.load_count} requests after a warm-up (at most {plan.load_max_seconds:.0f} s). Latency = POST "
              f"until the PNG is downloaded; processing = decode + model + encode in the worker; job = created "
              f"until finished."),
    )


# ---- 4: peak memory on a large photo ---------------------------------------------------------------------


def run_python(args: Sequence[str], timeout_s: float) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=timeout_s)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def parse_colorize_memory(out: str) -> dict[str, float]:
    """The figures bench/colorize_memory.py prints, by stage."""
    figures: dict[str, float] = {}
    if m := re.search(r"photo (\d+)x(\d+) = ([\d.]+) MP, JPEG ([\d.]+) MB; peak RSS before (\d+) MB", out):
        figures.update(width=int(m[1]), height=int(m[2]), megapixels=float(m[3]), idle_rss_mb=float(m[5]))
    for stage in ("decode", "colorization", "png"):
        if m := re.search(rf"^{stage}\s+([\d.]+) s\s+peak RSS (\d+) MB", out, re.M):
            figures[f"{stage}_s"], figures[f"{stage}_peak_mb"] = float(m[1]), float(m[2])
    if m := re.search(r"one uint8 RGB copy of the photo: ([\d.]+)", out):
        figures["per_rgb_copy"] = float(m[1])
    missing = {"width", "png_peak_mb", "per_rgb_copy"} - figures.keys()
    if missing:
        raise RuntimeError(f"could not read {sorted(missing)} from colorize_memory's output:\n{out[-800:]}")
    return figures


def memory(report: Report, models_dir: Path, workdir: Path) -> None:
    from bench.job_memory import synthetic_jpeg

    plan = report.plan
    mp = plan.memory_megapixels
    rows: list[list[Any]] = []
    try:
        out = run_python(["-m", "bench.colorize_memory", "--megapixels", str(mp), "--models-dir", str(models_dir)],
                         plan.stage_timeout_s)
        f = parse_colorize_memory(out)
        rows.append(["colorization pipeline (bench/colorize_memory.py)", f"{f['width']}x{f['height']}",
                     f["decode_s"] + f["colorize_s"] + f["png_s"], round(f["idle_rss_mb"]), round(f["png_peak_mb"]),
                     round(f["png_peak_mb"] - f["idle_rss_mb"]), f["per_rgb_copy"]])
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        report.notes.append(f"colorize_memory: {exc}")
    photo = workdir / f"photo-{mp:g}mp.jpg"
    photo.write_bytes(synthetic_jpeg(mp))
    for kind in task_names():
        try:
            out = run_python(["-m", "bench.job_memory", "--kind", kind, "--photo", str(photo),
                              "--models-dir", str(models_dir)], plan.stage_timeout_s)
            f = json.loads(out.strip().splitlines()[-1])
            rows.append([f"{kind} worker job (bench/job_memory.py)", f"{f['width']}x{f['height']}", f["seconds"],
                         f["idle_rss_mb"], f["peak_rss_mb"], f["peak_rss_mb"] - f["idle_rss_mb"], f["per_rgb_copy"]])
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
            report.notes.append(f"job_memory {kind}: {exc}")
    report.add(
        f"Peak memory of one worker on a {mp:g}-megapixel photo",
        ["what", "photo", "seconds", "idle RSS MB", "peak RSS MB", "above idle MB", "uint8 RGB copies"], rows,
        note=("Each row is a fresh process (so the kernel's high-water mark is this job's): colorize_memory.py "
              "times decode, colorize and PNG encoding; job_memory.py runs the worker's own job function "
              "(decode, model, every output encoded) on the upload held in memory. Idle = after imports and "
              "opening the model, before the job; a Celery pool process adds Celery itself (tens of MB)."),
    )


# ---- the run -----------------------------------------------------------------------------------------


def machine_facts(threads: int) -> dict[str, str]:
    import onnxruntime as ort

    cpu = platform.processor() or platform.machine()
    try:
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = names[0] if names else cpu
    except OSError:
        pass
    facts = {
        "machine": f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}",
        "load average at start (1/5/15 min)": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "python": platform.python_version(),
        "onnxruntime": f"{ort.__version__} ({ort.get_device()}), providers {ort.get_available_providers()}, "
                       f"PRETEXT_DEVICE={get_settings().device}",
        "threads per runtime": str(threads),
    }
    try:
        import torch

        facts["torch"] = f"{torch.__version__}, CUDA available: {torch.cuda.is_available()}"
    except ImportError:
        facts["torch"] = "not installed"
    return facts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke-size run: few repeats, small load, 2-MP photo")
    p.add_argument("--threads", type=int, default=0,
                   help="threads of onnxruntime and PyTorch in the latency runs (default: PRETEXT_ONNX_THREADS "
                        "or the number of CPUs)")
    p.add_argument("--fresh-models", action="store_true",
                   help="build the tiny stand-ins into the run's temp dir instead of reusing the cached ones")
    p.add_argument("--skip", default="", help="comma-separated stages to leave out: colorization,tasks,api,memory")
    p.add_argument("--out", type=Path, default=None, help="report file (default: bench/results-<date>[-quick].md)")
    args = p.parse_args(argv)
    plan = QUICK if args.quick else FULL
    threads = args.threads or get_settings().onnx_threads or os.cpu_count() or 1
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    report = Report(plan)
    report.machine = machine_facts(threads)
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pretext-bench-", dir=PROJECT_ROOT / "var") as tmp:
        workdir = Path(tmp)
        models_dir, report.models = prepare_models(workdir, args.fresh_models)
        for name, value in report.models.items():
            print(f"model {name}: {value}", flush=True)
        stages = [("colorization", lambda: colorization_latency(report, models_dir, threads)),
                  ("tasks", lambda: task_latency(report, models_dir, threads)),
                  ("api", lambda: api_load(report, models_dir, workdir)),
                  ("memory", lambda: memory(report, models_dir, workdir))]
        for name, stage in stages:
            if name not in skip:
                print(f"--- {name} ...", flush=True)
                stage()
    text = report.markdown()
    out = args.out or PROJECT_ROOT / "bench" / f"results-{dt.date.today().isoformat()}"\
                                               f"{'-quick' if args.quick else ''}.md"
    out.write_text(text)
    print(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
