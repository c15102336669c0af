/**
 * Saving files so that a failure (disk full, permissions) never leaves a half-written file and
 * never damages the previous one: write a temporary file in the same folder, fsync, rename over.
 * The file system calls are injectable so tests can simulate ENOSPC.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExportError } from './errors.js';

export interface WriteFs {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  rmSync(path: string, options: { force: boolean }): void;
}

export const nodeFs: WriteFs = fs;

let counter = 0;

export function writeFileAtomic(path: string, bytes: Uint8Array, io: WriteFs = nodeFs): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  let fd: number | undefined;
  try {
    fd = io.openSync(tmp, 'wx');
    for (let off = 0; off < bytes.length; ) off += io.writeSync(fd, bytes, off, bytes.length - off);
    io.fsyncSync(fd);
    io.closeSync(fd);
    fd = undefined;
    io.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        io.closeSync(fd);
      } catch {
        /* already failing; the original error matters */
      }
    }
    try {
      io.rmSync(tmp, { force: true });
    } catch {
      /* best effort */
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new ExportError('DISK_FULL', `Not enough disk space to save "${path}". Nothing was changed (any previous file there is intact). Free some space or choose another folder.`, { path, errno: code }, { cause: err });
    }
    throw new ExportError('WRITE_FAILED', `Could not save "${path}" (${(err as Error).message}). Any previous file there is intact.`, { path, errno: code }, { cause: err });
  }
}
