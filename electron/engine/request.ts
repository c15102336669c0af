/**
 * Validation and normalisation of a generation request: class, seed, count, sampling parameter
 * overrides and pins. Everything that could make the sampler misbehave (out-of-range labels,
 * a content pin on a structure the model would invent, inconsistent pinned stages) is refused
 * here with BAD_REQUEST or BAD_PIN, before any model runs.
 */
import { EngineError } from './errors.js';
import { samplingProperties, sharedAjv, describeAjvError, type SamplingParams } from './manifest.js';
import type { PackDims } from './pack.js';

/** One pinned stage: its structure (T labels in [0, 2^k)) and/or its content (2^k tokens). */
export interface StagePin {
  labels?: ArrayLike<number> | null;
  tokens?: ArrayLike<number> | null;
}

/** Pins by stage: an array indexed by stage, or an object with stage keys ("0".."K"). */
export type Pins = ReadonlyArray<StagePin | null | undefined> | Readonly<Record<number | string, StagePin | null | undefined>>;

export const MAX_COUNT = 64;
/**
 * The last stage's pool input is [2 * count, T, T] float32; a batch whose pool would exceed this
 * is refused rather than allocated (T = 4096 allows 8 images, T = 256 the full MAX_COUNT).
 */
export const MAX_POOL_BYTES = 2 ** 30;

/** Where a stage's structure comes from during a generation. */
export type StructureOrigin = 'pinned' | 'derived' | 'model';

export interface NormalizedRequest {
  classId: number;
  seed: number;
  count: number;
  params: SamplingParams;
  /** Per stage 0..K: fixed labels (pinned, or derived from a finer pinned stage), or null. */
  labels: (Int32Array | null)[];
  structureOrigin: StructureOrigin[];
  /** Per stage 0..K: pinned tokens or null. */
  tokens: (Int32Array | null)[];
}

const bad = (msg: string, details: Record<string, unknown> = {}) => new EngineError('BAD_REQUEST', msg, details);
const badPin = (stage: number, msg: string, details: Record<string, unknown> = {}) =>
  new EngineError('BAD_PIN', `stage ${stage}: ${msg}`, { stage, ...details });

let validateParams: ReturnType<ReturnType<typeof sharedAjv>['compile']> | undefined;

/** Manifest defaults with the request's overrides (each checked against the manifest's bounds). */
export function resolveParams(defaults: SamplingParams, overrides: unknown): SamplingParams {
  if (overrides === undefined || overrides === null) return { ...defaults };
  validateParams ??= sharedAjv().compile({ type: 'object', additionalProperties: false, properties: samplingProperties() });
  if (!validateParams(overrides)) throw bad(`params: ${describeAjvError(validateParams.errors)}`, { errors: validateParams.errors });
  return { ...defaults, ...(overrides as Partial<SamplingParams>) };
}

function intArray(stage: number, what: string, value: unknown, length: number, limit: number): Int32Array {
  if (value === null || typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number') {
    throw badPin(stage, `${what} must be an array of ${length} integers`);
  }
  const arr = value as ArrayLike<unknown>;
  if (arr.length !== length) throw badPin(stage, `${what} has ${arr.length} entries, expected ${length}`, { expected: length, actual: arr.length });
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= limit) {
      throw badPin(stage, `${what}[${i}] = ${String(v)} is not an integer in [0, ${limit})`, { index: i });
    }
    out[i] = v;
  }
  return out;
}

/** Pins as [stage, pin] entries, with stage keys checked. */
function pinEntries(pins: Pins | undefined, K: number): [number, StagePin][] {
  if (pins === undefined || pins === null) return [];
  if (typeof pins !== 'object') throw bad('pins must be an array or an object keyed by stage');
  const out: [number, StagePin][] = [];
  for (const [key, pin] of Object.entries(pins)) {
    const k = Number(key);
    if (!/^\d+$/.test(key) || k > K) throw bad(`pins: "${key}" is not a stage in 0..${K}`, { stage: key });
    if (pin === null || pin === undefined) continue;
    if (typeof pin !== 'object') throw badPin(k, 'a pin must be an object {labels?, tokens?}');
    out.push([k, pin]);
  }
  return out;
}

/**
 * Checks a request against the pack and fills in the structure fixed by the pins.
 *
 * Pins must form a consistent hierarchy: where two consecutive stages are fixed, every label's
 * parent (label >> 1) must be the coarser stage's label. A stage whose structure is not pinned but
 * lies below a pinned one takes the structure the pinned stage implies (labels >> 1): a stage-k
 * map already says how every coarser stage splits, and letting the model invent it would break
 * nesting. (The Python reference does not check this case; it never pins that way.)
 * Pinned content needs the stage's structure pinned (stage 0 has one cluster, so it is implied).
 */
export function normalizeRequest(
  dims: PackDims,
  defaults: SamplingParams,
  req: { classId: unknown; seed: unknown; count?: unknown; params?: unknown; pins?: Pins },
): NormalizedRequest {
  const { K, T, V, numClasses } = dims;
  if (typeof req !== 'object' || req === null) throw bad('the request must be an object');
  const { classId, seed } = req;
  const count = req.count ?? 1;
  if (typeof classId !== 'number' || !Number.isInteger(classId) || classId < 0 || classId >= numClasses) {
    throw bad(`classId must be an integer in [0, ${numClasses}), got ${String(classId)}`, { classId });
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw bad(`count must be an integer in [1, ${MAX_COUNT}], got ${String(count)}`, { count });
  }
  if (2 * count * T * T * 4 > MAX_POOL_BYTES) {
    throw bad(`count ${count} is too large for this pack (T = ${T}): at most ${Math.floor(MAX_POOL_BYTES / (8 * T * T))} images per batch`, { count });
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 53 - count) {
    throw bad(`seed must be an integer in [0, 2^53 - count], got ${String(seed)}`, { seed });
  }
  const params = resolveParams(defaults, req.params);

  const labels: (Int32Array | null)[] = new Array(K + 1).fill(null);
  const tokens: (Int32Array | null)[] = new Array(K + 1).fill(null);
  const origin: StructureOrigin[] = new Array(K + 1).fill('model');
  for (const [k, pin] of pinEntries(req.pins, K)) {
    if (pin.labels !== undefined && pin.labels !== null) {
      labels[k] = intArray(k, 'labels', pin.labels, T, 2 ** k);
      origin[k] = 'pinned';
    }
    if (pin.tokens !== undefined && pin.tokens !== null) {
      if (k > 0 && !labels[k]) throw badPin(k, "pinned content needs the stage's structure pinned too", { reason: 'contentWithoutStructure' });
      tokens[k] = intArray(k, 'tokens', pin.tokens, 2 ** k, V);
    }
  }
  // Fill and check top-down from the finest fixed stage: derive unpinned coarser stages, check pinned ones.
  for (let k = K; k >= 1; k--) {
    const fine = labels[k];
    if (!fine) continue;
    const coarse = labels[k - 1];
    if (!coarse) {
      const derived = new Int32Array(T);
      for (let p = 0; p < T; p++) derived[p] = fine[p] >> 1;
      labels[k - 1] = derived;
      origin[k - 1] = 'derived';
      continue;
    }
    for (let p = 0; p < T; p++) {
      if (fine[p] >> 1 !== coarse[p]) {
        throw badPin(k, `label ${fine[p]} at position ${p} has parent ${fine[p] >> 1}, but stage ${k - 1} says ${coarse[p]}`, {
          position: p,
          reason: 'parent',
        });
      }
    }
  }
  if (origin[0] === 'model') origin[0] = 'derived'; // stage 0 is always the single cluster
  labels[0] ??= new Int32Array(T);
  return { classId, seed, count, params, labels, structureOrigin: origin, tokens };
}
