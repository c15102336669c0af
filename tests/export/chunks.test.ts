import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { crc32, crc32Table, insertText, readChunks, readText, writeChunks } from '../../electron/export/index.js';
import { decodePng } from '../../electron/shared/png.js';
import { fakePng } from '../library/helpers.js';

describe('PNG chunks', () => {
  it('CRC-32 matches the check value and zlib', () => {
    const check = Buffer.from('123456789');
    expect(crc32Table(check)).toBe(0xcbf43926);
    expect(crc32(check)).toBe(0xcbf43926);
    const junk = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 255));
    expect(crc32Table(junk)).toBe(crc32(junk));
  });

  it('reads and rewrites a pngjs file byte for byte', () => {
    const png = fakePng(32, 3);
    const chunks = readChunks(png);
    expect(chunks[0].type).toBe('IHDR');
    expect(chunks.at(-1)!.type).toBe('IEND');
    expect(writeChunks(chunks).equals(png)).toBe(true);
  });

  it('inserts tEXt and iTXt (plain and compressed) after IHDR; pixels and other readers unaffected', () => {
    const png = fakePng(32, 4);
    const out = insertText(png, [
      { keyword: 'parameters', text: 'a cat\nSteps: 8, Seed: 1', kind: 'tEXt' },
      { keyword: 'json', text: '{"é":"ünïcødé ✓"}', kind: 'iTXt' },
      { keyword: 'big', text: 'x'.repeat(20_000), kind: 'iTXt', compress: true },
    ]);
    expect(readChunks(out).map((c) => c.type).slice(0, 4)).toEqual(['IHDR', 'tEXt', 'iTXt', 'iTXt']);
    const text = readText(out);
    expect(text.get('parameters')).toBe('a cat\nSteps: 8, Seed: 1');
    expect(text.get('json')).toBe('{"é":"ünïcødé ✓"}');
    expect(text.get('big')).toBe('x'.repeat(20_000));
    expect(out.length).toBeLessThan(png.length + 1000); // compressed
    expect(decodePng(out).data).toEqual(decodePng(png).data);
    expect(PNG.sync.read(out).width).toBe(32);
  });

  it('replaces a keyword instead of adding a second one', () => {
    const once = insertText(fakePng(), [{ keyword: 'k', text: 'old', kind: 'tEXt' }]);
    const twice = insertText(once, [{ keyword: 'k', text: 'new', kind: 'iTXt' }]);
    expect(readText(twice).get('k')).toBe('new');
    expect(readChunks(twice).filter((c) => c.type === 'tEXt' || c.type === 'iTXt')).toHaveLength(1);
  });

  it('rejects a bad CRC, a cut file, a non-PNG, bad keywords and non-Latin-1 tEXt', () => {
    const out = Buffer.from(insertText(fakePng(), [{ keyword: 'k', text: 'hello', kind: 'tEXt' }]));
    const flipped = Buffer.from(out);
    flipped[8 + 25 + 10] ^= 1; // inside the tEXt data (IHDR chunk is 25 bytes)
    expect(() => readChunks(flipped)).toThrow(expect.objectContaining({ code: 'NOT_PNG', message: expect.stringMatching(/CRC/) }));
    expect(() => readChunks(out.subarray(0, out.length - 20))).toThrow(expect.objectContaining({ code: 'NOT_PNG' }));
    expect(() => readChunks(Buffer.from('GIF89a....'))).toThrow(/signature/);
    expect(() => insertText(fakePng(), [{ keyword: '', text: 'x', kind: 'tEXt' }])).toThrow(/keyword/);
    expect(() => insertText(fakePng(), [{ keyword: 'k', text: '✓', kind: 'tEXt' }])).toThrow(/Latin-1/);
  });
});
