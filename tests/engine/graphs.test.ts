/**
 * Graph parity: each of the five ONNX graphs, run by onnxruntime-node through the engine's typed
 * wrappers (models.ts) on the fixture inputs, matches the outputs Python's onnxruntime computed
 * (tests/fixtures/<pack>/graphs.json) within 1e-5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Models, type Pack } from '../../electron/engine/index.js';
import { openTestPack, readFixture } from './packFixtures.js';

interface Arr {
  dtype: 'float32' | 'int64';
  shape: number[];
  data: number[];
}
interface GraphCase {
  inputs: Record<string, Arr>;
  outputs: Record<string, Arr>;
}
type GraphsFixture = { graphs: Record<'encoder' | 'decoder' | 'refiner' | 'content' | 'structure', GraphCase> };

const TOL = 1e-5;
let pack: Pack;
let fx: GraphsFixture & { manifestSha256: string };

const f32 = (a: Arr) => Float32Array.from(a.data);
const i64 = (a: Arr) => BigInt64Array.from(a.data.map((v) => BigInt(v)));

function maxAbsDiff(actual: Float32Array, expected: Arr): number {
  expect(actual.length).toBe(expected.data.length);
  let m = 0;
  for (let i = 0; i < actual.length; i++) m = Math.max(m, Math.abs(actual[i] - expected.data[i]));
  return m;
}

beforeAll(async () => {
  fx = readFixture<GraphsFixture>('graphs');
  pack = await openTestPack();
});
afterAll(() => pack?.dispose());

describe('graph parity with Python onnxruntime', () => {
  it('fixtures belong to the test pack', () => {
    expect(fx.manifestSha256, 'the fixtures were written for another pack: rerun python -m nvg fixtures').toBe(pack.manifestSha256);
  });

  it('encoder', async () => {
    const { inputs, outputs } = fx.graphs.encoder;
    const out = await new Models(pack).encoder(f32(inputs.image), inputs.image.shape[0]);
    expect(maxAbsDiff(out, outputs.latent)).toBeLessThanOrEqual(TOL);
  });

  it('decoder', async () => {
    const { inputs, outputs } = fx.graphs.decoder;
    const out = await new Models(pack).decoder(f32(inputs.latent), inputs.latent.shape[0]);
    expect(maxAbsDiff(out, outputs.image)).toBeLessThanOrEqual(TOL);
  });

  it('refiner', async () => {
    const { inputs, outputs } = fx.graphs.refiner;
    const out = await new Models(pack).refiner(f32(inputs.x), inputs.x.shape[0], inputs.stage.data[0]);
    expect(maxAbsDiff(out, outputs.y)).toBeLessThanOrEqual(TOL);
  });

  it('content (logits and x0)', async () => {
    const { inputs, outputs } = fx.graphs.content;
    const { logits, x0 } = await new Models(pack).content(
      { classId: i64(inputs.class_id), stage: i64(inputs.stage), canvas: f32(inputs.canvas), structure: i64(inputs.structure), pool: f32(inputs.pool), N: inputs.pool.shape[1] },
      true,
    );
    expect(maxAbsDiff(logits, outputs.logits)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(x0!, outputs.x0)).toBeLessThanOrEqual(TOL);
  });

  it('structure', async () => {
    const { inputs, outputs } = fx.graphs.structure;
    const v = await new Models(pack).structure({
      classId: i64(inputs.class_id), stage: i64(inputs.stage), t: f32(inputs.t), canvas: f32(inputs.canvas), structure: i64(inputs.structure), noisy: f32(inputs.noisy),
    });
    expect(maxAbsDiff(v, outputs.velocity)).toBeLessThanOrEqual(TOL);
  });

  it('wrappers time every call per graph', async () => {
    const models = new Models(pack);
    const { inputs } = fx.graphs.refiner;
    await models.refiner(f32(inputs.x), inputs.x.shape[0], 0);
    await models.refiner(f32(inputs.x), inputs.x.shape[0], 1);
    expect(models.timings.calls.refiner).toBe(2);
    expect(models.timings.ms.refiner).toBeGreaterThan(0);
    expect(models.timings.calls.content).toBe(0);
  });

  it('wrappers refuse inputs of the wrong size', async () => {
    await expect(new Models(pack).decoder(new Float32Array(5), 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
