/**
 * The `nvg` CLI on the tiny pack, run in-process through its main(): generate (with pins from a
 * saved VGS and with a structure map), encode / decode round trip, packs list / verify, and the
 * errors a user can cause (unknown class, corrupt map, missing file, bad options).
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../electron/cli/nvg.js';
import { structure } from '../../electron/engine/index.js';
import { readPng, writePng } from '../../electron/shared/png.js';
import { imageToRegions } from '../../electron/shared/structureMap.js';
import { PACK_DIR, readFixture, requirePackFiles } from '../engine/packFixtures.js';

let out: string;
let stdout: string[];
let stderr: string[];

async function nvg(...args: string[]): Promise<{ code: number; json: any; err: string }> {
  stdout = [];
  stderr = [];
  const code = await main([...args, '--pack', PACK_DIR, '--provider', 'cpu']);
  const last = stdout.at(-1);
  let json: any = null;
  try { json = last ? JSON.parse(last) : null; } catch { /* human output */ }
  return { code, json, err: stderr.join('\n') };
}

beforeEach(() => {
  requirePackFiles();
  out = mkdtempSync(join(tmpdir(), 'nvg-cli-'));
  vi.spyOn(console, 'log').mockImplementation((...a) => { stdout.push(a.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...a) => { stderr.push(a.join(' ')); });
});
afterEach(() => vi.restoreAllMocks());

const vgsOf = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('nvg generate', () => {
  it('writes an image and a VGS record per variation', async () => {
    const r = await nvg('generate', '--class', '3', '--seed', '7', '--count', '2', '--out', out, '--json', '--scale', '2');
    expect(r.code).toBe(0);
    expect(r.json.files).toHaveLength(4);
    const png = readPng(r.json.files[0]);
    expect([png.width, png.height]).toEqual([64, 64]);
    const record = vgsOf(r.json.files[3]);
    expect(record.seed).toBe(8);
    // the same images as the Python reference sampler (fixture case "free": class 3, seed 7)
    const fixture = readFixture<{ cases: { tokens: number[][][] }[] }>('sampler');
    expect(record.stages.map((s: { tokens: number[] }) => s.tokens)).toEqual(fixture.cases[0].tokens[1]);
  }, 60_000);

  it('pins stages from a saved VGS and regenerates the rest', async () => {
    const first = await nvg('generate', '--class', '1', '--seed', '5', '--out', out, '--json');
    const saved = first.json.files[1];
    const r = await nvg('generate', '--class', '4', '--seed', '99', '--count', '3', '--pins', saved, '--pin-stages', '0-2', '--out', join(out, 'b'), '--json');
    expect(r.code).toBe(0);
    const before = vgsOf(saved);
    const afters = [1, 3, 5].map((i) => vgsOf(r.json.files[i]));
    for (const after of afters) {
      for (let k = 0; k <= 2; k++) expect(after.stages[k].tokens).toEqual(before.stages[k].tokens);
      expect(after.classId).toBe(4);
    }
    expect(afters.some((a) => JSON.stringify(a.stages[6].tokens) !== JSON.stringify(before.stages[6].tokens))).toBe(true);
  }, 60_000);

  it('takes a drawn structure map for stage 1 (balanced and as drawn)', async () => {
    const circle = join(process.cwd(), 'assets', 'structure-maps', 'circle.png');
    for (const mode of ['balanced', 'as-drawn']) {
      const r = await nvg('generate', '--class', 'face_happy', '--seed', '1', '--map', circle, '--map-stage', '1', '--map-mode', mode, '--out', join(out, mode), '--json');
      expect(r.code).toBe(0);
      const stage1 = vgsOf(r.json.files[1]).stages[1].labels;
      const expected = structure.maskToStage1(imageToRegions(readPng(circle)), 8, 8, mode === 'balanced' ? 'balanced' : 'asDrawn');
      expect(stage1).toEqual(Array.from(expected));
      expect(vgsOf(r.json.files[1]).stages[1].pinStructure).toBe(true);
    }
  }, 60_000);

  it('explains what is wrong', async () => {
    expect((await nvg('generate', '--class', 'no_such_class', '--out', out)).code).toBe(2);
    expect(stderr.join('')).toContain("unknown class 'no_such_class'");
    const broken = join(out, 'broken.png');
    writeFileSync(broken, Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008060000', 'hex'));
    const r = await nvg('generate', '--class', '0', '--map', broken, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('broken.png');
    expect((await nvg('generate', '--class', '0', '--pins', join(out, 'missing.json'), '--out', out)).code).toBe(2);
    expect((await nvg('generate', '--class', '0', '--count', '0', '--out', out)).code).toBe(2);
    expect((await nvg('generate', '--class', '0', '--map', join(process.cwd(), 'assets', 'structure-maps', 'circle.png'), '--map-stage', '3', '--out', out)).code).toBe(2);
    expect(stderr.join('')).toContain('pin that stage');
    expect((await nvg('generate', '--bogus')).code).toBe(2);
  }, 60_000);
});

describe('nvg encode / decode', () => {
  it('encodes an image to the same VGS as the Python pipeline and decodes it back', async () => {
    const fixture = readFixture<{ images: { imageU8: number[]; labels: number[][]; tokens: number[][] }[] }>('vgs');
    const rgb = fixture.images[0].imageU8;
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let p = 0; p < 32 * 32; p++) rgba.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], 255], 4 * p);
    const src = join(out, 'ref.png');
    writePng(src, { width: 32, height: 32, data: rgba });
    const r = await nvg('encode', src, '--out', out, '--json');
    expect(r.code).toBe(0);
    const record = vgsOf(r.json.vgs);
    expect(record.stages.map((s: { labels: number[] }) => s.labels)).toEqual(fixture.images[0].labels);
    expect(record.stages.map((s: { tokens: number[] }) => s.tokens)).toEqual(fixture.images[0].tokens);
    expect(existsSync(join(out, 'ref.stage1.png'))).toBe(true);
    const d = await nvg('decode', r.json.vgs, '--out', join(out, 'decoded.png'), '--json');
    expect(d.code).toBe(0);
    expect(Buffer.from(readPng(join(out, 'decoded.png')).data)).toEqual(Buffer.from(readPng(join(out, 'ref.reconstruction.png')).data));
    expect((await nvg('encode', join(process.cwd(), 'assets', 'structure-maps', 'circle.png'), '--out', out)).code).toBe(2); // 256 px
  }, 60_000);
});

describe('nvg packs', () => {
  it('verifies and lists packs', async () => {
    const v = await nvg('packs', 'verify', PACK_DIR, '--json');
    expect(v.code).toBe(0);
    expect(v.json.dims.K).toBe(6);
    const l = await nvg('packs', 'list', join(PACK_DIR, '..'), '--json');
    expect(l.json.some((p: { name: string }) => p.name === 'tiny')).toBe(true);
  }, 60_000);
});
