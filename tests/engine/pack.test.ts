/**
 * Pack loading: a good pack loads with its dimensions, codebook and provider report; broken packs
 * (a copy of the test pack in a temp folder, then broken) fail with typed errors naming the file.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerUnavailable } from '../../electron/engine/pack.js';
import {
  EngineError, graphSignatures, loadPack, providerPreference, validateManifest,
  type EngineErrorCode, type Pack, type PackManifest,
} from '../../electron/engine/index.js';
import { signatureProblem } from '../../electron/engine/pack.js';
import { PACK_DIR, openTestPack, requirePackFiles } from './packFixtures.js';

let pack: Pack;
let manifest: PackManifest;
let work: string;
let n = 0;

beforeAll(async () => {
  requirePackFiles();
  pack = await openTestPack();
  manifest = JSON.parse(await readFile(join(PACK_DIR, 'manifest.json'), 'utf8'));
  work = await mkdtemp(join(tmpdir(), 'nvg-pack-test-'));
});
afterAll(async () => {
  await pack?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the test pack to break. */
async function copyPack(): Promise<string> {
  const dir = join(work, `p${n++}`);
  await cp(PACK_DIR, dir, { recursive: true });
  return dir;
}
const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
async function editManifest(dir: string, edit: (m: any) => void): Promise<void> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  edit(m);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
}
async function loadError(dir: string): Promise<EngineError> {
  const err = await loadPack(dir, { provider: 'cpu', intraOpThreads: 1 }).then((p) => (p.dispose(), undefined), (e) => e);
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}
const clone = (): any => structuredClone(manifest);
function manifestError(edit: (m: any) => void): EngineErrorCode | 'ok' {
  const m = clone();
  edit(m);
  try {
    validateManifest(m);
    return 'ok';
  } catch (err) {
    return (err as EngineError).code;
  }
}

describe('loading a good pack', () => {
  it('reads the manifest, dimensions, codebook and pack id', async () => {
    const { h, w, e } = manifest.latent;
    expect(pack.dims).toMatchObject({ h, w, e, T: h * w, K: manifest.stages.K, V: manifest.codebook.V, nullClass: manifest.nullClass });
    expect(pack.codebook.length).toBe(manifest.codebook.V * e);
    expect(pack.manifestSha256).toBe(await sha(join(PACK_DIR, 'manifest.json')));
    expect(pack.provider).toEqual({ provider: 'cpu', tried: ['cpu'] });
  });

  it('auto picks the platform accelerator or falls back to the CPU with a reason', async () => {
    const p = await loadPack(PACK_DIR, { intraOpThreads: 1 });
    try {
      // every accelerator before the one that runs was either skipped or tried, each with a reason
      const order = providerPreference('auto');
      const skipped = order.filter((q) => providerUnavailable(q) !== null);
      expect(p.provider.tried).toEqual(order.filter((q) => !skipped.includes(q)).slice(0, p.provider.tried.length));
      if (p.provider.provider === 'cpu' && order.length > 1) expect(p.provider.fallbackReason).toMatch(/not available: /);
    } finally {
      await p.dispose();
    }
    expect(p.disposed).toBe(true);
    await p.dispose(); // twice is fine
  });

  it('orders providers by platform', () => {
    expect(providerPreference('auto', 'linux', 'x64')).toEqual(['cuda', 'cpu']);
    expect(providerPreference('auto', 'linux', 'arm64')).toEqual(['cpu']);
    expect(providerPreference('auto', 'win32', 'x64')).toEqual(['dml', 'cpu']);
    expect(providerPreference('auto', 'darwin', 'arm64')).toEqual(['coreml', 'cpu']);
    expect(providerPreference('cpu', 'linux', 'x64')).toEqual(['cpu']);
    expect(providerPreference('cuda', 'win32', 'x64')).toEqual(['cuda', 'cpu']);
  });
});

describe('graph signatures', () => {
  const sig = () => graphSignatures(manifest).refiner;
  const meta = (name: string, type: any, shape: any[]) => ({ name, isTensor: true as const, type, shape });
  it('accepts the contract, with symbolic sizes where sizes are expected', () => {
    const s = sig();
    const [, E, H, W] = s.inputs[0].dims as number[];
    expect(signatureProblem(s, [meta('x', 'float32', ['B', E, 'h', W]), meta('stage', 'int64', [1])], [meta('y', 'float32', ['B', E, H, W])])).toBeNull();
  });
  it('names wrong names, dtypes, ranks, sizes and fixed batch dimensions', () => {
    const s = sig();
    const [, E, H, W] = s.inputs[0].dims as number[];
    const y = [meta('y', 'float32', ['B', E, H, W])];
    expect(signatureProblem(s, [meta('input', 'float32', ['B', E, H, W]), meta('stage', 'int64', [1])], y)).toMatch(/inputs are \[input, stage\]/);
    expect(signatureProblem(s, [meta('x', 'float16', ['B', E, H, W]), meta('stage', 'int64', [1])], y)).toMatch(/x is float16, expected float32/);
    expect(signatureProblem(s, [meta('x', 'float32', ['B', E, H]), meta('stage', 'int64', [1])], y)).toMatch(/rank 3/);
    expect(signatureProblem(s, [meta('x', 'float32', ['B', E + 1, H, W]), meta('stage', 'int64', [1])], y)).toMatch(/shape/);
    expect(signatureProblem(s, [meta('x', 'float32', [1, E, H, W]), meta('stage', 'int64', [1])], y)).toMatch(/must be dynamic/);
    expect(signatureProblem(s, [meta('x', 'float32', ['B', E, H, W]), meta('stage', 'int64', [1])], [meta('z', 'float32', [])])).toMatch(/outputs are \[z\]/);
  });
});

describe('broken manifests (validateManifest)', () => {
  const cases: [string, (m: any) => void, EngineErrorCode][] = [
    ['formatVersion 2', (m) => (m.formatVersion = 2), 'PACK_UNSUPPORTED_VERSION'],
    ['another format', (m) => (m.format = 'other-pack'), 'PACK_UNSUPPORTED_VERSION'],
    ['huge latent', (m) => (m.latent.h = 100000), 'PACK_BAD_MANIFEST'],
    ['T not a power of two', (m) => ((m.latent.h = 3), (m.latent.w = 5)), 'PACK_BAD_MANIFEST'],
    ['K not log2(T)', (m) => (m.stages.K += 1), 'PACK_BAD_MANIFEST'],
    ['huge codebook', (m) => (m.codebook.V = 1e9), 'PACK_BAD_MANIFEST'],
    ['huge latent dim', (m) => ((m.latent.e = 100000), (m.codebook.e = 100000)), 'PACK_BAD_MANIFEST'],
    ['codebook e differs', (m) => (m.codebook.e += 1), 'PACK_BAD_MANIFEST'],
    ['huge image', (m) => (m.image.size = 4096), 'PACK_BAD_MANIFEST'],
    ['no classes', (m) => ((m.classes = []), (m.nullClass = 0)), 'PACK_BAD_MANIFEST'],
    ['duplicate class id', (m) => (m.classes[1].id = 0), 'PACK_BAD_MANIFEST'],
    ['null class wrong', (m) => (m.nullClass += 1), 'PACK_BAD_MANIFEST'],
    ['contentScale length', (m) => m.contentScale.pop(), 'PACK_BAD_MANIFEST'],
    ['path in a file name', (m) => (m.files.encoder.file = '../encoder.onnx'), 'PACK_BAD_MANIFEST'],
    ['graph not .onnx', (m) => (m.files.encoder.file = 'encoder.bin'), 'PACK_BAD_MANIFEST'],
    ['bad sha256', (m) => (m.files.encoder.sha256 = 'xyz'), 'PACK_BAD_MANIFEST'],
    ['missing sampling', (m) => delete m.sampling, 'PACK_BAD_MANIFEST'],
    ['absurd steps', (m) => (m.sampling.structureSteps = 1e6), 'PACK_BAD_MANIFEST'],
  ];
  it('the test manifest is valid', () => expect(manifestError(() => undefined)).toBe('ok'));
  for (const [name, edit, code] of cases) it(`${name} -> ${code}`, () => expect(manifestError(edit)).toBe(code));
  it('not an object -> PACK_BAD_MANIFEST', () => {
    for (const v of [[1, 2], 'x', null, 3]) expect(() => validateManifest(v)).toThrow(expect.objectContaining({ code: 'PACK_BAD_MANIFEST' }));
  });
  it('a refused version says which version it found', () => {
    const m = clone();
    m.formatVersion = 2;
    expect(() => validateManifest(m)).toThrow(/version 1; the pack says format "nvg-pack" version 2/);
  });
});

describe('broken packs on disk', () => {
  it('missing graph file -> PACK_MISSING_FILE naming it', async () => {
    const dir = await copyPack();
    await unlink(join(dir, manifest.files.content.file));
    const err = await loadError(dir);
    expect(err.code).toBe('PACK_MISSING_FILE');
    expect(err.details.file).toBe(manifest.files.content.file);
  });

  it('missing manifest / missing folder -> PACK_MISSING_FILE', async () => {
    const dir = await copyPack();
    await unlink(join(dir, 'manifest.json'));
    expect((await loadError(dir)).code).toBe('PACK_MISSING_FILE');
    expect((await loadError(join(work, 'nowhere'))).code).toBe('PACK_MISSING_FILE');
  });

  it('a modified file -> PACK_SHA256_MISMATCH', async () => {
    const dir = await copyPack();
    const path = join(dir, manifest.files.decoder.file);
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(path, bytes);
    const err = await loadError(dir);
    expect(err.code).toBe('PACK_SHA256_MISMATCH');
    expect(err.details).toMatchObject({ file: manifest.files.decoder.file, expected: manifest.files.decoder.sha256 });
  });

  it('manifest not JSON -> PACK_BAD_MANIFEST', async () => {
    const dir = await copyPack();
    await writeFile(join(dir, 'manifest.json'), '{"format": "nvg-pack", ');
    expect((await loadError(dir)).code).toBe('PACK_BAD_MANIFEST');
  });

  it('unsupported formatVersion on disk -> PACK_UNSUPPORTED_VERSION', async () => {
    const dir = await copyPack();
    await editManifest(dir, (m) => (m.formatVersion = 2));
    expect((await loadError(dir)).code).toBe('PACK_UNSUPPORTED_VERSION');
  });

  it('absurd dimensions on disk -> PACK_BAD_MANIFEST before reading any file', async () => {
    const dir = await copyPack();
    await editManifest(dir, (m) => ((m.latent.h = 4096), (m.latent.w = 4096)));
    expect((await loadError(dir)).code).toBe('PACK_BAD_MANIFEST');
  });

  it('a truncated ONNX graph (sha256 updated) -> PACK_BAD_GRAPH naming it', async () => {
    const dir = await copyPack();
    const file = manifest.files.structure.file;
    const path = join(dir, file);
    const bytes = await readFile(path);
    await truncate(path, Math.floor(bytes.length / 3));
    const digest = await sha(path);
    await editManifest(dir, (m) => (m.files.structure.sha256 = digest));
    const err = await loadError(dir);
    expect(err.code).toBe('PACK_BAD_GRAPH');
    expect(err.details).toMatchObject({ file, graph: 'structure' });
  });

  it('graphs in the wrong slots -> PACK_GRAPH_SIGNATURE', async () => {
    const dir = await copyPack();
    await editManifest(dir, (m) => ([m.files.encoder, m.files.decoder] = [m.files.decoder, m.files.encoder]));
    const err = await loadError(dir);
    expect(err.code).toBe('PACK_GRAPH_SIGNATURE');
    expect(err.message).toMatch(/inputs are \[latent\], expected \[image\]/);
  });

  it('a codebook of the wrong size or with NaN (sha256 updated) -> PACK_BAD_CODEBOOK', async () => {
    const dir = await copyPack();
    const path = join(dir, manifest.codebook.file);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 4));
    const d1 = await sha(path);
    await editManifest(dir, (m) => (m.codebook.sha256 = d1));
    expect((await loadError(dir)).code).toBe('PACK_BAD_CODEBOOK');
    bytes.writeFloatLE(NaN, 8);
    await writeFile(path, bytes);
    const d2 = await sha(path);
    await editManifest(dir, (m) => (m.codebook.sha256 = d2));
    const err = await loadError(dir);
    expect(err.code).toBe('PACK_BAD_CODEBOOK');
    expect(err.details.index).toBe(2);
  });
});
