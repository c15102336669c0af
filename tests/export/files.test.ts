import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  exportBranch, exportRecord, importPng, nodeFs, readRecipe, restoreFromPng, writeFileAtomic, type LabelsJson, type WriteFs,
} from '../../electron/export/index.js';
import { Library } from '../../electron/library/index.js';
import { decodePng, encodePng, type RgbaImage } from '../../electron/shared/png.js';
import { labelColor } from '../../electron/shared/structureMap.js';
import { fakePng, fakeVgs, tempDir } from '../library/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir('nvg-export-')));
afterEach(() => tmp.cleanup());

const pixel = (img: RgbaImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));
const solid = (size: number, v: number): RgbaImage => ({ width: size, height: size, data: new Uint8Array(size * size * 4).fill(v) });

describe('exportRecord: every file round-trips', () => {
  it('image + recipe, colour maps, 1-bit masks, labels JSON, contact sheet', () => {
    const vgs = fakeVgs(21, 4); // K = 2, T = 4: a 2x2 grid
    const png = fakePng(32, 21);
    const previews = [solid(32, 10), solid(32, 100), decodePng(png)];
    const files = exportRecord(tmp.dir, { vgs, png, className: 'fox', stagePreviews: previews }, { baseName: 'fox-r1', scale: 2 });
    const names = files.map((f) => f.slice(tmp.dir.length + 1));
    expect(names).toEqual([
      'fox-r1.png',
      'fox-r1-stage0-map.png',
      'fox-r1-stage1-map.png', 'fox-r1-stage1-mask1.png',
      'fox-r1-stage2-map.png', 'fox-r1-stage2-mask0.png', 'fox-r1-stage2-mask1.png', 'fox-r1-stage2-mask2.png', 'fox-r1-stage2-mask3.png',
      'fox-r1-labels.json', 'fox-r1-sheet.png',
    ]);
    expect(readdirSync(tmp.dir).sort()).toEqual([...names].sort()); // no temp files left

    const image = readFileSync(join(tmp.dir, 'fox-r1.png'));
    expect(readRecipe(image).vgs).toEqual(vgs);
    expect(decodePng(image).width).toBe(64);

    // Maps: 2x2 grid at 16 px per cell (1x image size), colours from labelColor.
    vgs.stages.forEach((s, k) => {
      const map = decodePng(readFileSync(join(tmp.dir, `fox-r1-stage${k}-map.png`)));
      expect([map.width, map.height]).toEqual([32, 32]);
      for (let p = 0; p < 4; p++) expect(pixel(map, (p % 2) * 16 + 8, Math.floor(p / 2) * 16 + 8)).toEqual([...labelColor(s.labels[p]), 255]);
    });
    // Masks: 1-bit greyscale, white exactly on the cluster.
    const mask1 = readFileSync(join(tmp.dir, 'fox-r1-stage1-mask1.png'));
    expect(mask1[8 + 8 + 8]).toBe(1); // IHDR bit depth
    const m1 = decodePng(mask1);
    expect([pixel(m1, 5, 5)[0], pixel(m1, 5, 25)[0]]).toEqual([0, 255]); // stage-1 labels [0,0,1,1]: bottom row is cluster 1
    for (let c = 0; c < 4; c++) {
      const m = decodePng(readFileSync(join(tmp.dir, `fox-r1-stage2-mask${c}.png`)));
      for (let p = 0; p < 4; p++) expect(pixel(m, (p % 2) * 16 + 3, Math.floor(p / 2) * 16 + 3)[0]).toBe(p === c ? 255 : 0);
    }
    const labels = JSON.parse(readFileSync(join(tmp.dir, 'fox-r1-labels.json'), 'utf8')) as LabelsJson;
    expect(labels.grid).toEqual({ h: 2, w: 2 });
    expect(labels.stages.map((s) => s.labels)).toEqual(vgs.stages.map((s) => s.labels));
    expect(labels.stages.map((s) => s.tokens)).toEqual(vgs.stages.map((s) => s.tokens));
    // Sheet: 3 columns of 96 px cells, previews on top, maps below.
    const sheet = decodePng(readFileSync(join(tmp.dir, 'fox-r1-sheet.png')));
    expect([sheet.width, sheet.height]).toEqual([4 + 3 * 100, 4 + 2 * 100]);
    expect(pixel(sheet, 4 + 50, 50)).toEqual([10, 10, 10, 10]);
    expect(pixel(sheet, 104 + 50, 50)).toEqual([100, 100, 100, 100]);
    expect(pixel(sheet, 4 + 10, 104 + 10)).toEqual([...labelColor(0), 255]);
  });

  it('exports a branch and restores a project from an exported PNG', () => {
    const lib = Library.open(join(tmp.dir, 'lib.sqlite'));
    try {
      const p = lib.createProject({ name: 'My cat / 2' });
      const a = lib.recordGeneration(p.id, null, fakeVgs(1), fakePng(32, 1));
      const b = lib.recordGeneration(p.id, a.id, fakeVgs(2), fakePng(32, 2));
      lib.recordGeneration(p.id, b.id, fakeVgs(3), fakePng(32, 3));
      lib.recordGeneration(p.id, null, fakeVgs(4), fakePng(32, 4)); // not in the branch
      const out = join(tmp.dir, 'out');
      const files = exportBranch(lib, b.id, out, { masks: false, maps: false, labels: false });
      expect(files.map((f) => f.slice(out.length + 1))).toEqual([`My-cat-2-r${b.id}.png`, `My-cat-2-r${b.id + 1}.png`]);
      const bytes = readFileSync(files[1]);
      expect(importPng(bytes).vgs.seed).toBe(3);
      const { project, record } = restoreFromPng(lib, bytes, { className: 'cat' });
      expect(project).toMatchObject({ name: 'cat seed 3', tags: ['imported'], currentRecordId: record.id });
      expect(lib.getVgs(record.id)).toEqual(fakeVgs(3));
    } finally {
      lib.close();
    }
  });
});

describe('saving with a full disk', () => {
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

  it('DISK_FULL, the previous file intact, no temp file left', () => {
    const path = join(tmp.dir, 'image.png');
    writeFileSync(path, 'previous version');
    let written = 0;
    const full: WriteFs = {
      ...nodeFs,
      writeSync: (fd, data, offset, length) => {
        if (written > 0) throw enospc();
        written = fs.writeSync(fd, data, offset, Math.min(length, 100)); // half a file, then full
        return written;
      },
    };
    expect(() => writeFileAtomic(path, Buffer.alloc(5000, 1), full)).toThrow(
      expect.objectContaining({ code: 'DISK_FULL', message: expect.stringMatching(/Not enough disk space.*intact/) }),
    );
    expect(readFileSync(path, 'utf8')).toBe('previous version');
    expect(readdirSync(tmp.dir)).toEqual(['image.png']);
  });

  it('fails an export mid-way with DISK_FULL and keeps the earlier export', () => {
    const input = { vgs: fakeVgs(1), png: fakePng(32, 1) };
    exportRecord(tmp.dir, input, { baseName: 'a' });
    const before = readFileSync(join(tmp.dir, 'a.png'));
    const fsync: WriteFs = { ...nodeFs, fsyncSync: () => { throw enospc(); } };
    expect(() => exportRecord(tmp.dir, { vgs: fakeVgs(2), png: fakePng(32, 2) }, { baseName: 'a', fs: fsync })).toThrow(expect.objectContaining({ code: 'DISK_FULL' }));
    expect(readFileSync(join(tmp.dir, 'a.png')).equals(before)).toBe(true);
    expect(readdirSync(tmp.dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    const other: WriteFs = { ...nodeFs, renameSync: () => { throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); } };
    expect(() => writeFileAtomic(join(tmp.dir, 'b.png'), encodePng(solid(2, 1)), other)).toThrow(expect.objectContaining({ code: 'WRITE_FAILED' }));
    expect(existsSync(join(tmp.dir, 'b.png'))).toBe(false);
  });
});
