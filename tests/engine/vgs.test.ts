/** VGS records: made from a generation or a reference, serialised, validated and replayed exactly. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeReference, EngineError, generate, parseVgs, serializeVgs, vgsFromReference, vgsFromResult, vgsToRequest,
  type GenerateResult, type Pack, type VgsRecord,
} from '../../electron/engine/index.js';
import { openTestPack, readFixture } from './packFixtures.js';

let pack: Pack;
let result: GenerateResult;
const params = { structureSteps: 4 };

beforeAll(async () => {
  pack = await openTestPack();
  result = await generate(pack, { classId: 3, seed: 30, count: 2, params });
});
afterAll(() => pack?.dispose());

const badVgs = (fn: () => unknown): EngineError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('BAD_VGS');
    return err as EngineError;
  }
  throw new Error('expected BAD_VGS');
};

describe('VGS records', () => {
  it('round-trip through JSON and replay image b of a batch exactly', async () => {
    const rec = vgsFromResult(pack, result, 1);
    expect(rec.seed).toBe(31);
    expect(rec.pack.manifestSha256).toBe(pack.manifestSha256);
    const back = parseVgs(serializeVgs(rec), pack);
    expect(back).toEqual(rec);
    const replay = await generate(pack, vgsToRequest(back));
    expect(replay.labels[0]).toEqual(result.labels[1]);
    expect(replay.tokens[0]).toEqual(result.tokens[1]);
    expect(Buffer.from(replay.images.buffer).equals(Buffer.from(result.images.buffer, result.images.byteLength / 2))).toBe(true);
  });

  it('fully pinned records replay without the model choosing anything, under any seed', async () => {
    const K = pack.dims.K;
    const all = Array(K + 1).fill(true);
    const rec = vgsFromResult(pack, result, 0, { pinStructure: all, pinContent: all, sources: Array(K + 1).fill('drawn') });
    const req = { ...vgsToRequest(parseVgs(serializeVgs(rec), pack)), seed: 12345 };
    const replay = await generate(pack, req);
    expect(replay.tokens[0]).toEqual(result.tokens[0]);
    expect(replay.timings.calls.structure + replay.timings.calls.content).toBe(0);
  });

  it('a reference image becomes a record whose replay gives back its labels and tokens', async () => {
    const fx = readFixture<{ images: { imageU8: number[] }[] }>('vgs');
    const S = pack.dims.imageSize;
    const ref = await encodeReference(pack, { data: Uint8Array.from(fx.images[0].imageU8), width: S, height: S, channels: 3 });
    const rec = parseVgs(serializeVgs(vgsFromReference(pack, ref, { classId: 0 })), pack);
    expect(rec.stages.every((s) => s.source === 'reference' && s.pinStructure && s.pinContent)).toBe(true);
    const replay = await generate(pack, vgsToRequest(rec));
    expect(replay.labels[0]).toEqual(ref.labels);
    expect(replay.tokens[0]).toEqual(ref.tokens);
  });

  it('refuses malformed or inconsistent records with BAD_VGS', () => {
    const good = (): VgsRecord => JSON.parse(serializeVgs(vgsFromResult(pack, result, 0)));
    badVgs(() => parseVgs('{not json'));
    badVgs(() => parseVgs({ ...good(), format: 'other' }));
    badVgs(() => parseVgs({ ...good(), extra: 1 }));
    const parent = good();
    parent.stages[2].labels[0] ^= 2; // another parent
    expect(badVgs(() => parseVgs(parent)).details.stage).toBe(2);
    const toks = good();
    toks.stages[3].tokens.pop();
    expect(badVgs(() => parseVgs(toks)).details.stage).toBe(3);
    const pin = good();
    pin.stages[2].pinContent = true;
    badVgs(() => parseVgs(pin));
    const big = good();
    big.stages[1].tokens[0] = pack.dims.V;
    expect(badVgs(() => parseVgs(big, pack)).details.reason).toBe('token');
    const short = good();
    short.stages.pop();
    expect(badVgs(() => parseVgs(short, pack)).details.reason).toMatch(/dims|parent|length/);
    const other = good();
    other.pack.manifestSha256 = '0'.repeat(64);
    expect(badVgs(() => parseVgs(other, pack)).details.reason).toBe('otherPack');
    expect(parseVgs(other, pack, { allowOtherPack: true }).classId).toBe(3);
  });
});
