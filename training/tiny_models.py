"""Tiny untrained models with real ONNX files and cards, for service tests and benchmarks."""

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from core.tasks import task_names
from models.encoding import ANNEALED_T
from models.gamut import in_gamut_bins
from models.jigsaw import permutation_set
from training.export_onnx import export_with_card
from training.nets import ColorizationNet

UNTRAINED = "untrained, for tests and benchmarks only"


def tiny_colorization(out_dir: Path, serve_short_side: int = 64, seed: int = 0,
                      widths: tuple[int, int, int, int] = (8, 8, 8, 8)) -> Path:
    """Write colorization.onnx and its card into ``out_dir``; returns the card's path."""
    from training.export_colorization import onnx_spec

    centres = in_gamut_bins()
    torch.manual_seed(seed)
    model = ColorizationNet(out_channels=len(centres), widths=widths).eval()
    card = {
        "name": "colorization",
        "task": "colorization",
        "version": f"colorization-tiny-{'x'.join(map(str, widths))}-seed{seed}",
        "output_kind": "logits",
        "serve_short_side": serve_short_side,
        "default_temperature": ANNEALED_T,
        "bin_centres": centres.tolist(),
        "num_bins": len(centres),
        "note": UNTRAINED,
    }
    return export_with_card(model, out_dir / "colorization.onnx", onnx_spec(), lambda _diff: card).card


def tiny_colorization_hints(out_dir: Path, serve_short_side: int = 64, seed: int = 0,
                            widths: tuple[int, int, int, int] = (8, 8, 8, 8)) -> Path:
    """Write colorization-hints.onnx (the hint network: L and 3 hint planes in) and its card into ``out_dir``."""
    from core.tasks.colorization import HINT_MODEL
    from training.colorization_hints import HINT_CHANNELS
    from training.export_colorization import HINTS_PAPER, HintInputs, onnx_spec

    centres = in_gamut_bins()
    torch.manual_seed(seed)
    net = ColorizationNet(out_channels=len(centres), widths=widths, in_channels=1 + HINT_CHANNELS)
    card = {
        "name": HINT_MODEL,
        "task": "colorization",
        "version": f"{HINT_MODEL}-tiny-{'x'.join(map(str, widths))}-seed{seed}",
        "paper": HINTS_PAPER,
        "output_kind": "logits",
        "serve_short_side": serve_short_side,
        "default_temperature": ANNEALED_T,
        "bin_centres": centres.tolist(),
        "num_bins": len(centres),
        "note": UNTRAINED,
    }
    return export_with_card(HintInputs(net).eval(), out_dir / f"{HINT_MODEL}.onnx", onnx_spec(hints=True),
                            lambda _diff: card).card


def tiny_colorizations(out_dir: Path) -> Path:
    """The colorization task's two models in ``out_dir``, the plain one and the hint network; the plain card's path."""
    tiny_colorization_hints(out_dir)
    return tiny_colorization(out_dir)


def tiny_jigsaw(out_dir: Path, seed: int = 0, widths: tuple[int, int, int, int] = (8, 8, 8, 8),
                tile: int = 16, cell: int = 19, set_size: int = 24, neighbour_strip: int = 4) -> Path:
    """Write jigsaw.onnx and its card (the exporter's own card) into ``out_dir``; the card's path."""
    from training.export_jigsaw import build_card, onnx_spec
    from training.jigsaw import JigsawConfig, make_net

    cfg = JigsawConfig(tile=tile, cell=cell, set_size=set_size, widths=widths, dim=16, hidden=32,
                       cell_width=16, neighbour_strip=neighbour_strip, neighbour_width=8)
    perms = permutation_set(cfg.set_size, cfg.set_seed)
    torch.manual_seed(seed)
    model = make_net(cfg, len(perms)).eval()
    config = {**asdict(cfg), "widths": list(cfg.widths)}
    ck = {"task": {"config": config, "permutations": perms.tolist()}, "step": 0}

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(ck, out_dir / "no-run")
        card.update(version=f"jigsaw-tiny-{'x'.join(map(str, widths))}-seed{seed}", parity_max_abs_diff=diff,
                    training={"config": config, "steps": 0}, note=UNTRAINED)
        return card

    return export_with_card(model, out_dir / "jigsaw.onnx", onnx_spec(model, cfg.tile), card_for).card


def tiny_rotation(out_dir: Path, serve_short_side: int = 64, seed: int = 0,
                  widths: tuple[int, int, int, int] = (8, 8, 8, 8)) -> Path:
    """Write rotation.onnx and its card (the exporter's own card) into ``out_dir``; the card's path."""
    from training.export_rotation import build_card, onnx_spec
    from training.rotation import RotationNet, RotationWithAttention

    torch.manual_seed(seed)
    net = RotationNet(widths).eval()

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(net, version=f"rotation-tiny-{'x'.join(map(str, widths))}-seed{seed}",
                          serve_short_side=serve_short_side, parity_diff=diff,
                          training={"config": {"widths": list(widths)}, "steps": 0})
        card["note"] = UNTRAINED
        return card

    return export_with_card(RotationWithAttention(net), out_dir / "rotation.onnx", onnx_spec(), card_for).card


def tiny_inpainting(out_dir: Path, seed: int = 0, widths: tuple[int, int, int, int] = (8, 8, 16, 16),
                    side: int = 128) -> Path:
    """Write both inpainting cards' models (inpainting.onnx, the L2 one, and inpainting-adversarial.onnx) with
    their cards (the exporter's own) into ``out_dir``; the L2 card's path. ``side`` is a multiple of 16
    (the channel-wise FC layer holds side // 16 maps)."""
    from core.tasks.inpainting import CARDS
    from training.export_inpainting import build_card, onnx_spec
    from training.inpainting import ContextEncoder

    paths = {}
    for offset, (kind, name) in enumerate(CARDS.items()):
        torch.manual_seed(seed + offset)
        net = ContextEncoder(widths, side).eval()
        loss = "l2" if kind == "l2" else "l2+adversarial"

        def card_for(diff: float, net: ContextEncoder = net, name: str = name, loss: str = loss) -> dict[str, Any]:
            card = build_card(net, name=name, version=f"{name}-tiny-{'x'.join(map(str, widths))}-seed{seed}",
                              loss=loss, parity_diff=diff,
                              training={"config": {"widths": list(widths), "side": side}, "steps": 0})
            card["note"] = UNTRAINED
            return card

        paths[kind] = export_with_card(net, out_dir / f"{name}.onnx", onnx_spec(side), card_for).card
    return paths["l2"]


def tiny_context(out_dir: Path, seed: int = 0, widths: tuple[int, int, int, int] = (8, 8, 8, 8),
                 patch: int = 16, gap: int = 6) -> Path:
    """Write context.onnx and its card (the exporter's own card) into ``out_dir``; the card's path."""
    from training.context import ContextConfig
    from training.export_context import build_card, make_net, onnx_spec

    cfg = ContextConfig(patch=patch, gap=gap, jitter=1, widths=widths, dim=16, hidden=16, image_size=64)
    torch.manual_seed(seed)
    model = make_net(cfg).eval()

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(model, cfg, version=f"context-tiny-{'x'.join(map(str, widths))}-seed{seed}",
                          training={"config": {**asdict(cfg), "widths": list(widths)}, "steps": 0})
        card.update(parity_max_abs_diff=diff, note=UNTRAINED)
        return card

    return export_with_card(model, out_dir / "context.onnx", onnx_spec(cfg.patch), card_for).card


def tiny_random(out_dir: Path, seed: int = 0, widths: tuple[int, int, int, int] = (8, 8, 8, 8)) -> Path:
    """Write random.onnx (an untrained trunk) and its card (the exporter's own) into ``out_dir``; the card's path."""
    from training.export_random import build_card, onnx_spec, random_trunk

    trunk = random_trunk(seed, widths)
    return export_with_card(trunk, out_dir / "random.onnx", onnx_spec(),
                            lambda diff: build_card(trunk, seed=seed, parity_diff=diff)).card


def tiny_supervised(out_dir: Path, seed: int = 0, widths: tuple[int, int, int, int] = (8, 8, 8, 8)) -> Path:
    """Write supervised.onnx (an untrained classifier) and its card (the exporter's own) into ``out_dir``."""
    from models.imagenette import CLASS_NAMES
    from training.export_supervised import build_card, onnx_spec
    from training.supervised import SupervisedNet

    torch.manual_seed(seed)
    net = SupervisedNet(widths=widths).eval()
    classes = [{"label": i, "wnid": w, "name": n} for i, (w, n) in enumerate(CLASS_NAMES.items())]

    def card_for(diff: float) -> dict[str, Any]:
        card = build_card(net, version=f"supervised-tiny-{'x'.join(map(str, widths))}-seed{seed}", classes=classes,
                          parity_diff=diff, training={"config": {"widths": list(widths)}, "steps": 0})
        card["note"] = UNTRAINED
        return card

    return export_with_card(net, out_dir / "supervised.onnx", onnx_spec(), card_for).card


# The tiny features card's blocks: every block of the trunk and of the context encoder is served somewhere.
TINY_FEATURE_BLOCKS = {"random": 1, "colorization": 2, "jigsaw": 3, "rotation": 4, "context": 2, "inpainting": 4,
                       "supervised": 3}


def tiny_features(out_dir: Path) -> Path:
    """The two references (random.onnx, supervised.onnx) and the features card over every model in ``out_dir``
    (the other tasks' tiny models first: it comes last in TINY's order); the card's path."""
    from training.export_features import write_features_card

    tiny_random(out_dir)
    tiny_supervised(out_dir)
    return write_features_card(out_dir, None, blocks=TINY_FEATURE_BLOCKS)


# One untrained stand-in per registered task (a new task adds its own here).
TINY: dict[str, Callable[[Path], Path]] = {
    "colorization": tiny_colorizations,
    "jigsaw": tiny_jigsaw,
    "rotation": tiny_rotation,
    "inpainting": tiny_inpainting,
    "context": tiny_context,
    "features": tiny_features,  # after every model it lists
}


def tiny_models(out_dir: Path) -> list[Path]:
    """Every registered task's tiny model in ``out_dir``: the paths of their cards."""
    missing = [name for name in task_names() if name not in TINY]
    if missing:
        raise KeyError(f"no tiny stand-in for {missing}: add one to training/tiny_models.py TINY")
    return [TINY[name](out_dir) for name in task_names()]
