import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Library, LibraryError } from '../../electron/library/index.js';
import { fakePng, fakeVgs, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

/** A real library with some records, closed (checkpointed: everything is in the main file). */
function realLibrary(path: string, records = 40): Buffer {
  const lib = Library.open(path);
  const p = lib.createProject({ name: 'p' });
  for (let i = 0; i < records; i++) lib.recordGeneration(p.id, null, fakeVgs(i), fakePng(64, i));
  lib.close();
  return readFileSync(path);
}

function expectCorrupt(path: string): LibraryError {
  const before = readFileSync(path);
  const siblings = readdirSync(dirname(path)).sort();
  let caught: unknown;
  try {
    Library.open(path).close();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(LibraryError);
  const err = caught as LibraryError;
  expect(err.code).toBe('LIBRARY_CORRUPT');
  expect(err.message).toMatch(/backup/);
  expect(err.message).toMatch(/new library/);
  expect(err.message).toMatch(/untouched/);
  expect(readFileSync(path).equals(before)).toBe(true); // byte for byte
  // Nothing renamed or removed (SQLite may add its -shm beside a real database; never a rename).
  expect(readdirSync(dirname(path)).filter((f) => !f.endsWith('-shm') && !f.endsWith('-wal'))).toEqual(siblings.filter((f) => !f.endsWith('-shm') && !f.endsWith('-wal')));
  return err;
}

describe('a damaged library: LIBRARY_CORRUPT, file untouched', () => {
  it('a file of random bytes', () => {
    const path = join(tmp.dir, 'random.sqlite');
    writeFileSync(path, randomBytes(64 * 1024));
    expectCorrupt(path);
  });

  it('a tiny non-database file', () => {
    const path = join(tmp.dir, 'tiny.sqlite');
    writeFileSync(path, 'hello');
    expectCorrupt(path);
  });

  it('a truncated real library', () => {
    const path = join(tmp.dir, 'lib.sqlite');
    const bytes = realLibrary(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(expectCorrupt(path).details.reason).toMatch(/truncated/);
  });

  it('a real library with a page of garbage in the middle (found by quick_check)', () => {
    const path = join(tmp.dir, 'lib.sqlite');
    const bytes = Buffer.from(realLibrary(path));
    const pageSize = bytes.readUInt16BE(16);
    // Overwrite a b-tree page near the start (the schema/table pages), header of page 3 onwards.
    randomBytes(pageSize).copy(bytes, pageSize * 2);
    writeFileSync(path, bytes);
    expectCorrupt(path);
  });

  it('startNew creates a fresh library beside the damaged one and leaves it alone', () => {
    const path = join(tmp.dir, 'lib.sqlite');
    const junk = randomBytes(10_000);
    writeFileSync(path, junk);
    const err = expectCorrupt(path);
    const lib = Library.startNew(path);
    try {
      expect(dirname(lib.path)).toBe(tmp.dir);
      expect(lib.path).not.toBe(path);
      expect(lib.path).toMatch(/lib-new-.*\.sqlite$/);
      expect(typeof err.details.newPath).toBe('string');
      expect(lib.listProjects()).toEqual([]);
    } finally {
      lib.close();
    }
    expect(readFileSync(path).equals(junk)).toBe(true);
  });

  it('names the newest backup in the way out', async () => {
    const path = join(tmp.dir, 'lib.sqlite');
    const lib = Library.open(path);
    lib.createProject({ name: 'p' });
    const backup = await lib.backup();
    lib.close();
    writeFileSync(path, randomBytes(8192));
    const err = expectCorrupt(path);
    expect(err.details.backups).toEqual([backup]);
    expect(err.message).toContain(backup);
    const restored = Library.open(backup);
    expect(restored.listProjects().map((p) => p.name)).toEqual(['p']);
    restored.close();
    expect(existsSync(path)).toBe(true);
  });

  it('an empty file is a new library (what SQLite does), not an error', () => {
    const path = join(tmp.dir, 'empty.sqlite');
    writeFileSync(path, '');
    const lib = Library.open(path);
    expect(lib.listProjects()).toEqual([]);
    lib.close();
    expect(new Database(path, { readonly: true }).pragma('user_version', { simple: true })).toBeGreaterThan(0);
  });
});
