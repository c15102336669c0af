/**
 * Structure of a record as files: per stage a colour map (one colour per cluster, the colours the
 * app draws with), binary masks, and the raw labels and tokens as JSON.
 *
 * Masks (decision, docs/library.md): stage 0 has one cluster, so no mask; stage 1 has two clusters
 * that are each other's complement, so a single mask (white = cluster 1); stages k >= 2 get one
 * mask per cluster present (white = in the cluster), up to stage MASK_STAGES_DEFAULT (64 masks) so
 * big packs do not write thousands of files. Masks are true 1-bit greyscale PNGs: tiny, and any
 * editor opens them as black and white.
 */
import zlib from 'node:zlib';
import type { VgsRecord } from '../engine/vgs.js';
import { labelsToImage } from '../shared/structureMap.js';
import { writeChunks } from './pngChunks.js';

export const MASK_STAGES_DEFAULT = 6;

export interface Grid {
  h: number;
  w: number;
}

/** The latent grid: from the pack when known, else the most square h x w with h * w = T (h <= w). */
export function gridOf(vgs: VgsRecord, grid?: Grid): Grid {
  const T = vgs.stages[0].labels.length;
  if (grid) {
    if (grid.h * grid.w !== T) throw new RangeError(`grid ${grid.h}x${grid.w} does not hold ${T} labels`);
    return grid;
  }
  const K = Math.log2(T);
  const h = 2 ** Math.floor(K / 2);
  return { h, w: T / h };
}

/** A 1-bit greyscale PNG: `on(x, y)` true = white. */
export function encodeMask1Bit(width: number, height: number, on: (x: number, y: number) => boolean): Buffer {
  const stride = Math.ceil(width / 8) + 1; // filter byte + packed bits, MSB first
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (on(x, y)) raw[y * stride + 1 + (x >> 3)] |= 0x80 >> (x & 7);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale; compression, filter, interlace: 0
  return writeChunks([
    { type: 'IHDR', data: ihdr },
    { type: 'IDAT', data: zlib.deflateSync(raw, { level: 9 }) },
    { type: 'IEND', data: Buffer.alloc(0) },
  ]);
}

export interface StageMask {
  stage: number;
  /** The cluster that is white. */
  cluster: number;
  png: Buffer;
}

/** The masks of one stage (see the decision above); `scale` pixels per latent cell. */
export function stageMasks(vgs: VgsRecord, k: number, grid: Grid, scale: number): StageMask[] {
  if (k === 0) return [];
  const labels = vgs.stages[k].labels;
  const clusters = k === 1 ? [1] : [...new Set(labels)].sort((a, b) => a - b);
  return clusters.map((cluster) => ({
    stage: k,
    cluster,
    png: encodeMask1Bit(grid.w * scale, grid.h * scale, (x, y) => labels[Math.floor(y / scale) * grid.w + Math.floor(x / scale)] === cluster),
  }));
}

/** The colour map of stage k as RGBA (encode with encodePng). */
export function stageMap(vgs: VgsRecord, k: number, grid: Grid, scale: number) {
  return labelsToImage(vgs.stages[k].labels, grid.h, grid.w, scale);
}

export interface LabelsJson {
  format: 'nvg-structure';
  version: 1;
  pack: VgsRecord['pack'];
  grid: Grid;
  /** Per stage k: T labels (row-major on the grid, values in [0, 2^k)) and 2^k tokens. */
  stages: { stage: number; labels: number[]; tokens: number[]; pinStructure: boolean; pinContent: boolean; source: string }[];
}

export function labelsJson(vgs: VgsRecord, grid: Grid): LabelsJson {
  return {
    format: 'nvg-structure',
    version: 1,
    pack: vgs.pack,
    grid,
    stages: vgs.stages.map((s, stage) => ({ stage, ...s })),
  };
}
