import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Library, LibraryError, SCHEMA_VERSION, listBackups } from '../../electron/library/index.js';
import { fakePng, fakeVgs, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let lib: Library;
let clock: number;

beforeEach(() => {
  tmp = tempDir();
  clock = 1_000_000;
  lib = Library.open(join(tmp.dir, 'library.sqlite'), { now: () => (clock += 10) });
});
afterEach(() => {
  lib.close();
  tmp.cleanup();
});

describe('library: projects', () => {
  it('opens with WAL, foreign keys and the current schema', () => {
    expect(lib.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(lib.database.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(lib.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('creates, renames, tags and lists projects sorted by updated, created and name', () => {
    const a = lib.createProject({ name: 'Apple', tags: ['fruit', 'Red'] });
    const b = lib.createProject({ name: 'banana' });
    const c = lib.createProject({ name: 'Cherry', tags: ['fruit'] });
    expect(a.tags).toEqual(['Red', 'fruit']);
    lib.renameProject(a.id, 'Apricot');
    expect(lib.listProjects().map((p) => p.name)).toEqual(['Apricot', 'Cherry', 'banana']); // updated desc
    expect(lib.listProjects({ sort: 'created' }).map((p) => p.id)).toEqual([c.id, b.id, a.id]);
    expect(lib.listProjects({ sort: 'name' }).map((p) => p.name)).toEqual(['Apricot', 'banana', 'Cherry']);
    expect(lib.listProjects({ sort: 'name', descending: true, limit: 1 }).map((p) => p.name)).toEqual(['Cherry']);
    expect(lib.listProjects({ tag: 'FRUIT' }).map((p) => p.id).sort()).toEqual([a.id, c.id].sort());
    expect(lib.setTags(b.id, ['yellow']).tags).toEqual(['yellow']);
    expect(() => lib.renameProject(a.id, '  ')).toThrow(LibraryError);
  });

  it('searches by name substring (LIKE wildcards are literal), class, class name and seed', () => {
    const p1 = lib.createProject({ name: 'Cat 100%' });
    const p2 = lib.createProject({ name: 'Dog_house' });
    lib.recordGeneration(p1.id, null, fakeVgs(42, 3), fakePng(32, 1), { className: 'cat' });
    lib.recordGeneration(p2.id, null, fakeVgs(7, 5), fakePng(32, 2), { className: 'dog' });
    expect(lib.listProjects({ name: 'at 1' }).map((p) => p.id)).toEqual([p1.id]);
    expect(lib.listProjects({ name: '%' }).map((p) => p.id)).toEqual([p1.id]);
    expect(lib.listProjects({ name: '_' }).map((p) => p.id)).toEqual([p2.id]);
    expect(lib.listProjects({ classId: 5 }).map((p) => p.id)).toEqual([p2.id]);
    expect(lib.listProjects({ className: 'CAT' }).map((p) => p.id)).toEqual([p1.id]);
    expect(lib.listProjects({ seed: 42 }).map((p) => p.id)).toEqual([p1.id]);
    expect(lib.listProjects({ seed: 42, classId: 5 })).toEqual([]);
  });

  it('deletes softly, restores, purges; recent projects skip the bin', () => {
    const a = lib.createProject({ name: 'a' });
    const b = lib.createProject({ name: 'b' });
    lib.recordGeneration(a.id, null, fakeVgs(), fakePng());
    lib.openProject(a.id);
    expect(lib.recentProjects().map((p) => p.id)).toEqual([a.id, b.id]);
    lib.deleteProject(a.id);
    expect(lib.listProjects().map((p) => p.id)).toEqual([b.id]);
    expect(lib.listProjects({ state: 'deleted' }).map((p) => p.id)).toEqual([a.id]);
    expect(lib.recentProjects().map((p) => p.id)).toEqual([b.id]);
    expect(() => lib.recordGeneration(a.id, null, fakeVgs(), fakePng())).toThrow(/in the bin/);
    expect(lib.restoreProject(a.id).deletedAt).toBeNull();
    expect(lib.listRecords(a.id)).toHaveLength(1);
    lib.deleteProject(a.id);
    expect(lib.purgeDeleted(60_000)).toBe(0); // binned less than a minute ago
    expect(lib.purgeDeleted()).toBe(1);
    expect(() => lib.getProject(a.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    // the records went with it (ON DELETE CASCADE)
    expect(lib.database.prepare('SELECT count(*) n FROM records').get()).toEqual({ n: 0 });
  });

  it('duplicates a project with its whole tree, tags and selection', () => {
    const p = lib.createProject({ name: 'orig', tags: ['t'] });
    const r1 = lib.recordGeneration(p.id, null, fakeVgs(1), fakePng(32, 1));
    const r2 = lib.recordGeneration(p.id, r1.id, fakeVgs(2), fakePng(32, 2));
    lib.recordGeneration(p.id, r2.id, fakeVgs(3), fakePng(32, 3));
    lib.selectRecord(p.id, r2.id);
    const d = lib.duplicateProject(p.id);
    expect(d.name).toBe('orig copy');
    expect(d.tags).toEqual(['t']);
    const recs = lib.listRecords(d.id);
    expect(recs.map((r) => r.seed)).toEqual([1, 2, 3]);
    expect(recs[0].parentId).toBeNull();
    expect(recs[1].parentId).toBe(recs[0].id);
    expect(recs[2].parentId).toBe(recs[1].id);
    expect(d.currentRecordId).toBe(recs[1].id);
    expect(lib.getImage(recs[2].id).equals(fakePng(32, 3))).toBe(true);
    expect(lib.getProject(p.id).recordCount).toBe(3);
  });
});

describe('library: records (autosave)', () => {
  it('records a generation with its image, selection, thumbnail and tree', () => {
    const p = lib.createProject({ name: 'p' });
    const png = fakePng(32, 5);
    const r = lib.recordGeneration(p.id, null, fakeVgs(9, 2), png, { className: 'owl' });
    expect(r).toMatchObject({ projectId: p.id, parentId: null, classId: 2, className: 'owl', seed: 9, width: 32, height: 32, favorite: false });
    expect(lib.getVgs(r.id)).toEqual(fakeVgs(9, 2));
    expect(lib.getImage(r.id).equals(png)).toBe(true);
    const proj = lib.getProject(p.id);
    expect(proj.currentRecordId).toBe(r.id);
    expect(proj.updated).toBeGreaterThan(p.updated);
    expect(lib.getThumbnail(p.id)?.equals(png)).toBe(true);
    const child = lib.recordGeneration(p.id, r.id, fakeVgs(10, 2), fakePng(32, 6), { select: false });
    lib.recordGeneration(p.id, null, fakeVgs(11), fakePng(32, 7));
    expect(lib.getProject(p.id).currentRecordId).not.toBe(child.id);
    expect(lib.branch(r.id).map((x) => x.id)).toEqual([r.id, child.id]);
    lib.setRecordFavorite(child.id, true);
    expect(lib.getRecordSummary(child.id).favorite).toBe(true);
  });

  it('refuses a bad VGS, non-PNG bytes, a parent from another project, and writes nothing', () => {
    const p = lib.createProject({ name: 'p' });
    const q = lib.createProject({ name: 'q' });
    const r = lib.recordGeneration(q.id, null, fakeVgs(), fakePng());
    const bad = { ...fakeVgs(), seed: -1 };
    expect(() => lib.recordGeneration(p.id, null, bad, fakePng())).toThrow(/VGS record/);
    expect(() => lib.recordGeneration(p.id, null, fakeVgs(), Buffer.from('nope'))).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    expect(() => lib.recordGeneration(p.id, r.id, fakeVgs(), fakePng())).toThrow(/another project/);
    expect(() => lib.selectRecord(p.id, r.id)).toThrow(/another project/);
    expect(lib.listRecords(p.id)).toEqual([]);
  });

  it('makes an online backup that opens as a library', async () => {
    const p = lib.createProject({ name: 'keep me' });
    lib.recordGeneration(p.id, null, fakeVgs(), fakePng());
    const dest = await lib.backup();
    expect(listBackups(lib.path)).toEqual([dest]);
    expect(existsSync(`${dest}.partial`)).toBe(false);
    const copy = Library.open(dest);
    try {
      expect(copy.listProjects().map((x) => x.name)).toEqual(['keep me']);
      expect(copy.listRecords(p.id)).toHaveLength(1);
    } finally {
      copy.close();
    }
  });
});
