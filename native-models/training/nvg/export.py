"""Export a trained run to a model pack (docs/model-pack.md) and check it in onnxruntime.

`python -m nvg export --run-dir ../runs/tiny --pack-dir ../packs/tiny`
The pack is built in a temporary folder and swapped in at the end, so a crash never leaves a
broken pack in place of the last good one.
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess
import warnings

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

from .models import TrainedRun
from .trainer import atomic_write_text
from .transformer import rope_axes

FORMAT_VERSION = 1
OPSET = 17
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RefinerGraph(nn.Module):
    """All stages' refiners in one graph: y = x + 0.5 * conv3x3_stage(x)."""

    def __init__(self, refiners):
        super().__init__()
        self.register_buffer("weight", torch.stack([c.weight for c in refiners.convs]).detach().clone())
        self.register_buffer("bias", torch.stack([c.bias for c in refiners.convs]).detach().clone())

    def forward(self, x, stage):
        return x + 0.5 * F.conv2d(x, self.weight[stage[0]], self.bias[stage[0]], padding=1)


def graph_specs(run: TrainedRun):
    """(file stem, module, input names, output names, example inputs, dynamic axes) for each graph."""
    cfg, tok = run.cfg, run.tokenizer
    H, e, h, K = cfg.data.size, cfg.tokenizer.latent_dim, cfg.tokenizer.latent_size, run.content.cfg.K
    T, C = h * h, len(run.classes)
    g = torch.Generator().manual_seed(1234)
    B, N = 2, 4

    def ex_structure(k):
        return torch.randint(0, 2, (B, T, K), generator=g) * 2 * (torch.arange(K) < k) + (torch.arange(K) >= k)

    pool = torch.rand(B, N, T, generator=g)
    pool = pool / pool.sum(-1, keepdim=True)
    b, n = {0: "B"}, {0: "B", 1: "N"}
    return [
        ("encoder", tok.encoder, ["image"], ["latent"], (torch.rand(B, 3, H, H, generator=g) * 2 - 1,), {"image": b, "latent": b}),
        ("decoder", tok.decoder, ["latent"], ["image"], (torch.randn(B, e, h, h, generator=g),), {"latent": b, "image": b}),
        ("refiner", RefinerGraph(tok.quantizer.refiners).eval(), ["x", "stage"], ["y"],
         (torch.randn(B, e, h, h, generator=g), torch.tensor([3])), {"x": b, "y": b}),
        ("content", run.content, ["class_id", "stage", "canvas", "structure", "pool"], ["x0", "logits"],
         (torch.tensor([1, C]), torch.tensor([2, 2]), torch.randn(B, T, e, generator=g), ex_structure(2), pool),
         {"class_id": b, "stage": b, "canvas": b, "structure": b, "pool": n, "x0": b, "logits": n}),
        ("structure", run.structure, ["class_id", "stage", "t", "canvas", "structure", "noisy"], ["velocity"],
         (torch.tensor([0, C]), torch.tensor([3, 3]), torch.rand(B, generator=g), torch.randn(B, T, e, generator=g), ex_structure(2), torch.randn(B, T, K, generator=g)),
         {"class_id": b, "stage": b, "t": b, "canvas": b, "structure": b, "noisy": b, "velocity": b}),
    ]


def export_graph(module, inputs, input_names, output_names, dynamic_axes) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(module, inputs, buf, dynamo=False, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)
    return buf.getvalue()


def check_graph(onnx_bytes, module, inputs, input_names) -> float:
    """Max abs difference between onnxruntime and PyTorch on the given inputs."""
    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    outs = sess.run(None, {name: x.numpy() for name, x in zip(input_names, inputs)})
    with torch.no_grad():
        ref = module(*inputs)
    ref = ref if isinstance(ref, tuple) else (ref,)
    return float(max(np.abs(o - r.numpy()).max() for o, r in zip(outs, ref)))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_manifest(run: TrainedRun, files: dict, export_check: dict) -> dict:
    cfg, meta = run.cfg, run.meta
    K = run.content.cfg.K
    t = cfg.tokenizer
    return {
        "format": "nvg-pack",
        "formatVersion": FORMAT_VERSION,
        "name": cfg.name,
        "description": cfg.description,
        "knownLimits": [str(v) for v in cfg.known_limits],
        "license": "Apache-2.0 (weights); trained on Twemoji (CC-BY 4.0) and Noto Emoji (Apache 2.0) artwork, see MODEL_CARD.md",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "provenance": {
            "dataset": cfg.data.root.split("/")[-1], "trainImages": meta["train_images"],
            "steps": {"tokenizer": t.steps, "content": cfg.content.steps, "structure": cfg.structure.steps},
            "hardware": meta["hardware"], "trainingSeconds": meta["train_seconds"], "commit": git_commit(),
            "phaseSeconds": {k: v.get("train_seconds", 0.0) for k, v in meta.get("phases", {}).items()},
            "config": meta["config"],
        },
        "metrics": {"measured": False, "note": "filled in by `python -m nvg eval`"},
        "image": {"size": cfg.data.size, "channels": 3, "range": [-1, 1]},
        "latent": {"h": t.latent_size, "w": t.latent_size, "e": t.latent_dim},
        "stages": {"K": K},
        "codebook": {"file": "codebook.bin", "V": t.codebook_size, "e": t.latent_dim, "dtype": "float32-le", "sha256": files.pop("codebook")},
        "classes": run.classes,
        "nullClass": len(run.classes),
        "files": {name: {"file": f"{name}.onnx", "sha256": digest} for name, digest in files.items()},
        "contentScale": [float(v) for v in run.content.kappa.tolist()],
        "sampling": dict(cfg.sampling.__dict__),
        "ropeAxes": rope_axes(run.content.cfg.head_dim, K),
        "structureRopeAxes": rope_axes(run.structure.cfg.head_dim, K),
        "models": {
            "content": {"width": run.content.cfg.width, "depth": run.content.cfg.depth, "headDim": run.content.cfg.head_dim},
            "structure": {"width": run.structure.cfg.width, "depth": run.structure.cfg.depth, "headDim": run.structure.cfg.head_dim},
        },
        "exportCheck": export_check,
    }


def write_pack_atomically(pack_dir, write):
    """write(tmp_dir) fills a fresh folder; it then replaces pack_dir in two renames."""
    pack_dir = os.path.abspath(pack_dir)
    tmp, old = pack_dir + ".tmp", pack_dir + ".old"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    write(tmp)
    if os.path.exists(pack_dir):
        shutil.rmtree(old, ignore_errors=True)
        os.replace(pack_dir, old)
    os.replace(tmp, pack_dir)
    shutil.rmtree(old, ignore_errors=True)


def export_pack(run_dir, pack_dir, tolerance=1e-3):
    run = TrainedRun(run_dir)

    def write(tmp):
        files, check = {}, {}
        for name, module, ins, outs, example, axes in graph_specs(run):
            data = export_graph(module, example, ins, outs, axes)
            check[name] = check_graph(data, module, example, ins)
            with open(os.path.join(tmp, f"{name}.onnx"), "wb") as fh:
                fh.write(data)
            files[name] = sha256_file(os.path.join(tmp, f"{name}.onnx"))
            print(f"[export] {name}.onnx {len(data) / 1e6:.2f} MB, max |ORT - PyTorch| = {check[name]:.2e}", flush=True)
        worst = max(check.values())
        if worst > tolerance:
            raise RuntimeError(f"export check failed: max abs difference {worst:.2e} > {tolerance:.0e} ({check})")
        cb = run.tokenizer.quantizer.codebook.weight.detach().numpy().astype("<f4")
        cb.tofile(os.path.join(tmp, "codebook.bin"))
        files["codebook"] = sha256_file(os.path.join(tmp, "codebook.bin"))
        manifest = build_manifest(run, files, {"maxAbsDiff": check, "tolerance": tolerance})
        atomic_write_text(os.path.join(tmp, "manifest.json"), json.dumps(manifest, indent=1))

    write_pack_atomically(pack_dir, write)
    print(f"[export] pack written to {os.path.relpath(pack_dir)}", flush=True)


def check_pack(pack_dir, run_dir) -> dict:
    """Re-run every graph of a written pack in onnxruntime against the run's PyTorch modules."""
    run = TrainedRun(run_dir)
    result = {}
    for name, module, ins, _, example, _ in graph_specs(run):
        with open(os.path.join(pack_dir, f"{name}.onnx"), "rb") as fh:
            result[name] = check_graph(fh.read(), module, example, ins)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m nvg export", description="export a trained run to a model pack")
    ap.add_argument("--run-dir", default=os.path.join(HERE, "..", "runs", "tiny"))
    ap.add_argument("--pack-dir", default=os.path.join(HERE, "..", "packs", "tiny"))
    ap.add_argument("--check-only", action="store_true", help="only compare an existing pack with the run")
    args = ap.parse_args(argv)
    if args.check_only:
        for name, diff in check_pack(args.pack_dir, args.run_dir).items():
            print(f"{name}: max |ORT - PyTorch| = {diff:.2e}")
        return 0
    export_pack(args.run_dir, args.pack_dir)
    return 0
