"""Parity fixtures for the TypeScript engine, computed from a pack with onnxruntime (Python).

`python -m nvg fixtures --pack ../packs/tiny --out ../../tests/fixtures/tiny`
- vgs.json:     for a few held-out images: the image, its latent (encoder output), labels per stage,
                structure embeddings, tokens and canvases (before each stage, then the final one);
- graphs.json:  fixed inputs to each of the five ONNX graphs and their outputs;
- sampler.json: generations of the reference sampler (class, seed, count, pins) with labels,
                tokens and 8-bit images, to replay in TypeScript with the same nvg-rand streams.
Floats are written with 9 significant digits, which round-trips float32 exactly.
"""
import argparse
import hashlib
import json
import os

import numpy as np

from . import sampler
from .backends import OrtBackend
from .structure import labels_to_embedding

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def f32(a):
    return [float(f"{v:.9g}") for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def ints(a):
    return [int(v) for v in np.asarray(a).reshape(-1)]


def pack_id(pack_dir):
    with open(os.path.join(pack_dir, "manifest.json"), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def vgs_fixture(backend, images_u8):
    K = backend.K
    out = []
    for im in images_u8:
        image = im.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
        labels, tokens, canvases, z = sampler.encode_reference(backend, image)
        out.append({
            "imageU8": ints(im),  # [H, W, 3]
            "latent": f32(z),  # [T, e] (encoder output, position-major)
            "labels": [ints(l) for l in labels],
            "embeddings": [ints(labels_to_embedding(labels[k], k, K)) for k in range(K + 1)],
            "tokens": [ints(t) for t in tokens],
            "canvases": [f32(c) for c in canvases],  # K+2 entries of [T, e]
            "decoded": f32(backend.decoder(canvases[-1].T.reshape(1, backend.e, backend.h, backend.w).astype(np.float32))),
        })
    return out


def graph_inputs(backend, seed=0):
    rng = np.random.default_rng(seed)
    m = backend.manifest
    H, e, h, K, T = m["image"]["size"], backend.e, backend.h, backend.K, backend.h * backend.w
    B, k = 2, 3
    labels = rng.integers(0, 2**k, size=(B, T))
    structure = labels_to_embedding(labels, k, K)
    pool = np.zeros((B, 2**k, T), dtype=np.float32)
    for b in range(B):
        pool[b, labels[b], np.arange(T)] = 1
    pool /= np.maximum(pool.sum(-1, keepdims=True), 1)
    cls = np.array([0, backend.null_class], dtype=np.int64)
    return {
        "encoder": {"image": rng.uniform(-1, 1, (B, 3, H, H)).astype(np.float32)},
        "decoder": {"latent": rng.normal(size=(B, e, h, h)).astype(np.float32)},
        "refiner": {"x": rng.normal(size=(B, e, h, h)).astype(np.float32), "stage": np.array([k], dtype=np.int64)},
        "content": {"class_id": cls, "stage": np.array([k, k], dtype=np.int64), "canvas": rng.normal(size=(B, T, e)).astype(np.float32),
                    "structure": structure, "pool": pool},
        "structure": {"class_id": cls, "stage": np.array([k, k], dtype=np.int64), "t": np.array([0.3, 0.8], dtype=np.float32),
                      "canvas": rng.normal(size=(B, T, e)).astype(np.float32), "structure": structure,
                      "noisy": rng.normal(size=(B, T, K)).astype(np.float32)},
    }


def graphs_fixture(backend):
    out = {}
    for name, inputs in graph_inputs(backend).items():
        outputs = backend.sessions[name].run(None, inputs)
        names = [o.name for o in backend.sessions[name].get_outputs()]
        enc = lambda a: {"dtype": str(a.dtype), "shape": list(a.shape), "data": ints(a) if a.dtype == np.int64 else f32(a)}
        out[name] = {"inputs": {k: enc(v) for k, v in inputs.items()}, "outputs": {n: enc(v) for n, v in zip(names, outputs)}}
    return out


def sampler_fixture(backend):
    cases = []
    first = sampler.generate(backend, 3, seed=7, count=2)
    cases.append(("free", 3, 7, 2, {}, first))
    pins = {k: sampler.Pin(labels=first.labels[0, k], tokens=first.tokens[k][0]) for k in range(3)}
    cases.append(("pin stages 0-2 of the first image, new seed", 3, 100, 2, pins, sampler.generate(backend, 3, 100, 2, pins)))
    s_pins = {2: sampler.Pin(labels=first.labels[1, 2])}
    s_pins[1] = sampler.Pin(labels=first.labels[1, 1])
    cases.append(("pin the structure of stages 1-2, other class", 5, 7, 1, s_pins, sampler.generate(backend, 5, 7, 1, s_pins)))
    out = []
    for name, cls, seed, count, pin, res in cases:
        out.append({
            "name": name, "classId": cls, "seed": seed, "count": count,
            "pins": {str(k): {"labels": None if p.labels is None else ints(p.labels), "tokens": None if p.tokens is None else ints(p.tokens)}
                     for k, p in pin.items()},
            "labels": [[ints(res.labels[b, k]) for k in range(backend.K + 1)] for b in range(count)],
            "tokens": [[ints(res.tokens[k][b]) for k in range(backend.K + 1)] for b in range(count)],
            "imagesU8": [ints(im) for im in sampler.to_uint8(res.images)],
        })
    return out


def write_fixtures(pack_dir, out_dir, images_u8):
    backend = OrtBackend(pack_dir, threads=1)
    os.makedirs(out_dir, exist_ok=True)
    m = backend.manifest
    header = {"pack": m["name"], "manifestSha256": pack_id(pack_dir), "K": backend.K, "h": backend.h, "w": backend.w,
              "e": backend.e, "imageSize": m["image"]["size"], "generator": "python -m nvg fixtures"}
    for name, data in (("vgs", {"images": vgs_fixture(backend, images_u8)}), ("graphs", {"graphs": graphs_fixture(backend)}),
                       ("sampler", {"sampling": m["sampling"], "cases": sampler_fixture(backend)})):
        path = os.path.join(out_dir, f"{name}.json")
        with open(path + ".tmp", "w") as fh:
            json.dump({**header, **data}, fh, separators=(",", ":"))
        os.replace(path + ".tmp", path)
        print(f"[fixtures] {os.path.relpath(path)} {os.path.getsize(path) / 1e3:.0f} kB")


def main(argv=None):
    from .data import load_image_folder

    ap = argparse.ArgumentParser(prog="python -m nvg fixtures", description=__doc__.split("\n")[0])
    ap.add_argument("--pack", default=os.path.join(HERE, "..", "packs", "tiny"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "tests", "fixtures", "tiny"))
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data", "emoji"), help="dataset root (val split images are used)")
    ap.add_argument("--count", type=int, default=2)
    args = ap.parse_args(argv)
    with open(os.path.join(args.pack, "manifest.json")) as fh:
        size = json.load(fh)["image"]["size"]
    val = load_image_folder(os.path.join(args.data, str(size), "val"), size)
    picks = np.linspace(0, len(val.images) - 1, args.count).astype(int)
    write_fixtures(args.pack, args.out, val.images[picks])
    return 0
