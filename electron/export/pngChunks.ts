/**
 * PNG chunk surgery: pngjs decodes and encodes pixels but neither writes nor reads text chunks,
 * so recipes are spliced in here. A PNG is the 8-byte signature then chunks of
 * length (4, BE) | type (4) | data | CRC-32 of type+data (4). Text chunks go right after IHDR,
 * where readers that stop early (A1111's PNG info, exiftool) find them.
 */
import zlib from 'node:zlib';
import { ExportError } from './errors.js';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngChunk {
  type: string;
  data: Buffer;
}

// zlib.crc32 exists from Node 20.15 / 22.2; the table is the fallback for older runtimes.
let table: Uint32Array | undefined;
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  return native ? native(bytes) >>> 0 : crc32Table(bytes);
}

/** The table-driven CRC-32 (ISO 3309, as PNG uses); exported so tests can compare it with zlib's. */
export function crc32Table(bytes: Uint8Array): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const notPng = (file: string, why: string) => new ExportError('NOT_PNG', `${file}: not a valid PNG (${why})`, { file });

/** All chunks, in order, each CRC checked; stops at IEND. */
export function readChunks(png: Uint8Array, file = 'image'): PngChunk[] {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.length < 8 || !b.subarray(0, 8).equals(PNG_SIGNATURE)) throw notPng(file, 'no PNG signature');
  const chunks: PngChunk[] = [];
  let o = 8;
  while (o < b.length) {
    if (o + 12 > b.length) throw notPng(file, `chunk header cut short at byte ${o}`);
    const len = b.readUInt32BE(o);
    const type = b.toString('latin1', o + 4, o + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw notPng(file, `bad chunk type at byte ${o}`);
    if (o + 12 + len > b.length) throw notPng(file, `chunk ${type} cut short`);
    const crc = b.readUInt32BE(o + 8 + len);
    if (crc32(b.subarray(o + 4, o + 8 + len)) !== crc) throw notPng(file, `CRC mismatch in chunk ${type}`);
    chunks.push({ type, data: b.subarray(o + 8, o + 8 + len) });
    o += 12 + len;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR') throw notPng(file, 'IHDR is not the first chunk');
  if (chunks[chunks.length - 1].type !== 'IEND') throw notPng(file, 'no IEND chunk');
  return chunks;
}

export function writeChunks(chunks: readonly PngChunk[]): Buffer {
  const parts: Buffer[] = [PNG_SIGNATURE];
  for (const c of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(c.data.length, 0);
    head.write(c.type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), c.data])), 0);
    parts.push(head, c.data, crc);
  }
  return Buffer.concat(parts);
}

export interface TextEntry {
  keyword: string;
  text: string;
  /** tEXt: Latin-1, for the A1111 "parameters" readers. iTXt: UTF-8, optionally zlib-compressed. */
  kind: 'tEXt' | 'iTXt';
  compress?: boolean;
}

function checkKeyword(k: string): void {
  // PNG spec: 1-79 Latin-1 printable characters, no leading/trailing/double spaces.
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(k) || /^ | $| {2}/.test(k)) throw new ExportError('BAD_INPUT', `bad PNG text keyword "${k}"`);
}

export function textChunk(e: TextEntry): PngChunk {
  checkKeyword(e.keyword);
  const key = Buffer.from(e.keyword, 'latin1');
  if (e.kind === 'tEXt') {
    // Characters outside Latin-1 would be mangled; such text belongs in iTXt.
    if (/[^\x00-\xff]/.test(e.text)) throw new ExportError('BAD_INPUT', `tEXt "${e.keyword}" must be Latin-1; use iTXt`);
    return { type: 'tEXt', data: Buffer.concat([key, Buffer.from([0]), Buffer.from(e.text, 'latin1')]) };
  }
  const body = e.compress ? zlib.deflateSync(Buffer.from(e.text, 'utf8')) : Buffer.from(e.text, 'utf8');
  // keyword \0 compression-flag compression-method language-tag \0 translated-keyword \0 text
  return { type: 'iTXt', data: Buffer.concat([key, Buffer.from([0, e.compress ? 1 : 0, 0, 0, 0]), body]) };
}

/** Keyword -> text of every tEXt, zTXt and iTXt chunk (the first of a keyword wins, as readers do). */
export function readText(png: Uint8Array, file = 'image'): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of readChunks(png, file)) {
    const nul = c.data.indexOf(0);
    if (nul < 1 || !['tEXt', 'zTXt', 'iTXt'].includes(c.type)) continue;
    const key = c.data.toString('latin1', 0, nul);
    if (out.has(key)) continue;
    try {
      if (c.type === 'tEXt') out.set(key, c.data.toString('latin1', nul + 1));
      else if (c.type === 'zTXt') out.set(key, zlib.inflateSync(c.data.subarray(nul + 2)).toString('latin1'));
      else {
        const compressed = c.data[nul + 1] === 1;
        const lang = c.data.indexOf(0, nul + 3);
        const trans = c.data.indexOf(0, lang + 1);
        if (lang < 0 || trans < 0) throw new Error('iTXt header');
        const body = c.data.subarray(trans + 1);
        out.set(key, (compressed ? zlib.inflateSync(body) : body).toString('utf8'));
      }
    } catch (err) {
      throw new ExportError('NOT_PNG', `${file}: unreadable text chunk "${key}" (${(err as Error).message})`, { file }, { cause: err });
    }
  }
  return out;
}

/**
 * Inserts text chunks right after IHDR, first removing any text chunk with the same keywords
 * (re-exporting an imported PNG must not leave two recipes).
 */
export function insertText(png: Uint8Array, entries: readonly TextEntry[], file = 'image'): Buffer {
  const keys = new Set(entries.map((e) => e.keyword));
  const kept = readChunks(png, file).filter((c) => {
    if (!['tEXt', 'zTXt', 'iTXt'].includes(c.type)) return true;
    return !keys.has(c.data.toString('latin1', 0, Math.max(0, c.data.indexOf(0))));
  });
  return writeChunks([kept[0], ...entries.map(textChunk), ...kept.slice(1)]);
}
