"""The two generators of NVG (docs/algorithm.md sections 5 and 6), FLUX-style single-stream
"parallel" blocks with multi-axis RoPE whose ids carry the structure hierarchy.

ContentModel(class_id, stage, canvas, structure, pool) -> (x0, logits)
StructureModel(class_id, stage, t, canvas, structure, noisy) -> velocity
Shapes and names are the ONNX contract of docs/model-pack.md.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GenConfig:
    width: int
    depth: int
    head_dim: int
    K: int            # stages are 0..K
    e: int            # latent channels
    V: int            # codebook size
    h: int            # latent grid
    w: int
    num_classes: int  # the null class id is num_classes


def rope_axes(head_dim: int, K: int) -> list[int]:
    """Head-dim split [type, emb_0..emb_{K-1}, row, col]; 64 with K=8 gives [8, 2 x 8, 20, 20]."""
    type_dim = head_dim // 8
    rest = head_dim - type_dim - 2 * K
    if rest <= 0 or rest % 4:
        raise ValueError(f"head_dim {head_dim} leaves no even room for row/col axes with K={K}")
    return [type_dim] + [2] * K + [rest // 2, rest // 2]


def rope_angles(ids: torch.Tensor, axes: list[int], theta: float = 10000.0) -> torch.Tensor:
    """ids [B, L, n_axes] -> angles [B, L, head_dim/2]; a 2-dim axis rotates by its id in radians."""
    parts = []
    for a, dim in enumerate(axes):
        freqs = theta ** (-torch.arange(0, dim, 2, dtype=torch.float32, device=ids.device) / dim)
        parts.append(ids[..., a : a + 1].float() * freqs)
    return torch.cat(parts, dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, H, L, D]; rotate interleaved pairs (x0, x1), (x2, x3), ..."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return out.flatten(-2)


class RMSNorm(nn.Module):  # written out: exports to plain ONNX ops at opset 17
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps, self.weight = eps, nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + self.eps) * self.weight


class Block(nn.Module):
    """x_m = (1+scale) LN(x) + shift; one Linear -> qkv and MLP input; out = x + gate * Linear(attn | GELU(mlp))."""

    def __init__(self, width, head_dim, mlp_ratio=4):
        super().__init__()
        self.heads, self.head_dim, self.mlp = width // head_dim, head_dim, width * mlp_ratio
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mod = nn.Linear(width, 3 * width)
        self.lin1 = nn.Linear(width, 3 * width + self.mlp)
        self.lin2 = nn.Linear(width + self.mlp, width)
        self.q_norm, self.k_norm = RMSNorm(head_dim), RMSNorm(head_dim)

    def forward(self, x, vec, cos, sin):
        B, L, W = x.shape
        shift, scale, gate = self.mod(F.silu(vec))[:, None].chunk(3, dim=-1)
        qkv, mlp = self.lin1((1 + scale) * self.norm(x) + shift).split([3 * W, self.mlp], dim=-1)
        q, k, v = qkv.view(B, L, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = apply_rope(self.q_norm(q), cos, sin), apply_rope(self.k_norm(k), cos, sin)
        attn = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, L, W)
        return x + gate * self.lin2(torch.cat([attn, F.gelu(mlp, approximate="tanh")], dim=-1))


class FinalLayer(nn.Module):
    def __init__(self, width, out_dim):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mod = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, out_dim)

    def forward(self, x, vec):
        shift, scale = self.mod(F.silu(vec))[:, None].chunk(2, dim=-1)
        return self.out((1 + scale) * self.norm(x) + shift)


class _Backbone(nn.Module):
    """What both generators share: class/stage conditioning, the class token, RoPE ids, blocks."""

    def __init__(self, cfg: GenConfig):
        super().__init__()
        self.cfg = cfg
        self.axes = rope_axes(cfg.head_dim, cfg.K)
        self.class_emb = nn.Embedding(cfg.num_classes + 1, cfg.width)
        self.stage_emb = nn.Embedding(cfg.K + 1, cfg.width)
        self.class_token = nn.Embedding(cfg.num_classes + 1, cfg.width)
        self.blocks = nn.ModuleList(Block(cfg.width, cfg.head_dim) for _ in range(cfg.depth))
        rows = torch.arange(cfg.h).repeat_interleave(cfg.w)
        cols = torch.arange(cfg.w).repeat(cfg.h)
        self.register_buffer("grid", torch.stack([rows, cols], dim=-1), persistent=False)  # [T, 2]
        self.register_buffer("kappa", torch.ones(cfg.K + 1))

    def token_ids(self, structure, type_id: int):
        """Canvas/structure token ids [B, T, 2+K]: [type, emb_0..emb_{K-1}, row, col]."""
        B, T, _ = structure.shape
        typ = torch.full((B, T, 1), type_id, dtype=structure.dtype, device=structure.device)
        return torch.cat([typ, structure, self.grid[None].expand(B, T, 2).to(structure.dtype)], dim=-1)

    def run(self, class_id, vec, tokens, ids):
        """tokens [B, L, W] (without the class token), ids [B, L, n_axes] -> hidden states of tokens."""
        B = tokens.shape[0]
        x = torch.cat([self.class_token(class_id)[:, None], tokens], dim=1)
        cls_ids = torch.ones(B, 1, ids.shape[-1], dtype=ids.dtype, device=ids.device)
        angles = rope_angles(torch.cat([cls_ids, ids], dim=1), self.axes)[:, None]  # [B,1,L,D/2]
        cos, sin = angles.cos(), angles.sin()
        for block in self.blocks:
            x = block(x, vec, cos, sin)
        return x[:, 1:]


class ContentModel(_Backbone):
    def __init__(self, cfg: GenConfig):
        super().__init__(cfg)
        T = cfg.h * cfg.w
        self.start = nn.Parameter(torch.randn(T, cfg.e) * 0.02)  # replaces the (empty) canvas at stage 0
        self.canvas_in = nn.Linear(cfg.e, cfg.width)
        self.final = FinalLayer(cfg.width, cfg.e)
        self.token_head = nn.Linear(cfg.e, cfg.V)

    def forward(self, class_id, stage, canvas, structure, pool):
        scaled = canvas * self.kappa[stage][:, None, None]
        inp = torch.where((stage == 0)[:, None, None], self.start[None].expand_as(canvas), scaled)
        vec = self.class_emb(class_id) + self.stage_emb(stage)
        h = self.run(class_id, vec, self.canvas_in(inp), self.token_ids(structure, 0))
        x0 = self.final(h, vec)
        logits = self.token_head(pool @ (x0 - canvas))  # cluster means of the predicted remainder
        return x0, logits


def timestep_embedding(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (t[:, None].float() * 1000.0) * freqs
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class StructureModel(_Backbone):
    def __init__(self, cfg: GenConfig):
        super().__init__(cfg)
        self.canvas_in = nn.Linear(cfg.e, cfg.width)
        self.noisy_in = nn.Linear(cfg.K, cfg.width)
        self.time_mlp = nn.Sequential(nn.Linear(cfg.width, cfg.width), nn.SiLU(), nn.Linear(cfg.width, cfg.width))
        self.final = FinalLayer(cfg.width, cfg.K)

    def forward(self, class_id, stage, t, canvas, structure, noisy):
        T = canvas.shape[1]
        scaled = canvas * self.kappa[stage][:, None, None]
        vec = self.class_emb(class_id) + self.stage_emb(stage) + self.time_mlp(timestep_embedding(t, self.cfg.width))
        tokens = torch.cat([self.canvas_in(scaled), self.noisy_in(noisy)], dim=1)
        ids = torch.cat([self.token_ids(structure, 2), self.token_ids(structure, 0)], dim=1)
        h = self.run(class_id, vec, tokens, ids)
        return self.final(h[:, T:], vec)
