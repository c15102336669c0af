import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(os.cpu_count() or 1)


def make_shapes_dataset(root, size=16, per_class=24, val_per_class=4, seed=0):
    """A synthetic image-folder dataset: coloured discs and squares on white, two classes."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    for split, n in (("train", per_class), ("val", val_per_class)):
        for cls in ("disc", "square"):
            folder = os.path.join(root, str(size), split, cls)
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                im = Image.new("RGB", (size, size), (255, 255, 255))
                d = ImageDraw.Draw(im)
                r = rng.integers(size // 4, size // 2)
                cx, cy = rng.integers(r, size - r + 1, size=2)
                colour = tuple(int(v) for v in rng.integers(0, 200, size=3))
                box = (cx - r, cy - r, cx + r - 1, cy + r - 1)
                (d.ellipse if cls == "disc" else d.rectangle)(box, fill=colour)
                im.save(os.path.join(folder, f"{i:03d}.png"))
    return root


@pytest.fixture
def shapes_dataset(tmp_path):
    return make_shapes_dataset(str(tmp_path / "shapes"))
