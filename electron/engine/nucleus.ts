/**
 * An allocation-free nucleus sampler that returns exactly what sampling.ts's nucleusSample
 * returns (temperature 1), for the hot loop of the generator: every stage samples one token per
 * cluster and image (T * B rows of V logits at the last stage), and an index sort with a JS
 * comparator per row would dominate the engine's own time.
 *
 * Why it is exact:
 * - Only the top of the order (probability descending, index ascending) is read: the kept prefix
 *   reaching mass p. Every probability >= tau precedes every one below tau, so the candidates
 *   >= tau, sorted, are that prefix. tau = (1 - p) / (2V) leaves out less than (1 - p) / 2 of the
 *   mass, so the prefix ends among them; when it does not (rounding, p = 1) everything is sorted.
 * - The cumulative sums, the kept count and the sampled rank r depend on the sorted VALUES only,
 *   so a native numeric sort of the candidate values (no comparator) gives the same numbers. The
 *   token is then the position holding the r-th value; among equal values the order is by
 *   ascending index, so it is the (r - first rank of that value)-th such index.
 */
export class NucleusSampler {
  private readonly probs: Float64Array;
  private readonly vals: Float64Array;

  constructor(readonly V: number) {
    this.probs = new Float64Array(V);
    this.vals = new Float64Array(V);
  }

  /** One token from logits[offset .. offset+V) with nucleus mass p and uniform u in (0, 1). */
  sample(logits: Float32Array, offset: number, p: number, u: number): number {
    const { V, probs } = this;
    let max = -Infinity;
    let argmax = 0;
    for (let i = 0; i < V; i++) {
      const z = logits[offset + i];
      if (z !== z) throw new RangeError(`logit ${i} is NaN`);
      if (z > max) {
        max = z;
        argmax = i;
      }
    }
    if (max === -Infinity) throw new RangeError('all logits are -Infinity');
    if (max === Infinity) return argmax;
    // Softmax as nucleusSample: float64, max-subtracted, sequential sum, then divided.
    let sum = 0;
    for (let i = 0; i < V; i++) {
      const q = Math.exp(logits[offset + i] - max);
      probs[i] = q;
      sum += q;
    }
    for (let i = 0; i < V; i++) probs[i] /= sum;

    const tau = p >= 1 ? 0 : (1 - p) / (2 * V);
    const token = this.pick(tau, p, u);
    return token >= 0 ? token : this.pick(0, p, u);
  }

  /** Samples among the probabilities >= tau; -1 when they do not reach p (and tau > 0). */
  private pick(tau: number, p: number, u: number): number {
    const { probs, vals, V } = this;
    let n = 0;
    for (let i = 0; i < V; i++) if (probs[i] >= tau) vals[n++] = probs[i];
    const sorted = vals.subarray(0, n).sort(); // ascending; read from the end
    let kept = 0;
    let total = 0;
    while (kept < n) {
      total += sorted[n - 1 - kept];
      kept++;
      if (total >= p) break;
    }
    if (total < p && tau > 0) return -1;
    const target = u * total;
    let cum = 0;
    let r = kept - 1;
    for (let i = 0; i < kept; i++) {
      cum += sorted[n - 1 - i];
      if (cum > target) {
        r = i;
        break;
      }
    }
    const value = sorted[n - 1 - r];
    let tie = 0; // rank of r among the equal values before it
    while (r - tie - 1 >= 0 && sorted[n - r + tie] === value) tie++;
    for (let i = 0; i < V; i++) {
      if (probs[i] === value) {
        if (tie === 0) return i;
        tie--;
      }
    }
    throw new Error('nucleus sampler: value not found'); // unreachable
  }
}
