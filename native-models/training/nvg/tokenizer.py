"""The tokenizer: a conv encoder/decoder (no attention) around a residual quantizer.

Two quantizers share the same codebook size, encoder and decoder, so they can be compared:
- NVGQuantizer: structure-guided (docs/algorithm.md section 2): stage k quantizes the mean
  residual of each of its 2^k clusters (bottom-up clustering of the latent itself).
- VARQuantizer: the VAR-style multi-scale baseline: stage k quantizes the residual
  area-downsampled to s_k x s_k and upsamples the codes back bilinearly.
Both refine every stage with its own phi_k(x) = x + 0.5 * conv3x3_k(x), keep the VQ loss per
stage and pass gradients to the encoder with the straight-through estimator.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .structure import build_labels_batched, num_stages, pool_batched


def _groups(ch: int) -> int:
    return min(8, ch)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(_groups(cin), cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2, self.conv2 = nn.GroupNorm(_groups(cout), cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Encoder(nn.Module):
    def __init__(self, channels, res_blocks, latent_dim):
        super().__init__()
        layers = [nn.Conv2d(3, channels[0], 3, padding=1)]
        cin = channels[0]
        for ch in channels:
            for _ in range(res_blocks):
                layers.append(ResBlock(cin, ch))
                cin = ch
            layers.append(nn.Conv2d(cin, cin, 3, stride=2, padding=1))  # downsample x2
        layers += [ResBlock(cin, cin), nn.GroupNorm(_groups(cin), cin), nn.SiLU(), nn.Conv2d(cin, latent_dim, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, image):
        return self.net(image)


class Decoder(nn.Module):
    def __init__(self, channels, res_blocks, latent_dim):
        super().__init__()
        chans = list(reversed(channels))
        cin = chans[0]
        layers = [nn.Conv2d(latent_dim, cin, 3, padding=1), ResBlock(cin, cin)]
        for ch in chans:
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, ch, 3, padding=1)]
            cin = ch
            for _ in range(res_blocks):
                layers.append(ResBlock(cin, ch))
        layers += [nn.GroupNorm(_groups(cin), cin), nn.SiLU(), nn.Conv2d(cin, 3, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, latent):
        return self.net(latent)


class Refiners(nn.Module):
    """phi_k(x) = x + 0.5 * conv3x3_k(x), one conv per stage (not shared)."""

    def __init__(self, n_stages, dim):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(dim, dim, 3, padding=1) for _ in range(n_stages))

    def forward(self, x, k: int):
        return x + 0.5 * self.convs[k](x)


def _vq_loss(f_hat, z, beta):
    return beta * F.mse_loss(f_hat.detach(), z) + F.mse_loss(f_hat, z.detach())


class NVGQuantizer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.h = self.w = cfg.latent_size
        self.K = num_stages(self.h * self.w)
        self.n_stages = self.K + 1
        self.beta = cfg.beta
        self.codebook = nn.Embedding(cfg.codebook_size, cfg.latent_dim)
        nn.init.uniform_(self.codebook.weight, -1.0 / cfg.codebook_size, 1.0 / cfg.codebook_size)
        self.refiners = Refiners(self.n_stages, cfg.latent_dim)

    def nearest(self, u):  # u [B, n, e] -> code indices [B, n]
        cb = self.codebook.weight
        d = (u.square().sum(-1, keepdim=True) - 2 * u @ cb.t() + cb.square().sum(-1))
        return d.argmin(-1)

    def stage_codes(self, r, labels_k, n):
        """Cluster means of residual r [B,T,e] over labels [B,T] -> codes [B,n]."""
        return self.nearest(pool_batched(labels_k, n) @ r)

    def scatter(self, codes, labels_k):
        """Codes per cluster [B,n] -> quantized latent [B,e,h,w] (each position gets its cluster's code)."""
        q = self.codebook(codes.gather(1, labels_k))  # [B,T,e]
        return q.transpose(1, 2).reshape(q.shape[0], -1, self.h, self.w)

    def forward(self, z, return_stages=False):
        """z [B,e,h,w] -> (f_hat with straight-through gradient, vq loss, info)."""
        B, e = z.shape[:2]
        zt = z.flatten(2).transpose(1, 2)  # [B,T,e]
        labels = build_labels_batched(zt.detach())
        f = torch.zeros_like(z)
        loss, tokens, canvases = 0.0, [], []
        for k in range(self.n_stages):
            canvases.append(f.detach())
            r = (z.detach() - f.detach()).flatten(2).transpose(1, 2)
            codes = self.stage_codes(r, labels[:, k], 2**k)
            f = f + self.refiners(self.scatter(codes, labels[:, k]), k)
            loss = loss + _vq_loss(f, z, self.beta)
            tokens.append(codes)
        f_ste = z + (f - z).detach() if self.training else f
        info = {"labels": labels, "tokens": tokens}
        if return_stages:
            info["canvases"] = canvases + [f.detach()]
        return f_ste, loss / self.n_stages, info


class VARQuantizer(NVGQuantizer):
    """Multi-scale residual quantizer (VAR-style): the baseline NVG is compared with."""

    def __init__(self, cfg):
        nn.Module.__init__(self)
        self.h = self.w = cfg.latent_size
        self.scales = list(cfg.var_scales)
        if self.scales[-1] != self.h:
            raise ValueError(f"the last VAR scale must equal the latent size {self.h}, got {self.scales}")
        self.n_stages = len(self.scales)
        self.beta = cfg.beta
        self.codebook = nn.Embedding(cfg.codebook_size, cfg.latent_dim)
        nn.init.uniform_(self.codebook.weight, -1.0 / cfg.codebook_size, 1.0 / cfg.codebook_size)
        self.refiners = Refiners(self.n_stages, cfg.latent_dim)

    def forward(self, z, return_stages=False):
        B, e = z.shape[:2]
        f = torch.zeros_like(z)
        loss, tokens, canvases = 0.0, [], []
        for k, s in enumerate(self.scales):
            canvases.append(f.detach())
            r = F.adaptive_avg_pool2d(z.detach() - f.detach(), s)  # area downsampling
            codes = self.nearest(r.flatten(2).transpose(1, 2))
            q = self.codebook(codes).transpose(1, 2).reshape(B, e, s, s)
            if s != self.h:
                q = F.interpolate(q, size=(self.h, self.w), mode="bilinear", align_corners=False)
            f = f + self.refiners(q, k)
            loss = loss + _vq_loss(f, z, self.beta)
            tokens.append(codes)
        f_ste = z + (f - z).detach() if self.training else f
        info = {"tokens": tokens}
        if return_stages:
            info["canvases"] = canvases + [f.detach()]
        return f_ste, loss / self.n_stages, info


class Tokenizer(nn.Module):
    def __init__(self, cfg, image_size: int):
        super().__init__()
        n_down = int(round(math.log2(image_size / cfg.latent_size)))
        if len(cfg.channels) != n_down:
            raise ValueError(f"tokenizer.channels needs {n_down} entries for {image_size}px -> {cfg.latent_size}, got {cfg.channels}")
        self.cfg = cfg
        self.encoder = Encoder(cfg.channels, cfg.res_blocks, cfg.latent_dim)
        self.decoder = Decoder(cfg.channels, cfg.res_blocks, cfg.latent_dim)
        self.quantizer = NVGQuantizer(cfg) if cfg.quantizer == "nvg" else VARQuantizer(cfg)

    def forward(self, image):
        z = self.encoder(image)
        f_hat, vq_loss, info = self.quantizer(z)
        return self.decoder(f_hat), vq_loss, info

    @torch.no_grad()
    def init_codebook(self, images):
        """Start the codebook on encoder outputs (random latent vectors) so no code starts dead."""
        z = self.encoder(images).flatten(2).transpose(1, 2).reshape(-1, self.cfg.latent_dim)
        cb = self.quantizer.codebook.weight
        idx = torch.randint(0, z.shape[0], (cb.shape[0],), generator=torch.Generator().manual_seed(0))
        cb.copy_(z[idx] * 0.5 + 0.01 * torch.randn_like(cb))
