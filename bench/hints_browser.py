"""How fast a colour hint recolours the colorize page, in Chromium: the time from choosing a colour to the
recoloured photo, on a 1-megapixel photo (issue #32's target: under 200 ms).

Starts its own Redis, a Celery worker and the API on 127.0.0.1 (bench/load_colorize.py's private service) with
the models in the settings' models_dir (the shipped ones), drives Debian's Chromium through Playwright: uploads a
photo (skimage's astronaut scaled to --side, else a generated one), waits for its colorization, turns on the
hint mode, then --clicks times clicks a point of the photo (a fixed pseudo-random sequence), waits for the
popover of that point's colours and clicks its least likely swatch (the colour furthest from what is shown, so
the region really changes). The hints accumulate, as they do for a person. Prints per-click figures and their
median and p90:

- in page: from the swatch's click handler to the recoloured pixels put on the canvas (the page's own
  ``data-hint-ms``: the hint's Dijkstra, the mixture and decoding of the cells it reaches, the painting of the
  part of the photo where the colour moves by 1 ab unit or more, in the page's painting workers);
- frame: from the same start to the next animation frame, when the browser paints them;
- end to end: from Playwright's click to the page reporting the new picture (adds the round trips of the
  automation protocol, tens of ms, that a person's click does not have);
- CPU: the processor time Chromium's processes spent per hint (from /proc, all their threads: the page's
  painting workers too), the figure that does not depend on what else the machine runs; on a machine whose
  cores are busy (as when a training run shares it) the wall times above grow, this does not;
- exact: from the same click until the second pass has drawn the hint's smaller changes (under 1 ab unit,
  outside its region) exactly too, a strip at a time between other work; with "region", the share of the
  photo the first pass redrew.

The first hint builds the solver (the photo's lightness on the network's grid, the edge costs) and is
reported apart. Not a test: nothing is asserted.

    python -m bench.hints_browser                     # 1000 x 1000 photo, 20 clicks
    python -m bench.hints_browser --side 2000 --clicks 10
"""

import argparse
import importlib.util
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.load_colorize import private_service
from core.queues import queue_names
from core.settings import PROJECT_ROOT, get_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 900}
TIMEOUT_MS = 120_000
MAX_CLICKS = 60


def test_photo(side: int) -> bytes:
    """A side x side PNG: scikit-image's astronaut (public domain) scaled, else a smooth generated picture."""
    spec = importlib.util.find_spec("skimage")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png" if spec else None
    if path is not None and path.is_file():
        im = Image.open(path).convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
    else:
        y, x = np.mgrid[0:side, 0:side].astype(np.float32)
        rgb = np.stack([128 + 100 * np.sin(x / 37), 128 + 100 * np.cos(y / 23), 128 + 100 * np.sin((x + y) / 51)], -1)
        im = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def descendants(root: int) -> list[int]:
    """The pids of ``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def browser_pid(user_data_dir: str) -> int | None:
    """The Chromium browser process started with ``user_data_dir``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.decode(errors="replace") == f"--user-data-dir={user_data_dir}" for arg in cmd) and \
                not any(arg.startswith(b"--type=") for arg in cmd):
            return int(entry.name)
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes (those still alive)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<13} median {statistics.median(values):7.1f} ms   p90 {pct(values, 90):7.1f} ms   "
            f"min {min(values):7.1f}   max {max(values):7.1f}")


def drive(base: str, photo: bytes, clicks: int, seed: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(seed)
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="hints-chromium-") as profile:
        context = pw.chromium.launch_persistent_context(profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                        viewport=VIEWPORT, device_scale_factor=1)
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        root = browser_pid(profile)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/colorization")
        page.set_input_files("#file", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": photo}])
        page.locator("#status").filter(has_text="Colorized in").wait_for()
        size = page.evaluate("() => [document.getElementById('after').width, document.getElementById('after').height]")
        page.locator("#hint-mode").click()
        pids = descendants(root) if root else []
        cpu = []
        page.evaluate("""() => { const after = document.getElementById('after');
          window.__frames = []; window.__frameAt = null;
          new MutationObserver(() => { const start = performance.now() - Number(after.dataset.hintMs);
            requestAnimationFrame(() => window.__frames.push(performance.now() - start)); })
            .observe(after, {attributes: true, attributeFilter: ['data-hint-painted']}); }""")
        rows = []
        for i in range(clicks + 1):
            page.locator("#after").scroll_into_view_if_needed()
            box = page.locator("#after").bounding_box()
            fx, fy = rng.uniform(0.05, 0.95, 2)
            t0 = time.perf_counter()
            page.locator("#compare").click(position={"x": box["width"] * fx, "y": box["height"] * fy})
            page.locator("#hint-popover .hint-swatch").first.wait_for()
            popover_ms = 1e3 * (time.perf_counter() - t0)
            swatches = page.locator("#hint-popover .hint-swatch")
            cpu0 = cpu_seconds(pids)
            version = int(page.locator("#after").get_attribute("data-hint-painted") or 0)
            t1 = time.perf_counter()
            swatches.last.click()
            page.wait_for_function("(v) => Number(document.getElementById('after').dataset.hintPainted) > v",
                                   arg=version)
            e2e_ms = 1e3 * (time.perf_counter() - t1)
            page.wait_for_function("(n) => window.__frames.length >= n", arg=i + 1)
            page.wait_for_function("() => { const d = document.getElementById('after').dataset;"
                                   " return d.hintsSettled === d.hintVersion; }")
            settled_ms = 1e3 * (time.perf_counter() - t1)
            if i:  # not the first hint's
                cpu.append(cpu_seconds(pids) - cpu0)
            after = page.locator("#after")
            rows.append({"in_page_ms": float(after.get_attribute("data-hint-ms")),
                         "frame_ms": page.evaluate(f"window.__frames[{i}]"), "end_to_end_ms": e2e_ms,
                         "settled_ms": settled_ms, "area": float(after.get_attribute("data-hint-area")),
                         "popover_ms": popover_ms, "swatches": swatches.count()})
        hints = page.locator("#hint-list .hint-item").count()
        context.close()
    return {"size": size, "rows": rows, "hints": hints, "errors": errors,
            "cpu_ms": 1e3 * sum(cpu) / len(cpu) if cpu and pids else None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--side", type=int, default=1000, help="the square photo's side (1000 = 1 megapixel)")
    p.add_argument("--clicks", type=int, default=20, help=f"timed hints (at most {MAX_CLICKS}), after a first one")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--models-dir", default=None, help="default: the settings' models_dir")
    args = p.parse_args(argv)
    if not CHROMIUM.is_file():
        print(f"Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 2
    clicks = max(1, min(args.clicks, MAX_CLICKS))
    models_dir = Path(args.models_dir or get_settings().models_dir)
    photo = test_photo(args.side)
    env = {"PRETEXT_MODELS_DIR": str(models_dir), "PRETEXT_ONNX_THREADS": "1"}
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    print(f"load average at start (1/5/15 min): {' / '.join(f'{v:.1f}' for v in os.getloadavg())}; "
          f"{os.cpu_count()} CPUs; models {models_dir}", flush=True)
    with tempfile.TemporaryDirectory(prefix="pretext-bench-", dir=PROJECT_ROOT / "var") as tmp, \
            private_service("hints", [("bench", list(queue_names()), 1)], env, Path(tmp)) as (base, _):
        result = drive(base, photo, clicks, args.seed)
    first, rows = result["rows"][0], result["rows"][1:]
    w, h = result["size"]
    print(f"photo {args.side} x {args.side}, shown at {w} x {h} = {w * h / 1e6:.2f} megapixels; "
          f"{len(rows)} timed hints after a first one; {result['hints']} hints at the end")
    print("hint  in page ms  frame ms  end to end ms  region  exact ms  popover ms  swatches")
    for i, r in enumerate(result["rows"]):
        print(f"{'first' if i == 0 else i:>5}  {r['in_page_ms']:10.1f}  {r['frame_ms']:8.1f}  "
              f"{r['end_to_end_ms']:13.1f}  {100 * r['area']:5.0f}%  {r['settled_ms']:8.1f}  "
              f"{r['popover_ms']:10.1f}  {r['swatches']:8d}")
    print(f"first hint (builds the solver): in page {first['in_page_ms']:.1f} ms, frame {first['frame_ms']:.1f} ms")
    print(f"region: the share of the photo redrawn at once (where the colour moved by >= 1 ab unit), median "
          f"{100 * statistics.median(r['area'] for r in rows):.0f}%")
    for key, name in (("in_page_ms", "in page"), ("frame_ms", "frame"), ("end_to_end_ms", "end to end"),
                      ("settled_ms", "exact"), ("popover_ms", "popover")):
        print(summary(name, [r[key] for r in rows]))
    if result["cpu_ms"] is not None:
        print(f"CPU           mean {result['cpu_ms']:7.1f} ms per hint, Chromium's processes, from the click to the "
              "exact picture (the popover excluded)")
    for err in result["errors"]:
        print(f"page error: {err}", file=sys.stderr)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
