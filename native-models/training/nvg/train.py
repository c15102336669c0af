"""`python -m nvg train --config configs/tiny.json`: the whole pipeline of one pack, resumable.

Phases (each checkpointed in the run directory, skipped when already complete):
 1. tokenizer      NVG tokenizer (encoder, structure-guided quantizer, decoder)
 2. tokenizer_var  the VAR-style baseline, same encoder/decoder/codebook size/steps (evaluation only)
 3. vgs            VGS sequences (labels and tokens per stage) of every training image, computed
                   once with the frozen tokenizer; canvases are rebuilt per batch from them
 4. content        the content model
 5. structure      the structure model (rectified flow)
Then the pack is exported (nvg.export) and measured (nvg.evaluate) unless told not to.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .config import config_to_dict, load_config
from .data import load_image_folder
from .models import build_content, build_structure, build_tokenizer
from .structure import embedding_batched, num_stages, pool_batched
from .trainer import atomic_save, atomic_write_text, setup_runtime, train

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # native-models/training


# ---------------------------------------------------------------- data
def load_split(cfg, split, class_names=None):
    root = os.path.join(HERE, cfg.data.root, str(cfg.data.size), split)
    return load_image_folder(root, cfg.data.size, class_names)


def class_list(cfg, class_names):
    """Classes with their groups (from the dataset's classes.json when present)."""
    path = os.path.join(HERE, cfg.data.root, "classes.json")
    groups = {}
    if os.path.exists(path):
        with open(path) as fh:
            groups = {c["name"]: c.get("group") for c in json.load(fh)}
    return [{"id": i, "name": n, **({"group": groups[n]} if groups.get(n) else {})} for i, n in enumerate(class_names)]


def to_float(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 [N,H,W,3] -> float [N,3,H,W] in [-1, 1]."""
    return images_u8.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def batch_generator(cfg, step, rank, world):
    return torch.Generator().manual_seed(cfg.seed * 1_000_003 + step * world + rank)


# ---------------------------------------------------------------- phase 1/2: tokenizers
def train_tokenizer(cfg, quantizer, images, run_dir, device, rank, world):
    tok = build_tokenizer(cfg, quantizer).to(device)
    name = "tokenizer" if quantizer == "nvg" else "tokenizer_var"
    path = os.path.join(run_dir, f"{name}.pt")
    tcfg = cfg.tokenizer
    per_rank = tcfg.batch // world
    if not os.path.exists(path):
        g = torch.Generator().manual_seed(cfg.seed)
        tok.init_codebook(to_float(images[torch.randint(0, len(images), (256,), generator=g)]).to(device))

    def step_fn(net, step, rank, world):
        g = batch_generator(cfg, step, rank, world)
        idx = torch.randint(0, len(images), (per_rank,), generator=g)
        x = to_float(images[idx])
        if cfg.data.flip_augment:
            flip = torch.rand(per_rank, generator=g) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        x = x.to(device)
        rec, vq, _ = net(x)
        rec = rec.float()
        l1, l2 = (rec - x).abs().mean(), F.mse_loss(rec, x)
        return {"loss": l1 + l2 + vq, "l1": l1.detach(), "mse": l2.detach(), "vq": vq.detach()}

    tok, last = train(name, tok, step_fn, tcfg, path, device, rank, world, cfg.log_every, os.path.join(run_dir, "log.jsonl"))
    return tok.eval(), last


# ---------------------------------------------------------------- phase 3: VGS sequences
@torch.no_grad()
def precompute_vgs(tok, images, cfg, device, batch=256):
    """Labels [N,K+1,T] and tokens [N,K+1,T] (stage k uses its first 2^k entries) of every image,
    plus its horizontal mirror when flips are on."""
    views = [images] + ([images.flip(2)] if cfg.data.flip_augment else [])
    labels, tokens = [], []
    for view in views:
        for i in range(0, len(view), batch):
            x = to_float(view[i : i + batch]).to(device)
            _, _, info = tok.quantizer(tok.encoder(x))
            labels.append(info["labels"].to(torch.int16).cpu())
            padded = torch.zeros_like(info["labels"])
            for k, codes in enumerate(info["tokens"]):
                padded[:, k, : codes.shape[1]] = codes
            tokens.append(padded.to(torch.int16).cpu())
    return torch.cat(labels), torch.cat(tokens)


@torch.no_grad()
def canvases_from_tokens(quantizer, labels, tokens):
    """The canvas before each stage and the final canvas, [K+2, B, T, e], from labels and tokens."""
    K1 = labels.shape[1]
    f = None
    out = []
    for k in range(K1):
        q = quantizer.refiners(quantizer.scatter(tokens[:, k, : 2**k], labels[:, k]), k)
        f = torch.zeros_like(q) if f is None else f
        out.append(f)
        f = f + q
    out.append(f)
    return torch.stack([c.flatten(2).transpose(1, 2) for c in out])


def stage_scales(quantizer, labels, tokens, device, batch=512):
    """kappa_k = 1/std of the canvas entering stage k (kappa_0 = 1: that canvas is empty),
    and the std of the final canvas (the scale of the content model's x0 loss)."""
    sums = None
    for i in range(0, len(labels), batch):
        c = canvases_from_tokens(quantizer, labels[i : i + batch].long().to(device), tokens[i : i + batch].long().to(device))
        s = torch.stack([c.flatten(1).square().sum(1), torch.full((c.shape[0],), c[0].numel(), device=device, dtype=torch.float)], 1)
        sums = s if sums is None else sums + s
    std = (sums[:, 0] / sums[:, 1]).sqrt().cpu()
    kappa = [1.0] + [float(1.0 / max(v, 1e-6)) for v in std[1:-1]]
    return kappa, float(std[-1])


# ---------------------------------------------------------------- phases 4/5: generators
@torch.no_grad()
def init_token_head(head, codebook):
    """Start the token head as a nearest-code classifier: the tokens are the codes nearest to the
    cluster mean u of the remainder, and -||u - c_v||^2 / (2 s^2) = (2 c_v.u - ||c_v||^2) / (2 s^2) + const
    is linear in u. s^2 is the median squared distance between a code and its nearest neighbour,
    so that neighbouring codes start about one nat apart. Training refines it from there."""
    cb = codebook.detach().float()
    d = torch.cdist(cb, cb).square().fill_diagonal_(float("inf"))
    scale = 1.0 / (2.0 * d.min(1).values.median().clamp_min(1e-8))
    head.weight.copy_(2 * scale * cb)
    head.bias.copy_(-scale * cb.square().sum(-1))


def train_content(cfg, num_classes, quantizer, vgs, run_dir, device, rank, world):
    labels_all, tokens_all, y_all = vgs["labels"], vgs["tokens"], vgs["classes"]
    model = build_content(cfg, num_classes).to(device)
    model.kappa.copy_(torch.tensor(vgs["kappa"]))
    if not os.path.exists(os.path.join(run_dir, "content.pt")):
        init_token_head(model.token_head, quantizer.codebook.weight)
    K = model.cfg.K
    T = labels_all.shape[2]
    per_rank = cfg.content.batch // world
    x0_scale = vgs["final_std"]

    def step_fn(net, step, rank, world):
        g = batch_generator(cfg, step, rank, world)
        idx = torch.randint(0, len(labels_all), (per_rank,), generator=g)
        k = torch.randint(0, K + 1, (per_rank,), generator=g)
        drop = torch.rand(per_rank, generator=g) < cfg.content.class_dropout
        labels, tokens = labels_all[idx].long().to(device), tokens_all[idx].long().to(device)
        k, y = k.to(device), torch.where(drop, num_classes, y_all[idx]).to(device)
        ar = torch.arange(per_rank, device=device)
        canv = canvases_from_tokens(quantizer, labels, tokens)
        canvas, final = canv[k, ar], canv[-1]
        lab_k = labels[ar, k]
        target = tokens[ar, k].masked_fill(torch.arange(T, device=device)[None] >= (2**k)[:, None], -100)
        x0, logits = net(y, k, canvas, embedding_batched(lab_k, k, K), pool_batched(lab_k, T))
        mse = F.mse_loss(x0.float(), final) / x0_scale**2  # in units of the final canvas' variance
        ce = F.cross_entropy(logits.float().transpose(1, 2), target, reduction="none", ignore_index=-100)
        ce = (ce.sum(1) / (2**k).float()).mean()  # averaged over clusters, stages weighted equally
        return {"loss": mse + ce, "mse": mse.detach(), "ce": ce.detach()}

    path = os.path.join(run_dir, "content.pt")
    model, last = train("content", model, step_fn, cfg.content, path, device, rank, world, cfg.log_every, os.path.join(run_dir, "log.jsonl"))
    return model.eval(), last


def train_structure(cfg, num_classes, quantizer, vgs, run_dir, device, rank, world):
    labels_all, tokens_all, y_all = vgs["labels"], vgs["tokens"], vgs["classes"]
    model = build_structure(cfg, num_classes).to(device)
    model.kappa.copy_(torch.tensor(vgs["kappa"]))
    K = model.cfg.K
    per_rank = cfg.structure.batch // world
    chan = torch.arange(K, device=device)

    def step_fn(net, step, rank, world):
        g = batch_generator(cfg, step, rank, world)
        idx = torch.randint(0, len(labels_all), (per_rank,), generator=g)
        k = torch.randint(1, K, (per_rank,), generator=g).to(device)  # stages 1..K-1 use the model
        t = torch.sigmoid(torch.randn(per_rank, generator=g)).to(device)
        eps = torch.randn(per_rank, labels_all.shape[2], K, generator=g).to(device)
        drop = torch.rand(per_rank, generator=g) < cfg.structure.class_dropout
        labels, tokens = labels_all[idx].long().to(device), tokens_all[idx].long().to(device)
        y = torch.where(drop, num_classes, y_all[idx]).to(device)
        ar = torch.arange(per_rank, device=device)
        x0 = 2.0 * ((labels[:, K, :, None] >> (K - 1 - chan)) & 1).float() - 1.0  # full K-bit path
        known = chan[None, None] < (k - 1)[:, None, None]
        xt = torch.where(known, x0, (1 - t[:, None, None]) * x0 + t[:, None, None] * eps)
        canvas = canvases_from_tokens(quantizer, labels, tokens)[k, ar]
        structure = embedding_batched(labels[ar, k - 1], k - 1, K)
        v = net(y, k, t, canvas, structure, xt).float()
        err = ((v - (eps - x0)) ** 2).masked_fill(known, 0.0)
        loss = err.sum() / ((~known).sum() * err.shape[1]).clamp_min(1)  # mean over unknown channels
        return {"loss": loss}

    path = os.path.join(run_dir, "structure.pt")
    model, last = train("structure", model, step_fn, cfg.structure, path, device, rank, world, cfg.log_every, os.path.join(run_dir, "log.jsonl"))
    return model.eval(), last


# ---------------------------------------------------------------- the command
def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m nvg train", description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=os.path.join(HERE, "configs", "tiny.json"))
    ap.add_argument("--run-dir", help="checkpoints and logs (default native-models/runs/<name>)")
    ap.add_argument("--pack-dir", help="where the pack goes (default native-models/packs/<name>)")
    ap.add_argument("--no-var", action="store_true", help="skip the VAR-style baseline tokenizer")
    ap.add_argument("--no-export", action="store_true", help="train only")
    ap.add_argument("--only", choices=["content", "structure"],
                    help="train just this generator (its inputs must exist) and stop; the two generators are "
                         "independent, so two processes can train them side by side (NVG_THREADS=1 each)")
    args = ap.parse_args(argv)

    cfg = load_config(args.config)
    device, rank, world = setup_runtime()
    run_dir = args.run_dir or os.path.join(HERE, "..", "runs", cfg.name)
    pack_dir = args.pack_dir or os.path.join(HERE, "..", "packs", cfg.name)
    os.makedirs(run_dir, exist_ok=True)
    t_start = time.time()
    torch.manual_seed(cfg.seed)

    train_set = load_split(cfg, "train")
    classes = class_list(cfg, train_set.class_names)
    images = torch.from_numpy(train_set.images)
    if rank == 0:
        print(f"data: {len(images)} training images, {len(classes)} classes, {cfg.data.size}px, device {device}, {world} process(es), {torch.get_num_threads()} threads", flush=True)

    results = {}
    tok, results["tokenizer"] = train_tokenizer(cfg, "nvg", images, run_dir, device, rank, world)
    if not args.no_var:
        _, results["tokenizer_var"] = train_tokenizer(cfg, "var", images, run_dir, device, rank, world)

    vgs_path = os.path.join(run_dir, "vgs.pt")
    if os.path.exists(vgs_path):
        vgs = torch.load(vgs_path, weights_only=False)
    else:
        t0 = time.time()
        labels, tokens = precompute_vgs(tok, images, cfg, device)
        kappa, final_std = stage_scales(tok.quantizer, labels, tokens, device)
        y = torch.from_numpy(train_set.labels).long()
        vgs = {"labels": labels, "tokens": tokens, "classes": y.repeat(len(labels) // len(y)), "kappa": kappa, "final_std": final_std}
        if rank == 0:
            atomic_save(vgs, vgs_path)
            print(f"[vgs] {len(labels)} sequences in {time.time() - t0:.1f}s; kappa {[round(v, 3) for v in kappa]}", flush=True)
    for p in tok.parameters():
        p.requires_grad_(False)

    if args.only != "structure":
        _, results["content"] = train_content(cfg, len(classes), tok.quantizer, vgs, run_dir, device, rank, world)
    if args.only != "content":
        _, results["structure"] = train_structure(cfg, len(classes), tok.quantizer, vgs, run_dir, device, rank, world)
    if args.only:
        return 0

    if rank != 0:
        return 0
    hardware = f"{torch.cuda.get_device_name(device)} x{world}" if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    meta = {"config": config_to_dict(cfg), "classes": classes, "kappa": vgs["kappa"], "final_std": vgs["final_std"],
            "train_images": len(images), "hardware": hardware, "phases": results,
            "train_seconds": round(sum(r.get("train_seconds", 0.0) for r in results.values()), 1)}
    atomic_write_text(os.path.join(run_dir, "meta.json"), json.dumps(meta, indent=1))
    print(f"training done: {meta['train_seconds']:.0f}s of training, {time.time() - t_start:.0f}s in this run", flush=True)
    if not args.no_export:
        from . import evaluate, export
        export.export_pack(run_dir, pack_dir)
        evaluate.evaluate_pack(run_dir, pack_dir)
    return 0
