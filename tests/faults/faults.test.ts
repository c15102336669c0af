/**
 * Fault injection (issue 7, item 3): damaged inputs generated systematically and fed to the real
 * code — model packs (loadPack), PNGs (decodePng, imageToRegions, pixelsToTensor, importPng),
 * structure maps (imageToRegions + maskToStage1) and library files (Library.open). Every case must
 * either be handled correctly or be refused with a typed error that names the input; after each
 * category the component is used again on good input to show that nothing was left broken.
 * Each category prints "[faults] <category>: N cases tried, ...".
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, generate, loadPack, pixelsToTensor, structure, type EngineErrorCode, type PackManifest } from '../../electron/engine/index.js';
import { GRAPH_NAMES } from '../../electron/engine/manifest.js';
import { crc32, embedRecipe, ExportError, importPng } from '../../electron/export/index.js';
import { Library, LibraryError } from '../../electron/library/index.js';
import { decodePng, encodePng, PngError, type RgbaImage } from '../../electron/shared/png.js';
import { imageToRegions } from '../../electron/shared/structureMap.js';
import { PACK_DIR, requirePackFiles } from '../engine/packFixtures.js';
import { fakePng, fakeVgs } from '../library/helpers.js';

let work: string;
let manifest: PackManifest;
let SIZE = 32;

beforeAll(async () => {
  requirePackFiles();
  manifest = JSON.parse(await readFile(join(PACK_DIR, 'manifest.json'), 'utf8'));
  SIZE = manifest.image.size;
  work = await mkdtemp(join(tmpdir(), 'nvg-faults-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs `fn`, returning what it threw (or undefined). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

// ------------------------------------------------------------------------------------ 1. packs

describe('1. broken packs', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  let n = 0;

  /**
   * A pack folder: the files as symlinks to the intact pack, except `damaged` (written as regular
   * files; null removes it) and a manifest edited by `edit` (or replaced by a raw string).
   */
  async function brokenPack(damaged: Record<string, Buffer | null>, edit?: ((m: any) => void) | string): Promise<string> {
    const dir = join(work, `pack${n++}`);
    await mkdir(dir);
    const files = [manifest.codebook.file, ...GRAPH_NAMES.map((g) => manifest.files[g].file)];
    for (const f of files) {
      if (!(f in damaged)) await symlink(join(PACK_DIR, f), join(dir, f));
      else if (damaged[f] !== null) await writeFile(join(dir, f), damaged[f]!);
    }
    let text: string;
    if (typeof edit === 'string') text = edit;
    else {
      const m = structuredClone(manifest) as any;
      edit?.(m);
      text = JSON.stringify(m);
    }
    await writeFile(join(dir, 'manifest.json'), text);
    return dir;
  }

  interface PackCase { name: string; expect: EngineErrorCode[]; file?: string; make: () => Promise<string> }

  function cases(): PackCase[] {
    const out: PackCase[] = [];
    const entries: { key: string; file: string; truncated: EngineErrorCode; setSha: (m: any, s: string) => void }[] = [
      ...GRAPH_NAMES.map((g) => ({ key: g, file: manifest.files[g].file, truncated: 'PACK_BAD_GRAPH' as const, setSha: (m: any, s: string) => (m.files[g].sha256 = s) })),
      { key: 'codebook', file: manifest.codebook.file, truncated: 'PACK_BAD_CODEBOOK' as const, setSha: (m: any, s: string) => (m.codebook.sha256 = s) },
    ];
    for (const { key, file, truncated, setSha } of entries) {
      const original = () => readFileSync(join(PACK_DIR, file));
      out.push({ name: `${key}: missing file`, expect: ['PACK_MISSING_FILE'], file, make: () => brokenPack({ [file]: null }) });
      out.push({
        name: `${key}: one flipped byte`, expect: ['PACK_SHA256_MISMATCH'], file,
        make: () => {
          const b = Buffer.from(original());
          b[b.length >> 1] ^= 0x01;
          return brokenPack({ [file]: b });
        },
      });
      out.push({
        name: `${key}: truncated to half, sha256 updated`, expect: [truncated], file,
        make: () => {
          const b = original().subarray(0, original().length >> 1);
          return brokenPack({ [file]: b }, (m) => setSha(m, sha(b)));
        },
      });
    }
    const m = (name: string, edit: ((m: any) => void) | string, code: EngineErrorCode = 'PACK_BAD_MANIFEST'): PackCase =>
      ({ name: `manifest: ${name}`, expect: [code], make: () => brokenPack({}, edit) });
    out.push(
      m('not JSON', '{"format": "nvg-pack", "formatVersion": 1, '),
      m('empty file', ''),
      m('a JSON array', '[1, 2, 3]'),
      m('wrong format', (x) => (x.format = 'onnx-bundle'), 'PACK_UNSUPPORTED_VERSION'),
      m('formatVersion 2', (x) => (x.formatVersion = 2), 'PACK_UNSUPPORTED_VERSION'),
      m('image size 10^6', (x) => (x.image.size = 1e6)),
      m('T not a power of two', (x) => ((x.latent.h = 3), (x.latent.w = 5))),
      m('V = 0', (x) => (x.codebook.V = 0)),
      m('e = 10^5', (x) => ((x.latent.e = 1e5), (x.codebook.e = 1e5))),
      m('0 classes', (x) => ((x.classes = []), (x.nullClass = 0))),
      m('contentScale one short', (x) => x.contentScale.pop()),
      m('contentScale one long', (x) => x.contentScale.push(1)),
      m('graph file name with ../', (x) => (x.files.decoder.file = '../decoder.onnx')),
      m('codebook file name with ../', (x) => (x.codebook.file = '../codebook.bin')),
    );
    out.push({
      name: 'manifest: missing', expect: ['PACK_MISSING_FILE'],
      make: async () => {
        const dir = await brokenPack({});
        await rm(join(dir, 'manifest.json'));
        return dir;
      },
    });
    return out;
  }

  it('every broken pack is refused with the expected EngineError; the intact pack still generates', async () => {
    const all = cases();
    const failures: string[] = [];
    for (const c of all) {
      const dir = await c.make();
      const err = await thrown(async () => (await loadPack(dir, { provider: 'cpu', intraOpThreads: 1 })).dispose());
      if (!(err instanceof EngineError)) failures.push(`${c.name}: ${err === undefined ? 'loaded' : `threw ${String(err)}`}`);
      else if (!c.expect.includes(err.code)) failures.push(`${c.name}: ${err.code} (${err.message}), expected ${c.expect.join('|')}`);
      else if (c.file && err.details.file !== c.file) failures.push(`${c.name}: details.file = ${String(err.details.file)}, expected ${c.file}`);
      else if (!err.message.trim()) failures.push(`${c.name}: empty message`);
    }
    expect(failures).toEqual([]);

    // ... and the engine still works: load the intact pack and generate one image.
    const pack = await loadPack(PACK_DIR, { provider: 'cpu', intraOpThreads: 2 });
    try {
      const res = await generate(pack, { classId: 0, seed: 7, params: { structureSteps: 4 } });
      expect(res.images.length).toBe(3 * SIZE * SIZE);
      expect(res.images.every(Number.isFinite)).toBe(true);
    } finally {
      await pack.dispose();
    }
    console.log(`[faults] broken packs: ${all.length} cases tried, all refused with a typed EngineError; the intact pack then generated an image`);
  }, 60_000);
});

// ------------------------------------------------------------------------------------- 2. PNGs

/** A minimal PNG writer for what pngjs cannot write (palette, tRNS, 16-bit, Adam7). */
interface RawPng {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 8 | 16;
  interlace?: boolean;
  /** Samples of pixel (x, y), in the colour type's channel order. */
  samples: (x: number, y: number) => number[];
  palette?: [number, number, number][];
  trns?: number[];
}
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
  return out;
}

function writeRawPng(p: RawPng): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(p.width, 0);
  ihdr.writeUInt32BE(p.height, 4);
  ihdr[8] = p.bitDepth;
  ihdr[9] = p.colorType;
  ihdr[12] = p.interlace ? 1 : 0;
  const rows: Buffer[] = [];
  const passes = p.interlace ? ADAM7 : [[0, 0, 1, 1]];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0; y < p.height; y += dy) {
      const row: number[] = [0]; // filter: none
      for (let x = x0; x < p.width; x += dx) {
        for (const s of p.samples(x, y)) p.bitDepth === 16 ? row.push(s >> 8, s & 255) : row.push(s);
      }
      if (row.length > 1) rows.push(Buffer.from(row)); // empty passes have no scanlines
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(p.palette ? [chunk('PLTE', Buffer.from(p.palette.flat()))] : []),
    ...(p.trns ? [chunk('tRNS', Buffer.from(p.trns))] : []),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A varied RGBA test picture (several colours, some transparency). */
function picture(width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([(x * 8) & 255, (y * 8) & 255, x < width / 2 ? 40 : 200, y < 2 ? 128 : 255], (y * width + x) * 4);
  }
  return { width, height, data };
}

interface PngCase {
  name: string;
  bytes: Buffer;
  /** The RGBA pixels it must decode to, or null when it must be refused. */
  rgba: RgbaImage | null;
}

function pngCases(size: number): PngCase[] {
  const good = encodePng(picture(size, size));
  const out: PngCase[] = [];
  for (const at of [0, 4, 8, 16, 24, 33, 40, good.length >> 1, good.length - 12, good.length - 1]) {
    out.push({ name: `truncated at byte ${at}`, bytes: good.subarray(0, at), rgba: null });
  }
  out.push({ name: 'only the signature', bytes: good.subarray(0, 8), rgba: null });
  const badCrc = Buffer.from(good);
  badCrc[29] ^= 0xff; // IHDR's CRC
  out.push({ name: 'bad IHDR CRC', bytes: badCrc, rgba: null });
  const idatCrc = Buffer.from(good);
  idatCrc[idatCrc.length - 13] ^= 0xff; // the last IDAT's CRC (just before IEND)
  out.push({ name: 'bad IDAT CRC', bytes: idatCrc, rgba: null });
  const huge = Buffer.from(good);
  huge.writeUInt32BE(100000, 16);
  huge.writeUInt32BE(100000, 20);
  huge.writeUInt32BE(crc32(huge.subarray(12, 29)) >>> 0, 29);
  out.push({ name: 'IHDR claiming 100000x100000 (valid CRC)', bytes: huge, rgba: null });
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), randomBytes(200), Buffer.from([0xff, 0xd9])]);
  out.push({ name: 'a JPEG renamed .png', bytes: jpeg, rgba: null });
  out.push({ name: 'a text file', bytes: Buffer.from('this is not an image\nreally not\n'), rgba: null });

  // Valid but unusual: each must decode to exactly these pixels.
  const expectRgba = (w: number, h: number, px: (x: number, y: number) => number[]): RgbaImage => {
    const data = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(px(x, y), (y * w + x) * 4);
    return { width: w, height: h, data };
  };
  const g = (x: number, y: number) => (x * 7 + y * 3) & 255;
  out.push({ name: '1x1', bytes: encodePng({ width: 1, height: 1, data: new Uint8Array([10, 20, 30, 255]) }), rgba: { width: 1, height: 1, data: new Uint8Array([10, 20, 30, 255]) } });
  out.push({ name: 'grayscale', bytes: writeRawPng({ width: size, height: size, colorType: 0, bitDepth: 8, samples: (x, y) => [g(x, y)] }), rgba: expectRgba(size, size, (x, y) => [g(x, y), g(x, y), g(x, y), 255]) });
  out.push({
    name: 'grayscale + alpha', bytes: writeRawPng({ width: size, height: size, colorType: 4, bitDepth: 8, samples: (x, y) => [g(x, y), x * 8] }),
    rgba: expectRgba(size, size, (x, y) => [g(x, y), g(x, y), g(x, y), x * 8]),
  });
  const palette: [number, number, number][] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
  const trns = [255, 128, 0];
  out.push({
    name: 'palette with tRNS', bytes: writeRawPng({ width: size, height: size, colorType: 3, bitDepth: 8, palette, trns, samples: (x, y) => [(x + y) % 4] }),
    rgba: expectRgba(size, size, (x, y) => [...palette[(x + y) % 4], trns[(x + y) % 4] ?? 255]),
  });
  out.push({
    name: '16-bit RGB', bytes: writeRawPng({ width: size, height: size, colorType: 2, bitDepth: 16, samples: (x, y) => [g(x, y) * 257, x * 257, y * 257] }),
    rgba: expectRgba(size, size, (x, y) => [g(x, y), x, y, 255]),
  });
  const pic = picture(size, size);
  const at = (x: number, y: number) => Array.from(pic.data.subarray((y * size + x) * 4, (y * size + x) * 4 + 4));
  out.push({ name: 'interlaced (Adam7) RGBA', bytes: writeRawPng({ width: size, height: size, colorType: 6, bitDepth: 8, interlace: true, samples: at }), rgba: pic });
  out.push({
    name: 'interlaced (Adam7) 3x5 gray', bytes: writeRawPng({ width: 3, height: 5, colorType: 0, bitDepth: 8, interlace: true, samples: (x, y) => [g(x, y)] }),
    rgba: expectRgba(3, 5, (x, y) => [g(x, y), g(x, y), g(x, y), 255]),
  });
  return out;
}

describe('2. odd PNGs through every entry point', () => {
  /** Checks one outcome: a correct result, or a typed error naming the input. Returns a problem or null. */
  function judge(entry: string, c: PngCase, file: string, run: () => void, allowed: (err: unknown) => boolean): string | null {
    try {
      run();
      return null;
    } catch (err) {
      if (!allowed(err)) return `${entry} / ${c.name}: untyped ${(err as Error)?.name}: ${(err as Error)?.message}`;
      if (!(err as Error).message.includes(file)) return `${entry} / ${c.name}: the message does not name ${file}: ${(err as Error).message}`;
      return null;
    }
  }

  it('each decodes correctly or throws a typed error naming the input', () => {
    const all = pngCases(SIZE);
    const problems: string[] = [];
    let tried = 0, decoded = 0, refused = 0;
    for (const c of all) {
      const file = `case-${c.name.replace(/\W+/g, '-')}.png`;
      // decodePng
      tried++;
      let img: RgbaImage | undefined;
      try {
        img = decodePng(c.bytes, file);
      } catch (err) {
        if (!(err instanceof PngError)) problems.push(`decodePng / ${c.name}: untyped ${String(err)}`);
        else if (!err.message.includes(file)) problems.push(`decodePng / ${c.name}: does not name the file`);
        else if (c.rgba) problems.push(`decodePng / ${c.name}: a valid PNG was refused: ${err.message}`);
        refused++;
      }
      if (img) {
        decoded++;
        if (!c.rgba) problems.push(`decodePng / ${c.name}: a broken PNG decoded (${img.width}x${img.height})`);
        else if (img.width !== c.rgba.width || img.height !== c.rgba.height || !Buffer.from(img.data).equals(Buffer.from(c.rgba.data))) {
          problems.push(`decodePng / ${c.name}: wrong pixels`);
        }
      }
      // structure maps: decode then imageToRegions (RangeError for too few / too many colours)
      tried++;
      const p1 = judge('structure map', c, file, () => {
        const regions = imageToRegions(decodePng(c.bytes, file), file);
        expect(regions.data.length).toBe(regions.width * regions.height);
      }, (e) => e instanceof PngError || e instanceof RangeError);
      if (p1) problems.push(p1);
      // reference images: decode then pixelsToTensor at the pack size (BAD_REQUEST when the size is wrong)
      tried++;
      const p2 = judge('reference', c, file, () => {
        const im = decodePng(c.bytes, file);
        try {
          const t = pixelsToTensor({ ...im, channels: 4 }, SIZE);
          expect(t.length).toBe(3 * SIZE * SIZE);
        } catch (err) {
          // EngineError does not know the file name; the caller adds it, as the app does
          if (err instanceof EngineError && err.code === 'BAD_REQUEST') throw new PngError(file, err.message);
          throw err;
        }
      }, (e) => e instanceof PngError);
      if (p2) problems.push(p2);
      // restores: importPng (NOT_PNG for broken bytes, NO_RECIPE for a PNG without nvg-vgs)
      tried++;
      const err = (() => {
        try {
          importPng(c.bytes, file);
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      if (!(err instanceof ExportError)) problems.push(`importPng / ${c.name}: ${err === undefined ? 'returned a recipe' : `untyped ${String(err)}`}`);
      else if (!err.message.includes(file)) problems.push(`importPng / ${c.name}: does not name the file`);
      else if (c.rgba && err.code !== 'NO_RECIPE') problems.push(`importPng / ${c.name}: ${err.code} for a valid PNG (${err.message})`);
      else if (!['NOT_PNG', 'NO_RECIPE'].includes(err.code)) problems.push(`importPng / ${c.name}: code ${err.code}`);
    }
    expect(problems).toEqual([]);

    // A plain PNG without the nvg-vgs chunk: a clear NO_RECIPE.
    const plain = encodePng(picture(SIZE, SIZE));
    expect(() => importPng(plain, 'holiday.png')).toThrow(expect.objectContaining({ code: 'NO_RECIPE', message: expect.stringMatching(/holiday\.png has no NVG recipe/) }));
    // Still working: a good PNG decodes, and an exported one restores its recipe.
    expect(decodePng(plain, 'ok.png').width).toBe(SIZE);
    const exported = embedRecipe(plain, fakeVgs(5));
    expect(importPng(exported, 'exported.png').vgs.seed).toBe(5);
    console.log(`[faults] odd PNGs: ${all.length} inputs x 4 entry points = ${tried} cases tried (${decoded} decoded correctly, ${refused} refused by decodePng), all typed errors naming the input; Adam7, palette+tRNS and 16-bit written by a small encoder in this test`);
  }, 30_000);
});

// ---------------------------------------------------------------------------- 3. structure maps

describe('3. structure maps', () => {
  it('odd maps are handled or refused clearly', () => {
    const { h, w } = manifest.latent;
    const solid = (W: number, H: number, rgb: [number, number, number]): RgbaImage => {
      const data = new Uint8Array(W * H * 4);
      for (let i = 0; i < W * H; i++) data.set([...rgb, 255], 4 * i);
      return { width: W, height: H, data };
    };
    const halves = (W: number, H: number): RgbaImage => {
      const im = solid(W, H, [0, 0, 0]);
      for (let y = 0; y < H; y++) for (let x = Math.floor(W / 2); x < W; x++) im.data.set([255, 255, 255], (y * W + x) * 4);
      return im;
    };
    const photo = (W: number, H: number): RgbaImage => {
      const data = new Uint8Array(W * H * 4);
      for (let i = 0; i < W * H; i++) data.set([i & 255, (i >> 8) & 255, (i * 37) & 255, 255], 4 * i);
      return { width: W, height: H, data };
    };
    /** Through the file and back, as the app and CLI read maps. */
    const viaPng = (im: RgbaImage, file: string) => imageToRegions(decodePng(encodePng(im), file), file);
    const stage1 = (im: RgbaImage, file: string) => structure.maskToStage1(viaPng(im, file), h, w, 'balanced');
    let tried = 0;
    const refuse = (name: string, fn: () => unknown, pattern: RegExp) => {
      tried++;
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(RangeError);
      expect((err as Error).message, name).toMatch(pattern);
    };
    const handled = (name: string, fn: () => Int32Array) => {
      tried++;
      const labels = fn();
      expect(labels.length, name).toBe(h * w);
      expect(new Set(labels), name).toEqual(new Set([0, 1]));
      expect(structure.checkParentConsistency([new Int32Array(h * w), labels]), name).toBeNull();
    };
    refuse('single colour', () => stage1(solid(SIZE, SIZE, [200, 10, 10]), 'red.png'), /red\.png: .*at least two regions.*found 1/);
    refuse('fully transparent', () => viaPng({ width: 4, height: 4, data: new Uint8Array(64) }, 'clear.png'), /clear\.png: .*found 1/);
    refuse('photo-like, > 256 colours', () => stage1(photo(SIZE, SIZE), 'photo.png'), /photo\.png: more than 256 colours/);
    refuse('a 1x1 map', () => stage1(solid(1, 1, [0, 0, 0]), 'dot.png'), /dot\.png: .*found 1/);
    handled('a 2x1 map (two pixels)', () => stage1(halves(2, 1), 'two.png'));
    handled('a 1x2 map', () => structure.maskToStage1(viaPng({ width: 1, height: 2, data: new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255]) }, 'tall.png'), h, w, 'asDrawn'));
    handled('non-square 100x37 map', () => stage1(halves(100, 37), 'wide.png'));
    handled('non-square 5x300 map', () => stage1(halves(5, 300), 'tall.png'));
    handled('exactly 256 colours', () => stage1({ ...photo(16, 16), data: photo(16, 16).data }, 'p256.png'));
    // A map at a size other than the reference image's: maps are resampled to the latent grid
    // (any size works), while a reference image of the wrong size is refused by pixelsToTensor.
    handled('map at 3x the reference size', () => stage1(halves(3 * SIZE, 3 * SIZE), 'big.png'));
    tried++;
    expect(() => pixelsToTensor({ ...picture(SIZE + 1, SIZE), channels: 4 }, SIZE)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/resize it first/) }));
    tried++;
    expect(() => pixelsToTensor({ data: new Uint8Array(10), width: SIZE, height: SIZE, channels: 4 }, SIZE)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    // still working
    handled('a good black/white map afterwards', () => stage1(halves(SIZE, SIZE), 'good.png'));
    console.log(`[faults] structure maps: ${tried} cases tried, each handled (labels on the ${h}x${w} grid) or refused with a RangeError/EngineError naming the map`);
  });
});

// ------------------------------------------------------------------------------- 4. databases

describe('4. library files', () => {
  it('damaged files give LibraryError codes and stay byte for byte the same', () => {
    const dir = join(work, 'db');
    mkdirSync(dir);
    const real = join(dir, 'real.sqlite');
    const lib = Library.open(real);
    const p = lib.createProject({ name: 'p' });
    for (let i = 0; i < 30; i++) lib.recordGeneration(p.id, null, fakeVgs(i), fakePng(64, i));
    lib.close();
    const realBytes = readFileSync(real);
    const root = process.getuid?.() === 0;

    const cases: { name: string; make: (path: string) => void; expect: string[]; checkBytes: boolean }[] = [
      { name: 'random bytes (64 KiB)', make: (f) => writeFileSync(f, randomBytes(64 * 1024)), expect: ['LIBRARY_CORRUPT'], checkBytes: true },
      { name: 'random bytes (50 B)', make: (f) => writeFileSync(f, randomBytes(50)), expect: ['LIBRARY_CORRUPT'], checkBytes: true },
      { name: 'SQLite magic then garbage', make: (f) => writeFileSync(f, Buffer.concat([realBytes.subarray(0, 16), randomBytes(8192)])), expect: ['LIBRARY_CORRUPT'], checkBytes: true },
      { name: 'truncated real library (half)', make: (f) => writeFileSync(f, realBytes.subarray(0, realBytes.length >> 1)), expect: ['LIBRARY_CORRUPT'], checkBytes: true },
      { name: 'truncated real library (header only)', make: (f) => writeFileSync(f, realBytes.subarray(0, 100)), expect: ['LIBRARY_CORRUPT'], checkBytes: true },
      {
        name: 'read-only damaged file', make: (f) => (writeFileSync(f, randomBytes(4096)), chmodSync(f, 0o444)), expect: ['LIBRARY_CORRUPT'], checkBytes: true,
      },
    ];
    if (!root) {
      cases.push({ name: 'read-only real library', make: (f) => (writeFileSync(f, realBytes), chmodSync(f, 0o444)), expect: ['LIBRARY_IO'], checkBytes: true });
    }
    const problems: string[] = [];
    cases.forEach((c, i) => {
      const path = join(dir, `case${i}.sqlite`);
      c.make(path);
      const before = c.checkBytes ? readFileSync(path) : null;
      let err: unknown;
      try {
        Library.open(path).close();
      } catch (e) {
        err = e;
      }
      if (!(err instanceof LibraryError)) problems.push(`${c.name}: ${err === undefined ? 'opened' : `untyped ${String(err)}`}`);
      else if (!c.expect.includes(err.code)) problems.push(`${c.name}: ${err.code}, expected ${c.expect.join('|')} (${err.message})`);
      else if (!err.message.includes(path)) problems.push(`${c.name}: message does not name the file`);
      if (before && !readFileSync(path).equals(before)) problems.push(`${c.name}: the file was modified`);
    });
    expect(problems).toEqual([]);

    // Zero bytes: SQLite's rule, a new empty library (documented in electron/library/open.ts).
    const empty = join(dir, 'empty.sqlite');
    writeFileSync(empty, '');
    const e = Library.open(empty);
    expect(e.listProjects()).toEqual([]);
    e.close();

    // Still working: the real library opens with its records, and a new one can be made.
    const again = Library.open(real);
    expect(again.listProjects().length).toBe(1);
    again.close();
    const fresh = Library.open(join(dir, 'fresh.sqlite'));
    fresh.createProject({ name: 'after the faults' });
    fresh.close();
    const n = cases.length + 1;
    console.log(`[faults] databases: ${n + 1} cases tried (incl. the directory case below), ${cases.length} refused with a LibraryError (damaged bytes unchanged), zero-length opened as a new library${root ? '; read-only real library skipped (running as root, chmod does not stop writes)' : ''}`);
  }, 30_000);

  // Found by this suite: a directory at the library path used to escape as a raw EISDIR error.
  it('a directory instead of a file -> LibraryError (LIBRARY_IO or LIBRARY_CORRUPT)', () => {
    const path = join(work, 'db', 'a-directory.sqlite');
    mkdirSync(path, { recursive: true });
    let err: unknown;
    try {
      Library.open(path).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LibraryError);
    expect(['LIBRARY_IO', 'LIBRARY_CORRUPT']).toContain((err as LibraryError).code);
    expect((err as Error).message).toContain(path);
  });
});
