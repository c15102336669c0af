/**
 * Structure maps as pictures: stage labels drawn as colours (one colour per cluster, stable across
 * runs), and colour images (drawn masks, segmentation PNGs) read back as region ids.
 */
import type { LabelImage } from '../engine/structure.js';
import type { RgbaImage } from './png.js';

/** A well-spread colour for cluster `label` (golden-angle hues), RGB bytes. */
export function labelColor(label: number): [number, number, number] {
  const hue = (label * 0.618033988749895) % 1;
  const s = 0.6;
  const v = label === 0 ? 0.55 : 0.92;
  const i = Math.floor(hue * 6);
  const f = hue * 6 - i;
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/** Labels on an h x w grid -> an RGBA picture, `scale` pixels per cell. */
export function labelsToImage(labels: ArrayLike<number>, h: number, w: number, scale = 1): RgbaImage {
  const width = w * scale, height = h * scale;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = labelColor(labels[Math.floor(y / scale) * w + Math.floor(x / scale)]);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** A binary mask of one cluster: white where `labels == label`, black elsewhere. */
export function labelMask(labels: ArrayLike<number>, h: number, w: number, label: number, scale = 1): RgbaImage {
  const width = w * scale, height = h * scale;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = labels[Math.floor(y / scale) * w + Math.floor(x / scale)] === label ? 255 : 0;
      data.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

export const MAX_REGIONS = 256;

/**
 * A colour picture -> region ids (0, 1, ... in order of first appearance in raster order).
 * Transparent pixels (alpha < 128) count as white, as a drawing on a transparent layer would.
 * Throws for fewer than two or more than MAX_REGIONS colours.
 */
export function imageToRegions(image: RgbaImage, file = 'structure map'): LabelImage {
  const ids = new Map<number, number>();
  const data = new Int32Array(image.width * image.height);
  for (let i = 0; i < data.length; i++) {
    const o = i * 4;
    const key = image.data[o + 3] < 128 ? 0xffffff : (image.data[o] << 16) | (image.data[o + 1] << 8) | image.data[o + 2];
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      if (id >= MAX_REGIONS) throw new RangeError(`${file}: more than ${MAX_REGIONS} colours; a structure map needs a few flat colours (e.g. a black-and-white mask)`);
      ids.set(key, id);
    }
    data[i] = id;
  }
  if (ids.size < 2) throw new RangeError(`${file}: a structure map needs at least two regions (colours), found ${ids.size}`);
  return { width: image.width, height: image.height, data };
}
