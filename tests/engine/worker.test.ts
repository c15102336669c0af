/**
 * The engine worker protocol end to end: a real worker thread running the engine on the tiny pack.
 * Results equal in-process generation; progress after each stage; cancellation; malformed and
 * fuzzed messages answered with BAD_REQUEST while the worker keeps working; a crash mid-generation
 * rejects what was in flight and the next call restarts the worker with the pack reloaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, loadPack, type Pack } from '../../electron/engine/index.js';
import { EngineClient, WorkerError } from '../../electron/engine/worker/client.js';
import { PACK_DIR, requirePackFiles } from './packFixtures.js';

let client: EngineClient;
let pack: Pack;

beforeAll(async () => {
  requirePackFiles();
  client = new EngineClient();
  pack = await loadPack(PACK_DIR, { provider: 'cpu', intraOpThreads: 1 });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await pack?.dispose();
});

async function rejection(p: Promise<unknown>): Promise<WorkerError> {
  try {
    await p;
  } catch (err) {
    return err as WorkerError;
  }
  throw new Error('expected a rejection');
}

describe('engine worker', () => {
  it('loads a pack and reports it', async () => {
    const info = await client.load(PACK_DIR, { provider: 'cpu', threads: 1 });
    expect(info.dims.K).toBe(pack.dims.K);
    expect(info.provider.provider).toBe('cpu');
    expect(info.manifestSha256).toBe(pack.manifestSha256);
  }, 60_000);

  it('generates what the engine generates in-process, with a progress event per stage', async () => {
    const stages: number[] = [];
    const remote = await client.generate({ classId: 2, seed: 9, count: 2 }, { onProgress: (e) => stages.push(e.stage) });
    const local = await generate(pack, { classId: 2, seed: 9, count: 2 });
    expect(stages).toEqual([...Array(pack.dims.K + 1).keys()]);
    expect(remote.tokens.map((t) => t.map((s) => Array.from(s)))).toEqual(local.tokens.map((t) => t.map((s) => Array.from(s))));
    expect(Array.from(remote.images)).toEqual(Array.from(local.images));
  }, 60_000);

  it('passes pins as plain arrays and keeps them', async () => {
    const first = await client.generate({ classId: 1, seed: 3 });
    const pins = { 2: { labels: first.labels[0][2], tokens: first.tokens[0][2] } };
    const again = await client.generate({ classId: 5, seed: 77, pins });
    expect(Array.from(again.tokens[0][2])).toEqual(Array.from(first.tokens[0][2]));
  }, 60_000);

  it('cancels a running generation', async () => {
    const controller = new AbortController();
    const p = client.generate({ classId: 0, seed: 1, count: 8 }, { onProgress: () => controller.abort(), signal: controller.signal });
    expect((await rejection(p)).code).toBe('CANCELLED');
    expect((await client.generate({ classId: 0, seed: 1 })).count).toBe(1); // still serving
  }, 60_000);

  it('answers malformed and fuzzed messages with BAD_REQUEST and keeps working', async () => {
    const bad: unknown[] = [
      null, 42, 'generate', [], {}, { type: 'nope', id: 'a1' }, { type: 'generate', id: 'a2' },
      { type: 'generate', id: 'a3', request: { classId: 'x', seed: 1 } },
      { type: 'generate', id: 'a4', request: { classId: 0, seed: 1, pins: { 99999: { labels: [1] } } } },
      { type: 'generate', id: 'a5', request: { classId: 0, seed: 1, evil: true } },
      { type: 'load', id: 'a6', packDir: 12 }, { type: 'encode', id: 'a7', image: { width: 2, height: 2, channels: 3, data: [1, 2] } },
      { type: 'cancel', id: 'a8' }, { type: 'info', id: '' },
    ];
    // a bounded fuzz: random shapes built from the protocol's own vocabulary
    let s = 12345;
    const rnd = (n: number) => { s = (s * 1103515245 + 12345) % 2 ** 31; return s % n; };
    const atoms = [null, -1, 0, 1.5, 2 ** 60, 'x', 'generate', 'load', true, [], {}, [1, 2, 3]];
    const types = ['load', 'generate', 'encode', 'info', 'cancel', 'other'];
    for (let i = 0; i < 60; i++) {
      const msg: Record<string, unknown> = { type: types[rnd(types.length)], id: `f${i}` };
      for (const key of ['request', 'packDir', 'image', 'target', 'threads', 'junk']) if (rnd(2)) msg[key] = atoms[rnd(atoms.length)];
      if (msg.type === 'info' && Object.keys(msg).length === 2) msg.junk = 1; // keep every message malformed
      if (msg.type === 'cancel' && typeof msg.target === 'string') msg.target = 5;
      bad.push(msg);
    }
    let refused = 0;
    for (const msg of bad) {
      const err = await rejection(client.sendRaw(msg));
      expect(['BAD_REQUEST', 'BAD_PIN']).toContain(err.code);
      refused++;
    }
    console.log(`worker protocol: ${refused} malformed messages refused`);
    expect(refused).toBe(bad.length);
    expect((await client.generate({ classId: 0, seed: 2 })).count).toBe(1);
  }, 60_000);

  it('recovers from a crash mid-generation: in-flight work fails, the next call works', async () => {
    let crashes = 0;
    client.onCrash = () => crashes++;
    const p = client.generate({ classId: 0, seed: 5, count: 8 }, { onProgress: (e) => { if (e.stage === 1) client.kill(); } });
    expect((await rejection(p)).code).toBe('ENGINE_CRASHED');
    expect(crashes).toBe(1);
    const after = await client.generate({ classId: 0, seed: 5 });
    const local = await generate(pack, { classId: 0, seed: 5 });
    expect(Array.from(after.images)).toEqual(Array.from(local.images));
  }, 60_000);
});
