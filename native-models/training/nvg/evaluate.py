"""Measure a trained run / pack on the held-out split and record the figures in the pack.

- reconstruction PSNR after each stage (decoding the partial canvas), NVG and the VAR-style
  baseline side by side, with the number of unique tokens each has spent by then;
- codebook usage per stage (distinct codes used / V) and perplexity;
- speed of the Python reference sampler on the pack (ms per image, 1 and a batch).
`python -m nvg eval --run-dir ../runs/tiny --pack-dir ../packs/tiny`
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

from .models import TrainedRun
from .trainer import atomic_write_text

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def psnr(a, b):
    """Per-image PSNR of [-1,1] images, on the 0..1 scale, averaged over images."""
    mse = ((a - b) / 2).square().flatten(1).mean(1).clamp_min(1e-10)
    return float((-10 * torch.log10(mse)).mean())


@torch.no_grad()
def reconstruction(tok, images, batch=256):
    """PSNR after each stage, codebook usage per stage, unique tokens per stage."""
    stages_psnr, used, counts = None, None, None
    n_done = 0
    for i in range(0, len(images), batch):
        x = images[i : i + batch]
        _, _, info = tok.quantizer(tok.encoder(x), return_stages=True)
        canvases = info["canvases"][1:]  # after stage 0, 1, ..., last
        vals = [psnr(tok.decoder(c), x) * len(x) for c in canvases]
        stages_psnr = vals if stages_psnr is None else [a + b for a, b in zip(stages_psnr, vals)]
        V = tok.quantizer.codebook.weight.shape[0]
        hist = [torch.bincount(t.flatten(), minlength=V) for t in info["tokens"]]
        counts = hist if counts is None else [a + b for a, b in zip(counts, hist)]
        n_done += len(x)
    usage = [float((c > 0).float().mean()) for c in counts]
    total = sum(counts)
    p = total.float() / total.sum()
    perplexity = float(torch.exp(-(p[p > 0] * p[p > 0].log()).sum()))
    return {"psnrPerStage": [round(v / n_done, 3) for v in stages_psnr], "codebookUsagePerStage": [round(u, 4) for u in usage],
            "codebookUsage": round(float((total > 0).float().mean()), 4), "codebookPerplexity": round(perplexity, 1)}


def unique_tokens(run, quantizer):
    if quantizer == "nvg":
        return [2**k for k in range(run.content.cfg.K + 1)] if run.content else None
    return [s * s for s in run.cfg.tokenizer.var_scales]


def sampler_speed(pack_dir, classes, repeats=3):
    from .backends import OrtBackend
    from .sampler import generate

    backend = OrtBackend(pack_dir)
    out = {}
    for count in (1, 8):
        times = []
        for r in range(repeats):
            t0 = time.perf_counter()
            generate(backend, r % len(classes), seed=r, count=count)
            times.append(time.perf_counter() - t0)
        out[f"msPerImageBatch{count}"] = round(float(np.median(times)) * 1000 / count, 1)
    return out


def evaluate_pack(run_dir, pack_dir, max_images=None):
    from .train import load_split

    run = TrainedRun(run_dir)
    cfg = run.cfg
    val = load_split(cfg, "val", [c["name"] for c in run.classes])
    n = min(len(val.images), max_images or cfg.eval_images)
    images = torch.from_numpy(val.images[:n]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    t0 = time.time()
    nvg = reconstruction(run.tokenizer, images)
    nvg["uniqueTokensPerStage"] = unique_tokens(run, "nvg")
    metrics = {"measured": True, "heldOutImages": n, "reconstruction": {"nvg": nvg}}
    if run.var_tokenizer is not None:
        var = reconstruction(run.var_tokenizer, images)
        var["uniqueTokensPerStage"] = unique_tokens(run, "var")
        var["scales"] = list(cfg.tokenizer.var_scales)
        metrics["reconstruction"]["varBaseline"] = var
        metrics["reconstruction"]["finalPsnrGainOverVarDb"] = round(nvg["psnrPerStage"][-1] - var["psnrPerStage"][-1], 3)
    metrics["training"] = {k: {kk: (round(vv, 4) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                           for k, v in run.meta["phases"].items()}
    metrics["referenceSampler"] = sampler_speed(pack_dir, run.classes)
    metrics["generation"] = {"measured": False, "note": "classifier-based figures (accuracy, Frechet distance, precision/recall, structure IoU) are measured for the default pack (see issue 6)"}
    print(f"[eval] {n} held-out images in {time.time() - t0:.1f}s", flush=True)
    print(f"[eval] NVG PSNR per stage {nvg['psnrPerStage']} usage {nvg['codebookUsage']}", flush=True)
    if "varBaseline" in metrics["reconstruction"]:
        print(f"[eval] VAR PSNR per stage {metrics['reconstruction']['varBaseline']['psnrPerStage']} "
              f"usage {metrics['reconstruction']['varBaseline']['codebookUsage']}", flush=True)
    path = os.path.join(pack_dir, "manifest.json")
    with open(path) as fh:
        manifest = json.load(fh)
    manifest["metrics"] = metrics
    atomic_write_text(path, json.dumps(manifest, indent=1))
    atomic_write_text(os.path.join(pack_dir, "MODEL_CARD.md"), model_card(manifest))
    return metrics


def _row(label, values, fmt="{:.2f}"):
    return f"| {label} | " + " | ".join(fmt.format(v) for v in values) + " |"


def generation_section(g, rec=None):
    """The classifier-based figures (nvg/quality.py) as card lines, each next to its real-data scale."""
    if not g.get("measured"):
        return [g.get("note", "not measured")]
    c, s = g["classifier"], g["structureIoU"]
    rr = g["realVsReal"]
    return [
        f"Measured with the project's own classifier ({c['note']}), {c['size']} px; {g['generatedImages']} generated images "
        "(equal numbers per class, default sampling settings).",
        "",
        "| figure | generated | real images (scale) |",
        "|---|---|---|",
        f"| class accuracy | {g['classAccuracy']:.3f} | {c['heldOutAccuracy']:.3f} (classifier on held-out images) |",
        f"| Frechet classifier distance (lower is better) | {g['frechetClassifierDistance']:.2f} | {rr['frechetClassifierDistance']:.2f} (train vs held-out) |",
        f"| precision (k=3) | {g['precision']:.3f} | {rr['precision']:.3f} |",
        f"| recall (k=3) | {g['recall']:.3f} | {rr['recall']:.3f} |",
        "",
        f"Structure adherence, mean IoU between a given stage-1 map and the one re-derived from the generated image "
        f"({s['imagesPerMap']} images per map): circle {s['circle']:.3f}, rectangle {s['rectangle']:.3f}, halves {s['halves']:.3f} "
        f"(drawn maps: {s['drawnMean']:.3f}); maps of held-out images {s['heldOutMaps']:.3f}. Scale: a real image's own "
        f"reconstruction re-encoded {s['scale']['realReconstruction']:.3f}; a random balanced split {s['scale']['randomBalancedSplit']:.3f}.",
        *comparison_lines(g, rec or {}),
    ]


def comparison_lines(g, rec):
    """The same figures for another pack (quality.comparison), as a table next to this pack's;
    rec: this pack's reconstruction metrics (final PSNR and its gain over the VAR-style quantizer)."""
    o = g.get("comparison")
    if not o:
        return []
    s, os_ = g["structureIoU"], o["structureIoU"]
    rows = [("classifier accuracy on real held-out images", g["classifier"]["heldOutAccuracy"], o["classifierAccuracy"]),
            ("class accuracy of generated images", g["classAccuracy"], o["classAccuracy"]),
            ("Frechet classifier distance", g["frechetClassifierDistance"], o["frechetClassifierDistance"]),
            ("precision", g["precision"], o["precision"]), ("recall", g["recall"], o["recall"]),
            *[(f"structure IoU, {name}", s[k], os_[k]) for k, name in (("circle", "circle"), ("rectangle", "rectangle"), ("halves", "halves"),
                                                                     ("drawnMean", "drawn maps (mean)"), ("heldOutMaps", "held-out maps"))]]
    final = rec.get("nvg", {}).get("psnrPerStage", [None])[-1]
    if final is not None and o.get("finalPsnr") is not None:
        rows.append(("PSNR after the last stage (dB)", final, o["finalPsnr"]))
    if rec.get("finalPsnrGainOverVarDb") is not None and o.get("finalPsnrGainOverVarDb") is not None:
        rows.append(("final-stage PSNR minus the VAR-style quantizer's (dB)", rec["finalPsnrGainOverVarDb"], o["finalPsnrGainOverVarDb"]))
    return ["", f"The same figures for the {o['pack']} pack ({o['size']} px, measured with its own {o['size']} px classifier), for scale:", "",
            f"| figure | this pack | {o['pack']} |", "|---|---|---|",
            *[f"| {name} | {a:.3f} | {b:.3f} |" for name, a, b in rows]]


def targets_section(m):
    """Issue 6's targets, each with the figure reached (only for packs with classifier-based figures)."""
    g, rec = m.get("generation", {}), m.get("reconstruction", {})
    if not g.get("measured"):
        return []
    half = g["classifier"]["heldOutAccuracy"] / 2
    iou = g["structureIoU"]["drawnMean"]
    gain = rec.get("finalPsnrGainOverVarDb")
    rows = [("generated class accuracy >= half the classifier's real accuracy", f">= {half:.3f}", f"{g['classAccuracy']:.3f}", g["classAccuracy"] >= half),
            ("structure IoU of drawn stage-1 maps >= 0.8", ">= 0.800", f"{iou:.3f}", iou >= 0.8)]
    if gain is not None:
        rows.append(("final-stage PSNR >= VAR-style quantizer + 1 dB", ">= +1.00 dB", f"{gain:+.2f} dB", gain >= 1.0))
    return ["", "## Targets", "", "| target | needed | reached | met |", "|---|---|---|---|",
            *[f"| {t} | {need} | {got} | {'yes' if ok else 'no'} |" for t, need, got, ok in rows]]


def model_card(manifest):
    m, p = manifest["metrics"], manifest["provenance"]
    rec = m["reconstruction"]
    nvg = rec["nvg"]
    lines = [
        f"# Model card: {manifest['name']}",
        "",
        manifest.get("description") or "",
        "",
        "## What it is",
        f"An NVG model pack: {manifest['image']['size']}x{manifest['image']['size']} images, a "
        f"{manifest['latent']['h']}x{manifest['latent']['w']}x{manifest['latent']['e']} latent, K = {manifest['stages']['K']} "
        f"(stages 0..{manifest['stages']['K']}), a codebook of {manifest['codebook']['V']} codes, {len(manifest['classes'])} classes.",
        f"Content model: width {manifest['models']['content']['width']}, depth {manifest['models']['content']['depth']}; "
        f"structure model: width {manifest['models']['structure']['width']}, depth {manifest['models']['structure']['depth']}.",
        "",
        "## Data",
        "Emoji artwork from the npm packages emoji-datasource-twitter@16.0.0 (Twemoji, (c) Twitter/X and contributors, "
        "CC-BY 4.0) and emoji-datasource-google@16.0.0 (Noto Emoji, (c) Google, Apache 2.0), composited on white; "
        f"{p['trainImages']} training images. Classes merge emoji subcategories (native-models/training/data/emoji_classes.json); "
        "see the dataset card written by `npm run models:dataset`.",
        "",
        "## Training",
        f"Hardware: {p['hardware']}. Training time: {p['trainingSeconds']:.0f} s"
        + (" (" + ", ".join(f"{k} {v:.0f} s" for k, v in p["phaseSeconds"].items()) + ", summed; phases that ran side by side make the wall time shorter)"
           if p.get("phaseSeconds") else "") + ". "
        f"Steps: {', '.join(f'{k} {v}' for k, v in p['steps'].items())} (the VAR-style baseline: as many as the tokenizer). Commit: {p['commit']}.",
        "Losses: L1 + MSE + VQ (beta 0.25) for the tokenizer; no perceptual or adversarial term "
        "(pretrained perceptual networks cannot be downloaded on the build machines).",
        "",
        "## Reconstruction on the held-out split",
        f"{m['heldOutImages']} held-out images; PSNR (dB) after each stage, decoding the partial canvas.",
        "",
        "| | " + " | ".join(f"stage {k}" for k in range(len(nvg["psnrPerStage"]))) + " |",
        "|---|" + "---|" * len(nvg["psnrPerStage"]),
        _row("NVG PSNR", nvg["psnrPerStage"]),
        _row("NVG unique tokens (cumulative)", np.cumsum(nvg["uniqueTokensPerStage"]).tolist(), "{}"),
        _row("NVG codebook usage", nvg["codebookUsagePerStage"], "{:.3f}"),
    ]
    if "varBaseline" in rec:
        var = rec["varBaseline"]
        lines += [
            "",
            f"VAR-style multi-scale baseline (same encoder/decoder design, codebook size and steps; scales {var['scales']}):",
            "",
            "| | " + " | ".join(f"scale {s}" for s in var["scales"]) + " |",
            "|---|" + "---|" * len(var["scales"]),
            _row("VAR PSNR", var["psnrPerStage"]),
            _row("VAR unique tokens (cumulative)", np.cumsum(var["uniqueTokensPerStage"]).tolist(), "{}"),
            _row("VAR codebook usage", var["codebookUsagePerStage"], "{:.3f}"),
            "",
            f"Final-stage PSNR, NVG minus VAR: {rec['finalPsnrGainOverVarDb']:+.2f} dB "
            f"(NVG spends {sum(nvg['uniqueTokensPerStage'])} unique tokens, VAR {sum(var['uniqueTokensPerStage'])}).",
        ]
    lines += [
        "",
        "## Speed",
        f"Python reference sampler on this pack (onnxruntime, {p['hardware']}): {m['referenceSampler']['msPerImageBatch1']:.0f} ms "
        f"for one image, {m['referenceSampler']['msPerImageBatch8']:.0f} ms per image in a batch of 8. The TypeScript engine: `npm run bench`.",
        "",
        "## Generation quality",
        *generation_section(m["generation"], rec),
        *targets_section(m),
        "",
        "## Samples",
        "Per class (`python -m nvg samples`): samples/classes.png. Structure-guided (a drawn stage-1 map pinned, "
        "the map in the first column): samples/structure.png.",
        "",
        "![samples per class](samples/classes.png)",
        "",
        "![structure-guided samples](samples/structure.png)",
        "",
        "## Known limits",
        "Small models trained briefly on CPU: expect coarse, blurry emoji-like images. Export check (max |ORT - PyTorch|): "
        + ", ".join(f"{k} {v:.1e}" for k, v in manifest["exportCheck"]["maxAbsDiff"].items()) + ".",
        *[f"- {line}" for line in manifest.get("knownLimits", [])],
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m nvg eval", description="measure a pack on the held-out split")
    ap.add_argument("--run-dir", default=os.path.join(HERE, "..", "runs", "tiny"))
    ap.add_argument("--pack-dir", default=os.path.join(HERE, "..", "packs", "tiny"))
    ap.add_argument("--max-images", type=int)
    args = ap.parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)
    evaluate_pack(args.run_dir, args.pack_dir, args.max_images)
    return 0
