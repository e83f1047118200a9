"""The colorization paper's classifier test: does a network trained on colour photos recognise colorized ones?

Zhang, Isola and Efros (2016, section 3.1) fed VGG photos in gray, colorized by their model, and in their
true colours. Here the classifier is the shared trunk trained supervised on imagenette (``pretext train
supervised``, or its export ``supervised.onnx``), and the photos are imagenette-val, which it never trained
on. Each photo is colorized at full size through the serving code (``ColorizationModel.colorize``, the card's
serving side and default temperature, as ``pretext colorize`` and the API do); then every version is brought
to the classifier's own validation input identically: centre-cropped to a square, resized to 80 px, centre
64 px crop (``SupervisedTask.validate``), so the true-colour version is exactly what the classifier's
validation saw. Gray: the photo's L with a = b = 0 (``models.colorization.gray_rgb8``).

Written to ``classifier_test.json`` and ``.md`` beside the colorization report, and as a section of it.
"""

import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from models.colorization import gray_rgb8
from models.colorization_model import ColorizationModel
from models.rotation import normalise
from training.datasets import ZipSplit, square_resize

PAPER = "Zhang, Isola, Efros. Colorful Image Colorization. ECCV 2016, section 3.1 (the VGG classification test)"
SIDE, CROP = 80, 64  # the supervised run's imagenette_size and size (its defaults)
GRAY, COLORIZED, REGRESSION, TRUE = "gray", "colorized", "colorized (regression)", "true colours"
MARK_BEGIN, MARK_END = "<!-- classifier-test -->", "<!-- /classifier-test -->"


@dataclass(frozen=True)
class Classifier:
    """(N, crop, crop, 3) uint8 photos -> (N, classes) logits, where it came from, and its input geometry."""

    logits: Callable[[np.ndarray], np.ndarray]
    source: str
    side: int = SIDE
    crop: int = CROP


def run_classifier(run_dir: Path) -> Classifier:
    """The supervised run's network (torch, eval mode), at the geometry its config validated with."""
    import torch

    from training.supervised import SupervisedNet

    ck = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    net = SupervisedNet()
    net.load_state_dict(ck["model"])
    net.eval()
    cfg = ck.get("task", {}).get("config", {})

    def logits(photos: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(normalise(photos))).numpy()

    return Classifier(logits, f"{run_dir / 'checkpoint.pt'} (step {ck.get('step')})",
                      int(cfg.get("imagenette_size", SIDE)), int(cfg.get("size", CROP)))


def onnx_classifier(path: Path) -> Classifier:
    """The exported supervised network: input "image" (B, 3, H, W) ImageNet-normalised RGB -> (B, 10) logits."""
    from models.runtime import load_session

    session = load_session(path, "cpu")
    name = session.get_inputs()[0].name
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    cfg = card.get("training", {}).get("config", {})  # the run's geometry, as the card records it
    return Classifier(lambda photos: session.run(None, {name: normalise(photos)})[0],
                      f"{path}" + (f" ({card['version']})" if card.get("version") else ""),
                      int(cfg.get("imagenette_size", SIDE)), int(cfg.get("size", CROP)))


def classifier_input(rgb8: np.ndarray, side: int = SIDE, crop: int = CROP) -> np.ndarray:
    """(H, W, 3) uint8 -> (crop, crop, 3): the square centre resized to ``side``, its centre ``crop``."""
    square = square_resize(Image.fromarray(rgb8), side)
    off = (side - crop) // 2
    return square[off : off + crop, off : off + crop]


def versions(rgb8: np.ndarray, cls: ColorizationModel, reg: ColorizationModel | None,
             side: int = SIDE, crop: int = CROP) -> dict[str, np.ndarray]:
    """One photo as the classifier sees it: gray, colorized (by each model) and true, each (crop, crop, 3)."""
    full = {GRAY: gray_rgb8(rgb8), COLORIZED: cls.colorize(rgb8).rgb8}
    if reg:
        full[REGRESSION] = reg.colorize(rgb8).rgb8
    full[TRUE] = rgb8
    return {k: classifier_input(v, side, crop) for k, v in full.items()}


def classifier_test(classifier: Classifier, cls: ColorizationModel, reg: ColorizationModel | None,
                    photos: int | None) -> dict[str, Any]:
    """Top-1 of the classifier on the first ``photos`` imagenette-val photos (default all) in every version."""
    split = ZipSplit("imagenette-val")
    n = len(split) if not photos else min(photos, len(split))
    inputs: dict[str, list[np.ndarray]] = {}
    t0 = time.time()
    for i in range(n):
        for k, v in versions(split.rgb(i), cls, reg, classifier.side, classifier.crop).items():
            inputs.setdefault(k, []).append(v)
        if (i + 1) % 100 == 0:
            print(f"classifier test: {i + 1}/{n} photos, {time.time() - t0:.0f} s", file=sys.stderr)
    colorize_s = time.time() - t0
    labels = split.labels[:n]
    preds = {k: np.concatenate([classifier.logits(np.stack(v[s : s + 256])).argmax(1) for s in range(0, n, 256)])
             for k, v in inputs.items()}
    return {
        "test": PAPER,
        "classifier": classifier.source,
        "photos": n,
        "split": "imagenette-val",
        "input": f"each version centre-cropped to a square, resized to {classifier.side} px, centre "
                 f"{classifier.crop} px crop (the classifier's validation input)",
        "colorization_version": cls.card.version,
        "regression_version": reg.card.version if reg else None,
        "serve_short_sides": [cls.spec.serve_short_side, *cls.spec.extra_short_sides],
        "temperature": cls.spec.default_temperature,
        "top1": {k: float(np.mean(p == labels)) for k, p in preds.items()},
        "same_answer_as_true_colours": {k: float(np.mean(p == preds[TRUE])) for k, p in preds.items() if k != TRUE},
        "seconds": {"colorize_and_prepare": round(colorize_s, 1), "total": round(time.time() - t0, 1)},
    }


def recovered(result: dict[str, Any], key: str = COLORIZED) -> float | None:
    """(colorized - gray) / (true - gray): the share of what gray loses that colorizing wins back."""
    top1 = result["top1"]
    lost = top1[TRUE] - top1[GRAY]
    return None if abs(lost) < 1e-12 else (top1[key] - top1[GRAY]) / lost


def markdown(result: dict[str, Any], heading: str = "#") -> str:
    top1, same = result["top1"], result["same_answer_as_true_colours"]
    lines = [f"{heading} Classifier test (Zhang et al. 2016)", "",
             f"The supervised imagenette classifier (`{result['classifier']}`) on the first {result['photos']} "
             f"{result['split']} photos, {result['input']}. Colorized by `{result['colorization_version']}` through "
             f"the serving code at short side {'+'.join(map(str, result['serve_short_sides']))} px, "
             f"T = {result['temperature']:g}"
             + (f"; the regression row by `{result['regression_version']}`" if result["regression_version"] else "")
             + ". Gray: L only (a = b = 0).", "",
             "| input | top-1 % | same answer as on the true colours % |", "|---|---|---|"]
    for k, v in top1.items():
        lines.append(f"| {k} | {100 * v:.1f} | {'-' if k == TRUE else f'{100 * same[k]:.1f}'} |")
    lines.append("")
    for key in (COLORIZED, REGRESSION):
        share = recovered(result, key) if key in top1 else None
        if share is not None:
            lines.append(f"- {key}: {100 * (top1[key] - top1[GRAY]):+.1f} points over gray, "
                         f"{100 * (top1[key] - top1[TRUE]):+.1f} against the true colours: {100 * share:.0f}% of what "
                         "gray loses is won back.")
    lines += ["", f"Command: `{result['command']}` ({result['seconds']['total']:.0f} s)", ""]
    return "\n".join(lines)


def upsert_section(text: str, section: str) -> str:
    """``text`` with the classifier-test section (between its markers) replaced, or appended when absent."""
    block = f"{MARK_BEGIN}\n{section.rstrip()}\n{MARK_END}\n"
    pattern = re.compile(re.escape(MARK_BEGIN) + r".*?" + re.escape(MARK_END) + r"\n?", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text, count=1)
    return text.rstrip("\n") + "\n\n" + block


def write(result: dict[str, Any], out: Path) -> None:
    """classifier_test.json and .md in ``out``; the colorization report there, if any, gains the section."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "classifier_test.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "classifier_test.md").write_text(markdown(result))
    include_in_report(out)


def include_in_report(out: Path) -> None:
    """Put ``out/classifier_test.json`` into the report beside it (report.json's key, report.md's section),
    leaving the rest of both as they are."""
    path = out / "classifier_test.json"
    if not path.is_file():
        return
    result = json.loads(path.read_text())
    if (out / "report.json").is_file():
        report = json.loads((out / "report.json").read_text())
        report["classifier_test"] = result
        (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    if (out / "report.md").is_file():
        md = out / "report.md"
        md.write_text(upsert_section(md.read_text(), markdown(result, heading="##")))
