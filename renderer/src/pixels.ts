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
