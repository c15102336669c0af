/** Project thumbnails: the image itself when small, else a box-filtered copy at most `max` px. */
import { decodePng, encodePng } from '../shared/png.js';
import { downscaleBox } from './resize.js';

export function makeThumbnail(png: Uint8Array, max = 128): Buffer {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const img = decodePng(bytes, 'thumbnail');
  return img.width <= max && img.height <= max ? bytes : encodePng(downscaleBox(img, max));
}
