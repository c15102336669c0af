"""Generation quality of a pack, measured with the project's own classifier (no pretrained
network can be downloaded here, so this is not ImageNet FID):

- the classifier: a small CNN trained on the training split at the pack's resolution; its
  accuracy on real held-out images is the scale for everything below;
- class accuracy of generated images (the class the classifier sees = the class asked for);
- Frechet distance between generated and held-out images in the classifier's feature space
  ("Frechet classifier distance", FCD), with the real-vs-real value (train vs held-out) as scale;
- precision and recall (k-NN manifolds, Kynkaanniemi et al. 2019, k = 3) in that space;
- structure adherence: mean IoU between a given stage-1 map and the stage-1 map re-derived by
  encoding the generated image, for drawn maps (circle, rectangle, halves) and for maps taken from
  held-out images; scales: the reconstruction of real images, and a random balanced split.

`python -m nvg quality --pack ../packs/tiny` (adds metrics.generation to the manifest and card)
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import sampler
from .backends import OrtBackend
from .data import load_image_folder
from .trainer import atomic_save, atomic_write_text

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- the classifier
class Classifier(nn.Module):
    def __init__(self, num_classes, size, width=32, feat=128):
        super().__init__()
        layers, cin = [], 3
        for i in range(int(np.log2(size)) - 2):  # down to 4x4
            cout = min(width * 2**i, feat)
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
                       nn.Conv2d(cout, cout, 3, stride=2, padding=1), nn.GroupNorm(8, cout), nn.SiLU()]
            cin = cout
        self.body = nn.Sequential(*layers, nn.Conv2d(cin, feat, 3, padding=1), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(feat, num_classes)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.features(x))


def to_float(u8):
    return torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def augment(x, g):
    """Flips and small shifts (on a white border): emoji stay emoji."""
    flip = torch.rand(len(x), generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    pad = max(1, x.shape[-1] // 16)
    x = F.pad(x, (pad,) * 4, value=1.0)
    dx, dy = torch.randint(0, 2 * pad + 1, (2,), generator=g).tolist()
    return x[..., dy : dy + x.shape[-2] - 2 * pad, dx : dx + x.shape[-1] - 2 * pad]


def train_classifier(train, val, size, steps, path, batch=128, seed=0):
    if os.path.exists(path):
        state = torch.load(path, weights_only=False)
        model = Classifier(len(train.class_names), size)
        model.load_state_dict(state["model"])
        return model.eval(), state["val_accuracy"]
    torch.manual_seed(seed)
    model = Classifier(len(train.class_names), size)
    opt = torch.optim.AdamW(model.parameters(), 2e-3, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps, pct_start=0.1)
    x_all, y_all = to_float(train.images), torch.from_numpy(train.labels)
    g = torch.Generator().manual_seed(seed)
    t0 = time.time()
    for step in range(steps):
        idx = torch.randint(0, len(x_all), (batch,), generator=g)
        loss = F.cross_entropy(model(augment(x_all[idx], g)), y_all[idx], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 200 == 0:
            print(f"[classifier] step {step + 1}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    acc = accuracy(model, val.images, val.labels)
    atomic_save({"model": model.state_dict(), "val_accuracy": acc, "classes": train.class_names, "size": size}, path)
    return model, acc


@torch.no_grad()
def predict(model, images_u8, batch=256):
    logits, feats = [], []
    for i in range(0, len(images_u8), batch):
        x = to_float(images_u8[i : i + batch])
        f = model.features(x)
        feats.append(f)
        logits.append(model.head(f))
    return torch.cat(logits).numpy(), torch.cat(feats).double().numpy()


def accuracy(model, images_u8, labels):
    logits, _ = predict(model, images_u8)
    return float((logits.argmax(1) == np.asarray(labels)).mean())


# ---------------------------------------------------------------- distribution metrics
def frechet_distance(a, b):
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)), the square root from the eigenvalues
    of S_a^(1/2) S_b S_a^(1/2) (symmetric, so no complex round-off)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(sa)
    sqrt_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    mid = np.linalg.eigvalsh(sqrt_a @ sb @ sqrt_a)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * np.sqrt(np.clip(mid, 0, None)).sum())


def precision_recall(real, fake, k=3):
    """Share of fake samples inside the real k-NN manifold (precision) and vice versa (recall)."""
    def radii(x):
        d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
        return np.sort(d, axis=1)[:, k]

    def inside(points, ref, ref_radii):
        d = np.sqrt(((points[:, None] - ref[None]) ** 2).sum(-1))
        return float((d <= ref_radii[None]).any(1).mean())

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


# ---------------------------------------------------------------- structure adherence
def mask_to_stage1(mask, h, w):
    """A boolean mask (any size) -> balanced stage-1 labels on the h x w grid, the rule of the
    TypeScript engine (structure.ts maskToStageLabels, "balanced"): the region covering most pixels
    is dominant (ties: the region at position 0); cells are ranked by their share of the other
    region (descending), ties by squared distance to that share's centroid, then position; the
    first T/2 form one child; canonical form (position 0 has bit 0)."""
    H, W = mask.shape
    ys, xs = np.arange(H) * h // H, np.arange(W) * w // W
    share = np.zeros((h, w))
    np.add.at(share, (ys[:, None], xs[None, :]), mask.astype(np.float64))
    count = np.zeros((h, w))
    np.add.at(count, (ys[:, None], xs[None, :]), 1.0)
    share = (share / count).reshape(-1)
    dominant_true = mask.sum() > mask.size - mask.sum() or (2 * mask.sum() == mask.size and bool(mask[0, 0]))
    rest = 1.0 - share if dominant_true else share
    T = h * w
    rows, cols = np.arange(T) // w, np.arange(T) % w
    sw = sy = sx = 0.0
    for p in range(T):  # sequential sums, as the TypeScript loop adds them
        sw += rest[p]
        sy += rest[p] * rows[p]
        sx += rest[p] * cols[p]
    cy, cx = (sy / sw, sx / sw) if sw > 0 else (0.0, 0.0)
    distance = (rows - cy) ** 2 + (cols - cx) ** 2
    order = np.lexsort((np.arange(T), distance, -rest))
    labels = np.zeros(T, dtype=np.int64)
    labels[order[: T // 2]] = 1
    return labels ^ labels[0]  # canonical: position 0 has bit 0


def partition_iou(a, b):
    """Mean IoU of two 2-way partitions, under the better of the two region matchings."""
    def miou(x, y):
        return np.mean([((x == r) & (y == r)).sum() / max(((x == r) | (y == r)).sum(), 1) for r in (0, 1)])

    return float(max(miou(a, b), miou(a, 1 - b)))


def stage1_of(backend, images_u8):
    return np.stack([sampler.encode_reference(backend, im.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1)[0][1] for im in images_u8])


def drawn_maps(size=256):
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    c = size / 2
    return {
        "circle": (xx - c) ** 2 + (yy - c) ** 2 <= (0.31 * size) ** 2,
        # a wide bar covering nearly half the image: a balanced split keeps it a rectangle (a smaller
        # one would grow into the same central blob as the circle on an 8x8 grid)
        "rectangle": (np.abs(xx - c) <= 0.44 * size) & (np.abs(yy - c) <= 0.25 * size),
        "halves": xx >= c,
    }


def structure_adherence(backend, val, per_map, classes, seed):
    h, w = backend.h, backend.w
    out, rng = {}, np.random.default_rng(seed)
    maps = {name: mask_to_stage1(m, h, w) for name, m in drawn_maps().items()}
    for name, given in maps.items():
        ious = []
        for i in range(per_map):
            res = sampler.generate(backend, int(classes[i % len(classes)]), seed + 1000 * i, 1, {1: sampler.Pin(labels=given)})
            ious.append(partition_iou(given, stage1_of(backend, sampler.to_uint8(res.images))[0]))
        out[name] = round(float(np.mean(ious)), 4)
    picks = rng.choice(len(val.images), per_map, replace=False)
    given_all = stage1_of(backend, val.images[picks])
    ious, rec_ious, rand_ious = [], [], []
    for i, (given, cls) in enumerate(zip(given_all, val.labels[picks])):
        res = sampler.generate(backend, int(cls), seed + 7 * i, 1, {1: sampler.Pin(labels=given)})
        ious.append(partition_iou(given, stage1_of(backend, sampler.to_uint8(res.images))[0]))
        rand_ious.append(partition_iou(given, rng.permutation(given)))
    out["heldOutMaps"] = round(float(np.mean(ious)), 4)
    out["drawnMean"] = round(float(np.mean([out[n] for n in maps])), 4)
    # scale: a real image's reconstruction (all stages of its own VGS) re-encoded
    for im, given in zip(val.images[picks], given_all):
        labels, tokens, _, _ = sampler.encode_reference(backend, im.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1)
        pins = {k: sampler.Pin(labels=labels[k], tokens=tokens[k]) for k in range(backend.K + 1)}
        rec = sampler.to_uint8(sampler.generate(backend, 0, 0, 1, pins).images)
        rec_ious.append(partition_iou(given, stage1_of(backend, rec)[0]))
    out["scale"] = {"realReconstruction": round(float(np.mean(rec_ious)), 4), "randomBalancedSplit": round(float(np.mean(rand_ious)), 4)}
    out["imagesPerMap"] = per_map
    return out


# ---------------------------------------------------------------- the whole measurement
def measure(pack_dir, data_root, n_generated=1000, per_map=50, classifier_steps=1500, seed=0):
    backend = OrtBackend(pack_dir)
    m = backend.manifest
    size = m["image"]["size"]
    names = [c["name"] for c in m["classes"]]
    train = load_image_folder(os.path.join(data_root, str(size), "train"), size, names)
    val = load_image_folder(os.path.join(data_root, str(size), "val"), size, names)
    cache = os.path.join(HERE, "..", "runs", f"classifier_{size}px.pt")
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    t0 = time.time()
    clf, real_acc = train_classifier(train, val, size, classifier_steps, cache, seed=seed)
    print(f"[quality] classifier: {real_acc:.3f} accuracy on {len(val.images)} real held-out images", flush=True)
    per_class = int(np.ceil(n_generated / len(names)))
    images, wanted = [], []
    for c in range(len(names)):
        res = sampler.generate(backend, c, seed + 100_000 * c, per_class)
        images.append(sampler.to_uint8(res.images))
        wanted += [c] * per_class
    images = np.concatenate(images)
    print(f"[quality] {len(images)} images generated in {time.time() - t0:.0f}s", flush=True)
    logits, fake = predict(clf, images)
    _, real_val = predict(clf, val.images)
    sub = np.random.default_rng(seed).choice(len(train.images), min(len(train.images), len(images)), replace=False)
    _, real_train = predict(clf, train.images[sub])
    prec, rec = precision_recall(real_val, fake)
    prec_rr, rec_rr = precision_recall(real_val, real_train)
    adherence = structure_adherence(backend, val, per_map, np.arange(len(names)), seed)
    result = {
        "measured": True,
        "classifier": {"heldOutAccuracy": round(real_acc, 4), "trainImages": len(train.images), "size": size,
                       "note": "the project's own CNN, trained on the training split; features = its 128-d penultimate layer"},
        "generatedImages": len(images),
        "classAccuracy": round(float((logits.argmax(1) == np.array(wanted)).mean()), 4),
        "frechetClassifierDistance": round(frechet_distance(fake, real_val), 3),
        "precision": round(prec, 4), "recall": round(rec, 4),
        "realVsReal": {"frechetClassifierDistance": round(frechet_distance(real_train, real_val), 3),
                       "precision": round(prec_rr, 4), "recall": round(rec_rr, 4),
                       "note": "training-split images against the held-out split"},
        "structureIoU": adherence,
        "seconds": round(time.time() - t0, 1),
    }
    return result


def comparison(other_manifest):
    """Another pack's measured figures (the tiny pack, for scale), copied into this pack's metrics so
    its card can show them side by side. None when that pack has no classifier-based figures."""
    g = other_manifest.get("metrics", {}).get("generation", {})
    if not g.get("measured"):
        return None
    rec = other_manifest["metrics"].get("reconstruction", {})
    return {"pack": other_manifest["name"], "size": other_manifest["image"]["size"],
            "classifierAccuracy": g["classifier"]["heldOutAccuracy"], "classAccuracy": g["classAccuracy"],
            "frechetClassifierDistance": g["frechetClassifierDistance"], "precision": g["precision"], "recall": g["recall"],
            "structureIoU": {k: g["structureIoU"][k] for k in ("circle", "rectangle", "halves", "drawnMean", "heldOutMaps")},
            "finalPsnr": rec.get("nvg", {}).get("psnrPerStage", [None])[-1],
            "finalPsnrGainOverVarDb": rec.get("finalPsnrGainOverVarDb")}


def write_generation_metrics(pack_dir, result, compare_dir=None):
    """Stores the figures in the pack's manifest (and the other pack's, for scale) and rewrites its card."""
    from .evaluate import model_card

    path = os.path.join(pack_dir, "manifest.json")
    with open(path) as fh:
        manifest = json.load(fh)
    if compare_dir and os.path.realpath(compare_dir) != os.path.realpath(pack_dir) and os.path.exists(os.path.join(compare_dir, "manifest.json")):
        with open(os.path.join(compare_dir, "manifest.json")) as fh:
            other = comparison(json.load(fh))
        if other:
            result = {**result, "comparison": other}
    manifest["metrics"]["generation"] = result
    atomic_write_text(path, json.dumps(manifest, indent=1))
    card = os.path.join(pack_dir, "MODEL_CARD.md")
    if os.path.exists(card):
        atomic_write_text(card, model_card(manifest))
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m nvg quality", description="classifier-based quality figures of a pack")
    ap.add_argument("--pack", default=os.path.join(HERE, "..", "packs", "tiny"))
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data", "emoji"))
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--per-map", type=int, default=50)
    ap.add_argument("--classifier-steps", type=int, default=1500)
    ap.add_argument("--compare", default=os.path.join(HERE, "..", "packs", "tiny"),
                    help="a measured pack whose figures the card shows alongside, for scale (default: the tiny pack)")
    args = ap.parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)
    result = measure(args.pack, args.data, args.images, args.per_map, args.classifier_steps)
    print(json.dumps(result, indent=1))
    write_generation_metrics(args.pack, result, args.compare)
    return 0
