/**
 * The promise of an exported PNG: import it, replay its VGS record on the same pack with every
 * stage pinned, and get the exported image back byte for byte (tiny pack, CPU).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate, resultToRgba, vgsFromResult, vgsToRequest, type Pack, type VgsRecord } from '../../electron/engine/index.js';
import { embedRecipe, exportRecord, gridOf, importPng } from '../../electron/export/index.js';
import { pinAll, renderStages } from '../../electron/export/previews.js';
import { decodePng, encodePng, type RgbaImage } from '../../electron/shared/png.js';
import { openTestPack } from '../engine/packFixtures.js';
import { tempDir } from '../library/helpers.js';

let pack: Pack;
let vgs: VgsRecord;
let png: Buffer;
let tmp: ReturnType<typeof tempDir>;

const toPng = (rgba: Uint8ClampedArray): Buffer => {
  const size = pack.dims.imageSize;
  return encodePng({ width: size, height: size, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength) });
};

beforeAll(async () => {
  tmp = tempDir('nvg-regen-');
  pack = await openTestPack();
  const result = await generate(pack, { classId: 2, seed: 77, params: { structureSteps: 4 } });
  vgs = vgsFromResult(pack, result, 0);
  png = toPng(resultToRgba(pack, result)[0]);
}, 120_000);
afterAll(async () => {
  await pack?.dispose();
  tmp?.cleanup();
});

describe('export -> import -> regenerate', () => {
  it('gives identical image bytes at 1x', async () => {
    const className = pack.manifest.classes.find((c) => c.id === 2)?.name;
    const [file] = exportRecord(tmp.dir, { vgs, png, className, grid: { h: pack.dims.h, w: pack.dims.w } }, { baseName: 'regen' });
    const exported = readFileSync(file);
    const { vgs: back, parameters } = importPng(exported);
    expect(back).toEqual(vgs);
    expect(back.pack.manifestSha256).toBe(pack.manifestSha256);
    expect(parameters).toContain(`Model hash: ${pack.manifestSha256.slice(0, 10)}`);

    const replay = await generate(pack, vgsToRequest(pinAll(back)));
    const again = toPng(resultToRgba(pack, replay)[0]);
    expect(decodePng(again).data).toEqual(decodePng(exported).data); // the pixels
    expect(embedRecipe(again, back, { className }).equals(exported)).toBe(true); // and the file, byte for byte
    expect(readFileSync(join(tmp.dir, 'regen-stage0-map.png')).length).toBeGreaterThan(0);
  }, 60_000);

  it('renders stage previews for the contact sheet; the last one is the image', async () => {
    const { previews, image } = await renderStages(pack, vgs);
    expect(previews).toHaveLength(pack.dims.K + 1);
    expect(Buffer.from(image.data).equals(Buffer.from(decodePng(png).data))).toBe(true);
    const files = exportRecord(tmp.dir, { vgs, png, grid: gridOf(vgs, { h: pack.dims.h, w: pack.dims.w }), stagePreviews: previews as RgbaImage[] }, { baseName: 'sheet', masks: false, maps: false, labels: false });
    expect(files.map((f) => f.slice(tmp.dir.length + 1))).toEqual(['sheet.png', 'sheet-sheet.png']);
    expect(decodePng(readFileSync(files[1])).width).toBe(4 + (pack.dims.K + 1) * (96 + 4));
  }, 60_000);
});
