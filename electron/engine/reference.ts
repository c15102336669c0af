/**
 * A reference image -> its VGS (labels and tokens of every stage), mirroring
 * native-models/training/nvg/sampler.py `encode_reference`: encoder (onnxruntime), the float64
 * bottom-up clustering of the latent (structure.ts buildLabels), then the residual content
 * construction where phi_k is the pack's refiner graph (the float64 scattered codes are cast to
 * float32 for the graph and its output read back as float64, as the Python refine callback does).
 */
import { EngineError, throwIfAborted } from './errors.js';
import { pixelsToTensor, type PixelImage } from './image.js';
import { Models, totalModelMs } from './models.js';
import type { Pack } from './pack.js';
import { buildLabels, clusterMeans, nearestCodes } from './structure.js';

export interface EncodedReference {
  /** labels[k]: T canonical labels of stage k. */
  labels: Int32Array[];
  /** tokens[k]: 2^k nearest codes of stage k. */
  tokens: Int32Array[];
  /** K+2 canvases [T * e] (float64): before each stage 0..K, then the final quantized latent. */
  canvases: Float64Array[];
  /** Encoder output, position-major [T * e]. */
  latent: Float32Array;
  timings: { totalMs: number; modelMs: number; typescriptMs: number };
}

/**
 * Encodes one image: 8-bit pixels (size x size, RGB or RGBA) or a float32 tensor [3, size, size]
 * in [-1, 1]. Throws BAD_REQUEST for a wrong size, CANCELLED, MODEL_RUN_FAILED.
 */
export async function encodeReference(pack: Pack, image: PixelImage | Float32Array, options: { signal?: AbortSignal } = {}): Promise<EncodedReference> {
  const t0 = performance.now();
  const { imageSize: S, T, e } = pack.dims;
  const tensor = image instanceof Float32Array ? image : pixelsToTensor(image, S);
  if (tensor.length !== 3 * S * S) throw new EngineError('BAD_REQUEST', `a [3, ${S}, ${S}] tensor has ${3 * S * S} values, got ${tensor.length}`);
  const models = new Models(pack);
  throwIfAborted(options.signal, 'encoder');
  const chw = await models.encoder(tensor, 1); // [e, h, w]
  const latent = new Float32Array(T * e);
  for (let c = 0; c < e; c++) for (let p = 0; p < T; p++) latent[p * e + c] = chw[c * T + p];
  return encodeLatentWith(pack, models, latent, t0, options.signal);
}

/** The VGS of an encoder latent [T * e] (position-major): clustering + residual contents. */
export async function encodeLatent(pack: Pack, latent: Float32Array, options: { signal?: AbortSignal } = {}): Promise<EncodedReference> {
  const { T, e } = pack.dims;
  if (latent.length !== T * e) throw new EngineError('BAD_REQUEST', `a latent has T*e = ${T * e} values, got ${latent.length}`);
  return encodeLatentWith(pack, new Models(pack), latent, performance.now(), options.signal);
}

async function encodeLatentWith(pack: Pack, models: Models, latent: Float32Array, t0: number, signal?: AbortSignal): Promise<EncodedReference> {
  const { T, e, K } = pack.dims;
  const labels = buildLabels(latent, T, e);

  // Residual construction (residual_contents_reference), with the async refiner graph as phi_k.
  const cb = pack.codebook;
  let f = new Float64Array(T * e);
  const r = new Float64Array(T * e);
  const x = new Float32Array(e * T); // [1, e, h, w]
  const tokens: Int32Array[] = [];
  const canvases: Float64Array[] = [];
  for (let k = 0; k <= K; k++) {
    canvases.push(f.slice());
    for (let i = 0; i < T * e; i++) r[i] = latent[i] - f[i];
    const codes = nearestCodes(clusterMeans(r, labels[k], 2 ** k, e), cb, e);
    tokens.push(codes);
    // scatter(codebook[codes], labels) in float64 is exact float32 data: the cast for the graph loses nothing.
    for (let p = 0; p < T; p++) {
      const row = codes[labels[k][p]] * e;
      for (let c = 0; c < e; c++) x[c * T + p] = cb[row + c];
    }
    throwIfAborted(signal, `refiner, stage ${k}`);
    const y = await models.refiner(x, 1, k);
    const next = new Float64Array(T * e);
    for (let p = 0; p < T; p++) for (let c = 0; c < e; c++) next[p * e + c] = f[p * e + c] + y[c * T + p];
    f = next;
  }
  canvases.push(f);
  const totalMs = performance.now() - t0;
  const modelMs = totalModelMs(models.timings);
  return { labels, tokens, canvases, latent, timings: { totalMs, modelMs, typescriptMs: totalMs - modelMs } };
}
