"""nvg-rand v1: the seeded random streams shared by the Python reference sampler and the
TypeScript engine, so that both draw the very same numbers for the same (seed, stage, purpose).

Why hand-written: no PRNG library exists with identical output in numpy and JavaScript, and
exact replay across languages is what lets the TypeScript engine be checked against Python.

Definition (all arithmetic mod 2^64):
    mix(z):  z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; z = (z ^ z>>27) * 0x94D049BB133111EB; z ^ z>>31
    key(seed, stage, purpose) = mix(seed*G + stage*0xC2B2AE3D27D4EB4F + purpose*0x165667B19E3779F9 + 1)
    draw i (i = 0, 1, 2, ...) of a stream = mix(key + (i+1)*G),   G = 0x9E3779B97F4A7C15
(SplitMix64 is counter based, so draw i is computed directly and streams vectorise.)
    uniform(i)      = ((draw(i) >> 11) + 0.5) * 2^-53           in (0, 1), never 0 or 1
    normal(2m, 2m+1) = Box-Muller on uniform(2m), uniform(2m+1): r*cos(2 pi u2), r*sin(2 pi u2)
    gumbel(i)       = -log(-log(uniform(i)))
A seed is an integer in [0, 2^53). Image b of a batch of variations uses seed + b.
"""
import numpy as np

G = np.uint64(0x9E3779B97F4A7C15)
_STAGE_MUL = np.uint64(0xC2B2AE3D27D4EB4F)
_PURPOSE_MUL = np.uint64(0x165667B19E3779F9)

# Purposes: one independent stream per kind of draw.
STRUCTURE_NOISE = 1  # flow noise of the structure model (one tensor per image, all stages)
GUMBEL = 2           # Gumbel noise of the balanced splits
TOKENS = 3           # nucleus sampling of content tokens


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def stream_key(seed: int, stage: int, purpose: int) -> np.uint64:
    if not (0 <= seed < 2**53):
        raise ValueError(f"seed must be an integer in [0, 2^53), got {seed}")
    with np.errstate(over="ignore"):
        z = np.uint64(seed) * G + np.uint64(stage) * _STAGE_MUL + np.uint64(purpose) * _PURPOSE_MUL + np.uint64(1)
        return _mix(np.array([z], dtype=np.uint64))[0]


def draws(seed: int, stage: int, purpose: int, n: int) -> np.ndarray:
    """The first n raw 64-bit draws of the stream."""
    key = stream_key(seed, stage, purpose)
    with np.errstate(over="ignore"):
        counters = key + (np.arange(1, n + 1, dtype=np.uint64) * G)
        return _mix(counters)


def uniform(seed: int, stage: int, purpose: int, n: int) -> np.ndarray:
    return ((draws(seed, stage, purpose, n) >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def normal(seed: int, stage: int, purpose: int, n: int) -> np.ndarray:
    m = (n + 1) // 2
    u = uniform(seed, stage, purpose, 2 * m).reshape(m, 2)
    r = np.sqrt(-2.0 * np.log(u[:, 0]))
    theta = 2.0 * np.pi * u[:, 1]
    return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(-1)[:n]


def gumbel(seed: int, stage: int, purpose: int, n: int) -> np.ndarray:
    return -np.log(-np.log(uniform(seed, stage, purpose, n)))
