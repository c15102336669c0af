/** Engine tensors and label maps to ImageData, for <canvas> tiles drawn with crisp pixels. */
import { labelColor } from '../../electron/shared/structureMap.js';

/** Image b of a [count, 3, S, S] tensor in [-1, 1] -> S x S RGBA. */
export function tensorToImageData(images: Float32Array, b: number, size: number): ImageData {
  const plane = size * size;
  const base = b * 3 * plane;
  const out = new ImageData(size, size);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.round((images[base + c * plane + p] + 1) * 127.5);
      out.data[p * 4 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    out.data[p * 4 + 3] = 255;
  }
  return out;
}

/** Stage labels on the h x w latent grid -> an h x w picture, one colour per cluster. */
export function labelsToImageData(labels: ArrayLike<number>, h: number, w: number): ImageData {
  const out = new ImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    const [r, g, b] = labelColor(labels[p]);
    out.data.set([r, g, b, 255], p * 4);
  }
  return out;
}

const urls = new WeakMap<Uint8Array, string>();

/** PNG bytes -> a data: URL for <img> (cached per array; thumbnails are a few KiB). */
export function pngUrl(bytes: Uint8Array): string {
  let url = urls.get(bytes);
  if (!url) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    url = `data:image/png;base64,${btoa(s)}`;
    urls.set(bytes, url);
  }
  return url;
}

/** RGBA bytes (S x S) -> a [1, 3, S, S] tensor in [-1, 1], the engine's image layout. */
export function rgbaToTensor(data: Uint8Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = data[p * 4 + c] / 127.5 - 1;
  return out;
}

/** Offers bytes as a file download (the browser host; Electron saves through a dialog in main). */
export function download(fileName: string, bytes: Uint8Array, type = 'image/png'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
