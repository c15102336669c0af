/**
 * The NVG sampler (docs/algorithm.md sections 4-6 and 9), a line-by-line mirror of
 * native-models/training/nvg/sampler.py `generate`, so that with the same class, seed, count and
 * pins it returns the same labels and tokens as the Python reference:
 * - randomness from nvg-rand: flow noise normal(seed_b, 0, STRUCTURE_NOISE, T*K) (position-major,
 *   drawn once per image), gumbel(seed_b, k, GUMBEL, T), uniform(seed_b, k, TOKENS, 2^k);
 *   image b uses seed + b;
 * - one model call per step for the whole CFG batch [cond x B, uncond x B];
 * - float arithmetic where numpy rounds: guidance in float32 (python-float scale cast to float32),
 *   the Euler step in float64 then cast (numpy 2 promotes float32 array * np.float64 scalar to
 *   float64), the canvas sum in float32.
 * Hot loops work on preallocated flat typed arrays (layouts in comments: [B, T, e] = b, p, c).
 */
import { EngineError, throwIfAborted } from './errors.js';
import { imageToRgba } from './image.js';
import type { SamplingParams } from './manifest.js';
import { Models, totalModelMs, type ModelTimings } from './models.js';
import { NucleusSampler } from './nucleus.js';
import type { Pack } from './pack.js';
import { GUMBEL, STRUCTURE_NOISE, TOKENS, gumbel, normal, uniform } from './rand.js';
import { normalizeRequest, type NormalizedRequest, type Pins, type StructureOrigin } from './request.js';
import { contentGuidance, structureGuidance, timeSchedule, topPSchedule } from './sampling.js';
import { balancedSplit, lastStageSplit } from './structure.js';

export interface GenerateRequest {
  classId: number;
  /** Integer in [0, 2^53 - count]; image b uses seed + b. */
  seed: number;
  /** Variations in one batch (default 1). */
  count?: number;
  /** Overrides of the pack's sampling defaults. */
  params?: Partial<SamplingParams>;
  /** Fixed stages (structure and/or content), the same for every image of the batch. */
  pins?: Pins;
  /** Decode the canvas after every stage for the progress events (one decoder call per stage). */
  previews?: boolean;
  onProgress?: (event: StageProgress) => void;
  /** Checked between model calls (each Euler step, each stage): aborting throws CANCELLED. */
  signal?: AbortSignal;
}

export interface GenerationTimings {
  totalMs: number;
  /** Time inside onnxruntime, per graph (previews included in decoderMs) and in all. */
  structureMs: number;
  contentMs: number;
  refinerMs: number;
  decoderMs: number;
  modelMs: number;
  /** Of decoderMs, the part spent on previews. */
  previewMs: number;
  /** The engine's own work: totalMs - modelMs. */
  typescriptMs: number;
  calls: ModelTimings['calls'];
}

export interface StageProgress {
  stage: number;
  K: number;
  count: number;
  /** Stage labels of each image (copies). */
  labels: Int32Array[];
  /** Stage tokens of each image (copies). */
  tokens: Int32Array[];
  structureOrigin: StructureOrigin;
  contentPinned: boolean;
  /** Decoded current canvas [count, 3, H, W] in [-1, 1] (when previews were asked for). */
  previews?: Float32Array;
  timings: GenerationTimings;
}

export interface GenerateResult {
  classId: number;
  seed: number;
  count: number;
  params: SamplingParams;
  /** labels[b][k]: T labels of stage k of image b. */
  labels: Int32Array[][];
  /** tokens[b][k]: 2^k tokens of stage k of image b. */
  tokens: Int32Array[][];
  /** Per stage: how its structure was fixed ('model' = sampled, or the last split at stage K). */
  structureOrigin: StructureOrigin[];
  contentPinned: boolean[];
  /** Final canvas [count, e, h, w] (the quantized latent the decoder saw). */
  canvas: Float32Array;
  /** Decoded images [count, 3, H, W], about [-1, 1]. */
  images: Float32Array;
  timings: GenerationTimings;
}

function timingsOf(models: Models, t0: number, previewMs: number): GenerationTimings {
  const { ms, calls } = models.timings;
  const totalMs = performance.now() - t0;
  const modelMs = totalModelMs(models.timings);
  return {
    totalMs, structureMs: ms.structure, contentMs: ms.content, refinerMs: ms.refiner, decoderMs: ms.decoder,
    modelMs, previewMs, typescriptMs: totalMs - modelMs, calls: { ...calls },
  };
}

/** [B, T, e] -> [B, e, h, w] (the conv graphs' layout). */
function toChannelsFirst(src: Float32Array, B: number, T: number, e: number, dst = new Float32Array(src.length)): Float32Array {
  for (let b = 0; b < B; b++) {
    const o = b * T * e;
    for (let p = 0; p < T; p++) for (let c = 0; c < e; c++) dst[o + c * T + p] = src[o + p * e + c];
  }
  return dst;
}

/** Structure embedding of stage-k labels of every image, twice (CFG batch), as int64 [2B, T, K]. */
function embeddingBatch(labels: Int32Array[], k: number, K: number, out: BigInt64Array): BigInt64Array {
  const B = labels.length;
  const T = labels[0].length;
  const half = B * T * K;
  const one = BigInt(1);
  const bits = [BigInt(0), BigInt(2)];
  for (let b = 0; b < B; b++) {
    const s = labels[b];
    for (let p = 0; p < T; p++) {
      const o = (b * T + p) * K;
      for (let j = 0; j < K; j++) out[o + j] = j < k ? bits[(s[p] >> (k - 1 - j)) & 1] : one;
    }
  }
  out.copyWithin(half, 0, half);
  return out;
}

/** Row-normalised membership [2B, n, T] (pool_matrix per image, twice), straight into float32. */
function poolBatch(labels: Int32Array[], n: number, out: Float32Array, counts: Int32Array): Float32Array {
  const B = labels.length;
  const T = labels[0].length;
  out.fill(0);
  for (let b = 0; b < B; b++) {
    const s = labels[b];
    counts.fill(0, 0, n);
    for (let p = 0; p < T; p++) counts[s[p]]++;
    const o = b * n * T;
    // Storing the double 1/count into float32 equals numpy's float32 division (exact for small ints).
    for (let p = 0; p < T; p++) out[o + s[p] * T + p] = 1 / counts[s[p]];
  }
  out.copyWithin(B * n * T, 0, B * n * T);
  return out;
}

/** Runs the flow of the structure model for stage k and returns the split labels of each image. */
async function structureStage(
  models: Models, req: NormalizedRequest, K: number, k: number, stageLabels: Int32Array[][], ctx: LoopContext,
): Promise<Int32Array[]> {
  const { B, T, BTK, canvas2, classIds, stage2, noise } = ctx;
  const { params } = req;
  // x: [B, T, K]; channels j < k-1 are known (path signs of stage k-1), the others start at the noise.
  const x = ctx.x;
  const known = k - 1;
  for (let b = 0; b < B; b++) {
    const s = stageLabels[b][k - 1];
    const nz = noise()[b];
    for (let p = 0; p < T; p++) {
      const o = (b * T + p) * K;
      for (let j = 0; j < K; j++) x[o + j] = j < known ? 2 * ((s[p] >> (known - 1 - j)) & 1) - 1 : nz[p * K + j];
    }
  }
  const emb = embeddingBatch(stageLabels.map((l) => l[k - 1]), k - 1, K, ctx.emb);
  stage2.fill(BigInt(k));
  const g = Math.fround(structureGuidance(k, K, params.cfgStructureMax));
  const grid = ctx.grid;
  const noisy = ctx.noisy;
  const t = ctx.t;
  const f = Math.fround;
  for (let i = 0; i < params.structureSteps; i++) {
    throwIfAborted(ctx.signal, `stage ${k}, flow step ${i}`);
    noisy.set(x, 0);
    noisy.set(x, BTK);
    t.fill(grid[i]);
    const v = await models.structure({ classId: classIds, stage: stage2, t, canvas: canvas2, structure: emb, noisy });
    const dt = grid[i + 1] - grid[i]; // float64, as numpy's grid scalar
    for (let q = 0; q < B * T; q++) {
      const o = q * K;
      // Known channels would be reset to the same values: skip them.
      for (let j = known; j < K; j++) {
        const vc = v[o + j];
        const vu = v[BTK + o + j];
        const guided = f(vu + f(g * f(vc - vu)));
        x[o + j] = x[o + j] + dt * guided; // float64 sum, rounded once by the Float32Array store
      }
    }
  }
  const values = ctx.values;
  const out: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < T; p++) values[p] = x[(b * T + p) * K + k - 1];
    const gum = gumbel(req.seed + b, k, GUMBEL, T);
    out.push(balancedSplit({ values, parents: stageLabels[b][k - 1], gumbel: gum, temperature: params.gumbelTemperature }));
  }
  return out;
}

/** Samples the tokens of stage k for every image. */
async function contentStage(models: Models, req: NormalizedRequest, K: number, k: number, labelsK: Int32Array[], ctx: LoopContext): Promise<Int32Array[]> {
  const { B, T, V, canvas2, classIds, stage2 } = ctx;
  const n = 2 ** k;
  const emb = embeddingBatch(labelsK, k, K, ctx.emb);
  const pool = poolBatch(labelsK, n, ctx.pool.subarray(0, 2 * B * n * T), ctx.counts);
  stage2.fill(BigInt(k));
  const { logits } = await models.content({ classId: classIds, stage: stage2, canvas: canvas2, structure: emb, pool, N: n });
  const w = Math.fround(contentGuidance(k, K, req.params.cfgContentMax));
  const p = topPSchedule(k, K, req.params.topPMin);
  const row = ctx.row;
  const half = B * n * V;
  const f = Math.fround;
  const out: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const u = uniform(req.seed + b, k, TOKENS, n);
    const codes = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const o = (b * n + j) * V;
      for (let i = 0; i < V; i++) {
        const lc = logits[o + i];
        const lu = logits[half + o + i];
        row[i] = f(lu + f(w * f(lc - lu)));
      }
      codes[j] = ctx.sampler.sample(row, 0, p, u[j]);
    }
    out.push(codes);
  }
  return out;
}

/** Buffers shared by the stages of one generation (allocated once, at the largest size). */
interface LoopContext {
  B: number;
  T: number;
  V: number;
  BTK: number;
  canvas2: Float32Array; // [2B, T, e] cond | uncond copies of the canvas
  classIds: BigInt64Array; // [2B]: class x B, null class x B
  stage2: BigInt64Array; // [2B]
  emb: BigInt64Array; // [2B, T, K]
  pool: Float32Array; // [2B, T, T] at most
  counts: Int32Array; // [T]
  x: Float32Array; // [B, T, K]
  noisy: Float32Array; // [2B, T, K]
  t: Float32Array; // [2B]
  values: Float32Array; // [T]
  row: Float32Array; // [V]
  grid: Float64Array;
  sampler: NucleusSampler;
  noise: () => Float32Array[]; // per image [T * K], drawn on first use
  signal?: AbortSignal;
}

/**
 * Generates `count` variations of class `classId`. Throws EngineError BAD_REQUEST / BAD_PIN
 * (before any model runs), CANCELLED, MODEL_RUN_FAILED, DISPOSED.
 */
export async function generate(pack: Pack, request: GenerateRequest): Promise<GenerateResult> {
  const t0 = performance.now();
  if (pack.disposed) throw new EngineError('DISPOSED', `the pack "${pack.manifest.name}" was disposed`);
  const { K, T, e, V, nullClass } = pack.dims;
  const req = normalizeRequest(pack.dims, pack.manifest.sampling, request);
  const { count: B, params } = req;
  const models = new Models(pack);
  const signal = request.signal;

  let noiseCache: Float32Array[] | undefined;
  const ctx: LoopContext = {
    B, T, V, BTK: B * T * K,
    canvas2: new Float32Array(2 * B * T * e),
    classIds: BigInt64Array.from({ length: 2 * B }, (_, i) => BigInt(i < B ? req.classId : nullClass)),
    stage2: new BigInt64Array(2 * B),
    emb: new BigInt64Array(2 * B * T * K),
    pool: new Float32Array(2 * B * T * T),
    counts: new Int32Array(T),
    x: new Float32Array(B * T * K),
    noisy: new Float32Array(2 * B * T * K),
    t: new Float32Array(2 * B),
    values: new Float32Array(T),
    row: new Float32Array(V),
    grid: timeSchedule(params.structureSteps, params.timeShiftMu),
    sampler: new NucleusSampler(V),
    noise: () => (noiseCache ??= Array.from({ length: B }, (_, b) => Float32Array.from(normal(req.seed + b, 0, STRUCTURE_NOISE, T * K)))),
    signal,
  };

  // stageLabels[b][k], stageTokens[b][k]
  const stageLabels: Int32Array[][] = Array.from({ length: B }, () => []);
  const stageTokens: Int32Array[][] = Array.from({ length: B }, () => []);
  const canvas = new Float32Array(B * T * e); // [B, T, e]
  const q = new Float32Array(B * e * T); // [B, e, h, w]
  const latent = new Float32Array(B * e * T);
  const contentPinned: boolean[] = [];
  let previewMs = 0;

  for (let k = 0; k <= K; k++) {
    throwIfAborted(signal, `stage ${k}`);
    // ---- structure of stage k
    let labelsK: Int32Array[];
    const fixed = req.labels[k];
    // The CFG copy of the canvas is refreshed once per stage, when a model first needs it.
    let canvas2Fresh = false;
    const refreshCanvas2 = () => {
      if (canvas2Fresh) return;
      ctx.canvas2.set(canvas, 0);
      ctx.canvas2.set(canvas, B * T * e);
      canvas2Fresh = true;
    };
    if (fixed) labelsK = Array.from({ length: B }, () => fixed.slice());
    else if (k === K) labelsK = stageLabels.map((l) => lastStageSplit(l[K - 1]));
    else {
      refreshCanvas2();
      labelsK = await structureStage(models, req, K, k, stageLabels, ctx);
    }
    for (let b = 0; b < B; b++) stageLabels[b].push(labelsK[b]);

    // ---- content of stage k
    const pinned = req.tokens[k];
    contentPinned.push(pinned !== null);
    let codes: Int32Array[];
    if (pinned) codes = Array.from({ length: B }, () => pinned.slice());
    else {
      throwIfAborted(signal, `stage ${k}, content`);
      refreshCanvas2();
      codes = await contentStage(models, req, K, k, labelsK, ctx);
    }
    for (let b = 0; b < B; b++) stageTokens[b].push(codes[b]);

    // ---- canvas += phi_k(scatter(codebook[codes], labels))
    const cb = pack.codebook;
    for (let b = 0; b < B; b++) {
      const s = labelsK[b];
      const c = codes[b];
      const o = b * e * T;
      for (let p = 0; p < T; p++) {
        const row = c[s[p]] * e;
        for (let ch = 0; ch < e; ch++) q[o + ch * T + p] = cb[row + ch];
      }
    }
    throwIfAborted(signal, `stage ${k}, refiner`);
    const y = await models.refiner(q, B, k);
    for (let b = 0; b < B; b++) {
      const o = b * T * e;
      const oy = b * e * T;
      for (let p = 0; p < T; p++) for (let ch = 0; ch < e; ch++) canvas[o + p * e + ch] += y[oy + ch * T + p];
    }

    if (request.onProgress) {
      let previews: Float32Array | undefined;
      if (request.previews && k < K) {
        throwIfAborted(signal, `stage ${k}, preview`);
        const tp = performance.now();
        previews = await models.decoder(toChannelsFirst(canvas, B, T, e, latent), B);
        previewMs += performance.now() - tp;
      }
      // The last stage's preview is the final image, decoded below and sent then.
      if (k < K || !request.previews) {
        request.onProgress({
          stage: k, K, count: B,
          labels: labelsK.map((l) => l.slice()), tokens: codes.map((c) => c.slice()),
          structureOrigin: req.structureOrigin[k], contentPinned: pinned !== null,
          previews, timings: timingsOf(models, t0, previewMs),
        });
      }
    }
  }

  throwIfAborted(signal, 'decoder');
  const final = toChannelsFirst(canvas, B, T, e, latent);
  const images = await models.decoder(final, B);
  if (request.onProgress && request.previews) {
    request.onProgress({
      stage: K, K, count: B,
      labels: stageLabels.map((l) => l[K].slice()), tokens: stageTokens.map((t) => t[K].slice()),
      structureOrigin: req.structureOrigin[K], contentPinned: contentPinned[K],
      previews: images, timings: timingsOf(models, t0, previewMs),
    });
  }
  return {
    classId: req.classId, seed: req.seed, count: B, params,
    labels: stageLabels, tokens: stageTokens,
    structureOrigin: req.structureOrigin,
    contentPinned, canvas: final, images, timings: timingsOf(models, t0, previewMs),
  };
}

/** The images of a result as RGBA bytes (one Uint8ClampedArray of size*size*4 per image). */
export function resultToRgba(pack: Pack, result: { images: Float32Array; count: number }): Uint8ClampedArray[] {
  return Array.from({ length: result.count }, (_, b) => imageToRgba(result.images, b, pack.dims.imageSize));
}
