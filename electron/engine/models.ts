/**
 * Typed, batched wrappers of the five graphs of a pack (signatures: docs/model-pack.md).
 * Inputs and outputs are flat typed arrays in the contract's layout; int64 inputs are passed as
 * BigInt64Array built once by the caller (they rarely change inside a stage). Every call adds its
 * wall time to `timings`, so a benchmark can split a generation into model time per graph and
 * the engine's own TypeScript time (total - model time).
 */
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { EngineError, errorMessage } from './errors.js';
import type { GraphName } from './manifest.js';
import type { Pack } from './pack.js';

export interface ModelTimings {
  /** Cumulative milliseconds inside session.run(), per graph. */
  ms: Record<GraphName, number>;
  /** Number of run() calls per graph. */
  calls: Record<GraphName, number>;
}

export function emptyTimings(): ModelTimings {
  const zero = () => ({ encoder: 0, decoder: 0, refiner: 0, content: 0, structure: 0 });
  return { ms: zero(), calls: zero() };
}

export function totalModelMs(t: ModelTimings): number {
  return t.ms.encoder + t.ms.decoder + t.ms.refiner + t.ms.content + t.ms.structure;
}

export interface ContentInputs {
  classId: BigInt64Array; // [B]
  stage: BigInt64Array; // [B]
  canvas: Float32Array; // [B, T, e], raw canvas (the graph applies kappa and the start embedding)
  structure: BigInt64Array; // [B, T, K] structure embedding (values 0, 1, 2)
  pool: Float32Array; // [B, N, T] row-normalised membership
  N: number; // clusters
}

export interface StructureInputs {
  classId: BigInt64Array; // [B]
  stage: BigInt64Array; // [B]
  t: Float32Array; // [B]
  canvas: Float32Array; // [B, T, e]
  structure: BigInt64Array; // [B, T, K] embedding of the known (previous) stage
  noisy: Float32Array; // [B, T, K]
}

export class Models {
  readonly timings: ModelTimings = emptyTimings();
  private readonly pack: Pack;

  constructor(pack: Pack) {
    this.pack = pack;
  }

  private async run(graph: GraphName, feeds: Record<string, Tensor>, fetch: string[], sizes: number[]): Promise<Float32Array[]> {
    if (this.pack.disposed) throw new EngineError('DISPOSED', `the pack "${this.pack.manifest.name}" was disposed`, { graph });
    const session: InferenceSession = this.pack.sessions[graph];
    const t0 = performance.now();
    let out: InferenceSession.ReturnType;
    try {
      out = await session.run(feeds, fetch);
    } catch (err) {
      throw new EngineError('MODEL_RUN_FAILED', `${graph}: onnxruntime failed (${errorMessage(err)})`, { graph }, { cause: err });
    } finally {
      this.timings.ms[graph] += performance.now() - t0;
      this.timings.calls[graph] += 1;
    }
    return fetch.map((name, i) => {
      const data = out[name]?.data;
      // A graph that passed the signature check can still return a wrong size (e.g. a symbolic
      // dimension that resolved differently); never hand such data on.
      if (!(data instanceof Float32Array) || data.length !== sizes[i]) {
        throw new EngineError('MODEL_RUN_FAILED', `${graph}: output ${name} has ${data?.length ?? 'no'} values, expected ${sizes[i]} float32`, { graph, output: name });
      }
      return data;
    });
  }

  private check(graph: GraphName, name: string, arr: { length: number }, expected: number): void {
    if (arr.length !== expected) throw new EngineError('BAD_REQUEST', `${graph}: input ${name} has ${arr.length} values, expected ${expected}`, { graph, input: name });
  }

  /** image [B, 3, H, W] in [-1, 1] -> latent [B, e, h, w]. */
  async encoder(image: Float32Array, B: number): Promise<Float32Array> {
    const { imageSize: S, e, h, w } = this.pack.dims;
    this.check('encoder', 'image', image, B * 3 * S * S);
    const [latent] = await this.run('encoder', { image: new Tensor('float32', image, [B, 3, S, S]) }, ['latent'], [B * e * h * w]);
    return latent;
  }

  /** latent [B, e, h, w] -> image [B, 3, H, W] (about [-1, 1]). */
  async decoder(latent: Float32Array, B: number): Promise<Float32Array> {
    const { imageSize: S, e, h, w } = this.pack.dims;
    this.check('decoder', 'latent', latent, B * e * h * w);
    const [image] = await this.run('decoder', { latent: new Tensor('float32', latent, [B, e, h, w]) }, ['image'], [B * 3 * S * S]);
    return image;
  }

  /** phi_stage: x [B, e, h, w] -> y [B, e, h, w]. */
  async refiner(x: Float32Array, B: number, stage: number): Promise<Float32Array> {
    const { e, h, w } = this.pack.dims;
    this.check('refiner', 'x', x, B * e * h * w);
    const feeds = { x: new Tensor('float32', x, [B, e, h, w]), stage: new Tensor('int64', BigInt64Array.of(BigInt(stage)), [1]) };
    const [y] = await this.run('refiner', feeds, ['y'], [B * e * h * w]);
    return y;
  }

  /** Token logits [B, N, V] (and x0 [B, T, e] when asked; skipped otherwise to save a copy). */
  async content(inp: ContentInputs, withX0 = false): Promise<{ logits: Float32Array; x0?: Float32Array }> {
    const { T, e, K, V } = this.pack.dims;
    const B = inp.classId.length;
    const N = inp.N;
    this.check('content', 'stage', inp.stage, B);
    this.check('content', 'canvas', inp.canvas, B * T * e);
    this.check('content', 'structure', inp.structure, B * T * K);
    this.check('content', 'pool', inp.pool, B * N * T);
    const feeds = {
      class_id: new Tensor('int64', inp.classId, [B]),
      stage: new Tensor('int64', inp.stage, [B]),
      canvas: new Tensor('float32', inp.canvas, [B, T, e]),
      structure: new Tensor('int64', inp.structure, [B, T, K]),
      pool: new Tensor('float32', inp.pool, [B, N, T]),
    };
    if (withX0) {
      const [logits, x0] = await this.run('content', feeds, ['logits', 'x0'], [B * N * V, B * T * e]);
      return { logits, x0 };
    }
    const [logits] = await this.run('content', feeds, ['logits'], [B * N * V]);
    return { logits };
  }

  /** Flow velocity [B, T, K]. */
  async structure(inp: StructureInputs): Promise<Float32Array> {
    const { T, e, K } = this.pack.dims;
    const B = inp.classId.length;
    this.check('structure', 'stage', inp.stage, B);
    this.check('structure', 't', inp.t, B);
    this.check('structure', 'canvas', inp.canvas, B * T * e);
    this.check('structure', 'structure', inp.structure, B * T * K);
    this.check('structure', 'noisy', inp.noisy, B * T * K);
    const feeds = {
      class_id: new Tensor('int64', inp.classId, [B]),
      stage: new Tensor('int64', inp.stage, [B]),
      t: new Tensor('float32', inp.t, [B]),
      canvas: new Tensor('float32', inp.canvas, [B, T, e]),
      structure: new Tensor('int64', inp.structure, [B, T, K]),
      noisy: new Tensor('float32', inp.noisy, [B, T, K]),
    };
    const [velocity] = await this.run('structure', feeds, ['velocity'], [B * T * K]);
    return velocity;
  }
}
