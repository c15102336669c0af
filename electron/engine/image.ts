/**
 * Conversions between the graphs' image tensors ([B, 3, H, W] float32 in [-1, 1]) and 8-bit
 * pixels, rounding exactly as the Python side (sampler.to_uint8, fixtures.vgs_fixture) so that
 * images compare byte for byte when the float outputs agree.
 */
import { EngineError } from './errors.js';

const f = Math.fround;

/** Python to_uint8 on one value: clip((x + 1) * 127.5 + 0.5, 0, 255) in float32, then truncate. */
function toByte(x: number): number {
  const v = f(f(f(x + 1) * 127.5) + 0.5);
  // NaN -> 0 (numpy's cast of NaN is undefined; 0 is what it does on x86).
  return v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
}

/** Image b of [B, 3, H, W] -> H*W*3 RGB bytes (numpy's [H, W, 3] order). */
export function imageToRgb(images: Float32Array, b: number, size: number): Uint8Array {
  const plane = size * size;
  const base = b * 3 * plane;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    out[3 * p] = toByte(images[base + p]);
    out[3 * p + 1] = toByte(images[base + plane + p]);
    out[3 * p + 2] = toByte(images[base + 2 * plane + p]);
  }
  return out;
}

/** Image b of [B, 3, H, W] -> H*W*4 RGBA bytes (alpha 255), ready for ImageData / PNG. */
export function imageToRgba(images: Float32Array, b: number, size: number): Uint8ClampedArray {
  const plane = size * size;
  const base = b * 3 * plane;
  const out = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    out[4 * p] = toByte(images[base + p]);
    out[4 * p + 1] = toByte(images[base + plane + p]);
    out[4 * p + 2] = toByte(images[base + 2 * plane + p]);
    out[4 * p + 3] = 255;
  }
  return out;
}

export interface PixelImage {
  /** Row-major pixels, `channels` bytes each: 3 = RGB, 4 = RGBA (composited over white, as the dataset loader does). */
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * 8-bit pixels -> one [3, S, S] float32 tensor in [-1, 1], as fixtures.py does:
 * float32(u8) / 127.5 - 1 in float32. RGBA is composited over white first (nvg/data.py) with
 * round-half-up integer maths; exact for alpha 0 and 255.
 */
export function pixelsToTensor(img: PixelImage, size: number): Float32Array {
  const { data, width, height, channels } = img;
  if (width !== size || height !== size) {
    throw new EngineError('BAD_REQUEST', `the image is ${width}x${height}; this pack needs ${size}x${size} (resize it first)`, { width, height, size });
  }
  if ((channels !== 3 && channels !== 4) || data.length !== size * size * channels) {
    throw new EngineError('BAD_REQUEST', `expected ${size}x${size}x${channels} bytes (3 or 4 channels), got ${data.length}`, { length: data.length });
  }
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    const a = channels === 4 ? data[4 * p + 3] : 255;
    for (let c = 0; c < 3; c++) {
      let v = data[channels * p + c];
      if (a !== 255) v = Math.floor((v * a + 255 * (255 - a)) / 255 + 0.5);
      out[c * plane + p] = f(f(v / 127.5) - 1);
    }
  }
  return out;
}
