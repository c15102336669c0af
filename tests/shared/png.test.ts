import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, PngError, upscaleNearest } from '../../electron/shared/png.js';
import { imageToRegions, labelColor, labelsToImage } from '../../electron/shared/structureMap.js';

const img = (width: number, height: number, fill: (x: number, y: number) => number[]) => {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(fill(x, y), (y * width + x) * 4);
  return { width, height, data };
};

describe('png', () => {
  it('round-trips pixels', () => {
    const a = img(5, 3, (x, y) => [x * 40, y * 80, 7, 255]);
    expect(Array.from(decodePng(encodePng(a)).data)).toEqual(Array.from(a.data));
  });

  it('refuses what is not a PNG, a corrupt one and absurd sizes, naming the file', () => {
    expect(() => decodePng(Buffer.from('hello world, not an image'), 'notes.txt')).toThrow(/notes\.txt: not a PNG/);
    const good = encodePng(img(8, 8, () => [0, 0, 0, 255]));
    expect(() => decodePng(good.subarray(0, good.length - 20), 'cut.png')).toThrow(PngError);
    const huge = Buffer.from(good);
    huge.writeUInt32BE(100000, 16);
    huge.writeUInt32BE(100000, 20);
    expect(() => decodePng(huge, 'huge.png')).toThrow(/huge\.png: refusing a 100000x100000 image/);
  });

  it('upscales with nearest neighbours', () => {
    const up = upscaleNearest(img(2, 1, (x) => [x * 255, 0, 0, 255]), 3);
    expect([up.width, up.height]).toEqual([6, 3]);
    expect(up.data[4 * 2]).toBe(0);
    expect(up.data[4 * 3]).toBe(255);
  });
});

describe('structure map pictures', () => {
  it('reads colours as regions in order of first appearance; transparent counts as white', () => {
    const r = imageToRegions(img(4, 1, (x) => (x === 0 ? [255, 255, 255, 255] : x === 1 ? [0, 0, 0, 0] : [200, 10, 10, 255])));
    expect(Array.from(r.data)).toEqual([0, 0, 1, 1]);
  });

  it('needs two regions and refuses photographs', () => {
    expect(() => imageToRegions(img(3, 3, () => [9, 9, 9, 255]), 'flat.png')).toThrow(/flat\.png: .*at least two/);
    expect(() => imageToRegions(img(64, 64, (x, y) => [x * 4, y * 4, 0, 255]), 'photo.png')).toThrow(/photo\.png: more than 256 colours/);
  });

  it('draws labels with distinct stable colours', () => {
    const colours = new Set(Array.from({ length: 64 }, (_, l) => labelColor(l).join(',')));
    expect(colours.size).toBe(64);
    const pic = labelsToImage([0, 1, 2, 3], 2, 2, 2);
    expect([pic.width, pic.height]).toEqual([4, 4]);
    expect(Array.from(pic.data.subarray(0, 3))).toEqual(labelColor(0));
  });
});
