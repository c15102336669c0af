import { describe, expect, it } from 'vitest';
import {
  a1111Parameters, embedRecipe, exportImage, insertText, makeThumbnail, readRecipe, resizeBilinear, resizeForExport, VGS_KEY,
} from '../../electron/export/index.js';
import { decodePng, encodePng } from '../../electron/shared/png.js';
import { fakePng, fakeVgs } from '../library/helpers.js';

describe('recipe in the PNG', () => {
  it('writes the A1111 "parameters" text', () => {
    const text = a1111Parameters(fakeVgs(42, 3), { width: 64, height: 64 }, { className: 'owl' });
    expect(text).toBe(
      'owl\nSteps: 8, Sampler: NVG, CFG scale: 3, Seed: 42, Size: 64x64, Model: fake, Model hash: ababababab, ' +
        'Structure CFG scale: 2, Top-p min: 0.9, Time shift: 0, Gumbel temperature: 1, Class id: 3, Stages: 3, ' +
        'Pinned structure: 0, Pinned content: none, NVG VGS: v1',
    );
    expect(a1111Parameters(fakeVgs(1, 7), { width: 1, height: 1 }).split('\n')[0]).toBe('class 7');
  });

  it('round-trips the VGS record and leaves the pixels alone', () => {
    const png = fakePng(32, 9);
    const out = embedRecipe(png, fakeVgs(5, 1), { className: 'cat' });
    const recipe = readRecipe(out);
    expect(recipe.vgs).toEqual(fakeVgs(5, 1));
    expect(recipe.parameters).toMatch(/^cat\nSteps: 8/);
    expect(decodePng(out).data).toEqual(decodePng(png).data);
    // Re-embedding replaces the recipe.
    expect(readRecipe(embedRecipe(out, fakeVgs(6, 1))).vgs.seed).toBe(6);
  });

  it('NO_RECIPE for a plain PNG, BAD_RECIPE for a damaged record', () => {
    expect(() => readRecipe(fakePng())).toThrow(expect.objectContaining({ code: 'NO_RECIPE' }));
    const bad = insertText(fakePng(), [{ keyword: VGS_KEY, text: JSON.stringify({ ...fakeVgs(), seed: 'x' }), kind: 'iTXt' }]);
    expect(() => readRecipe(bad)).toThrow(expect.objectContaining({ code: 'BAD_RECIPE' }));
    const notJson = insertText(fakePng(), [{ keyword: VGS_KEY, text: '{', kind: 'iTXt' }]);
    expect(() => readRecipe(notJson)).toThrow(expect.objectContaining({ code: 'BAD_RECIPE' }));
  });

  it('exports at 1x as the same pixels, nearest at integer factors, smooth at any size', () => {
    const png = fakePng(32, 2);
    const src = decodePng(png);
    const one = exportImage(png, fakeVgs());
    expect(decodePng(one).data).toEqual(src.data);
    const x3 = decodePng(exportImage(png, fakeVgs(), { scale: 3, mode: 'nearest' }));
    expect([x3.width, x3.height]).toEqual([96, 96]);
    expect(Array.from(x3.data.subarray((2 * 96 + 2) * 4, (2 * 96 + 2) * 4 + 4))).toEqual(Array.from(src.data.subarray(0, 4)));
    expect(() => exportImage(png, fakeVgs(), { scale: 1.5, mode: 'nearest' })).toThrow(/integer/);
    const smooth = exportImage(png, fakeVgs(), { scale: 1.5, mode: 'smooth' });
    expect(decodePng(smooth).width).toBe(48);
    expect(readRecipe(smooth).parameters).toMatch(/Size: 48x48/);
  });

  it('bilinear: constant stays constant, a 2-pixel ramp interpolates, corners keep their values', () => {
    const flat = { width: 4, height: 4, data: new Uint8Array(64).fill(77) };
    expect(resizeBilinear(flat, 9, 7).data.every((v) => v === 77)).toBe(true);
    const ramp = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 255, 200, 200, 200, 255]) };
    const wide = resizeBilinear(ramp, 4, 1);
    expect(Array.from(wide.data.filter((_, i) => i % 4 === 0))).toEqual([0, 50, 150, 200]);
    expect(resizeForExport(flat, 1, 'smooth')).toBe(flat);
  });

  it('thumbnails: small images as they are, big ones box-filtered to 128 px', () => {
    const small = fakePng(64);
    expect(makeThumbnail(small).equals(small)).toBe(true);
    const big = encodePng({ width: 512, height: 256, data: new Uint8Array(512 * 256 * 4).fill(200) });
    const t = decodePng(makeThumbnail(big));
    expect([t.width, t.height]).toEqual([128, 64]);
    expect(t.data[0]).toBe(200);
  });
});
