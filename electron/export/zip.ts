/**
 * A plain ZIP archive (method 0, "stored") for the browser host: a bundle or branch export is
 * dozens to hundreds of files (masks), and a page that starts that many downloads gets blocked
 * by the browser, so the page gets one .zip instead. No compression: the files are PNGs (already
 * deflated) and small JSON. No ZIP64: exports stay far below 4 GiB and 65535 files.
 */
import { crc32 } from './pngChunks.js';
import { ExportError } from './errors.js';

export interface ZipEntry {
  name: string;
  bytes: Uint8Array;
}

// MS-DOS date of 1980-01-01 00:00: fixed, so the same export gives the same bytes.
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function zipStored(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new ExportError('BAD_INPUT', `too many files for one zip (${entries.length})`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.bytes);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.bytes.length, 18);
    local.writeUInt32LE(e.bytes.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(e.bytes.length, 20);
    central.writeUInt32LE(e.bytes.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength));
    centrals.push(central, name);
    offset += 30 + name.length + e.bytes.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** Reads back a zip written by zipStored (tests, and a check that the archive is whole). */
export function readZip(zip: Uint8Array): ZipEntry[] {
  const b = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const out: ZipEntry[] = [];
  for (let o = 0; b.readUInt32LE(o) === 0x04034b50; ) {
    const size = b.readUInt32LE(o + 18), nameLen = b.readUInt16LE(o + 26), extra = b.readUInt16LE(o + 28);
    if (b.readUInt16LE(o + 8) !== 0) throw new ExportError('BAD_INPUT', 'readZip: only stored entries are supported');
    const start = o + 30 + nameLen + extra;
    const bytes = b.subarray(start, start + size);
    if (crc32(bytes) !== b.readUInt32LE(o + 14)) throw new ExportError('BAD_INPUT', 'readZip: CRC mismatch');
    out.push({ name: b.toString('utf8', o + 30, o + 30 + nameLen), bytes });
    o = start + size;
  }
  return out;
}
