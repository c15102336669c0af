"""Building the models of a run from its config, and loading a trained run back."""
import json
import os

import torch

from .config import config_from_dict
from .structure import num_stages
from .tokenizer import Tokenizer
from .transformer import ContentModel, GenConfig, StructureModel


def gen_config(cfg, phase_cfg, num_classes: int) -> GenConfig:
    t = cfg.tokenizer
    return GenConfig(width=phase_cfg.width, depth=phase_cfg.depth, head_dim=phase_cfg.head_dim,
                     K=num_stages(t.latent_size**2), e=t.latent_dim, V=t.codebook_size,
                     h=t.latent_size, w=t.latent_size, num_classes=num_classes)


def build_tokenizer(cfg, quantizer="nvg") -> Tokenizer:
    tcfg = type(cfg.tokenizer)(**{**cfg.tokenizer.__dict__, "quantizer": quantizer})
    return Tokenizer(tcfg, cfg.data.size)


def build_content(cfg, num_classes) -> ContentModel:
    return ContentModel(gen_config(cfg, cfg.content, num_classes))


def build_structure(cfg, num_classes) -> StructureModel:
    return StructureModel(gen_config(cfg, cfg.structure, num_classes))


class TrainedRun:
    """The trained modules of a run directory (eval mode, CPU unless told otherwise)."""

    def __init__(self, run_dir: str, device="cpu", need_generators=True):
        with open(os.path.join(run_dir, "meta.json")) as fh:
            self.meta = json.load(fh)
        self.cfg = config_from_dict(self.meta["config"])
        self.classes = self.meta["classes"]
        n = len(self.classes)
        self.tokenizer = self._load(build_tokenizer(self.cfg, "nvg"), run_dir, "tokenizer.pt", device)
        var_path = os.path.join(run_dir, "tokenizer_var.pt")
        self.var_tokenizer = self._load(build_tokenizer(self.cfg, "var"), run_dir, "tokenizer_var.pt", device) if os.path.exists(var_path) else None
        self.content = self.structure = None
        if need_generators:
            self.content = self._load(build_content(self.cfg, n), run_dir, "content.pt", device)
            self.structure = self._load(build_structure(self.cfg, n), run_dir, "structure.pt", device)

    @staticmethod
    def _load(model, run_dir, name, device):
        state = torch.load(os.path.join(run_dir, name), map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        return model.to(device).eval()
