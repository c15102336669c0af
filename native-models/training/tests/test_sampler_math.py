import numpy as np

from nvg import sampler


def test_schedules():
    assert sampler.cfg_scale(0, 6, 3.5) == 1.0 and sampler.cfg_scale(6, 6, 3.5) == 3.5
    assert sampler.top_p(0, 6, 0.5) == 1.0 and abs(sampler.top_p(6, 6, 0.5) - 0.5) < 1e-12
    grid = sampler.time_grid(25, 0.5)
    assert grid[0] == 1.0 and grid[-1] == 0.0 and (np.diff(grid) < 0).all()
    assert grid[12] > 0.52  # mu > 0 shifts time towards the noisy end


def test_nucleus_sample():
    logits = np.log(np.array([0.1, 0.5, 0.15, 0.25]))
    # sorted: 1 (0.5), 3 (0.25), 2 (0.15), 0 (0.1); p = 0.7 keeps {1, 3}
    assert sampler.nucleus_sample(logits, 0.7, 0.01) == 1
    assert sampler.nucleus_sample(logits, 0.7, 0.99) == 3
    assert sampler.nucleus_sample(logits, 1.0, 0.999) == 0
    # ties: lower index first
    assert sampler.nucleus_sample(np.zeros(4), 0.25, 0.5) == 0


def test_balanced_split_halves_each_parent():
    rng = np.random.default_rng(0)
    parents = np.repeat([0, 1, 2, 3], 4)
    rng.shuffle(parents)
    values = rng.uniform(-1.5, 1.5, 16)
    labels = sampler.balanced_split(values, parents, rng.gumbel(size=16), 1.0)
    assert np.array_equal(labels >> 1, parents)
    assert (np.bincount(labels, minlength=8) == 2).all()
    for p in range(4):  # canonical: the child with the smallest position is bit 0
        assert labels[np.nonzero(parents == p)[0][0]] == 2 * p


def test_balanced_split_follows_values_without_noise():
    parents = np.zeros(8, dtype=np.int64)
    values = np.array([-1, -1, 1, 1, -1, 1, -1, 1.0])
    labels = sampler.balanced_split(values, parents, np.zeros(8), 0.0)
    # positions with value 1 form one child; position 0 has -1, so they get bit 1
    assert labels.tolist() == [0, 0, 1, 1, 0, 1, 0, 1]


def test_last_split():
    assert sampler.last_split(np.array([1, 0, 0, 1])).tolist() == [2, 0, 1, 3]
