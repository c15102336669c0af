import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Library, SCHEMA_VERSION, migrate } from '../../electron/library/index.js';
import { fakePng, fakeVgs, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const indexes = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe('library migrations (PRAGMA user_version)', () => {
  it('has at least two migrations', () => expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2));

  it('creates the current schema in a new file', () => {
    const lib = Library.open(join(tmp.dir, 'new.sqlite'));
    try {
      expect(lib.schemaVersion).toBe(SCHEMA_VERSION);
      expect(indexes(lib.database)).toEqual(expect.arrayContaining(['records_by_seed', 'records_by_class_id', 'projects_by_updated']));
    } finally {
      lib.close();
    }
  });

  it('upgrades a version-1 library and keeps its data', () => {
    const path = join(tmp.dir, 'old.sqlite');
    // A library as the first release left it: migration 1 only, with a project, a tag and two records.
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.pragma('foreign_keys = ON');
    expect(migrate(old, 1)).toBe(1);
    expect(indexes(old)).not.toContain('records_by_seed');
    old.prepare('INSERT INTO projects (id, name, created, updated) VALUES (7, ?, 1, 2)').run('old project');
    old.prepare("INSERT INTO project_tags VALUES (7, 'legacy')").run();
    const ins = old.prepare(`INSERT INTO records (id, project_id, parent_id, vgs, class_id, seed, pack_name, pack_sha256, created, width, height, image)
      VALUES (?, 7, ?, ?, 3, ?, 'fake', ?, 5, 32, 32, ?)`);
    ins.run(1, null, JSON.stringify(fakeVgs(11, 3)), 11, 'ab'.repeat(32), fakePng(32, 1));
    ins.run(2, 1, JSON.stringify(fakeVgs(12, 3)), 12, 'ab'.repeat(32), fakePng(32, 2));
    old.prepare('UPDATE projects SET current_record_id = 2 WHERE id = 7').run();
    old.close();

    const lib = Library.open(path);
    try {
      expect(lib.schemaVersion).toBe(SCHEMA_VERSION);
      expect(indexes(lib.database)).toContain('records_by_seed');
      const [p] = lib.listProjects();
      expect(p).toMatchObject({ id: 7, name: 'old project', tags: ['legacy'], currentRecordId: 2, recordCount: 2, favorite: false });
      expect(lib.listProjects({ seed: 12 }).map((x) => x.id)).toEqual([7]);
      expect(lib.getVgs(2)).toEqual(fakeVgs(12, 3));
      expect(lib.getImage(1).equals(fakePng(32, 1))).toBe(true);
      expect(lib.getRecordSummary(2)).toMatchObject({ parentId: 1, favorite: false });
      lib.setProjectFavorite(7, true); // the new column works
      expect(lib.listProjects({ favoritesOnly: true }).map((x) => x.id)).toEqual([7]);
    } finally {
      lib.close();
    }
    // Reopening runs nothing again.
    const again = Library.open(path);
    expect(again.schemaVersion).toBe(SCHEMA_VERSION);
    again.close();
  });

  it('refuses a library from a newer app (LIBRARY_TOO_NEW) without changing it', () => {
    const path = join(tmp.dir, 'future.sqlite');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    expect(() => Library.open(path)).toThrow(expect.objectContaining({ code: 'LIBRARY_TOO_NEW' }));
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 5);
    check.close();
  });
});
