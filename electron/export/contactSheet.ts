/**
 * A contact sheet of all stages: one column per stage, the decoded stage preview on top and its
 * structure map below, on a white background. Previews come precomputed (the main process never
 * runs a model; previews.ts makes them in the engine process).
 */
import type { VgsRecord } from '../engine/vgs.js';
import { upscaleNearest, type RgbaImage } from '../shared/png.js';
import { labelsToImage } from '../shared/structureMap.js';
import { ExportError } from './errors.js';
import type { Grid } from './maps.js';

const PAD = 4;
const MIN_CELL = 96;

function blit(dst: RgbaImage, src: RgbaImage, ox: number, oy: number): void {
  for (let y = 0; y < src.height; y++) {
    dst.data.set(src.data.subarray(y * src.width * 4, (y + 1) * src.width * 4), ((oy + y) * dst.width + ox) * 4);
  }
}

export function contactSheet(vgs: VgsRecord, previews: readonly RgbaImage[], grid: Grid): RgbaImage {
  const n = vgs.stages.length;
  if (previews.length !== n) throw new ExportError('BAD_INPUT', `contact sheet: ${previews.length} previews for ${n} stages`);
  const size = previews[0].width;
  if (previews.some((p) => p.width !== size || p.height !== previews[0].height)) throw new ExportError('BAD_INPUT', 'contact sheet: previews differ in size');
  const factor = Math.max(1, Math.ceil(MIN_CELL / Math.max(size, previews[0].height)));
  const cw = size * factor, ch = previews[0].height * factor;
  const width = PAD + n * (cw + PAD), height = PAD + 2 * (ch + PAD);
  const sheet: RgbaImage = { width, height, data: new Uint8Array(width * height * 4).fill(255) };
  const cell = Math.max(1, Math.floor(cw / grid.w));
  previews.forEach((p, k) => {
    const x = PAD + k * (cw + PAD);
    blit(sheet, upscaleNearest(p, factor), x, PAD);
    const map = labelsToImage(vgs.stages[k].labels, grid.h, grid.w, cell);
    blit(sheet, map, x + Math.floor((cw - map.width) / 2), PAD + ch + PAD + Math.floor((ch - map.height) / 2));
  });
  return sheet;
}
