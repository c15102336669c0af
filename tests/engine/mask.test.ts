import { describe, expect, it } from 'vitest';
import { cellRegions, checkParentConsistency, isCanonical, LabelImage, maskToStage1, maskToStageLabels } from '../../electron/engine/structure.js';

/** A W x H label image from a per-pixel function. */
function image(W: number, H: number, f: (x: number, y: number) => number): LabelImage {
  const data = new Int32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = f(x, y);
  return { width: W, height: H, data };
}

// A filled circle (region 1) of radius 80 px centred at (128, 128) on a 256 x 256 background (0).
const circle = image(256, 256, (x, y) => ((x + 0.5 - 128) ** 2 + (y + 0.5 - 128) ** 2 <= 80 ** 2 ? 1 : 0));
const ones = (labels: Int32Array) => labels.reduce((n, l) => n + (l & 1), 0);

describe('cellRegions', () => {
  it('counts the pixels of every region in each latent cell', () => {
    const { regions, counts, majority } = cellRegions(circle, 8, 8);
    expect(regions).toEqual([0, 1]);
    expect(counts[0] + counts[1]).toBe(32 * 32); // each cell covers 32 x 32 pixels
    expect(counts[(3 * 8 + 3) * 2 + 1]).toBe(32 * 32); // a centre cell lies inside the circle
    expect(majority[0]).toBe(0);
  });

  it('breaks majority ties towards the lowest region id and samples cells that cover no pixel', () => {
    const half = image(2, 1, (x) => (x === 0 ? 7 : 3)); // one cell, 1 pixel of each region
    expect(cellRegions(half, 1, 1).majority[0]).toBe(0); // index of region 3
    const tiny = image(2, 2, (x, y) => (y === 0 ? 0 : 1)); // 2 x 2 image onto a 4 x 4 grid
    expect(Array.from(cellRegions(tiny, 4, 4).majority)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('drawn mask -> stage 1', () => {
  it('"as drawn" puts each cell in the region covering most of it; the corner side gets bit 0', () => {
    const labels = maskToStage1(circle, 8, 8, 'asDrawn');
    const { majority } = cellRegions(circle, 8, 8);
    labels.forEach((l, p) => expect(l).toBe(majority[p])); // inside cells -> 1, outside -> 0
    expect(ones(labels)).toBeGreaterThan(0);
    expect(ones(labels)).toBeLessThan(32); // the circle covers ~31% of the image: uneven
  });

  it('"balanced" gives the circle side the 32 cells with most circle pixels', () => {
    const labels = maskToStage1(circle, 8, 8, 'balanced');
    expect(ones(labels)).toBe(32);
    const asDrawn = maskToStage1(circle, 8, 8, 'asDrawn');
    asDrawn.forEach((l, p) => l === 1 && expect(labels[p]).toBe(1)); // a superset of the drawn circle
    expect(isCanonical(labels, new Int32Array(64))).toBe(true);
  });

  it('maps halves exactly in both modes, bit 0 on the side of position 0', () => {
    const right = image(64, 64, (x) => (x < 32 ? 5 : 2)); // region ids need not be 0/1
    const expected = Array.from({ length: 64 }, (_, p) => (p % 8 < 4 ? 0 : 1));
    expect(Array.from(maskToStage1(right, 8, 8, 'asDrawn'))).toEqual(expected);
    expect(Array.from(maskToStage1(right, 8, 8, 'balanced'))).toEqual(expected);
  });

  it('treats three regions as the dominant one against the rest', () => {
    const three = image(4, 4, (x, y) => (y < 2 ? 0 : x < 2 ? 1 : 2)); // 4 x 4 grid, one pixel per cell
    expect(Array.from(maskToStage1(three, 4, 4, 'asDrawn'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('rejects a mask with a single region', () => {
    expect(() => maskToStage1(image(8, 8, () => 4), 4, 4, 'asDrawn')).toThrow(RangeError);
  });
});

describe('drawn mask -> stage k with parents', () => {
  const leftRight = Int32Array.from({ length: 64 }, (_, p) => (p % 8 < 4 ? 0 : 1)); // stage 1

  it('splits each parent by the drawn regions inside it and stays nested', () => {
    const topBottom = image(256, 256, (_x, y) => (y < 128 ? 0 : 1));
    for (const mode of ['asDrawn', 'balanced'] as const) {
      const labels = maskToStageLabels(topBottom, 8, 8, 2, leftRight, mode);
      // quadrants: top-left 0, bottom-left 1, top-right 2, bottom-right 3
      labels.forEach((l, p) => expect(l).toBe(2 * leftRight[p] + (p >= 32 ? 1 : 0)));
      expect(checkParentConsistency([new Int32Array(64), leftRight, labels])).toBeNull();
    }
  });

  it('"as drawn" leaves a child empty where a parent holds a single drawn region; "balanced" still halves it', () => {
    const blob = image(256, 256, (x, y) => (x < 64 && y < 64 ? 1 : 0)); // only inside the left parent
    const drawn = maskToStageLabels(blob, 8, 8, 2, leftRight, 'asDrawn');
    const right = Array.from(drawn).filter((_, p) => leftRight[p] === 1);
    expect(new Set(right)).toEqual(new Set([2])); // the whole right parent is child 2, child 3 empty
    // the 2 x 2 blob cells hold position 0, so the blob is child 0 of the left parent
    expect(Array.from(drawn).filter((l) => l === 0).length).toBe(4);
    expect(Array.from(drawn).filter((l) => l === 1).length).toBe(28);
    const balanced = maskToStageLabels(blob, 8, 8, 2, leftRight, 'balanced');
    for (const label of [0, 1, 2, 3]) expect(Array.from(balanced).filter((l) => l === label).length).toBe(16);
    [0, 1, 8, 9].forEach((p) => expect(balanced[p]).toBe(0)); // the blob stays together in child 0
  });

  it('validates the stage and the parent labels', () => {
    const m = image(8, 8, (x) => (x < 4 ? 0 : 1));
    expect(() => maskToStageLabels(m, 8, 8, 0, leftRight, 'asDrawn')).toThrow(RangeError);
    expect(() => maskToStageLabels(m, 8, 8, 7, leftRight, 'asDrawn')).toThrow(RangeError);
    expect(() => maskToStageLabels(m, 8, 8, 1, leftRight, 'asDrawn')).toThrow(/outside/);
  });
});
