/** The project library (main process only): see docs/library.md. */
export { Library, pngSize, type LibraryOptions } from './library.js';
export { LibraryError, isLibraryError, type LibraryErrorCode } from './errors.js';
export { backupDir, listBackups, newLibraryPathBeside, DEFAULT_BUSY_TIMEOUT_MS, type OpenOptions } from './open.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, type Migration } from './schema.js';
export type { NewProject, Project, ProjectQuery, ProjectSort, RecordOptions, RecordSummary } from './types.js';
