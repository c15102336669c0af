/**
 * LibraryError: every failure the library reports to the app, with a stable `code` the UI can
 * switch on (offer "open a backup" for LIBRARY_CORRUPT, "close the other window" for
 * LIBRARY_LOCKED) and a message a person can act on.
 */
export type LibraryErrorCode =
  | 'LIBRARY_CORRUPT' // not an SQLite file, truncated, or failing integrity checks
  | 'LIBRARY_LOCKED' // another process holds the write lock
  | 'LIBRARY_TOO_NEW' // made by a newer app (user_version above what this code knows)
  | 'LIBRARY_IO' // the file system refused (permissions, disk full, missing folder)
  | 'LIBRARY_CLOSED'
  | 'NOT_FOUND'
  | 'BAD_INPUT';

export class LibraryError extends Error {
  constructor(
    readonly code: LibraryErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LibraryError';
  }
}

export function isLibraryError(err: unknown, code?: LibraryErrorCode): err is LibraryError {
  return err instanceof LibraryError && (code === undefined || err.code === code);
}

/** better-sqlite3's SqliteError carries the extended SQLite code as a string ('SQLITE_BUSY', ...). */
export function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

export const isBusy = (err: unknown) => /^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(err));
export const isCorruption = (err: unknown) => /^SQLITE_(CORRUPT|NOTADB)/.test(sqliteCode(err));

export function lockedError(path: string, err?: unknown): LibraryError {
  return new LibraryError(
    'LIBRARY_LOCKED',
    `The library "${path}" is in use by another program or another NVG Studio window, which is writing to it. ` +
      'Close the other window (or wait for it to finish) and try again.',
    { path },
    { cause: err },
  );
}

export function notFound(what: string, id: number): LibraryError {
  return new LibraryError('NOT_FOUND', `${what} ${id} is not in the library (it may have been deleted)`, { what, id });
}

export function badInput(message: string, details: Record<string, unknown> = {}): LibraryError {
  return new LibraryError('BAD_INPUT', message, details);
}
