/**
 * PNG files in and out (pngjs), as RGBA pixels. Corrupt or unreadable files become a clear error
 * naming the file; images larger than MAX_PIXELS are refused before decoding fills memory.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { PNG } from 'pngjs';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major RGBA. */
  data: Uint8Array;
}

export const MAX_PIXELS = 64 * 1024 * 1024;

export class PngError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'PngError';
  }
}

/** Width and height from the IHDR chunk, without decoding (to refuse absurd sizes cheaply). */
function headerSize(bytes: Buffer): { width: number; height: number } | null {
  const signature = '89504e470d0a1a0a';
  if (bytes.length < 24 || bytes.subarray(0, 8).toString('hex') !== signature || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

export function decodePng(bytes: Buffer, file = 'image'): RgbaImage {
  const size = headerSize(bytes);
  if (!size) throw new PngError(file, 'not a PNG file');
  if (size.width === 0 || size.height === 0 || size.width * size.height > MAX_PIXELS) {
    throw new PngError(file, `refusing a ${size.width}x${size.height} image (at most ${MAX_PIXELS} pixels)`);
  }
  try {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  } catch (err) {
    throw new PngError(file, `corrupt PNG (${(err as Error).message})`);
  }
}

export function readPng(path: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new PngError(path, `cannot read (${(err as Error).message})`);
  }
  return decodePng(bytes, path);
}

export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
  return PNG.sync.write(png);
}

/** Writes via a temporary file and a rename, so a failed write never leaves half a file. */
export function writePng(path: string, image: RgbaImage): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, encodePng(image));
  renameSync(tmp, path);
}

/** Nearest-neighbour upscaling by an integer factor (pixel art stays crisp). */
export function upscaleNearest(image: RgbaImage, factor: number): RgbaImage {
  if (factor === 1) return image;
  const width = image.width * factor;
  const height = image.height * factor;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = ((Math.floor(y / factor) * image.width) + Math.floor(x / factor)) * 4;
      data.set(image.data.subarray(src, src + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}
