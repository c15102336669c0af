/**
 * Opening the library file safely. Before SQLite writes anything (setting WAL, migrating) the file
 * is checked read-only: the SQLite header, the size the header promises, and PRAGMA quick_check.
 * A damaged file is reported (LIBRARY_CORRUPT) and left exactly as it was, so the person can still
 * recover it with other tools; the ways out are opening a backup or starting a new library beside it.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { LibraryError, isBusy, isCorruption, lockedError } from './errors.js';
import { migrate } from './schema.js';

export interface OpenOptions {
  /** ms to wait for another writer before LIBRARY_LOCKED (small: the UI must not freeze). */
  busyTimeoutMs?: number;
  /** Run PRAGMA quick_check on open (reads the whole file; see docs/library.md for its cost). */
  quickCheck?: boolean;
  /** Stop migrating at this version (tests build old-schema files with it). */
  migrateTo?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 250;
const SQLITE_MAGIC = 'SQLite format 3\0';

/** The folder where backups of `libraryPath` go by default. */
export function backupDir(libraryPath: string): string {
  return join(dirname(libraryPath), 'backups');
}

/** Backups of this library, newest first (names are timestamped, so they sort). */
export function listBackups(libraryPath: string): string[] {
  const dir = backupDir(libraryPath);
  if (!existsSync(dir)) return [];
  const stem = basename(libraryPath, extname(libraryPath));
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.sqlite'))
    .sort()
    .reverse()
    .map((f) => join(dir, f));
}

/** A path beside `libraryPath` that does not exist yet: "<stem>-new-<timestamp>.sqlite". */
export function newLibraryPathBeside(libraryPath: string, now = new Date()): string {
  const stem = basename(libraryPath, extname(libraryPath));
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  for (let i = 0; ; i++) {
    const p = join(dirname(libraryPath), `${stem}-new-${stamp}${i ? `-${i}` : ''}.sqlite`);
    if (!existsSync(p)) return p;
  }
}

export function corruptError(path: string, reason: string, cause?: unknown): LibraryError {
  const backups = listBackups(path);
  const newPath = newLibraryPathBeside(path);
  const ways = backups.length
    ? `open a backup (the newest is "${backups[0]}"), or start a new library (it will be created as "${newPath}")`
    : `open a backup if you have one, or start a new library (it will be created as "${newPath}")`;
  return new LibraryError(
    'LIBRARY_CORRUPT',
    `The library "${path}" is damaged or is not an NVG Studio library (${reason}). The file has been left untouched. You can ${ways}.`,
    { path, reason, backups, newPath },
    { cause },
  );
}

/** Cheap checks on the raw bytes, before SQLite sees the file. */
function checkHeader(path: string): void {
  const stat = statSync(path);
  if (!stat.isFile()) {
    throw new LibraryError('LIBRARY_IO', `Cannot open the library "${path}": it is not a file (a folder?). Choose a file path for the library.`, { path });
  }
  const size = stat.size;
  if (size === 0) return; // SQLite treats an empty file as a new database
  if (size < 100) throw corruptError(path, `only ${size} bytes, shorter than an SQLite header`);
  const head = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1', 0, 16) !== SQLITE_MAGIC) throw corruptError(path, 'not an SQLite database');
  const raw = head.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw corruptError(path, `invalid page size ${raw}`);
  // The in-header page count is valid when "version-valid-for" equals the change counter.
  // A process killed mid-checkpoint can leave page 1 (with the new size) written before the
  // later pages; SQLite finishes from the WAL on open, so with a non-empty WAL the size proves nothing.
  const wal = `${path}-wal`;
  const walPending = existsSync(wal) && statSync(wal).size > 0;
  const pages = head.readUInt32BE(28);
  if (!walPending && head.readUInt32BE(92) === head.readUInt32BE(24) && pages * pageSize > size) {
    throw corruptError(path, `truncated: ${size} bytes, the header says ${pages * pageSize}`);
  }
}

/** Read-only integrity pass; never writes to the file. */
function checkReadOnly(path: string, quickCheck: boolean): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('schema_version'); // reads page 1: NOTADB shows here
    if (quickCheck) {
      const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
      if (rows.length !== 1 || rows[0].quick_check !== 'ok') {
        throw corruptError(path, `integrity check: ${rows.map((r) => r.quick_check).join('; ')}`);
      }
    }
  } catch (err) {
    if (err instanceof LibraryError) throw err;
    if (isCorruption(err)) throw corruptError(path, (err as Error).message, err);
    if (isBusy(err)) throw lockedError(path, err);
    throw ioError(path, err);
  } finally {
    db?.close();
  }
}

export function ioError(path: string, err: unknown): LibraryError {
  return new LibraryError('LIBRARY_IO', `Cannot open or write the library "${path}": ${(err as Error).message}`, { path }, { cause: err });
}

/**
 * Opens (creating if absent) the library at `path`: checks, then one read-write connection with
 * WAL, foreign keys, a small busy timeout, and the schema migrated to the latest version.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const exists = existsSync(path);
  if (exists) {
    checkHeader(path);
    if (statSync(path).size > 0) checkReadOnly(path, options.quickCheck ?? true);
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives a crash of the app (it is in the WAL,
    // in the OS's cache); only a power loss can drop the last few, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrateTo, path);
    // Probe the write lock now, so "in use by another program" shows when the library opens
    // rather than at the first autosave.
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof LibraryError) throw err;
    if (isBusy(err)) throw lockedError(path, err);
    if (isCorruption(err)) throw corruptError(path, (err as Error).message, err);
    throw ioError(path, err);
  }
}
