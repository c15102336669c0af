"""One config object for a whole pack: data, tokenizer, generators, budgets.
Loaded from JSON; an unknown or misspelt key is an error that names it."""
import dataclasses
import json
from dataclasses import dataclass, field


class ConfigError(ValueError):
    pass


@dataclass
class DataConfig:
    root: str = "../data/emoji"      # built by `python -m nvg dataset`, relative to native-models/training
    size: int = 32                   # image side in pixels (a subfolder of root)
    flip_augment: bool = True        # horizontal flips (emoji read fine mirrored)


@dataclass
class TokenizerConfig:
    quantizer: str = "nvg"           # "nvg" (structure-guided) or "var" (multi-scale baseline)
    channels: list = field(default_factory=lambda: [32, 64])  # one entry per downsampling level
    res_blocks: int = 1
    latent_dim: int = 16             # e
    latent_size: int = 8             # h = w
    codebook_size: int = 512         # V
    beta: float = 0.25               # commitment weight
    var_scales: list = field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 8])
    steps: int = 1000
    batch: int = 64
    lr: float = 2e-3
    warmup: int = 50


@dataclass
class GeneratorConfig:
    """A transformer generator and its training budget (the content model's defaults)."""
    width: int = 128
    depth: int = 4
    head_dim: int = 32
    class_dropout: float = 0.1
    steps: int = 1000
    batch: int = 64
    lr: float = 1e-3
    warmup: int = 50
    weight_decay: float = 0.05


@dataclass
class ContentConfig(GeneratorConfig):
    pass


@dataclass
class StructureConfig(GeneratorConfig):
    width: int = 64  # half the content model's width, as the paper does


@dataclass
class SamplingConfig:
    cfgContentMax: float = 3.5
    cfgStructureMax: float = 2.5
    topPMin: float = 0.5
    structureSteps: int = 25
    timeShiftMu: float = 0.5
    gumbelTemperature: float = 1.0


@dataclass
class Config:
    name: str = "tiny"
    description: str = ""
    seed: int = 0
    log_every: int = 50
    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    structure: StructureConfig = field(default_factory=StructureConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    eval_images: int = 512           # held-out images used for reconstruction metrics
    known_limits: list = field(default_factory=list)  # sentences for the model card's "Known limits" (strings)


def _build(cls, values: dict, prefix: str):
    if not isinstance(values, dict):
        raise ConfigError(f"config key '{prefix.rstrip('.') or '<root>'}' must be an object")
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown config key '{prefix}{key}' (known: {', '.join(sorted(known))})")
        default = known[key].default_factory() if known[key].default_factory is not dataclasses.MISSING else known[key].default
        if dataclasses.is_dataclass(default):
            kwargs[key] = _build(type(default), value, f"{prefix}{key}.")
        else:
            if default is not None and type(value) is not type(default) and not (isinstance(default, float) and isinstance(value, int)):
                raise ConfigError(f"config key '{prefix}{key}' must be {type(default).__name__}, got {value!r}")
            kwargs[key] = value
    return cls(**kwargs)


def config_from_dict(values: dict) -> Config:
    return _build(Config, values, "")


def load_config(path: str) -> Config:
    try:
        with open(path) as fh:
            values = json.load(fh)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON ({err})") from None
    return config_from_dict(values)


def config_to_dict(cfg: Config) -> dict:
    return dataclasses.asdict(cfg)
