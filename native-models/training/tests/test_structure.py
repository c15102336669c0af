import numpy as np
import pytest
import torch

from nvg import structure as S
from nvg.config import TokenizerConfig
from nvg.tokenizer import NVGQuantizer


def random_latents(n, T, e, seed=0, ties=True):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, T, e)).astype(np.float32)
    if ties:  # identical latents, like the white background of an emoji
        Z[0, 3:T // 2] = 0.25
        Z[-1, ::3] = -1.0
    return Z


def test_reference_greedy_takes_closest_pair_first():
    feats = np.array([[0.0], [10.0], [0.5], [10.2]])
    assert S.greedy_pairs(feats).tolist() == [[0, 2], [1, 3]]
    # ties go to the lowest (i, j)
    assert S.greedy_pairs(np.zeros((4, 2))).tolist() == [[0, 1], [2, 3]]


@pytest.mark.parametrize("T", [16, 64, 256])
def test_batched_clustering_agrees_with_reference(T):
    Z = random_latents(4, T, 8, seed=T)
    ref = np.stack([S.build_labels_reference(z) for z in Z])
    bat = S.build_labels_batched(torch.from_numpy(Z)).numpy()
    assert np.array_equal(ref, bat)


def test_canonical_labels():
    Z = random_latents(3, 64, 8, seed=1)
    for z in Z:
        labels = S.build_labels_reference(z)
        K = 6
        assert labels.shape == (K + 1, 64)
        assert (labels[0] == 0).all()
        assert sorted(labels[K].tolist()) == list(range(64))  # stage K: a permutation
        for k in range(1, K + 1):
            assert np.array_equal(labels[k] >> 1, labels[k - 1])  # parent(label) = label >> 1
            counts = np.bincount(labels[k], minlength=2**k)
            assert (counts == 64 // 2**k).all()  # balanced
            for parent in range(2 ** (k - 1)):  # bit 0 holds the smaller position index
                first0 = np.nonzero(labels[k] == 2 * parent)[0].min()
                first1 = np.nonzero(labels[k] == 2 * parent + 1)[0].min()
                assert first0 < first1


def test_clusters_group_similar_positions():
    Z = np.zeros((16, 2))
    Z[[1, 5, 7, 8, 10, 11, 12, 15]] = 5.0  # two well separated groups
    labels = S.build_labels_reference(Z)
    assert len(set(labels[1][Z[:, 0] == 5.0])) == 1 and labels[1][0] == 0


def test_embedding_round_trip():
    rng = np.random.default_rng(0)
    K = 6
    for k in range(K + 1):
        labels = rng.integers(0, 2**k, size=64)
        emb = S.labels_to_embedding(labels, k, K)
        assert emb.shape == (64, K) and set(np.unique(emb)) <= {0, 1, 2}
        assert (emb[:, k:] == 1).all()
        assert np.array_equal(S.embedding_to_labels(emb, k), labels)
        bat = S.embedding_batched(torch.from_numpy(labels)[None], k, K)[0].numpy()
        assert np.array_equal(bat, emb)
    # channel j holds the split of stage j+1: label 0b101 at stage 3 -> [2, 0, 2, 1, 1, 1]
    assert S.labels_to_embedding(np.array([5]), 3, 6).tolist() == [[2, 0, 2, 1, 1, 1]]


def test_full_path_bits_match_stage_labels():
    Z = random_latents(1, 64, 4, seed=3)[0]
    labels = S.build_labels_reference(Z)
    bits = S.full_path_bits(labels[6], 6)
    for k in range(7):
        from_bits = np.zeros(64, dtype=np.int64)
        for j in range(k):
            from_bits = 2 * from_bits + bits[:, j]
        assert np.array_equal(from_bits, labels[k])


def test_pool_matrix_rows():
    labels = np.array([0, 0, 1, 3, 3, 3, 0, 1])
    pool = S.pool_matrix(labels, 4)
    assert np.allclose(pool.sum(1), [1, 1, 0, 1])  # cluster 2 is empty: a zero row
    assert np.allclose(pool[0], [1 / 3, 1 / 3, 0, 0, 0, 0, 1 / 3, 0])
    bat = S.pool_batched(torch.from_numpy(labels)[None], 4)[0].numpy()
    assert np.allclose(bat, pool)


def test_canonical_relabel_swaps_children():
    parents = np.array([0, 0, 0, 0])
    assert S.canonical_relabel(np.array([1, 0, 0, 1]), parents).tolist() == [0, 1, 1, 0]
    assert S.canonical_relabel(np.array([0, 1, 1, 0]), parents).tolist() == [0, 1, 1, 0]


def test_residual_construction_reference_matches_quantizer():
    torch.manual_seed(0)
    cfg = TokenizerConfig(latent_dim=8, latent_size=4, codebook_size=32)
    q = NVGQuantizer(cfg).eval()
    with torch.no_grad():
        q.codebook.weight.normal_()
        for conv in q.refiners.convs:  # non-trivial refiners: an identity would hide bugs
            conv.weight.normal_(0, 0.1)
    z = torch.randn(2, 8, 4, 4)
    with torch.no_grad():
        f, _, info = q(z, return_stages=True)
    for b in range(2):
        zt = z[b].flatten(1).T.numpy()
        labels = S.build_labels_reference(zt)
        assert np.array_equal(labels, info["labels"][b].numpy())

        def refine(k, x):
            with torch.no_grad():
                y = q.refiners(torch.from_numpy(x.T.reshape(1, 8, 4, 4)).float(), k)
            return y[0].reshape(8, 16).T.double().numpy()

        tokens, canvases, final = S.residual_contents_reference(zt, labels, q.codebook.weight.detach().numpy(), refine)
        for k, t in enumerate(tokens):
            assert np.array_equal(t, info["tokens"][k][b].numpy())
            assert np.abs(canvases[k] - info["canvases"][k][b].flatten(1).T.numpy()).max() < 1e-5
        assert np.abs(final - f[b].flatten(1).T.numpy()).max() < 1e-5
    # the residual shrinks: the final canvas is closer to z than the stage-0 canvas
    assert (f - z).square().mean() < (info["canvases"][1] - z).square().mean()


def test_non_power_of_two_is_refused():
    with pytest.raises(ValueError, match="power of two"):
        S.build_labels_reference(np.zeros((12, 2)))
