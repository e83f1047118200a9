"""Peak memory and time of colorizing one large photo through the serving pipeline.

Run: ``.venv/bin/python -m bench.colorize_memory [--megapixels 50]``. Each stage runs in
this process; peak RSS is read from the kernel (VmHWM) after each stage.
"""

import argparse
import io
import resource
import time
from pathlib import Path

import numpy as np
from PIL import Image

from models.colorization_model import ColorizationModel
from models.imageio import decode_image, encode_png


def peak_mb() -> float:
    """This process's peak resident memory in MB.

    Linux: VmHWM, the high-water mark of this program's own address space. Not ru_maxrss, which a
    child started with fork + exec inherits from its parent (a big benchmark parent would hide the
    child's figure under its own).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--megapixels", type=float, default=50.0)
    p.add_argument("--models-dir", type=Path, default=None)
    args = p.parse_args()
    colorizer = ColorizationModel(device="cpu", root=args.models_dir)
    w = int((args.megapixels * 1e6 * 1.5) ** 0.5)
    h = int(args.megapixels * 1e6 / w)
    y, x = np.mgrid[0:h:8, 0:w:8]
    small = np.stack([(x * 7) % 256, (y * 5) % 256, ((x + y) * 3) % 256], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(small).resize((w, h)).save(buf, format="JPEG", quality=85)
    data = buf.getvalue()
    del small, buf
    base = peak_mb()
    print(f"photo {w}x{h} = {w * h / 1e6:.1f} MP, JPEG {len(data) / 1e6:.1f} MB; peak RSS before {base:.0f} MB")
    t0 = time.perf_counter()
    rgb = decode_image(data, max_pixels=10**9)
    print(f"decode   {time.perf_counter() - t0:6.2f} s  peak RSS {peak_mb():.0f} MB")
    t0 = time.perf_counter()
    out = colorizer.colorize(rgb)
    print(f"colorize {time.perf_counter() - t0:6.2f} s  peak RSS {peak_mb():.0f} MB")
    t0 = time.perf_counter()
    png = encode_png(out.rgb8)
    print(f"png      {time.perf_counter() - t0:6.2f} s  peak RSS {peak_mb():.0f} MB ({len(png) / 1e6:.0f} MB)")
    image_mb = w * h * 3 / 1e6
    print(f"peak RSS / one uint8 RGB copy of the photo: {(peak_mb() - base) / image_mb:.2f}")


if __name__ == "__main__":
    main()
