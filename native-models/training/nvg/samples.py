"""Sample sheets for a pack's model card: `python -m nvg samples --pack ../packs/tiny`

- samples/classes.png: one row per class (its name on the left), --per-class seeds each;
- samples/structure.png: one row per drawn stage-1 map (circle, rectangle, halves; the map first),
  generated with that map pinned as the stage-1 structure, over several classes.
Images are scaled up with nearest neighbours so the pixels stay visible.
"""
import argparse
import os

import numpy as np
from PIL import Image, ImageDraw

from . import sampler
from .backends import OrtBackend
from .quality import drawn_maps, mask_to_stage1

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABEL_W = 150


def _sheet(rows, labels, cell):
    """rows: lists of uint8 [S, S, 3] images -> one white sheet with a text label per row."""
    cols = max(len(r) for r in rows)
    sheet = Image.new("RGB", (LABEL_W + cols * (cell + 4), len(rows) * (cell + 4)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, (row, label) in enumerate(zip(rows, labels)):
        y = i * (cell + 4)
        draw.text((4, y + cell // 2 - 6), label, fill=(40, 40, 40))
        for j, im in enumerate(row):
            sheet.paste(Image.fromarray(im).resize((cell, cell), Image.NEAREST), (LABEL_W + j * (cell + 4), y))
    return sheet


def class_sheet(backend, per_class, seed, cell):
    rows, labels = [], []
    for c in backend.manifest["classes"]:
        res = sampler.generate(backend, c["id"], seed + 1000 * c["id"], per_class)
        rows.append(list(sampler.to_uint8(res.images)))
        labels.append(c["name"])
    return _sheet(rows, labels, cell)


def structure_sheet(backend, per_map, seed, cell):
    h, w = backend.h, backend.w
    n_classes = len(backend.manifest["classes"])
    rows, labels = [], []
    for name, mask in drawn_maps().items():
        given = mask_to_stage1(mask, h, w)
        picture = np.where(np.repeat(np.repeat(given.reshape(h, w), 8, 0), 8, 1)[..., None] == 1, 40, 235).astype(np.uint8).repeat(3, -1)
        row = [picture]
        for i in range(per_map):
            res = sampler.generate(backend, (i * 7) % n_classes, seed + i, 1, {1: sampler.Pin(labels=given)})
            row.append(sampler.to_uint8(res.images)[0])
        rows.append(row)
        labels.append(f"stage 1 = {name}")
    return _sheet(rows, labels, cell)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m nvg samples", description="sample sheets for a pack's model card")
    ap.add_argument("--pack", default=os.path.join(HERE, "..", "packs", "tiny"))
    ap.add_argument("--per-class", type=int, default=8)
    ap.add_argument("--per-map", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    backend = OrtBackend(args.pack)
    cell = max(64, backend.manifest["image"]["size"])
    out = os.path.join(args.pack, "samples")
    os.makedirs(out, exist_ok=True)
    for name, sheet in (("classes", class_sheet(backend, args.per_class, args.seed, cell)),
                        ("structure", structure_sheet(backend, args.per_map, args.seed, cell))):
        path = os.path.join(out, f"{name}.png")
        sheet.save(path + ".tmp.png", optimize=True)
        os.replace(path + ".tmp.png", path)
        print(f"[samples] {os.path.relpath(path)} {os.path.getsize(path) / 1e3:.0f} kB")
    return 0
