/**
 * The project library: one SQLite file (better-sqlite3, in the main process), one connection
 * (the only writer), one transaction per user action so that a crash or kill leaves either the
 * whole action or none of it. Projects hold a tree of VGS records with their images; deleting is
 * soft (undo) until purge.
 *
 * Synchronous by design: better-sqlite3 calls take micro- to milliseconds (docs/library.md has
 * the numbers), far below what an async round trip would save.
 */
import type Database from 'better-sqlite3';
import { renameSync, rmSync, mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { parseVgs, type VgsRecord } from '../engine/vgs.js';
import { LibraryError, badInput, isBusy, isCorruption, lockedError, notFound } from './errors.js';
import { backupDir, corruptError, ioError, newLibraryPathBeside, openDatabase, type OpenOptions } from './open.js';
import { schemaVersion } from './schema.js';
import type { NewProject, Project, ProjectQuery, RecordOptions, RecordSummary } from './types.js';

export interface LibraryOptions extends OpenOptions {
  /** Clock (ms since epoch); tests pin it. */
  now?: () => number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const INLINE_THUMBNAIL_MAX = 128;
const MAX_TAGS = 64;
const MAX_NAME = 200;

/** Width and height of PNG bytes from IHDR (the library stores images, it does not decode them). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 24 || !b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') {
    throw badInput('the image is not PNG bytes');
  }
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function cleanName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim()) throw badInput('a project needs a name');
  const n = name.trim();
  if (n.length > MAX_NAME) throw badInput(`project names are at most ${MAX_NAME} characters`);
  return n;
}

function cleanTags(tags: unknown): string[] {
  if (!Array.isArray(tags) || tags.length > MAX_TAGS) throw badInput(`tags: a list of at most ${MAX_TAGS} strings`);
  const out = new Map<string, string>();
  for (const t of tags) {
    if (typeof t !== 'string' || !t.trim() || t.length > 100) throw badInput('a tag is a non-empty string of at most 100 characters');
    out.set(t.trim().toLowerCase(), t.trim()); // tags compare case-insensitively (COLLATE NOCASE)
  }
  return [...out.values()];
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

interface ProjectRow {
  id: number; name: string; created: number; updated: number; opened: number | null;
  favorite: number; current_record_id: number | null; deleted_at: number | null; tags: string | null; record_count: number;
}
interface RecordRow {
  id: number; project_id: number; parent_id: number | null; class_id: number; class_name: string | null; seed: number;
  pack_name: string; pack_sha256: string; created: number; width: number; height: number; favorite: number;
}

const PROJECT_COLUMNS = `p.id, p.name, p.created, p.updated, p.opened, p.favorite, p.current_record_id, p.deleted_at,
  (SELECT group_concat(tag, char(31)) FROM project_tags t WHERE t.project_id = p.id) AS tags,
  (SELECT count(*) FROM records r WHERE r.project_id = p.id) AS record_count`;
const RECORD_COLUMNS = 'id, project_id, parent_id, class_id, class_name, seed, pack_name, pack_sha256, created, width, height, favorite';

const toProject = (r: ProjectRow): Project => ({
  id: r.id, name: r.name, tags: r.tags ? r.tags.split('\x1f').sort() : [], created: r.created, updated: r.updated,
  opened: r.opened, favorite: r.favorite === 1, currentRecordId: r.current_record_id, recordCount: r.record_count, deletedAt: r.deleted_at,
});
const toRecord = (r: RecordRow): RecordSummary => ({
  id: r.id, projectId: r.project_id, parentId: r.parent_id, classId: r.class_id, className: r.class_name, seed: r.seed,
  packName: r.pack_name, packSha256: r.pack_sha256, created: r.created, width: r.width, height: r.height, favorite: r.favorite === 1,
});

export class Library {
  private db: Database.Database | null;
  private readonly now: () => number;

  private constructor(readonly path: string, db: Database.Database, now: () => number) {
    this.db = db;
    this.now = now;
  }

  /** Opens or creates the library file (LIBRARY_CORRUPT / LIBRARY_LOCKED / LIBRARY_TOO_NEW / LIBRARY_IO). */
  static open(path: string, options: LibraryOptions = {}): Library {
    return new Library(path, openDatabase(path, options), options.now ?? Date.now);
  }

  /**
   * The way out of a damaged library: a new, empty library beside it. The damaged file is not
   * renamed, moved or written.
   */
  static startNew(damagedPath: string, options: LibraryOptions = {}): Library {
    return Library.open(newLibraryPathBeside(damagedPath), options);
  }

  get schemaVersion(): number {
    return schemaVersion(this.conn);
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }

  private get conn(): Database.Database {
    if (!this.db) throw new LibraryError('LIBRARY_CLOSED', 'the library is closed');
    return this.db;
  }

  /** One user action = one IMMEDIATE transaction (the write lock is taken up front, so no upgrade deadlock). */
  private write<T>(fn: (db: Database.Database) => T): T {
    const db = this.conn;
    try {
      return db.transaction(() => fn(db)).immediate();
    } catch (err) {
      throw this.translate(err);
    }
  }

  private read<T>(fn: (db: Database.Database) => T): T {
    try {
      return fn(this.conn);
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown): unknown {
    if (err instanceof LibraryError) return err;
    if (isBusy(err)) return lockedError(this.path, err);
    if (isCorruption(err)) return corruptError(this.path, (err as Error).message, err);
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_FULL')) {
      return new LibraryError('LIBRARY_IO', `The disk holding the library "${this.path}" is full; the last change was not saved (the library is intact). Free some space and try again.`, { path: this.path, reason: 'full' }, { cause: err });
    }
    if (/^SQLITE_(IOERR|CANTOPEN|READONLY)/.test(code)) return ioError(this.path, err);
    return err;
  }

  // ---- projects ----

  createProject(input: NewProject): Project {
    const name = cleanName(input.name);
    const tags = cleanTags(input.tags ?? []);
    const id = this.write((db) => {
      const t = this.now();
      const { lastInsertRowid } = db
        .prepare('INSERT INTO projects (name, created, updated, opened, thumbnail) VALUES (?, ?, ?, ?, ?)')
        .run(name, t, t, t, input.thumbnail ?? null);
      this.insertTags(db, Number(lastInsertRowid), tags);
      return Number(lastInsertRowid);
    });
    return this.getProject(id);
  }

  private insertTags(db: Database.Database, projectId: number, tags: string[]): void {
    const ins = db.prepare('INSERT OR IGNORE INTO project_tags (project_id, tag) VALUES (?, ?)');
    for (const tag of tags) ins.run(projectId, tag);
  }

  /** A project, including one in the bin; NOT_FOUND once purged. */
  getProject(id: number): Project {
    const row = this.read((db) => db.prepare(`SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.id = ?`).get(id)) as ProjectRow | undefined;
    if (!row) throw notFound('project', id);
    return toProject(row);
  }

  private requireLive(db: Database.Database, id: number): void {
    const row = db.prepare('SELECT deleted_at FROM projects WHERE id = ?').get(id) as { deleted_at: number | null } | undefined;
    if (!row) throw notFound('project', id);
    if (row.deleted_at !== null) throw badInput(`project ${id} is in the bin; restore it first`, { id });
  }

  getThumbnail(id: number): Buffer | null {
    const row = this.read((db) => db.prepare('SELECT thumbnail FROM projects WHERE id = ?').get(id)) as { thumbnail: Buffer | null } | undefined;
    if (!row) throw notFound('project', id);
    return row.thumbnail;
  }

  /** Search and sort; every filter given must match (AND). */
  listProjects(q: ProjectQuery = {}): Project[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const state = q.state ?? 'live';
    if (state === 'live') where.push('p.deleted_at IS NULL');
    if (state === 'deleted') where.push('p.deleted_at IS NOT NULL');
    if (q.name) {
      // Through the name index (a covering scan of names only): the table rows carry thumbnails,
      // so scanning them reads ~100x more pages (docs/library.md, bench numbers).
      where.push("p.id IN (SELECT id FROM projects INDEXED BY projects_by_name WHERE name LIKE ? ESCAPE '\\')");
      args.push(`%${escapeLike(q.name)}%`);
    }
    if (q.tag !== undefined) {
      where.push('p.id IN (SELECT project_id FROM project_tags WHERE tag = ?)');
      args.push(q.tag.trim());
    }
    if (q.classId !== undefined) {
      where.push('p.id IN (SELECT project_id FROM records WHERE class_id = ?)');
      args.push(q.classId);
    }
    if (q.className !== undefined) {
      where.push('p.id IN (SELECT project_id FROM records WHERE class_name = ? COLLATE NOCASE)');
      args.push(q.className);
    }
    if (q.seed !== undefined) {
      where.push('p.id IN (SELECT project_id FROM records WHERE seed = ?)');
      args.push(q.seed);
    }
    if (q.favoritesOnly) where.push('p.favorite = 1');
    const sort = q.sort ?? 'updated';
    const desc = q.descending ?? sort !== 'name';
    const order = sort === 'name' ? 'p.name COLLATE NOCASE' : `p.${sort}`;
    const limit = Math.max(0, Math.min(q.limit ?? 100, 10_000));
    const sql = `SELECT ${PROJECT_COLUMNS} FROM projects p ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${order} ${desc ? 'DESC' : 'ASC'}, p.id ${desc ? 'DESC' : 'ASC'} LIMIT ? OFFSET ?`;
    const rows = this.read((db) => db.prepare(sql).all(...args, limit, Math.max(0, q.offset ?? 0))) as ProjectRow[];
    return rows.map(toProject);
  }

  /** Most recently opened live projects. */
  recentProjects(limit = 10): Project[] {
    const rows = this.read((db) =>
      db.prepare(`SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.opened IS NOT NULL AND p.deleted_at IS NULL ORDER BY p.opened DESC LIMIT ?`).all(limit),
    ) as ProjectRow[];
    return rows.map(toProject);
  }

  /** Marks the project as opened (recent list) and returns it. */
  openProject(id: number): Project {
    this.write((db) => {
      this.requireLive(db, id);
      db.prepare('UPDATE projects SET opened = ? WHERE id = ?').run(this.now(), id);
    });
    return this.getProject(id);
  }

  renameProject(id: number, name: string): Project {
    const n = cleanName(name);
    this.write((db) => {
      this.requireLive(db, id);
      db.prepare('UPDATE projects SET name = ?, updated = ? WHERE id = ?').run(n, this.now(), id);
    });
    return this.getProject(id);
  }

  setTags(id: number, tags: string[]): Project {
    const clean = cleanTags(tags);
    this.write((db) => {
      this.requireLive(db, id);
      db.prepare('DELETE FROM project_tags WHERE project_id = ?').run(id);
      this.insertTags(db, id, clean);
      db.prepare('UPDATE projects SET updated = ? WHERE id = ?').run(this.now(), id);
    });
    return this.getProject(id);
  }

  setProjectFavorite(id: number, favorite: boolean): Project {
    this.write((db) => {
      this.requireLive(db, id);
      db.prepare('UPDATE projects SET favorite = ? WHERE id = ?').run(favorite ? 1 : 0, id);
    });
    return this.getProject(id);
  }

  setThumbnail(id: number, png: Uint8Array | null): void {
    if (png) pngSize(png);
    this.write((db) => {
      this.requireLive(db, id);
      db.prepare('UPDATE projects SET thumbnail = ? WHERE id = ?').run(png, id);
    });
  }

  /** A full copy (records, tree, tags, selection) named "<name> copy" unless a name is given. */
  duplicateProject(id: number, name?: string): Project {
    const newId = this.write((db) => {
      this.requireLive(db, id);
      const src = db.prepare('SELECT name, thumbnail, current_record_id, favorite FROM projects WHERE id = ?').get(id) as {
        name: string; thumbnail: Buffer | null; current_record_id: number | null; favorite: number;
      };
      const t = this.now();
      const copyName = name === undefined ? `${src.name} copy`.slice(0, MAX_NAME) : cleanName(name);
      const pid = Number(db.prepare('INSERT INTO projects (name, created, updated, opened, thumbnail, favorite) VALUES (?, ?, ?, ?, ?, ?)')
        .run(copyName, t, t, t, src.thumbnail, src.favorite).lastInsertRowid);
      db.prepare('INSERT INTO project_tags (project_id, tag) SELECT ?, tag FROM project_tags WHERE project_id = ?').run(pid, id);
      // Parents always have smaller ids than their children (a child is written after its
      // parent), so copying in id order can map every parent before it is needed.
      const map = new Map<number, number>();
      const rows = db.prepare('SELECT id, parent_id FROM records WHERE project_id = ? ORDER BY id').all(id) as { id: number; parent_id: number | null }[];
      const copy = db.prepare(`INSERT INTO records (project_id, parent_id, vgs, class_id, class_name, seed, pack_name, pack_sha256, created, width, height, image, favorite)
        SELECT ?, ?, vgs, class_id, class_name, seed, pack_name, pack_sha256, created, width, height, image, favorite FROM records WHERE id = ?`);
      for (const r of rows) {
        const parent = r.parent_id === null ? null : map.get(r.parent_id) ?? null;
        map.set(r.id, Number(copy.run(pid, parent, r.id).lastInsertRowid));
      }
      const cur = src.current_record_id === null ? null : map.get(src.current_record_id) ?? null;
      db.prepare('UPDATE projects SET current_record_id = ? WHERE id = ?').run(cur, pid);
      return pid;
    });
    return this.getProject(newId);
  }

  /** Moves the project to the bin (undo with restoreProject; gone for good after purgeDeleted). */
  deleteProject(id: number): void {
    this.write((db) => {
      this.requireLive(db, id);
      db.prepare('UPDATE projects SET deleted_at = ? WHERE id = ?').run(this.now(), id);
    });
  }

  restoreProject(id: number): Project {
    this.write((db) => {
      const r = db.prepare('UPDATE projects SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL').run(id);
      if (r.changes === 0) {
        if (!db.prepare('SELECT 1 FROM projects WHERE id = ?').get(id)) throw notFound('project', id);
      }
    });
    return this.getProject(id);
  }

  /** Deletes for good the projects binned at least `olderThanMs` ago (0: all of the bin). Returns how many. */
  purgeDeleted(olderThanMs = 0): number {
    return this.write((db) => db.prepare('DELETE FROM projects WHERE deleted_at IS NOT NULL AND deleted_at <= ?').run(this.now() - olderThanMs).changes);
  }

  // ---- records (autosave) ----

  /**
   * Autosave of one generation: the record, its image, the project's selection, `updated` and the
   * thumbnail, in one transaction. `vgs` is validated (parseVgs) before anything is written.
   */
  recordGeneration(projectId: number, parentRecordId: number | null, vgs: VgsRecord | string, png: Uint8Array, options: RecordOptions = {}): RecordSummary {
    const rec = parseVgs(vgs);
    const { width, height } = pngSize(png);
    const json = JSON.stringify(rec);
    const id = this.write((db) => {
      this.requireLive(db, projectId);
      if (parentRecordId !== null) {
        const parent = db.prepare('SELECT project_id FROM records WHERE id = ?').get(parentRecordId) as { project_id: number } | undefined;
        if (!parent) throw notFound('record', parentRecordId);
        if (parent.project_id !== projectId) throw badInput(`record ${parentRecordId} belongs to another project`);
      }
      const t = this.now();
      const rid = Number(db.prepare(`INSERT INTO records (project_id, parent_id, vgs, class_id, class_name, seed, pack_name, pack_sha256, created, width, height, image)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(projectId, parentRecordId, json, rec.classId, options.className ?? null, rec.seed, rec.pack.name, rec.pack.manifestSha256, t, width, height, png).lastInsertRowid);
      const select = options.select ?? true;
      const thumb = options.thumbnail !== undefined ? options.thumbnail : width <= INLINE_THUMBNAIL_MAX && height <= INLINE_THUMBNAIL_MAX ? png : undefined;
      db.prepare(`UPDATE projects SET updated = ?, current_record_id = CASE WHEN ? THEN ? ELSE current_record_id END,
        thumbnail = CASE WHEN ? THEN ? ELSE thumbnail END WHERE id = ?`)
        .run(t, select ? 1 : 0, rid, thumb !== undefined ? 1 : 0, thumb ?? null, projectId);
      return rid;
    });
    return this.getRecordSummary(id);
  }

  /** The project's current selection (the image the user is looking at). */
  selectRecord(projectId: number, recordId: number | null): void {
    this.write((db) => {
      this.requireLive(db, projectId);
      if (recordId !== null) {
        const r = db.prepare('SELECT project_id FROM records WHERE id = ?').get(recordId) as { project_id: number } | undefined;
        if (!r) throw notFound('record', recordId);
        if (r.project_id !== projectId) throw badInput(`record ${recordId} belongs to another project`);
      }
      db.prepare('UPDATE projects SET current_record_id = ?, updated = ? WHERE id = ?').run(recordId, this.now(), projectId);
    });
  }

  setRecordFavorite(recordId: number, favorite: boolean): void {
    this.write((db) => {
      if (db.prepare('UPDATE records SET favorite = ? WHERE id = ?').run(favorite ? 1 : 0, recordId).changes === 0) throw notFound('record', recordId);
    });
  }

  getRecordSummary(id: number): RecordSummary {
    const row = this.read((db) => db.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = ?`).get(id)) as RecordRow | undefined;
    if (!row) throw notFound('record', id);
    return toRecord(row);
  }

  /** The record's VGS, validated again on the way out (a hand-edited file cannot feed the engine garbage). */
  getVgs(id: number): VgsRecord {
    const row = this.read((db) => db.prepare('SELECT vgs FROM records WHERE id = ?').get(id)) as { vgs: string } | undefined;
    if (!row) throw notFound('record', id);
    return parseVgs(row.vgs);
  }

  getImage(id: number): Buffer {
    const row = this.read((db) => db.prepare('SELECT image FROM records WHERE id = ?').get(id)) as { image: Buffer } | undefined;
    if (!row) throw notFound('record', id);
    return row.image;
  }

  /** Every record of a project in creation order (parents before children): the history tree. */
  listRecords(projectId: number): RecordSummary[] {
    this.getProject(projectId);
    const rows = this.read((db) => db.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE project_id = ? ORDER BY id`).all(projectId)) as RecordRow[];
    return rows.map(toRecord);
  }

  /** A record and everything branched from it, parents before children (batch export). */
  branch(recordId: number): RecordSummary[] {
    this.getRecordSummary(recordId);
    const rows = this.read((db) => db.prepare(`WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT r.id FROM records r JOIN sub ON r.parent_id = sub.id)
      SELECT ${RECORD_COLUMNS} FROM records WHERE id IN (SELECT id FROM sub) ORDER BY id`).all(recordId)) as RecordRow[];
    return rows.map(toRecord);
  }

  // ---- maintenance ----

  /**
   * Online backup (SQLite's backup API: consistent while the app keeps writing) to `dest`, by
   * default backups/<name>-<timestamp>.sqlite beside the library. Written to a temporary name and
   * renamed, so a failed backup never looks like a good one.
   */
  async backup(dest?: string): Promise<string> {
    const stem = basename(this.path, extname(this.path));
    const target = dest ?? join(backupDir(this.path), `${stem}-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}.sqlite`);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.partial`;
    try {
      await this.conn.backup(tmp);
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { force: true });
      const e = this.translate(err);
      throw e instanceof LibraryError ? e : ioError(target, err);
    }
    return target;
  }

  /** PRAGMA integrity_check: 'ok' or the problems found. */
  integrityCheck(): string[] {
    return this.read((db) => (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check));
  }

  /** Raw connection for tests and maintenance scripts; the app goes through the methods. */
  get database(): Database.Database {
    return this.conn;
  }
}
