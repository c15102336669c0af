/**
 * Sampling maths of NVG (nvg-algorithm.md sections 5 and 6): guidance and top-p schedules,
 * the shifted time grid of the structure flow, classifier-free guidance and nucleus sampling.
 * Pure functions; the random numbers come from rand.ts so runs replay exactly.
 */

import type { FloatArray } from './structure.js';

/** Position of stage k in 0..K as a fraction; a single-stage model (K = 0) counts as the last stage. */
function stageFraction(k: number, K: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(K) || k < 0 || k > K) throw new RangeError(`stage ${k} is outside 0..${K}`);
  return K === 0 ? 1 : k / K;
}

/** Content CFG scale w_k: linear from 1 at stage 0 to cfgContentMax at stage K. */
export function contentGuidance(k: number, K: number, cfgContentMax: number): number {
  return guidanceLine(k, K, cfgContentMax);
}

/**
 * 1 + (max - 1) * k / K, evaluated in Python's order ((max - 1) * k, then / K) so that the value
 * is bit-identical to sampler.cfg_scale: (max - 1) * (k / K) can differ in the last bit when K is
 * not a power of two, and the float32 cast of the scale may then differ too.
 */
function guidanceLine(k: number, K: number, max: number): number {
  stageFraction(k, K); // range check
  return K === 0 ? max : 1 + ((max - 1) * k) / K;
}

/**
 * Structure CFG scale g_k: the same line as the content scale, 1 at stage 0 to cfgStructureMax at
 * stage K (g_k = 1 + (max - 1) * k / K), read at the split stages 1..K-1 that run the model.
 * One formula for both schedules keeps the TypeScript engine and the Python sampler in step.
 */
export function structureGuidance(k: number, K: number, cfgStructureMax: number): number {
  if (!Number.isInteger(k) || k < 1 || k > K - 1) throw new RangeError(`structure stages are 1..${K - 1}, got ${k}`);
  return guidanceLine(k, K, cfgStructureMax);
}

/** Nucleus mass p_k = topPMin + (1 - topPMin) * (8 - 8^(k/K)) / 7: 1 at stage 0, topPMin at stage K. */
export function topPSchedule(k: number, K: number, topPMin: number): number {
  return topPMin + ((1 - topPMin) * (8 - 8 ** stageFraction(k, K))) / 7;
}

/**
 * Time grid of the structure flow: steps+1 points, t from 1 down to 0 (numpy linspace:
 * t_i = 1 + i * (-1/steps), last point exactly 0), each shifted by t' = e^mu / (e^mu + 1/t - 1).
 * The shift keeps the endpoints (t' = 1 at t = 1, 0 at t = 0) and, for mu > 0, spends more
 * steps at high noise. Euler step i goes from t'_i to t'_{i+1}.
 */
export function timeSchedule(steps: number, mu: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const em = Math.exp(mu);
  const step = -1 / steps;
  const out = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) {
    const t = i === steps ? 0 : i * step + 1;
    out[i] = t === 0 ? 0 : em / (em + 1 / t - 1);
  }
  return out;
}

/**
 * Classifier-free guidance: uncond + w * (cond - uncond), element by element, for logits or
 * velocities alike. Written into `out` (default: a new array of cond's type).
 * A Float32Array result is computed the way numpy computes it on float32 arrays (the Python
 * sampler does `l_u + w * (l_c - l_u)` on float32 model outputs): w is cast to float32 and
 * every operation is rounded to float32, so guided logits and velocities are bit-identical to
 * the reference. (Rounding a double result of +, -, * on float32 inputs to float32 equals the
 * float32 operation, so Math.fround per step is exact emulation.)
 */
export function cfgCombine<A extends FloatArray>(cond: A, uncond: FloatArray, w: number, out?: A): A {
  if (cond.length !== uncond.length) throw new RangeError(`cond and uncond differ in length (${cond.length} vs ${uncond.length})`);
  const result = out ?? (new (cond.constructor as { new (n: number): A })(cond.length));
  if (result instanceof Float32Array) {
    const fw = Math.fround(w);
    const f = Math.fround;
    for (let i = 0; i < cond.length; i++) result[i] = f(uncond[i] + f(fw * f(cond[i] - uncond[i])));
  } else {
    for (let i = 0; i < cond.length; i++) result[i] = uncond[i] + w * (cond[i] - uncond[i]);
  }
  return result;
}

/**
 * Nucleus (top-p) sampling of one token from logits, given one uniform u in (0, 1):
 * softmax (float64, max-subtracted, after dividing by temperature); sort the probabilities
 * descending, ties by lower index; keep the smallest prefix whose cumulative sum is >= p (at
 * least one token; all tokens if rounding keeps the sum below p); renormalise; return the first
 * kept token whose cumulative mass exceeds u * total. Temperature 0 is argmax (lowest index).
 */
export function nucleusSample(logits: ArrayLike<number>, p: number, u: number, temperature = 1): number {
  const V = logits.length;
  if (V === 0) throw new RangeError('nucleus sampling needs at least one logit');
  if (!(p > 0 && p <= 1)) throw new RangeError(`top-p must lie in (0, 1], got ${p}`);
  let max = -Infinity;
  let argmax = 0;
  for (let i = 0; i < V; i++) {
    if (Number.isNaN(logits[i])) throw new RangeError(`logit ${i} is NaN`);
    if (logits[i] > max) {
      max = logits[i];
      argmax = i;
    }
  }
  if (max === -Infinity) throw new RangeError('all logits are -Infinity');
  if (temperature === 0 || max === Infinity) return argmax;

  const probs = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    probs[i] = Math.exp((logits[i] - max) / temperature);
    sum += probs[i];
  }
  for (let i = 0; i < V; i++) probs[i] /= sum;

  const order = new Uint32Array(V);
  for (let i = 0; i < V; i++) order[i] = i;
  order.sort((a, b) => probs[b] - probs[a] || a - b);

  let kept = 0;
  let total = 0;
  while (kept < V) {
    total += probs[order[kept]];
    kept++;
    if (total >= p) break;
  }
  const target = u * total;
  let cum = 0;
  for (let r = 0; r < kept; r++) {
    cum += probs[order[r]];
    if (cum > target) return order[r];
  }
  return order[kept - 1]; // u * total beyond the rounded cumulative sum
}

/**
 * One token per cluster: logits [N * V] row-major, uniforms [N] (rand.uniform(seed, k, TOKENS, N),
 * entry j for cluster j). Returns N token ids.
 */
export function sampleTokens(logits: FloatArray, V: number, p: number, uniforms: ArrayLike<number>, temperature = 1): Int32Array {
  const N = logits.length / V;
  if (!Number.isInteger(N) || uniforms.length < N) throw new RangeError(`need ${N} uniforms for ${logits.length}/${V} logits, got ${uniforms.length}`);
  const out = new Int32Array(N);
  for (let j = 0; j < N; j++) out[j] = nucleusSample(logits.subarray(j * V, (j + 1) * V), p, uniforms[j], temperature);
  return out;
}
