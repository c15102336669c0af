/**
 * Structure maths of NVG (nvg-algorithm.md sections 1-3 and 6), pure TypeScript.
 *
 * Conventions shared by every function here:
 * - T latent positions in raster order (p = row*w + col); T is a power of two, K = log2(T).
 * - A stage-k structure map is an Int32Array of T labels in [0, 2^k). Stage 0 is all zero.
 * - A hierarchy is an array of stage maps, index = stage. It is consistent when
 *   label_k[p] >> 1 == label_{k-1}[p] for every p (the parent of label j is j >> 1), and canonical
 *   when, within every sibling pair, the child holding the smaller position index has bit 0.
 * - Feature arrays (latents, canvases, codebooks) are flat row-major [rows * e].
 *
 * The clustering and content functions mirror native-models/training/nvg/structure.py
 * (build_labels_reference, cluster_means, nearest_codes, residual_contents_reference) operation
 * for operation in float64, so that they are bit-identical to it, exact ties included.
 */

export type FloatArray = Float32Array | Float64Array;

// ------------------------------------------------------------------------------- errors

/** What is wrong with a structure map or hierarchy; `position` is the first offending one. */
export interface StructureIssue {
  kind: 'length' | 'range' | 'parent' | 'notNested' | 'tooManyChildren';
  stage: number;
  position?: number;
  message: string;
}

/** Thrown where a function cannot proceed on an inconsistent structure; carries the issue. */
export class StructureError extends Error {
  readonly issue: StructureIssue;
  constructor(issue: StructureIssue) {
    super(issue.message);
    this.name = 'StructureError';
    this.issue = issue;
  }
}

// ------------------------------------------------------------------------------- (a) stages

/** K = log2(T); T must be a power of two (a 16x16 latent has K = 8). */
export function numStages(T: number): number {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`the number of latent positions must be a positive integer, got ${T}`);
  const K = Math.round(Math.log2(T));
  if (2 ** K !== T) throw new RangeError(`the number of latent positions must be a power of two, got ${T}`);
  return K;
}

// ------------------------------------------------------------------------------- (b) clustering

/**
 * Greedy pairing of n clusters (n even): sort all pairs (i < j) by (squared distance, i, j) and
 * accept a pair when both are still free. Returns partner[i] for every cluster.
 *
 * Pairs are enumerated in (i, j) lexicographic order, so "(distance, i, j)" is "(distance, pair
 * index)": one comparator on pair indices. Distances are summed channel by channel in channel
 * order starting from 0, exactly like structure.py's _pair_distances, so ties are exact.
 */
function greedyPartners(feats: Float64Array, n: number, e: number): Int32Array {
  const P = (n * (n - 1)) / 2;
  const dist = new Float64Array(P);
  const pi = new Int32Array(P);
  const pj = new Int32Array(P);
  let idx = 0;
  for (let i = 0; i < n; i++) {
    const oi = i * e;
    for (let j = i + 1; j < n; j++) {
      const oj = j * e;
      let d = 0;
      for (let c = 0; c < e; c++) {
        const diff = feats[oi + c] - feats[oj + c];
        d += diff * diff;
      }
      dist[idx] = d;
      pi[idx] = i;
      pj[idx] = j;
      idx++;
    }
  }
  const order = new Uint32Array(P);
  for (let q = 0; q < P; q++) order[q] = q;
  order.sort((a, b) => dist[a] - dist[b] || a - b);

  const partner = new Int32Array(n).fill(-1);
  let accepted = 0;
  for (let q = 0; q < P && accepted < n / 2; q++) {
    const o = order[q];
    const i = pi[o];
    const j = pj[o];
    if (partner[i] < 0 && partner[j] < 0) {
      partner[i] = j;
      partner[j] = i;
      accepted++;
    }
  }
  return partner;
}

/**
 * Bottom-up clustering of a latent Z [T * e] into canonical labels, stages 0..K (section 1).
 * Exactly build_labels_reference: float64, merged feature = (a + b) / 2, clusters at each level
 * numbered by their smallest member position, canonical labels assigned top-down.
 */
export function buildLabels(Z: FloatArray, T: number, e: number): Int32Array[] {
  const K = numStages(T);
  if (!Number.isInteger(e) || e < 1 || Z.length !== T * e) {
    throw new RangeError(`Z must hold T*e = ${T}*${e} values, got ${Z.length}`);
  }
  for (let q = 0; q < Z.length; q++) {
    // NaN/inf would make the sort order meaningless (and differ from numpy's lexsort).
    if (!Number.isFinite(Z[q])) throw new RangeError(`Z holds a non-finite value at index ${q}`);
  }
  let feats = Float64Array.from(Z);
  // clusterOfPos[level][p]: index of p's cluster at that level; parent/bit: per cluster of level+1.
  const clusterOfPos: Int32Array[] = new Array(K + 1);
  const parentOf: Int32Array[] = new Array(K + 1);
  const bitOf: Int32Array[] = new Array(K + 1);
  clusterOfPos[K] = Int32Array.from({ length: T }, (_, p) => p);

  for (let level = K - 1; level >= 0; level--) {
    const n = 2 ** (level + 1);
    const partner = greedyPartners(feats, n, e);
    const parentIdx = new Int32Array(n);
    const childBit = new Int32Array(n);
    const next = new Float64Array((n / 2) * e);
    // Pairs in increasing order of their lower index = increasing smallest member position,
    // which is the numbering rule of the next level; the lower index holds the smaller position.
    let r = 0;
    for (let i = 0; i < n; i++) {
      const j = partner[i];
      if (j < i) continue;
      parentIdx[i] = r;
      parentIdx[j] = r;
      childBit[i] = 0;
      childBit[j] = 1;
      for (let c = 0; c < e; c++) next[r * e + c] = (feats[i * e + c] + feats[j * e + c]) / 2.0;
      r++;
    }
    feats = next;
    parentOf[level + 1] = parentIdx;
    bitOf[level + 1] = childBit;
    const below = clusterOfPos[level + 1];
    const here = new Int32Array(T);
    for (let p = 0; p < T; p++) here[p] = parentIdx[below[p]];
    clusterOfPos[level] = here;
  }

  const labels: Int32Array[] = [new Int32Array(T)];
  let clusterLabel = new Int32Array(1);
  for (let level = 1; level <= K; level++) {
    const parentIdx = parentOf[level];
    const childBit = bitOf[level];
    const next = new Int32Array(parentIdx.length);
    for (let c = 0; c < parentIdx.length; c++) next[c] = 2 * clusterLabel[parentIdx[c]] + childBit[c];
    clusterLabel = next;
    const stage = new Int32Array(T);
    const cop = clusterOfPos[level];
    for (let p = 0; p < T; p++) stage[p] = clusterLabel[cop[p]];
    labels.push(stage);
  }
  return labels;
}

// ------------------------------------------------------------------------------- (c) embedding

/**
 * Stage-k labels [T] -> structure embedding [T * K] (section 3), values in {0, 1, 2}:
 * channel j < k is 2 * bit_j with bit_j = (s >> (k-1-j)) & 1, channel j >= k is 1.
 * These are also the RoPE ids and the `structure` input of the ONNX graphs (widen to int64 there).
 */
export function labelsToEmbedding(labels: Int32Array, k: number, K: number): Int32Array {
  if (k < 0 || k > K) throw new RangeError(`stage ${k} is outside 0..${K}`);
  const T = labels.length;
  const emb = new Int32Array(T * K).fill(1);
  for (let p = 0; p < T; p++) {
    const s = labels[p];
    for (let j = 0; j < k; j++) emb[p * K + j] = 2 * ((s >> (k - 1 - j)) & 1);
  }
  return emb;
}

/** Structure embedding [T * K] -> stage-k labels: s = sum over j < k of (emb[j] / 2) * 2^(k-1-j). */
export function embeddingToLabels(emb: Int32Array, k: number, K: number): Int32Array {
  if (k < 0 || k > K) throw new RangeError(`stage ${k} is outside 0..${K}`);
  if (K === 0 || emb.length % K !== 0) throw new RangeError(`embedding length ${emb.length} is not a multiple of K = ${K}`);
  const T = emb.length / K;
  const labels = new Int32Array(T);
  for (let p = 0; p < T; p++) {
    let s = 0;
    for (let j = 0; j < k; j++) s = s * 2 + (emb[p * K + j] >> 1);
    labels[p] = s;
  }
  return labels;
}

/**
 * The known part of the structure model's data x0 (section 6) from stage-k labels: channel j < k
 * holds 2 * bit_j - 1 (in {-1, +1}), channels j >= k are 0 (unknown; the flow fills them).
 */
export function labelsToPathSigns(labels: Int32Array, k: number, K: number): Float32Array {
  if (k < 0 || k > K) throw new RangeError(`stage ${k} is outside 0..${K}`);
  const T = labels.length;
  const out = new Float32Array(T * K);
  for (let p = 0; p < T; p++) {
    for (let j = 0; j < k; j++) out[p * K + j] = 2 * ((labels[p] >> (k - 1 - j)) & 1) - 1;
  }
  return out;
}

// ------------------------------------------------------------------------------- (d) canonical form

/**
 * Canonical stage-k labels from any stage-k partition nested in the given parent stage.
 * Each distinct child label becomes 2 * parent + bit, where bit 0 goes to the child met first in
 * position order (the one holding the smaller position index) and bit 1 to the other.
 * For input that already satisfies child >> 1 == parent this is structure.py's
 * canonical_relabel; it also accepts arbitrary child ids (e.g. region ids of a drawn mask).
 * Throws StructureError when a child spans two parents or a parent has more than two children;
 * `stage` (k) only labels the error.
 */
export function canonicalRelabel(child: Int32Array, parents: Int32Array, stage = -1): Int32Array {
  const T = child.length;
  const where = stage >= 0 ? `stage ${stage}: ` : ''; // stage -1 = not told (errors only)
  if (parents.length !== T) {
    throw new StructureError({ kind: 'length', stage, message: `${where}${T} labels but the parent stage has ${parents.length}` });
  }
  const newLabel = new Map<number, number>(); // old child id -> canonical label
  const parentOfChild = new Map<number, number>();
  const childrenSeen = new Map<number, number>(); // parent -> number of children met so far
  const out = new Int32Array(T);
  for (let p = 0; p < T; p++) {
    const c = child[p];
    const par = parents[p];
    const known = newLabel.get(c);
    if (known !== undefined) {
      if (parentOfChild.get(c) !== par) {
        throw new StructureError({ kind: 'notNested', stage, position: p, message: `${where}cluster ${c} spans parents ${parentOfChild.get(c)} and ${par} (position ${p})` });
      }
      out[p] = known;
      continue;
    }
    const seen = childrenSeen.get(par) ?? 0;
    if (seen >= 2) {
      throw new StructureError({ kind: 'tooManyChildren', stage, position: p, message: `${where}parent ${par} has more than two children (position ${p})` });
    }
    childrenSeen.set(par, seen + 1);
    parentOfChild.set(c, par);
    const label = 2 * par + seen; // the first child met (smallest position) gets bit 0
    newLabel.set(c, label);
    out[p] = label;
  }
  return out;
}

/**
 * Canonical form of a whole hierarchy of nested partitions (stage 0 must be one cluster).
 * Stage k is relabelled against the already canonical stage k-1, top-down, so every stage
 * ends up consistent (label >> 1 == parent) and canonical.
 */
export function canonicalize(stages: Int32Array[]): Int32Array[] {
  if (stages.length === 0) return [];
  const T = stages[0].length;
  for (let p = 1; p < T; p++) {
    if (stages[0][p] !== stages[0][0]) {
      throw new StructureError({ kind: 'range', stage: 0, position: p, message: `stage 0 must be a single cluster (position ${p} differs)` });
    }
  }
  const out: Int32Array[] = [new Int32Array(T)];
  for (let k = 1; k < stages.length; k++) out.push(canonicalRelabel(stages[k], out[k - 1], k));
  return out;
}

// ------------------------------------------------------------------------------- (e) consistency

/**
 * First problem of a (possibly partial, stages 0..k) hierarchy, or null when consistent:
 * every stage has T labels, stage k labels lie in [0, 2^k), and label_k >> 1 == label_{k-1}.
 * Canonical form is not required here (see isCanonical).
 */
export function checkParentConsistency(stages: Int32Array[]): StructureIssue | null {
  if (stages.length === 0) return null;
  const T = stages[0].length;
  for (let k = 0; k < stages.length; k++) {
    const s = stages[k];
    if (s.length !== T) return { kind: 'length', stage: k, message: `stage ${k} has ${s.length} labels, stage 0 has ${T}` };
    const n = 2 ** k;
    for (let p = 0; p < T; p++) {
      if (s[p] < 0 || s[p] >= n) {
        return { kind: 'range', stage: k, position: p, message: `stage ${k}: label ${s[p]} at position ${p} is outside [0, ${n})` };
      }
      if (k > 0 && s[p] >> 1 !== stages[k - 1][p]) {
        return {
          kind: 'parent', stage: k, position: p,
          message: `stage ${k}: label ${s[p]} at position ${p} has parent ${s[p] >> 1}, but stage ${k - 1} says ${stages[k - 1][p]}`,
        };
      }
    }
  }
  return null;
}

/** Throws StructureError when checkParentConsistency finds a problem. */
export function assertParentConsistency(stages: Int32Array[]): void {
  const issue = checkParentConsistency(stages);
  if (issue) throw new StructureError(issue);
}

/** True when stage k is canonical given its parent stage (sibling holding the smaller position has bit 0). */
export function isCanonical(labels: Int32Array, parents: Int32Array): boolean {
  const relabelled = canonicalRelabel(labels, parents);
  return relabelled.every((v, p) => v === labels[p]);
}

// ------------------------------------------------------------------------------- (f) pooling

/**
 * Row-normalised cluster membership [n * T] (the `pool` input of the content graph):
 * row j holds 1/|cluster j| on its members; an empty cluster is a zero row.
 */
export function poolMatrix(labels: Int32Array, n: number): Float32Array {
  const T = labels.length;
  const counts = new Int32Array(n);
  for (let p = 0; p < T; p++) {
    const j = labels[p];
    if (j < 0 || j >= n) throw new RangeError(`label ${j} at position ${p} is outside [0, ${n})`);
    counts[j]++;
  }
  const pool = new Float32Array(n * T);
  // float32(1 / count): double rounding of a quotient of small integers is exact, so this equals numpy's float32 division.
  for (let p = 0; p < T; p++) pool[labels[p] * T + p] = 1 / counts[labels[p]];
  return pool;
}

// ------------------------------------------------------------------------------- (g) contents

/** Mean of x [T * e] over each of n clusters (float64, summed in position order); empty -> 0. */
export function clusterMeans(x: FloatArray, labels: Int32Array, n: number, e: number): Float64Array {
  const T = labels.length;
  const acc = new Float64Array(n * e);
  const counts = new Float64Array(n);
  for (let p = 0; p < T; p++) {
    const j = labels[p];
    counts[j] += 1;
    for (let c = 0; c < e; c++) acc[j * e + c] += x[p * e + c];
  }
  for (let j = 0; j < n; j++) {
    if (counts[j] === 0) continue; // acc is already 0
    for (let c = 0; c < e; c++) acc[j * e + c] /= counts[j];
  }
  return acc;
}

/**
 * Nearest code of every row of u [n * e] in codebook [V * e]: squared L2 summed in channel
 * order (float64), ties -> the lowest code index.
 */
export function nearestCodes(u: FloatArray, codebook: FloatArray, e: number): Int32Array {
  const n = u.length / e;
  const V = codebook.length / e;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let v = 0; v < V; v++) {
      let d = 0;
      for (let c = 0; c < e; c++) {
        const diff = u[i * e + c] - codebook[v * e + c];
        d += diff * diff;
      }
      if (d < bestD) {
        bestD = d;
        best = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/** scatter(codebook[tokens], labels): position p gets the code of its cluster, [T * e] float64. */
export function scatterCodes(codebook: FloatArray, tokens: Int32Array, labels: Int32Array, e: number): Float64Array {
  const T = labels.length;
  const out = new Float64Array(T * e);
  for (let p = 0; p < T; p++) {
    const o = tokens[labels[p]] * e;
    for (let c = 0; c < e; c++) out[p * e + c] = codebook[o + c];
  }
  return out;
}

/** phi_k applied to a scattered stage-k contribution x [T * e]; returns [T * e]. */
export type RefineFn = (k: number, x: Float64Array) => FloatArray;

export interface ResidualContents {
  tokens: Int32Array[]; // tokens[k]: 2^k code indices of stage k
  canvases: Float64Array[]; // canvases[k]: the canvas f before stage k
  final: Float64Array; // the canvas after stage K (the quantized latent)
}

/**
 * Residual content construction (section 2), mirroring residual_contents_reference:
 * for each stage, cluster-mean the residual Z - f, take the nearest code per cluster, and add
 * refine(k, scatter(codes)) to the canvas.
 */
export function residualContents(Z: FloatArray, stages: Int32Array[], codebook: FloatArray, e: number, refine: RefineFn): ResidualContents {
  const size = Z.length;
  let f = new Float64Array(size);
  const tokens: Int32Array[] = [];
  const canvases: Float64Array[] = [];
  const r = new Float64Array(size);
  for (let k = 0; k < stages.length; k++) {
    canvases.push(f.slice());
    for (let q = 0; q < size; q++) r[q] = Z[q] - f[q];
    const c = nearestCodes(clusterMeans(r, stages[k], 2 ** k, e), codebook, e);
    tokens.push(c);
    const y = refine(k, scatterCodes(codebook, c, stages[k], e));
    const next = new Float64Array(size);
    for (let q = 0; q < size; q++) next[q] = f[q] + y[q];
    f = next;
  }
  return { tokens, canvases, final: f };
}

// ------------------------------------------------------------------------------- (h) splits

/** Positions of each parent cluster, in increasing position order (empty parents absent). */
function groupByParent(parents: Int32Array): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let p = 0; p < parents.length; p++) {
    const g = groups.get(parents[p]);
    if (g) g.push(p);
    else groups.set(parents[p], [p]);
  }
  return groups;
}

/**
 * Write 2 * parent + bit for one parent cluster, applying the canonical rule: when the member
 * with the smallest position (members[0]) drew bit 1, all bits of the cluster flip.
 */
function writeCanonical(out: Int32Array, parent: number, members: number[], bitOne: Uint8Array): void {
  const flip = bitOne[members[0]];
  for (const p of members) out[p] = 2 * parent + (bitOne[p] ^ flip);
}

export interface BalancedSplitInput {
  /** Channel k-1 of the structure model's result, one value per position [T]. */
  values: ArrayLike<number>;
  /** Stage k-1 labels [T]. */
  parents: Int32Array;
  /** Gumbel noise [T], rand.gumbel(seed, k, GUMBEL, T); indexed by position. */
  gumbel: ArrayLike<number>;
  /** Multiplies the Gumbel noise; 0 = plain top-k. */
  temperature: number;
}

/**
 * Gumbel-top-k balanced split of stage k-1 into stage k (section 6). Within each parent cluster
 * of size m:
 *   q = clamp(x, -1, 1) + 1 (NaN counts as -1), p = q / sum(q) (uniform 1/m when sum(q) = 0),
 *   score = log(p) + temperature * g, ranked by score descending then position ascending;
 *   the first floor(m/2) ranked positions get bit 1, the rest bit 0;
 * then the canonical rule flips the cluster's bits if its smallest position got bit 1 (so with
 * odd m the bit-1 child may end up the larger one). m = 1: the single member gets bit 0; empty
 * parents produce nothing. Returns stage-k labels 2 * parent + bit.
 */
export function balancedSplit(input: BalancedSplitInput): Int32Array {
  const { values, parents, gumbel, temperature } = input;
  const T = parents.length;
  if (values.length !== T || gumbel.length !== T) throw new RangeError(`values, gumbel and parents must all have ${T} entries`);
  const out = new Int32Array(T);
  const bitOne = new Uint8Array(T);
  const score = new Float64Array(T);
  for (const [parent, members] of groupByParent(parents)) {
    const m = members.length;
    let sum = 0;
    for (const p of members) {
      const x = values[p];
      const q = x >= -1 ? Math.min(x, 1) + 1 : 0; // NaN and x < -1 -> 0
      score[p] = q;
      sum += q;
    }
    for (const p of members) {
      const prob = sum > 0 ? score[p] / sum : 1 / m;
      score[p] = temperature === 0 ? Math.log(prob) : Math.log(prob) + temperature * gumbel[p];
    }
    const ranked = members.slice().sort((a, b) => (score[b] > score[a] ? 1 : score[b] < score[a] ? -1 : a - b));
    const ones = Math.floor(m / 2);
    for (let r = 0; r < ones; r++) bitOne[ranked[r]] = 1;
    writeCanonical(out, parent, members, bitOne);
  }
  return out;
}

/**
 * The last split (stage K-1 -> K): each stage K-1 cluster is split by position, the smaller
 * index getting bit 0, so a pair becomes its two positions and stage K is a permutation.
 * An uneven cluster (possible after drawn maps) keeps its first position alone in child 0 and
 * puts all the others in child 1, as last_split of the Python sampler (nvg/sampler.py) does.
 */
export function lastStageSplit(parents: Int32Array): Int32Array {
  const out = new Int32Array(parents.length);
  for (const [parent, members] of groupByParent(parents)) {
    members.forEach((p, r) => (out[p] = 2 * parent + (r === 0 ? 0 : 1)));
  }
  return out;
}

// ------------------------------------------------------------------------------- (i) drawn masks

/** A drawn label image: width x height region ids in row-major order (any resolution). */
export interface LabelImage {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export type MaskMode = 'asDrawn' | 'balanced';

/** Per latent cell: pixel counts per region (regions = the sorted distinct ids of the image). */
export interface CellRegions {
  regions: number[]; // sorted distinct region ids, R of them
  counts: Float64Array; // [T * R] pixel counts of each region in each cell
  majority: Int32Array; // [T] index into `regions` of the cell's majority region (ties -> lowest id)
}

/**
 * Which pixels a latent cell covers: pixel (y, x) belongs to cell (floor(y*h/H), floor(x*w/W)),
 * a partition of the image for any resolution. A cell that covers no pixel (image smaller than
 * the grid) samples the pixel under its centre instead.
 */
export function cellRegions(mask: LabelImage, h: number, w: number): CellRegions {
  const { width: W, height: H, data } = mask;
  if (!(W > 0 && H > 0) || data.length !== W * H) throw new RangeError(`mask data must hold width*height = ${W}*${H} ids, got ${data.length}`);
  const regions = Array.from(new Set(Array.from(data))).sort((a, b) => a - b);
  const R = regions.length;
  const index = new Map(regions.map((id, i) => [id, i]));
  const T = h * w;
  const counts = new Float64Array(T * R);
  const total = new Float64Array(T);
  for (let y = 0; y < H; y++) {
    const row = Math.floor((y * h) / H);
    for (let x = 0; x < W; x++) {
      const cell = row * w + Math.floor((x * w) / W);
      counts[cell * R + index.get(data[y * W + x])!] += 1;
      total[cell] += 1;
    }
  }
  for (let cell = 0; cell < T; cell++) {
    if (total[cell] > 0) continue;
    const y = Math.min(H - 1, Math.floor(((Math.floor(cell / w) + 0.5) * H) / h));
    const x = Math.min(W - 1, Math.floor((((cell % w) + 0.5) * W) / w));
    counts[cell * R + index.get(data[y * W + x])!] = 1;
  }
  const majority = new Int32Array(T);
  for (let cell = 0; cell < T; cell++) {
    let best = 0;
    for (let r = 1; r < R; r++) if (counts[cell * R + r] > counts[cell * R + best]) best = r;
    majority[cell] = best;
  }
  return { regions, counts, majority };
}

/**
 * Stage-k labels from a drawn mask and the stage k-1 labels (parents), on an h x w latent grid.
 *
 * Rules, per parent cluster S (its member cells, in position order):
 * - The dominant region A of S is the region covering most pixels of S (ties -> lowest id).
 *   One child gets the cells of A, the other the cells of every other region ("the rest"); for
 *   a two-region mask that is simply one region per child.
 * - "asDrawn": a cell belongs to A when its own majority region (ties -> lowest id) is A.
 *   Children may be uneven, or empty when S holds a single majority region (then the whole
 *   cluster gets bit 0).
 * - "balanced": the nearest even split: cells ranked by the fraction of their pixels outside A
 *   (descending), ties by squared distance (row, col units) to the centroid of the rest weighted by
 *   those fractions (ascending), then lower position; the first floor(m/2) form the "rest" child.
 * - Then the canonical rule: the child holding S's smallest position gets bit 0, so which child
 *   a region lands in depends on position, never on region ids.
 * Returns labels 2 * parent + bit (nested in the parents by construction).
 */
export function maskToStageLabels(mask: LabelImage, h: number, w: number, k: number, parents: Int32Array, mode: MaskMode): Int32Array {
  const T = h * w;
  const K = numStages(T);
  if (!Number.isInteger(k) || k < 1 || k > K) throw new RangeError(`a drawn map sets a stage in 1..${K}, got ${k}`);
  if (parents.length !== T) throw new RangeError(`parents must hold ${T} labels, got ${parents.length}`);
  const nParents = 2 ** (k - 1);
  for (let p = 0; p < T; p++) {
    if (parents[p] < 0 || parents[p] >= nParents) {
      throw new StructureError({ kind: 'range', stage: k - 1, position: p, message: `stage ${k - 1}: label ${parents[p]} at position ${p} is outside [0, ${nParents})` });
    }
  }
  const { regions, counts, majority } = cellRegions(mask, h, w);
  const R = regions.length;
  if (R < 2) throw new RangeError('a drawn mask needs at least two distinct regions');

  const out = new Int32Array(T);
  const inRest = new Uint8Array(T);
  const restFraction = new Float64Array(T);
  const distance = new Float64Array(T);
  for (const [parent, members] of groupByParent(parents)) {
    // Dominant region of the parent cluster by pixel coverage.
    const cover = new Float64Array(R);
    for (const p of members) for (let r = 0; r < R; r++) cover[r] += counts[p * R + r];
    let A = 0;
    for (let r = 1; r < R; r++) if (cover[r] > cover[A]) A = r;

    if (mode === 'asDrawn') {
      for (const p of members) inRest[p] = majority[p] !== A ? 1 : 0;
    } else {
      for (const p of members) {
        let total = 0;
        for (let r = 0; r < R; r++) total += counts[p * R + r];
        restFraction[p] = 1 - counts[p * R + A] / total;
      }
      // Cells the drawing covers equally (most often: not at all) are taken nearest to the drawn
      // region first, so a small shape grows outwards evenly instead of along the top rows.
      let sw = 0, sy = 0, sx = 0;
      for (const p of members) {
        sw += restFraction[p];
        sy += restFraction[p] * Math.floor(p / w);
        sx += restFraction[p] * (p % w);
      }
      const cy = sw > 0 ? sy / sw : 0, cx = sw > 0 ? sx / sw : 0;
      for (const p of members) distance[p] = (Math.floor(p / w) - cy) ** 2 + ((p % w) - cx) ** 2;
      const ranked = members.slice().sort((a, b) => restFraction[b] - restFraction[a] || distance[a] - distance[b] || a - b);
      const ones = Math.floor(members.length / 2);
      ranked.forEach((p, r) => (inRest[p] = r < ones ? 1 : 0));
    }
    writeCanonical(out, parent, members, inRest);
  }
  return out;
}

/** Stage-1 labels from a drawn mask: stage 0 is one cluster, so no parents are needed. */
export function maskToStage1(mask: LabelImage, h: number, w: number, mode: MaskMode): Int32Array {
  return maskToStageLabels(mask, h, w, 1, new Int32Array(h * w), mode);
}
