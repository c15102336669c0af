/**
 * The library's schema as a list of migrations, applied in order and counted in
 * PRAGMA user_version: a library at version n has run migrations 1..n. Each migration runs in its
 * own transaction together with the user_version bump, so a crash mid-upgrade leaves the file at
 * the previous version, never half-migrated. Never edit a shipped migration: append a new one.
 */
import type { Database } from 'better-sqlite3';
import { LibraryError } from './errors.js';

export type Migration = (db: Database) => void;

/** Migration 1: projects, their tags, and the tree of VGS records with their images. */
const createSchema: Migration = (db) => {
  db.exec(`
    CREATE TABLE projects (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      created INTEGER NOT NULL,          -- ms since epoch
      updated INTEGER NOT NULL,
      opened INTEGER,                    -- last opened (recent projects); NULL: never
      thumbnail BLOB,                    -- a small PNG
      current_record_id INTEGER REFERENCES records(id) ON DELETE SET NULL,
      deleted_at INTEGER                 -- soft delete (undo); purged later
    );
    CREATE INDEX projects_by_updated ON projects(updated DESC);
    CREATE INDEX projects_by_created ON projects(created DESC);
    CREATE INDEX projects_by_name ON projects(name COLLATE NOCASE);
    CREATE INDEX projects_by_opened ON projects(opened DESC) WHERE opened IS NOT NULL;

    CREATE TABLE project_tags (
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      tag TEXT NOT NULL COLLATE NOCASE,
      PRIMARY KEY (project_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX tags_by_tag ON project_tags(tag, project_id);

    -- One generation (or import): the VGS record that reproduces it and its image as PNG bytes
    -- (stored inline: see docs/library.md for the measurement). parent_id: the record it branched
    -- from (same pins, another seed or class).
    CREATE TABLE records (
      id INTEGER PRIMARY KEY,
      project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      parent_id INTEGER REFERENCES records(id) ON DELETE SET NULL,
      vgs TEXT NOT NULL,                 -- the VGS record JSON (electron/engine/vgs.ts)
      class_id INTEGER NOT NULL,
      class_name TEXT,                   -- from the pack, for search and display
      seed INTEGER NOT NULL,
      pack_name TEXT NOT NULL,
      pack_sha256 TEXT NOT NULL,
      created INTEGER NOT NULL,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      image BLOB NOT NULL
    );
    CREATE INDEX records_by_project ON records(project_id, id);
    CREATE INDEX records_by_parent ON records(parent_id);
  `);
};

/**
 * Migration 2: favourites (a flag on projects and on records) and the search indexes by class and
 * seed, which the first release lacked (those searches scanned every record).
 */
const favoritesAndSearch: Migration = (db) => {
  db.exec(`
    ALTER TABLE projects ADD COLUMN favorite INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN favorite INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX records_by_class_id ON records(class_id, project_id);
    CREATE INDEX records_by_class_name ON records(class_name COLLATE NOCASE, project_id);
    CREATE INDEX records_by_seed ON records(seed, project_id);
  `);
};

export const MIGRATIONS: readonly Migration[] = [createSchema, favoritesAndSearch];
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to `target` (default: the latest). Refuses a file from a newer app rather
 * than guessing at columns it does not know.
 */
export function migrate(db: Database, target = SCHEMA_VERSION, path = db.name): number {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new LibraryError(
      'LIBRARY_TOO_NEW',
      `The library "${path}" was written by a newer version of NVG Studio (schema ${from}, this version knows ${SCHEMA_VERSION}). Update the app, or open another library.`,
      { path, version: from, known: SCHEMA_VERSION },
    );
  }
  for (let v = from; v < target; v++) {
    // IMMEDIATE: take the write lock before reading, so two processes never both migrate.
    db.transaction(() => {
      MIGRATIONS[v](db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return schemaVersion(db);
}
