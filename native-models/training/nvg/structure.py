"""Structure maths of NVG (docs/algorithm.md sections 1-3).

Two implementations of the bottom-up clustering:
- `build_labels_reference`: numpy float64, the literal greedy rule (sort all pairs by
  (distance, i, j), accept a pair when both are free). The TypeScript engine does exactly this,
  so fixtures come from here.
- `build_labels_batched`: torch, a whole batch at once, used in training. It accepts all
  mutual nearest neighbours per round, which yields the same matching as the greedy rule (the
  greedy matching under a strict total order on edges is the set of locally dominant edges),
  only in float32, so near-ties may resolve differently.

Cluster indexing (matters for tie-breaking, so both sides must agree): at every level the
clusters are numbered in increasing order of their smallest member position.
A merged cluster's feature is (feature_a + feature_b) / 2, squared distances are summed
channel by channel in channel order, so float64 results are bit-identical across languages.
"""
import math

import numpy as np
import torch


def num_stages(T: int) -> int:
    K = int(round(math.log2(T)))
    if 2**K != T:
        raise ValueError(f"the number of latent positions must be a power of two, got {T}")
    return K


# ---------------------------------------------------------------- numpy float64 reference
def _pair_distances(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, e = feats.shape
    ii, jj = np.triu_indices(n, 1)
    d = np.zeros(ii.shape[0], dtype=np.float64)
    for c in range(e):  # sequential over channels: the same rounding as a plain loop
        diff = feats[ii, c] - feats[jj, c]
        d += diff * diff
    return d, ii, jj


def greedy_pairs(feats: np.ndarray) -> np.ndarray:
    """Pairs (i, j), i < j, taken greedily by (distance, i, j); returned sorted by i."""
    n = feats.shape[0]
    d, ii, jj = _pair_distances(feats)
    order = np.lexsort((jj, ii, d))
    free = np.ones(n, dtype=bool)
    pairs = []
    for idx in order:
        i, j = ii[idx], jj[idx]
        if free[i] and free[j]:
            free[i] = free[j] = False
            pairs.append((i, j))
            if len(pairs) == n // 2:
                break
    pairs.sort()
    return np.array(pairs, dtype=np.int64)


def build_labels_reference(Z: np.ndarray) -> np.ndarray:
    """Z [T, e] -> canonical labels [K+1, T] (stage k labels in [0, 2^k))."""
    Z = np.asarray(Z, dtype=np.float64)
    T = Z.shape[0]
    K = num_stages(T)
    feats = Z.copy()
    cluster_of_pos = [None] * (K + 1)
    cluster_of_pos[K] = np.arange(T)
    bit = [None] * (K + 1)  # bit[k][c]: the canonical bit of cluster c of level k
    parent = [None] * (K + 1)
    for level in range(K - 1, -1, -1):
        pairs = greedy_pairs(feats)
        n = feats.shape[0]
        parent_idx = np.empty(n, dtype=np.int64)
        child_bit = np.empty(n, dtype=np.int64)
        parent_idx[pairs[:, 0]] = np.arange(len(pairs))
        parent_idx[pairs[:, 1]] = np.arange(len(pairs))
        # clusters are numbered by smallest position, so the lower index holds the smaller position
        child_bit[pairs[:, 0]] = 0
        child_bit[pairs[:, 1]] = 1
        feats = (feats[pairs[:, 0]] + feats[pairs[:, 1]]) / 2.0
        parent[level + 1], bit[level + 1] = parent_idx, child_bit
        cluster_of_pos[level] = parent_idx[cluster_of_pos[level + 1]]
    labels = np.zeros((K + 1, T), dtype=np.int64)
    cluster_label = np.zeros(1, dtype=np.int64)
    for level in range(1, K + 1):
        cluster_label = 2 * cluster_label[parent[level]] + bit[level]
        labels[level] = cluster_label[cluster_of_pos[level]]
    return labels


def cluster_means(x: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Mean of x [T, e] over each of n clusters, summed in position order (float64)."""
    acc = np.zeros((n, x.shape[1]), dtype=np.float64)
    np.add.at(acc, labels, x.astype(np.float64))
    counts = np.bincount(labels, minlength=n).astype(np.float64)
    out = np.zeros_like(acc)
    nz = counts > 0
    out[nz] = acc[nz] / counts[nz, None]
    return out


def nearest_codes(u: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """Index of the nearest code (squared L2, channel-sequential sums, ties -> lowest index)."""
    cb = codebook.astype(np.float64)
    d = np.zeros((u.shape[0], cb.shape[0]), dtype=np.float64)
    for c in range(cb.shape[1]):
        diff = u[:, c : c + 1] - cb[None, :, c]
        d += diff * diff
    return d.argmin(axis=1)


def residual_contents_reference(Z, labels, codebook, refine):
    """Residual content construction (section 2) in float64.
    refine(k, x [T, e]) -> phi_k(x) [T, e]. Returns (tokens per stage, canvas before each stage, final canvas).
    """
    Z = np.asarray(Z, dtype=np.float64)
    K = labels.shape[0] - 1
    f = np.zeros_like(Z)
    tokens, canvases = [], []
    for k in range(K + 1):
        canvases.append(f.copy())
        u = cluster_means(Z - f, labels[k], 2**k)
        c = nearest_codes(u, codebook)
        tokens.append(c)
        q = codebook.astype(np.float64)[c][labels[k]]
        f = f + refine(k, q)
    return tokens, canvases, f


# ---------------------------------------------------------------- structure embedding
def labels_to_embedding(labels: np.ndarray, k: int, K: int) -> np.ndarray:
    """Stage-k labels [..., T] -> embedding [..., T, K] with values in {0, 1, 2}."""
    labels = np.asarray(labels, dtype=np.int64)
    emb = np.ones(labels.shape + (K,), dtype=np.int64)
    for j in range(k):
        emb[..., j] = 2 * ((labels >> (k - 1 - j)) & 1)
    return emb


def embedding_to_labels(emb: np.ndarray, k: int) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.int64)
    labels = np.zeros(emb.shape[:-1], dtype=np.int64)
    for j in range(k):
        labels = labels * 2 + emb[..., j] // 2
    return labels


def full_path_bits(labels_K: np.ndarray, K: int) -> np.ndarray:
    """Stage-K labels -> the K-bit path of every position [..., T, K] in {0, 1}."""
    labels_K = np.asarray(labels_K, dtype=np.int64)
    return np.stack([(labels_K >> (K - 1 - j)) & 1 for j in range(K)], axis=-1)


def pool_matrix(labels: np.ndarray, n: int) -> np.ndarray:
    """Row-normalised cluster membership [n, T]; an empty cluster is a zero row."""
    T = labels.shape[-1]
    pool = np.zeros((n, T), dtype=np.float32)
    pool[labels, np.arange(T)] = 1.0
    counts = pool.sum(axis=1, keepdims=True)
    return np.divide(pool, counts, out=np.zeros_like(pool), where=counts > 0)


def canonical_relabel(labels_k: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Given stage-k labels whose parents (label >> 1) are `parents` (stage k-1 labels), make each
    sibling pair canonical: the child containing the smaller position index gets bit 0."""
    labels_k = np.asarray(labels_k, dtype=np.int64).copy()
    T = labels_k.shape[0]
    first_pos = {}
    for p in range(T):
        first_pos.setdefault(labels_k[p], p)
    out = labels_k.copy()
    for par in np.unique(parents):
        a, b = 2 * par, 2 * par + 1
        pa, pb = first_pos.get(a, T), first_pos.get(b, T)
        if pb < pa:  # swap the two children
            out[labels_k == a] = b
            out[labels_k == b] = a
    return out


# ---------------------------------------------------------------- batched torch version
@torch.no_grad()
def build_labels_batched(Z: torch.Tensor) -> torch.Tensor:
    """Z [B, T, e] -> canonical labels [B, K+1, T] (long), mutual-nearest-neighbour rounds."""
    B, T, _ = Z.shape
    K = num_stages(T)
    dev = Z.device
    feats = Z.float()
    cluster_of_pos = [None] * (K + 1)
    cluster_of_pos[K] = torch.arange(T, device=dev).expand(B, T)
    parents, bits = [None] * (K + 1), [None] * (K + 1)
    for level in range(K - 1, -1, -1):
        n = feats.shape[1]
        ar = torch.arange(n, device=dev).expand(B, n)
        # exact differences, not the |a|^2 + |b|^2 - 2ab shortcut, so that identical features tie exactly
        d = torch.cdist(feats, feats, compute_mode="donot_use_mm_for_euclid_dist").square()
        d.diagonal(dim1=1, dim2=2).fill_(float("inf"))
        partner = torch.full((B, n), -1, dtype=torch.long, device=dev)
        free = torch.ones(B, n, dtype=torch.bool, device=dev)
        while bool(free.any()):
            masked = d.masked_fill(~free[:, None, :], float("inf"))
            nn_idx = masked.argmin(-1)  # first minimum = lowest index, as the greedy rule
            mutual = free & (nn_idx.gather(1, nn_idx) == ar)
            partner = torch.where(mutual, nn_idx, partner)
            free &= ~mutual
        first = ar < partner
        rank = first.long().cumsum(1) - 1
        parent = rank.gather(1, torch.minimum(ar, partner))
        new = torch.zeros(B, n // 2, feats.shape[2], device=dev)
        new.scatter_add_(1, parent[..., None].expand_as(feats), feats)
        feats = new / 2
        parents[level + 1], bits[level + 1] = parent, (~first).long()
        cluster_of_pos[level] = parent.gather(1, cluster_of_pos[level + 1])
    labels = torch.zeros(B, K + 1, T, dtype=torch.long, device=dev)
    cluster_label = torch.zeros(B, 1, dtype=torch.long, device=dev)
    for level in range(1, K + 1):
        cluster_label = 2 * cluster_label.gather(1, parents[level]) + bits[level]
        labels[:, level] = cluster_label.gather(1, cluster_of_pos[level])
    return labels


def pool_batched(labels: torch.Tensor, n: int) -> torch.Tensor:
    """labels [B, T] -> row-normalised membership [B, n, T]."""
    onehot = torch.nn.functional.one_hot(labels, n).transpose(1, 2).float()
    return onehot / onehot.sum(-1, keepdim=True).clamp_min(1.0)


def embedding_batched(labels: torch.Tensor, k, K: int) -> torch.Tensor:
    """Stage labels [B, T] with per-sample stage k (int or [B] tensor) -> embedding [B, T, K] long."""
    if not torch.is_tensor(k):
        k = torch.full((labels.shape[0],), int(k), dtype=torch.long, device=labels.device)
    j = torch.arange(K, device=labels.device)
    shift = (k[:, None, None] - 1 - j).clamp_min(0)
    bit = (labels[..., None] >> shift) & 1
    return torch.where(j < k[:, None, None], 2 * bit, torch.ones_like(bit))
