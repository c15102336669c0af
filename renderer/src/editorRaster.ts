/**
 * Pixels of the structure editor -> a binary mask (ink vs paper) -> stage labels on the latent
 * grid. Binary on purpose: a stage splits each parent region in two, and anti-aliased stroke
 * edges would otherwise count as hundreds of extra "colours".
 */
import { maskToStageLabels, type LabelImage, type MaskMode } from '../../electron/engine/structure.js';

export const INK = '#1d2433';
export const PAPER = '#ffffff';

/** Ink = opaque and dark. Eraser strokes are opaque white: paper. */
export function binaryMask(img: ImageData): LabelImage {
  const data = new Int32Array(img.width * img.height);
  for (let i = 0; i < data.length; i++) {
    const o = i * 4;
    const lum = 0.299 * img.data[o] + 0.587 * img.data[o + 1] + 0.114 * img.data[o + 2];
    data[i] = img.data[o + 3] >= 128 && lum < 128 ? 1 : 0;
  }
  return { width: img.width, height: img.height, data };
}

export type SnapResult = { ok: true; labels: Int32Array; inkCells: number } | { ok: false; message: string };

/** The live preview: the drawing snapped to stage k's labels inside the stage k-1 regions. */
export function snapToStage(mask: LabelImage, h: number, w: number, k: number, parents: Int32Array, mode: MaskMode): SnapResult {
  let ink = 0;
  for (let i = 0; i < mask.data.length; i++) ink += mask.data[i];
  if (ink === 0) return { ok: false, message: 'Draw (ink) where the second half of each region should go.' };
  if (ink === mask.data.length) return { ok: false, message: 'Everything is ink: leave some paper so each region can split.' };
  try {
    const labels = maskToStageLabels(mask, h, w, k, parents, mode);
    return { ok: true, labels, inkCells: ink };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** Flood fill of the connected area around (x, y) with the same ink/paper state: returns a mask. */
export function floodFill(mask: LabelImage, x: number, y: number): Uint8Array {
  const { width, height, data } = mask;
  const out = new Uint8Array(width * height);
  const start = y * width + x;
  const target = data[start];
  const stack = [start];
  out[start] = 1;
  while (stack.length) {
    const p = stack.pop()!;
    const px = p % width, py = (p - px) / width;
    const next = [px > 0 ? p - 1 : -1, px < width - 1 ? p + 1 : -1, py > 0 ? p - width : -1, py < height - 1 ? p + width : -1];
    for (const q of next) {
      if (q >= 0 && !out[q] && data[q] === target) {
        out[q] = 1;
        stack.push(q);
      }
    }
  }
  return out;
}
