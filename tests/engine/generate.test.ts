/**
 * The sampler: parity with the Python reference (tests/fixtures/<pack>/sampler.json: labels and
 * tokens identical, 8-bit images within 1), determinism, pins (kept, derived, as-drawn uneven),
 * request validation, progress events and cancellation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EngineError, generate, imageToRgb, isEngineError, resultToRgba, sampling, structure,
  type GenerateRequest, type GenerateResult, type Pack, type StageProgress,
} from '../../electron/engine/index.js';
import { openTestPack, readFixture } from './packFixtures.js';

interface SamplerCase {
  name: string;
  classId: number;
  seed: number;
  count: number;
  pins: Record<string, { labels: number[] | null; tokens: number[] | null }>;
  labels: number[][][];
  tokens: number[][][];
  imagesU8: number[][];
}
type SamplerFixture = { cases: SamplerCase[] };

let pack: Pack;
let fx: SamplerFixture & { manifestSha256: string; K: number; imageSize: number };
const fast = { structureSteps: 4 }; // for tests that do not compare with Python: fewer flow steps

beforeAll(async () => {
  fx = readFixture<SamplerFixture>('sampler');
  pack = await openTestPack();
});
afterAll(() => pack?.dispose());

const arr = (a: ArrayLike<number>) => Array.from(a);
const sameStage = (a: GenerateResult, b: GenerateResult, img: number, k: number) =>
  arr(a.labels[img][k]).join() === arr(b.labels[img][k]).join() && arr(a.tokens[img][k]).join() === arr(b.tokens[img][k]).join();

async function rejection(p: Promise<unknown>): Promise<EngineError> {
  const err = await p.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe('parity with the Python reference sampler', () => {
  it('fixtures belong to the test pack', () => {
    expect(fx.manifestSha256, 'the fixtures were written for another pack: rerun python -m nvg fixtures').toBe(pack.manifestSha256);
    expect(fx.cases.length).toBeGreaterThanOrEqual(3);
  });

  it('guidance scales evaluate like Python (1 + (max - 1) * k / K, left to right)', () => {
    expect(sampling.contentGuidance(1, 6, 3.5)).toBe(1.4166666666666667); // python: 1.0 + (3.5 - 1.0) * 1 / 6
    expect(sampling.structureGuidance(4, 6, 2.7)).toBe(2.1333333333333337);
  });

  it('every fixture case: identical labels and tokens, images within 1 (uint8)', async () => {
    for (const c of fx.cases) {
      const res = await generate(pack, { classId: c.classId, seed: c.seed, count: c.count, pins: c.pins });
      for (let b = 0; b < c.count; b++) {
        for (let k = 0; k <= fx.K; k++) {
          expect(arr(res.labels[b][k]), `${c.name}: image ${b} stage ${k} labels`).toEqual(c.labels[b][k]);
          expect(arr(res.tokens[b][k]), `${c.name}: image ${b} stage ${k} tokens`).toEqual(c.tokens[b][k]);
        }
        const rgb = imageToRgb(res.images, b, fx.imageSize);
        let worst = 0;
        for (let i = 0; i < rgb.length; i++) worst = Math.max(worst, Math.abs(rgb[i] - c.imagesU8[b][i]));
        expect(worst, `${c.name}: image ${b}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('image b of a batch is the image of seed + b alone (a VGS record replays by itself)', async () => {
    const c = fx.cases.find((x) => x.count > 1 && Object.keys(x.pins).length === 0)!;
    const alone = await generate(pack, { classId: c.classId, seed: c.seed + 1, count: 1 });
    for (let k = 0; k <= fx.K; k++) {
      expect(arr(alone.labels[0][k])).toEqual(c.labels[1][k]);
      expect(arr(alone.tokens[0][k])).toEqual(c.tokens[1][k]);
    }
  });
});

describe('generation', () => {
  it('is deterministic: the same request twice gives identical bytes', async () => {
    const req: GenerateRequest = { classId: 1, seed: 42, count: 2, params: fast };
    const a = await generate(pack, req);
    const b = await generate(pack, req);
    expect(Buffer.from(b.images.buffer).equals(Buffer.from(a.images.buffer))).toBe(true);
    expect(Buffer.from(b.canvas.buffer).equals(Buffer.from(a.canvas.buffer))).toBe(true);
    expect(b.labels).toEqual(a.labels);
    expect(b.tokens).toEqual(a.tokens);
    const rgba = resultToRgba(pack, a);
    expect(rgba.length).toBe(2);
    expect(rgba[0].length).toBe(fx.imageSize * fx.imageSize * 4);
  });

  it('returns a consistent hierarchy with 2^k tokens per stage and timings that add up', async () => {
    const res = await generate(pack, { classId: 0, seed: 3, params: fast });
    const { K, T, V } = pack.dims;
    expect(res.labels[0].length).toBe(K + 1);
    expect(structure.checkParentConsistency(res.labels[0])).toBeNull();
    expect(new Set(res.labels[0][K]).size).toBe(T); // stage K: every position its own cluster
    res.tokens[0].forEach((t, k) => {
      expect(t.length).toBe(2 ** k);
      expect(t.every((v) => v >= 0 && v < V)).toBe(true);
    });
    const t = res.timings;
    expect(t.calls.structure).toBe(fast.structureSteps * (K - 1));
    expect(t.calls.content).toBe(K + 1);
    expect(t.calls.refiner).toBe(K + 1);
    expect(t.calls.decoder).toBe(1);
    expect(t.typescriptMs).toBeCloseTo(t.totalMs - t.modelMs, 6);
    expect(t.modelMs).toBeCloseTo(t.structureMs + t.contentMs + t.refinerMs + t.decoderMs, 6);
  });
});

describe('pins', () => {
  it('pinned stages come back unchanged; unpinned ones change with the seed', async () => {
    const base = await generate(pack, { classId: 2, seed: 10, params: fast });
    const pins = [0, 1, 2].map((k) => ({ labels: base.labels[0][k], tokens: base.tokens[0][k] }));
    const a = await generate(pack, { classId: 2, seed: 11, pins, params: fast });
    const b = await generate(pack, { classId: 2, seed: 12, pins, params: fast });
    for (const r of [a, b]) for (let k = 0; k <= 2; k++) expect(sameStage(r, base, 0, k)).toBe(true);
    expect(a.structureOrigin.slice(0, 3)).toEqual(['pinned', 'pinned', 'pinned']);
    expect(a.contentPinned.slice(0, 4)).toEqual([true, true, true, false]);
    const K = pack.dims.K;
    const differs = (x: GenerateResult, y: GenerateResult) => Array.from({ length: K - 2 }, (_, i) => i + 3).some((k) => !sameStage(x, y, 0, k));
    expect(differs(a, b)).toBe(true);
    expect(differs(a, base)).toBe(true);
  });

  it('a structure-only pin keeps the labels and samples new tokens; a class change keeps the pins', async () => {
    const base = await generate(pack, { classId: 4, seed: 20, params: fast });
    const pins = { 1: { labels: base.labels[0][1] }, 2: { labels: base.labels[0][2] } };
    const other = await generate(pack, { classId: 5, seed: 20, pins, params: fast });
    expect(arr(other.labels[0][2])).toEqual(arr(base.labels[0][2]));
    expect(other.contentPinned[2]).toBe(false);
  });

  it('stages below a pinned structure are derived from it (label >> 1)', async () => {
    const base = await generate(pack, { classId: 4, seed: 21, params: fast });
    const res = await generate(pack, { classId: 4, seed: 99, pins: { 3: { labels: base.labels[0][3] } }, params: fast });
    for (let k = 0; k <= 3; k++) expect(arr(res.labels[0][k])).toEqual(arr(base.labels[0][k]));
    expect(res.structureOrigin.slice(0, 5)).toEqual(['derived', 'derived', 'derived', 'pinned', 'model']);
    expect(res.timings.calls.structure).toBe(fast.structureSteps * (pack.dims.K - 1 - 3));
  });

  it('an as-drawn uneven stage-1 map (and an empty cluster) generates and is kept', async () => {
    const { h, w, T, K } = pack.dims;
    const S = fx.imageSize;
    // A drawn disk, off-centre, as a label image at image resolution.
    const data = new Uint8Array(S * S);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) data[y * S + x] = (x - 0.35 * S) ** 2 + (y - 0.4 * S) ** 2 < (0.3 * S) ** 2 ? 1 : 0;
    const stage1 = structure.maskToStage1({ width: S, height: S, data }, h, w, 'asDrawn');
    const ones = stage1.reduce((s, v) => s + v, 0);
    expect(ones === T / 2).toBe(false); // really uneven
    const res = await generate(pack, { classId: 6, seed: 5, count: 2, pins: { 1: { labels: stage1 } }, params: fast });
    for (let b = 0; b < 2; b++) {
      expect(arr(res.labels[b][1])).toEqual(arr(stage1));
      expect(structure.checkParentConsistency(res.labels[b])).toBeNull();
      expect(res.labels[b][K].length).toBe(T);
    }
    // A 25/39-like split made by hand, and a stage-1 map with an empty cluster.
    const uneven = Int32Array.from({ length: T }, (_, p) => (p < Math.round((25 / 64) * T) ? 0 : 1));
    const r2 = await generate(pack, { classId: 6, seed: 6, pins: { 1: { labels: uneven } }, params: fast });
    expect(arr(r2.labels[0][1])).toEqual(arr(uneven));
    expect(structure.checkParentConsistency(r2.labels[0])).toBeNull();
    const r3 = await generate(pack, { classId: 6, seed: 6, pins: { 1: { labels: new Int32Array(T) } }, params: fast });
    expect(structure.checkParentConsistency(r3.labels[0])).toBeNull();
    expect(r3.tokens[0][1].length).toBe(2);
  });
});

describe('malformed requests', () => {
  const T = () => pack.dims.T;
  const cases: [string, () => GenerateRequest, 'BAD_REQUEST' | 'BAD_PIN', number?][] = [
    ['class id below 0', () => ({ classId: -1, seed: 0 }), 'BAD_REQUEST'],
    ['class id = null class', () => ({ classId: pack.dims.nullClass, seed: 0 }), 'BAD_REQUEST'],
    ['fractional class id', () => ({ classId: 1.5, seed: 0 }), 'BAD_REQUEST'],
    ['negative seed', () => ({ classId: 0, seed: -1 }), 'BAD_REQUEST'],
    ['seed beyond 2^53', () => ({ classId: 0, seed: 2 ** 53, count: 1 }), 'BAD_REQUEST'],
    ['string seed', () => ({ classId: 0, seed: '7' as unknown as number }), 'BAD_REQUEST'],
    ['count 0', () => ({ classId: 0, seed: 0, count: 0 }), 'BAD_REQUEST'],
    ['count too large', () => ({ classId: 0, seed: 0, count: 1000 }), 'BAD_REQUEST'],
    ['unknown parameter', () => ({ classId: 0, seed: 0, params: { steps: 3 } as never }), 'BAD_REQUEST'],
    ['top-p 0', () => ({ classId: 0, seed: 0, params: { topPMin: 0 } }), 'BAD_REQUEST'],
    ['stage out of range', () => ({ classId: 0, seed: 0, pins: { 99: { labels: [] } } }), 'BAD_REQUEST'],
    ['wrong-length pin', () => ({ classId: 0, seed: 0, pins: { 2: { labels: new Int32Array(T() - 1) } } }), 'BAD_PIN', 2],
    ['label out of range', () => ({ classId: 0, seed: 0, pins: { 1: { labels: new Int32Array(T()).fill(2) } } }), 'BAD_PIN', 1],
    ['content pin without structure pin', () => ({ classId: 0, seed: 0, pins: { 2: { tokens: [0, 0, 0, 0] } } }), 'BAD_PIN', 2],
    ['wrong token count', () => ({ classId: 0, seed: 0, pins: { 0: { tokens: [0, 0] } } }), 'BAD_PIN', 0],
    ['token beyond the codebook', () => ({ classId: 0, seed: 0, pins: { 0: { tokens: [pack.dims.V] } } }), 'BAD_PIN', 0],
    ['stage 2 not nested in stage 1', () => ({
      classId: 0, seed: 0,
      pins: { 1: { labels: Int32Array.from({ length: T() }, (_, p) => p % 2) }, 2: { labels: Int32Array.from({ length: T() }, (_, p) => (p < T() / 2 ? 0 : 3)) } },
    }), 'BAD_PIN', 2],
  ];
  for (const [name, make, code, stage] of cases) {
    it(`${name} -> ${code}`, async () => {
      const err = await rejection(generate(pack, make()));
      expect(err.code).toBe(code);
      if (stage !== undefined) expect(err.details.stage).toBe(stage);
      expect(err.message.length).toBeGreaterThan(10);
    });
  }
});

describe('progress and cancellation', () => {
  it('sends one event per stage, with labels and decoded previews', async () => {
    const events: StageProgress[] = [];
    const res = await generate(pack, { classId: 7, seed: 1, count: 2, previews: true, params: fast, onProgress: (e) => events.push(e) });
    const { K, imageSize: S } = pack.dims;
    expect(events.map((e) => e.stage)).toEqual(Array.from({ length: K + 1 }, (_, k) => k));
    for (const e of events) {
      expect(e.labels.length).toBe(2);
      expect(arr(e.labels[1])).toEqual(arr(res.labels[1][e.stage]));
      expect(e.previews!.length).toBe(2 * 3 * S * S);
    }
    expect(events[K].previews).toBe(res.images); // the last preview is the final image
    expect(res.timings.calls.decoder).toBe(K + 1); // K previews + the final decode
    expect(res.timings.previewMs).toBeGreaterThan(0);
    const quiet: StageProgress[] = [];
    await generate(pack, { classId: 7, seed: 1, params: fast, onProgress: (e) => quiet.push(e) });
    expect(quiet.every((e) => e.previews === undefined)).toBe(true);
  });

  it('an aborted signal gives CANCELLED, before or during the run', async () => {
    const pre = new AbortController();
    pre.abort();
    expect((await rejection(generate(pack, { classId: 0, seed: 0, signal: pre.signal }))).code).toBe('CANCELLED');
    const mid = new AbortController();
    const stages: number[] = [];
    const err = await rejection(generate(pack, {
      classId: 0, seed: 0, signal: mid.signal, params: fast,
      onProgress: (e) => {
        stages.push(e.stage);
        if (e.stage === 1) mid.abort();
      },
    }));
    expect(isEngineError(err, 'CANCELLED')).toBe(true);
    expect(stages).toEqual([0, 1]);
  });

  it('a disposed pack refuses to run', async () => {
    const { openTestPack: open } = await import('./packFixtures.js');
    const p = await open();
    await p.dispose();
    expect((await rejection(generate(p, { classId: 0, seed: 0 }))).code).toBe('DISPOSED');
  });
});
