/**
 * nvg-rand v1: the seeded random streams of NVG, a bit-exact port of
 * native-models/training/nvg/rand.py.
 *
 * Why hand-written: exact replay of a generation across Python (the reference sampler) and
 * TypeScript (this engine) needs the very same numbers on both sides, and no PRNG library gives
 * that. Every draw is keyed by (seed, stage, purpose) so that changing stage 5 leaves the draws
 * of stages 0-4 untouched (nvg-algorithm.md section 8).
 *
 * Definition (all arithmetic mod 2^64):
 *   mix(z):  z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; z = (z ^ z>>27) * 0x94D049BB133111EB; z ^ z>>31
 *   key(seed, stage, purpose) = mix(seed*G + stage*0xC2B2AE3D27D4EB4F + purpose*0x165667B19E3779F9 + 1)
 *   draw i (i = 0, 1, ...) = mix(key + (i+1)*G),   G = 0x9E3779B97F4A7C15
 *   uniform(i)       = ((draw(i) >> 11) + 0.5) * 2^-53       in (0, 1), never 0 or 1
 *   normal(2m, 2m+1) = Box-Muller on uniform(2m), uniform(2m+1)
 *   gumbel(i)        = -log(-log(uniform(i)))
 *
 * BigInt is used for the 64-bit maths: it is exact by construction and fast enough for the
 * few thousand draws a generation needs (T*K flow noise, T Gumbel draws and 2^k token draws
 * per stage). uniform() is bit-identical to Python; normal() and gumbel() go through Math.log /
 * Math.cos / Math.sin, which may differ from numpy's libm by an ulp (~1e-16 relative).
 */

/** Purposes: one independent stream per kind of draw (same numbers as rand.py). */
export const STRUCTURE_NOISE = 1; // flow noise of the structure model (one tensor per image, all stages)
export const GUMBEL = 2; // Gumbel noise of the balanced splits
export const TOKENS = 3; // nucleus sampling of content tokens

export const PURPOSE = { STRUCTURE_NOISE, GUMBEL, TOKENS } as const;

const MASK64 = (1n << 64n) - 1n;
const G = 0x9e3779b97f4a7c15n;
const STAGE_MUL = 0xc2b2ae3d27d4eb4fn;
const PURPOSE_MUL = 0x165667b19e3779f9n;
const MIX_MUL_1 = 0xbf58476d1ce4e5b9n;
const MIX_MUL_2 = 0x94d049bb133111ebn;
const TWO_POW_MINUS_53 = 2 ** -53;

/** SplitMix64 finaliser on a 64-bit unsigned value. */
function mix(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * MIX_MUL_1) & MASK64;
  z = ((z ^ (z >> 27n)) * MIX_MUL_2) & MASK64;
  return z ^ (z >> 31n);
}

function checkNonNegativeInteger(name: string, value: number, limit: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= limit) {
    throw new RangeError(`${name} must be an integer in [0, ${limit === 2 ** 53 ? '2^53' : limit}), got ${value}`);
  }
}

/** The 64-bit key of the stream (seed, stage, purpose). A seed is an integer in [0, 2^53). */
export function streamKey(seed: number, stage: number, purpose: number): bigint {
  checkNonNegativeInteger('seed', seed, 2 ** 53);
  checkNonNegativeInteger('stage', stage, 2 ** 53);
  checkNonNegativeInteger('purpose', purpose, 2 ** 53);
  const z = (BigInt(seed) * G + BigInt(stage) * STAGE_MUL + BigInt(purpose) * PURPOSE_MUL + 1n) & MASK64;
  return mix(z);
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
}

/** The first n raw 64-bit draws of the stream: draw i = mix(key + (i+1)*G). */
export function draws(seed: number, stage: number, purpose: number, n: number): BigUint64Array {
  checkCount(n);
  const key = streamKey(seed, stage, purpose);
  const out = new BigUint64Array(n);
  // Counter-based: key + (i+1)*G, advanced by adding G each step (mod 2^64).
  let counter = key;
  for (let i = 0; i < n; i++) {
    counter = (counter + G) & MASK64;
    out[i] = mix(counter);
  }
  return out;
}

/** n uniforms in (0, 1): ((draw >> 11) + 0.5) * 2^-53, bit-identical to rand.py. */
export function uniform(seed: number, stage: number, purpose: number, n: number): Float64Array {
  const raw = draws(seed, stage, purpose, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // draw >> 11 has 53 bits, so Number() is exact; "+ 0.5" rounds exactly as numpy's float64 add.
    out[i] = (Number(raw[i] >> 11n) + 0.5) * TWO_POW_MINUS_53;
  }
  return out;
}

/**
 * n standard normals by Box-Muller: pair m uses uniform(2m), uniform(2m+1) and yields
 * r*cos(theta), r*sin(theta) with r = sqrt(-2 log u1), theta = 2 pi u2. An odd n drops the
 * last sine, as rand.py does.
 */
export function normal(seed: number, stage: number, purpose: number, n: number): Float64Array {
  checkCount(n);
  const m = Math.ceil(n / 2);
  const u = uniform(seed, stage, purpose, 2 * m);
  const out = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const r = Math.sqrt(-2.0 * Math.log(u[2 * i]));
    const theta = 2.0 * Math.PI * u[2 * i + 1];
    out[2 * i] = r * Math.cos(theta);
    if (2 * i + 1 < n) out[2 * i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** n standard Gumbel draws: -log(-log(u)). */
export function gumbel(seed: number, stage: number, purpose: number, n: number): Float64Array {
  const u = uniform(seed, stage, purpose, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = -Math.log(-Math.log(u[i]));
  return out;
}
