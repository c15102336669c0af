/**
 * Reference encoding parity (tests/fixtures/<pack>/vgs.json, written by Python's
 * sampler.encode_reference on held-out images): from each fixture latent, labels, embeddings and
 * tokens are identical and canvases agree within 1e-4; from each fixture image (8-bit), the
 * onnxruntime-node encoder gives the same labels and tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLatent, encodeReference, isEngineError, Models, structure, type Pack } from '../../electron/engine/index.js';
import { openTestPack, readFixture } from './packFixtures.js';

interface VgsImage {
  imageU8: number[];
  latent: number[];
  labels: number[][];
  embeddings: number[][];
  tokens: number[][];
  canvases: number[][];
  decoded: number[];
}
type VgsFixture = { images: VgsImage[] };

let pack: Pack;
let fx: VgsFixture & { manifestSha256: string; K: number; imageSize: number };

beforeAll(async () => {
  fx = readFixture<VgsFixture>('vgs');
  pack = await openTestPack();
});
afterAll(() => pack?.dispose());

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('reference encoding parity with Python', () => {
  it('has fixture images for the test pack', () => {
    expect(fx.manifestSha256, 'the fixtures were written for another pack: rerun python -m nvg fixtures').toBe(pack.manifestSha256);
    expect(fx.images.length).toBeGreaterThan(0);
  });

  it('from the fixture latent: identical labels, embeddings and tokens; canvases within 1e-4', async () => {
    for (const im of fx.images) {
      const enc = await encodeLatent(pack, Float32Array.from(im.latent));
      expect(enc.labels.map((l) => Array.from(l))).toEqual(im.labels);
      for (let k = 0; k <= fx.K; k++) expect(Array.from(structure.labelsToEmbedding(enc.labels[k], k, fx.K))).toEqual(im.embeddings[k]);
      expect(enc.tokens.map((t) => Array.from(t))).toEqual(im.tokens);
      expect(enc.canvases.length).toBe(im.canvases.length);
      for (let i = 0; i < im.canvases.length; i++) expect(maxDiff(enc.canvases[i], im.canvases[i])).toBeLessThanOrEqual(1e-4);
    }
  });

  it('from the fixture image (8-bit): the same latent, labels and tokens', async () => {
    for (const im of fx.images) {
      const S = fx.imageSize;
      const enc = await encodeReference(pack, { data: Uint8Array.from(im.imageU8), width: S, height: S, channels: 3 });
      expect(maxDiff(enc.latent, im.latent)).toBeLessThanOrEqual(1e-5);
      expect(enc.labels.map((l) => Array.from(l))).toEqual(im.labels);
      expect(enc.tokens.map((t) => Array.from(t))).toEqual(im.tokens);
      expect(enc.timings.modelMs).toBeGreaterThan(0);
    }
  });

  it('the decoded final canvas matches Python within 1e-4', async () => {
    const im = fx.images[0];
    const enc = await encodeLatent(pack, Float32Array.from(im.latent));
    const { T, e, h, w } = pack.dims;
    const chw = new Float32Array(e * T);
    const final = enc.canvases[enc.canvases.length - 1];
    for (let p = 0; p < T; p++) for (let c = 0; c < e; c++) chw[c * T + p] = final[p * e + c];
    const img = await new Models(pack).decoder(chw, 1);
    expect(h * w).toBe(T);
    expect(maxDiff(img, im.decoded)).toBeLessThanOrEqual(1e-4);
  });

  it('RGBA input is composited over white; wrong sizes are refused', async () => {
    const S = fx.imageSize;
    const rgb = Uint8Array.from(fx.images[0].imageU8);
    const rgba = new Uint8Array(S * S * 4);
    for (let p = 0; p < S * S; p++) {
      rgba.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
      rgba[4 * p + 3] = 255;
    }
    const a = await encodeReference(pack, { data: rgb, width: S, height: S, channels: 3 });
    const b = await encodeReference(pack, { data: rgba, width: S, height: S, channels: 4 });
    expect(b.tokens.map((t) => Array.from(t))).toEqual(a.tokens.map((t) => Array.from(t)));
    const err = await encodeReference(pack, { data: rgb, width: S / 2, height: S * 2, channels: 3 }).catch((x) => x);
    expect(isEngineError(err, 'BAD_REQUEST')).toBe(true);
  });

  it('cancels between model calls', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(encodeLatent(pack, Float32Array.from(fx.images[0].latent), { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
