"""A small training loop shared by every phase: AdamW with linear warmup and cosine decay,
atomic resumable checkpoints, progress logs (steps/s, losses, ETA), bf16 autocast on CUDA and
several GPUs through torchrun (DistributedDataParallel)."""
import json
import math
import os
import time
from contextlib import nullcontext

import torch
import torch.distributed as dist


def setup_runtime():
    """Threads, device and (under torchrun) the process group. Returns (device, rank, world)."""
    # NVG_THREADS lets two phases share a small machine (one thread each) without oversubscribing it.
    torch.set_num_threads(int(os.environ.get("NVG_THREADS", "0")) or os.cpu_count() or 1)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device, rank, world


def atomic_save(obj, path: str):
    """Write to a temporary file, then rename: a crash never leaves a broken file in place."""
    tmp = f"{path}.tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def atomic_write_text(path: str, text: str):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def lr_at(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _fmt_time(seconds):
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s"


def train(name, model, step_fn, phase_cfg, ckpt_path, device, rank=0, world=1, log_every=50, log_file=None):
    """Run (or resume) a phase. step_fn(model, step, rank, world) -> dict of scalar losses, 'loss' first.
    Returns the model (unwrapped) and the final log record."""
    opt = torch.optim.AdamW(model.parameters(), lr=phase_cfg.lr, betas=(0.9, 0.95),
                            weight_decay=getattr(phase_cfg, "weight_decay", 0.0))
    start, seconds_before = 0, 0.0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["step"]
        seconds_before = state.get("seconds", 0.0)
        if rank == 0:
            print(f"[{name}] resuming at step {start}/{phase_cfg.steps}", flush=True)
    if start >= phase_cfg.steps:
        return model, {**state.get("last", {}), "train_seconds": state.get("seconds", 0.0)}
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    model.train()
    t0, last, window = time.time(), {}, {}
    ckpt_every = max(log_every, phase_cfg.steps // 10)

    def save(step):
        if rank == 0:
            atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "last": last,
                         "seconds": seconds_before + time.time() - t0}, ckpt_path)

    for step in range(start, phase_cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, phase_cfg.steps, phase_cfg.lr, phase_cfg.warmup)
        with autocast:
            losses = step_fn(net, step, rank, world)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        for key, value in losses.items():
            window.setdefault(key, []).append(float(value.detach() if torch.is_tensor(value) else value))
        done = step + 1
        if done % log_every == 0 or done == phase_cfg.steps:
            rate = (done - start) / (time.time() - t0)
            last = {key: sum(v) / len(v) for key, v in window.items()}
            last.update(step=done, steps_per_s=round(rate, 3), elapsed_s=round(time.time() - t0, 1))
            window = {}
            if rank == 0:
                losses_txt = " ".join(f"{k}={v:.4f}" for k, v in last.items() if k not in ("step", "steps_per_s", "elapsed_s"))
                eta = (phase_cfg.steps - done) / max(rate, 1e-9)
                print(f"[{name}] step {done}/{phase_cfg.steps} {losses_txt} | {rate:.2f} steps/s | ETA {_fmt_time(eta)}", flush=True)
                if log_file:
                    with open(log_file, "a") as fh:
                        fh.write(json.dumps({"phase": name, **last}) + "\n")
        if done % ckpt_every == 0 and done < phase_cfg.steps:
            save(done)
    save(phase_cfg.steps)
    return model, {**last, "train_seconds": round(seconds_before + time.time() - t0, 1)}
