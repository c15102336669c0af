"""The reference sampler: the whole NVG generation loop in Python (docs/algorithm.md section 4),
with pins, CFG and top-p schedules and Gumbel-top-k splits. The TypeScript engine is checked
and benchmarked against it; both draw their randomness from nvg-rand (nvg/rand.py).

`python -m nvg sample --pack ../packs/tiny --class 3 --seed 7 --count 4 --out samples.png`
"""
import argparse
import json
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from . import rand
from .config import SamplingConfig
from .structure import labels_to_embedding, pool_matrix


# ---------------------------------------------------------------- schedules
def cfg_scale(k, K, max_scale):
    """Guidance weight at stage k: linear from 1 (stage 0) to max_scale (stage K)."""
    return 1.0 + (max_scale - 1.0) * k / K


def top_p(k, K, p_min):
    """Nucleus mass at stage k: 1 at stage 0 down to p_min at stage K, p = p_min + (1-p_min)(8 - 8^(k/K))/7."""
    return p_min + (1.0 - p_min) * (8.0 - 8.0 ** (k / K)) / 7.0


def time_grid(steps, mu):
    """Euler times from 1 to 0 on the shifted schedule t' = e^mu / (e^mu + 1/t - 1)."""
    t = np.linspace(1.0, 0.0, steps + 1)
    with np.errstate(divide="ignore"):
        shifted = math.exp(mu) / (math.exp(mu) + 1.0 / t - 1.0)
    shifted[t == 0] = 0.0
    return shifted


# ---------------------------------------------------------------- random choices
def nucleus_sample(logits, p, u):
    """One token from logits [V] with nucleus mass p and a uniform u in (0, 1).
    Probabilities sorted descending (ties: lower index first); the kept prefix is the shortest whose
    mass reaches p; the token is the first in that order whose cumulative mass exceeds u * kept mass."""
    z = logits.astype(np.float64)
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    cum = np.cumsum(probs[order])
    keep = min(int(np.searchsorted(cum, p, side="left")) + 1, len(order))
    r = u * cum[keep - 1]
    return int(order[min(int(np.searchsorted(cum[:keep], r, side="right")), keep - 1)])


def balanced_split(values, parents, gumbel, temperature):
    """Split every parent cluster in two: within a cluster of m positions, p = normalise(clamp(x)+1),
    score = log p + temperature * gumbel, the floor(m/2) best scores (ties: lower position) get bit 1;
    then the canonical rule (the child holding the smaller position index is bit 0)."""
    labels = np.zeros_like(parents)
    for par in np.unique(parents):
        members = np.nonzero(parents == par)[0]  # ascending positions
        # float64 and a sequential sum (cumsum), NaN read as -1: bit-identical to the TypeScript engine
        x = np.clip(np.nan_to_num(values[members].astype(np.float64), nan=-1.0), -1.0, 1.0) + 1.0
        total = np.cumsum(x)[-1]
        p = x / total if total > 0 else np.full(len(members), 1.0 / len(members))
        with np.errstate(divide="ignore"):
            score = np.log(p) + temperature * gumbel[members]
        ranked = members[np.lexsort((members, -score))]
        bit = np.zeros(len(parents), dtype=np.int64)
        bit[ranked[: len(members) // 2]] = 1
        if len(members) > 1 and bit[members[0]] == 1:  # canonical: smallest position -> bit 0
            bit[members] ^= 1
        labels[members] = 2 * par + bit[members]
    return labels


def last_split(parents):
    """Stage K: every stage K-1 pair splits into its two positions, the smaller index bit 0."""
    labels = 2 * parents
    seen = set()
    for pos, par in enumerate(parents):
        if par in seen:
            labels[pos] += 1
        seen.add(par)
    return labels


# ---------------------------------------------------------------- the loop
@dataclass
class Pin:
    """A stage given from outside (an earlier VGS, a reference image, a user map)."""
    labels: np.ndarray | None = None   # [T] stage labels (pins the structure)
    tokens: np.ndarray | None = None   # [2^k] tokens (pins the content; needs the structure)


@dataclass
class Result:
    labels: np.ndarray                    # [B, K+1, T]
    tokens: list                          # per stage [B, 2^k]
    canvas: np.ndarray                    # [B, e, h, w] final canvas
    images: np.ndarray                    # [B, 3, H, W] in [-1, 1]
    timings: dict = field(default_factory=dict)


def generate(backend, class_id, seed, count=1, pins=None, params=None, on_stage=None):
    """Generate `count` variations of class `class_id`; image b uses seed + b. pins: {stage: Pin}."""
    K, h, w, e = backend.K, backend.h, backend.w, backend.e
    T, B = h * w, count
    params = params or SamplingConfig(**backend.sampling)  # the manifest's sampling defaults
    pins = pins or {}
    seeds = [seed + b for b in range(B)]
    cls = np.array([class_id] * B + [backend.null_class] * B, dtype=np.int64)  # CFG: cond | uncond
    timings = {"structure": 0.0, "content": 0.0, "refiner": 0.0, "decoder": 0.0}
    labels = np.zeros((B, K + 1, T), dtype=np.int64)
    tokens = []
    canvas = np.zeros((B, T, e), dtype=np.float32)
    noise = np.stack([rand.normal(s, 0, rand.STRUCTURE_NOISE, T * K).reshape(T, K) for s in seeds]).astype(np.float32)
    grid = time_grid(params.structureSteps, params.timeShiftMu)

    for k in range(K + 1):
        pin = pins.get(k, Pin())
        # ---- structure of stage k
        if pin.labels is not None:
            labels[:, k] = pin.labels
        elif k == K:
            labels[:, k] = [last_split(labels[b, K - 1]) for b in range(B)]
        elif k >= 1:
            t0 = time.perf_counter()
            chan = np.arange(K)
            known = 2.0 * ((labels[:, k - 1, :, None] >> np.maximum(k - 2 - chan, 0)) & 1) - 1.0
            known_mask = chan < k - 1
            x = np.where(known_mask, known, noise).astype(np.float32)
            emb = np.concatenate([labels_to_embedding(labels[:, k - 1], k - 1, K)] * 2)
            canv2, stage2 = np.concatenate([canvas, canvas]), np.full(2 * B, k, dtype=np.int64)
            g = cfg_scale(k, K, params.cfgStructureMax)
            for i in range(params.structureSteps):
                t = np.full(2 * B, grid[i], dtype=np.float32)
                v = backend.structure(cls, stage2, t, canv2, emb, np.concatenate([x, x]))
                v = v[B:] + g * (v[:B] - v[B:])
                x = (x + (grid[i + 1] - grid[i]) * v).astype(np.float32)
                x = np.where(known_mask, known, x).astype(np.float32)
            timings["structure"] += time.perf_counter() - t0
            for b, s in enumerate(seeds):
                gum = rand.gumbel(s, k, rand.GUMBEL, T)
                labels[b, k] = balanced_split(x[b, :, k - 1], labels[b, k - 1], gum, params.gumbelTemperature)
        # ---- content of stage k
        n = 2**k
        if pin.tokens is not None:
            if pin.labels is None and k > 0:
                raise ValueError(f"stage {k}: pinned content needs the stage's structure pinned too")
            codes = np.tile(np.asarray(pin.tokens, dtype=np.int64), (B, 1))
        else:
            t0 = time.perf_counter()
            emb = np.concatenate([labels_to_embedding(labels[:, k], k, K)] * 2)
            pool = np.concatenate([np.stack([pool_matrix(labels[b, k], n) for b in range(B)])] * 2)
            _, logits = backend.content(cls, np.full(2 * B, k, dtype=np.int64), np.concatenate([canvas, canvas]), emb, pool)
            logits = logits[B:] + cfg_scale(k, K, params.cfgContentMax) * (logits[:B] - logits[B:])
            p = top_p(k, K, params.topPMin)
            codes = np.zeros((B, n), dtype=np.int64)
            for b, s in enumerate(seeds):
                u = rand.uniform(s, k, rand.TOKENS, n)
                codes[b] = [nucleus_sample(logits[b, j], p, u[j]) for j in range(n)]
            timings["content"] += time.perf_counter() - t0
        tokens.append(codes)
        t0 = time.perf_counter()
        q = backend.codebook[np.take_along_axis(codes, labels[:, k], axis=1)]  # [B, T, e]
        q = backend.refiner(q.transpose(0, 2, 1).reshape(B, e, h, w), k)
        canvas = canvas + q.reshape(B, e, T).transpose(0, 2, 1)
        timings["refiner"] += time.perf_counter() - t0
        if on_stage:
            on_stage(k, labels[:, k], canvas)
    t0 = time.perf_counter()
    final = canvas.transpose(0, 2, 1).reshape(B, e, h, w)
    images = backend.decoder(final)
    timings["decoder"] = time.perf_counter() - t0
    return Result(labels, tokens, final, images, timings)


def encode_reference(backend, image):
    """A reference image [3, H, W] in [-1, 1] -> (labels [K+1, T], tokens per stage, canvases [K+2, T, e]),
    by the float64 reference clustering and residual construction (what the TypeScript engine mirrors)."""
    from .structure import build_labels_reference, residual_contents_reference

    h, w, e = backend.h, backend.w, backend.e
    z = backend.encoder(image[None])[0].reshape(e, h * w).T  # [T, e]
    labels = build_labels_reference(z)

    def refine(k, x):
        return backend.refiner(x.T.reshape(1, e, h, w).astype(np.float32), k)[0].reshape(e, h * w).T.astype(np.float64)

    toks, canvases, final = residual_contents_reference(z, labels, backend.codebook, refine)
    return labels, toks, np.stack(canvases + [final]), z


def to_uint8(images):
    """[B, 3, H, W] in [-1, 1] -> [B, H, W, 3] uint8."""
    return np.clip((images.transpose(0, 2, 3, 1) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def save_grid(images_u8, path, cols=None):
    from PIL import Image

    B, H, W, _ = images_u8.shape
    cols = cols or min(B, 8)
    rows = (B + cols - 1) // cols
    sheet = np.full((rows * H, cols * W, 3), 255, dtype=np.uint8)
    for i, im in enumerate(images_u8):
        r, c = divmod(i, cols)
        sheet[r * H : (r + 1) * H, c * W : (c + 1) * W] = im
    Image.fromarray(sheet).save(path)


def main(argv=None):
    from .backends import OrtBackend

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(prog="python -m nvg sample", description="generate with the Python reference sampler")
    ap.add_argument("--pack", default=os.path.join(here, "..", "packs", "tiny"))
    ap.add_argument("--class", dest="cls", default="0", help="class id or name")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="time this many generations (benchmarks)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", help="PNG grid of the results")
    ap.add_argument("--json", action="store_true", help="print a JSON summary (tokens, labels, timings)")
    args = ap.parse_args(argv)
    backend = OrtBackend(args.pack, args.threads)
    names = {c["name"]: c["id"] for c in backend.manifest["classes"]}
    cls = names[args.cls] if args.cls in names else int(args.cls)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = generate(backend, cls, args.seed, args.count)
        times.append(time.perf_counter() - t0)
    if args.out:
        save_grid(to_uint8(res.images), args.out)
    summary = {"class": cls, "seed": args.seed, "count": args.count, "ms": [round(t * 1000, 2) for t in times],
               "timingsMs": {k: round(v * 1000, 2) for k, v in res.timings.items()},
               "tokens": [t.tolist() for t in res.tokens], "labels": res.labels.tolist()}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"class {cls}, seed {args.seed}, {args.count} image(s): median {np.median(times) * 1000:.1f} ms "
              f"(structure {summary['timingsMs']['structure']} ms, content {summary['timingsMs']['content']} ms)")
    return 0
