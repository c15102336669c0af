/**
 * `npm run bench:library`: the project library's speed, in a temp folder that is removed after.
 *
 * 1. Storage: 1,000 images of 32 px and of 64 px, inserted (one transaction each, as autosave
 *    does) and read back in random order, as BLOBs inside the database vs as files beside it
 *    (temp file + rename, the path in the row). Decides where record images live (docs/library.md).
 * 2. Queries on a library of --projects N (default 10,000) projects with 2 records each and
 *    thumbnails: first page sorted by updated, search by name substring, class, tag, seed;
 *    autosave (recordGeneration) latency; open time with its quick_check. Medians of --repeats runs.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { VgsRecord } from '../electron/engine/vgs.js';
import { Library } from '../electron/library/index.js';
import { encodePng } from '../electron/shared/png.js';

const { values } = parseArgs({ options: { projects: { type: 'string' }, repeats: { type: 'string' }, images: { type: 'string' } } });
const PROJECTS = Number(values.projects ?? 10_000);
const REPEATS = Number(values.repeats ?? 7);
const IMAGES = Number(values.images ?? 1000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn: () => unknown) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};
const medianMs = (fn: () => unknown) => {
  fn(); // warm the statement cache and the page cache
  return median(Array.from({ length: REPEATS }, () => time(fn)));
};
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1));
const dirBytes = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((s, e) => s + statSync(join(e.parentPath, e.name)).size, 0);

// Deterministic pseudo-random numbers (mulberry32), so runs compare.
let state = 12345;
const rnd = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** An image like a generated one: smooth colour blobs plus a little noise (PNG sizes realistic). */
function image(size: number): Buffer {
  const data = new Uint8Array(size * size * 4);
  const [a, b, c] = [rnd() * 6, rnd() * 6, rnd() * 255];
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const o = (y * size + x) * 4;
    data[o] = 128 + 100 * Math.sin((x * a) / size + b) + rnd() * 12;
    data[o + 1] = 128 + 100 * Math.cos((y * b) / size + a) + rnd() * 12;
    data[o + 2] = (c + x + y + rnd() * 12) & 255;
    data[o + 3] = 255;
  }
  return encodePng({ width: size, height: size, data });
}

/** A K = 6 record (7 stages, T = 64) with random nested labels, like the tiny pack's. */
function vgs(seed: number, classId: number): VgsRecord {
  const K = 6, T = 64;
  const stages: VgsRecord['stages'] = [];
  let prev = new Array<number>(T).fill(0);
  for (let k = 0; k <= K; k++) {
    const labels = k === 0 ? prev : prev.map((p) => 2 * p + (rnd() < 0.5 ? 0 : 1));
    stages.push({ labels, tokens: Array.from({ length: 2 ** k }, () => Math.floor(rnd() * 512)), pinStructure: false, pinContent: false, source: 'generated' });
    prev = labels;
  }
  return {
    format: 'nvg-vgs', version: 1, pack: { name: 'tiny', manifestSha256: 'c0ffee'.padEnd(64, '0') }, classId, seed,
    params: { cfgContentMax: 3, cfgStructureMax: 2, topPMin: 0.9, structureSteps: 8, timeShiftMu: 0.5, gumbelTemperature: 1 },
    stages,
  };
}

function storage(root: string, size: number) {
  const pngs = Array.from({ length: IMAGES }, () => image(size));
  const order = pngs.map((_, i) => i).sort(() => rnd() - 0.5);
  const setup = (file: string) => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, image BLOB, path TEXT)');
    return db;
  };
  // Inside the database.
  const dbDir = join(root, `blob-${size}`);
  mkdirSync(dbDir);
  const a = setup(join(dbDir, 'lib.sqlite'));
  const ins = a.prepare('INSERT INTO r (id, image) VALUES (?, ?)');
  const blobInsert = time(() => pngs.forEach((p, i) => a.transaction(() => ins.run(i, p)).immediate()));
  const sel = a.prepare('SELECT image FROM r WHERE id = ?');
  const blobRead = time(() => order.forEach((i) => (sel.get(i) as { image: Buffer }).image.length));
  a.pragma('wal_checkpoint(TRUNCATE)');
  a.close();
  // Files beside it (written as the export does: temp file + rename), path in the row.
  const fileDir = join(root, `files-${size}`);
  mkdirSync(join(fileDir, 'images'), { recursive: true });
  const b = setup(join(fileDir, 'lib.sqlite'));
  const insPath = b.prepare('INSERT INTO r (id, path) VALUES (?, ?)');
  const fileInsert = time(() => pngs.forEach((p, i) => {
    const path = join(fileDir, 'images', `${i}.png`);
    writeFileSync(`${path}.tmp`, p);
    renameSync(`${path}.tmp`, path);
    b.transaction(() => insPath.run(i, path)).immediate();
  }));
  const selPath = b.prepare('SELECT path FROM r WHERE id = ?');
  const fileRead = time(() => order.forEach((i) => readFileSync((selPath.get(i) as { path: string }).path).length));
  b.pragma('wal_checkpoint(TRUNCATE)');
  b.close();
  const avg = pngs.reduce((s, p) => s + p.length, 0) / pngs.length;
  return { size, avg, blobInsert, blobRead, blobBytes: dirBytes(dbDir), fileInsert, fileRead, fileBytes: dirBytes(fileDir) };
}

function buildLibrary(path: string) {
  const lib = Library.open(path, { now: () => 1_700_000_000_000 });
  const db = lib.database;
  const thumbs = Array.from({ length: 50 }, () => image(32));
  const words = ['cat', 'dog', 'owl', 'fox', 'sun', 'moon', 'tree', 'car', 'boat', 'star', 'heart', 'smile'];
  const insP = db.prepare('INSERT INTO projects (name, created, updated, opened, thumbnail, favorite) VALUES (?, ?, ?, ?, ?, ?)');
  const insT = db.prepare('INSERT INTO project_tags (project_id, tag) VALUES (?, ?)');
  const insR = db.prepare(`INSERT INTO records (project_id, parent_id, vgs, class_id, class_name, seed, pack_name, pack_sha256, created, width, height, image)
    VALUES (?, ?, ?, ?, ?, ?, 'tiny', ?, ?, 32, 32, ?)`);
  const setCur = db.prepare('UPDATE projects SET current_record_id = ? WHERE id = ?');
  const t0 = 1_600_000_000_000;
  const build = time(() => db.transaction(() => {
    for (let i = 0; i < PROJECTS; i++) {
      const created = t0 + Math.floor(rnd() * 3e10);
      const thumb = thumbs[i % thumbs.length];
      const pid = Number(insP.run(`${words[i % words.length]} ${words[(i * 7) % words.length]} ${i}`, created, created + Math.floor(rnd() * 1e9), rnd() < 0.1 ? created : null, thumb, rnd() < 0.05 ? 1 : 0).lastInsertRowid);
      insT.run(pid, `tag-${i % 20}`);
      if (i % 3 === 0) insT.run(pid, 'favourite-style');
      let parent: number | null = null;
      for (let r = 0; r < 2; r++) {
        const classId = Math.floor(rnd() * 40);
        const v = vgs(i * 2 + r, classId);
        parent = Number(insR.run(pid, parent, JSON.stringify(v), classId, `class-${classId}`, v.seed, v.pack.manifestSha256, created + r, thumb).lastInsertRowid);
      }
      setCur.run(parent, pid);
    }
  })());
  return { lib, build };
}

const root = mkdtempSync(join(tmpdir(), 'nvg-bench-library-'));
try {
  console.log(`# Library benchmark (better-sqlite3, SQLite ${(new Database(':memory:').prepare('select sqlite_version() v').get() as { v: string }).v}, Node ${process.version})\n`);
  console.log(`## Record images: in the database vs files beside it (${IMAGES} images, one transaction each)\n`);
  console.log('| size | avg PNG | insert: DB blob | insert: file + row | read: DB blob | read: file | on disk: DB | on disk: files |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const size of [32, 64]) {
    const s = storage(root, size);
    const per = (ms: number) => `${fmt(ms)} ms (${((ms / IMAGES) * 1000).toFixed(0)} µs/img)`;
    console.log(`| ${size} px | ${(s.avg / 1024).toFixed(1)} KiB | ${per(s.blobInsert)} | ${per(s.fileInsert)} | ${per(s.blobRead)} | ${per(s.fileRead)} | ${(s.blobBytes / 2 ** 20).toFixed(1)} MiB | ${(s.fileBytes / 2 ** 20).toFixed(1)} MiB |`);
  }

  const path = join(root, 'library.sqlite');
  const { lib, build } = buildLibrary(path);
  lib.close();
  const openMs = median(Array.from({ length: 3 }, () => time(() => Library.open(path).close())));
  const openNoCheck = median(Array.from({ length: 3 }, () => time(() => Library.open(path, { quickCheck: false }).close())));
  const live = Library.open(path);
  const size = statSync(path).size;
  console.log(`\n## Queries on ${PROJECTS.toLocaleString('en')} projects (${(2 * PROJECTS).toLocaleString('en')} records, ${(size / 2 ** 20).toFixed(0)} MiB; built in ${fmt(build)} ms), median of ${REPEATS}\n`);
  const rows: [string, () => unknown][] = [
    ['first page (50) sorted by updated', () => live.listProjects({ sort: 'updated', limit: 50 })],
    ['first page (50) sorted by name', () => live.listProjects({ sort: 'name', limit: 50 })],
    ['search name substring "owl fox"', () => live.listProjects({ name: 'owl fox', limit: 50 })],
    ['search by class id (7)', () => live.listProjects({ classId: 7, limit: 50 })],
    ['search by class name ("class-7")', () => live.listProjects({ className: 'class-7', limit: 50 })],
    ['search by tag ("tag-3")', () => live.listProjects({ tag: 'tag-3', limit: 50 })],
    ['search by seed (12345)', () => live.listProjects({ seed: 12345, limit: 50 })],
    ['recent projects (10)', () => live.recentProjects(10)],
    ['history of one project', () => live.listRecords(Math.ceil(PROJECTS / 2))],
  ];
  console.log('| operation | ms |');
  console.log('|---|---|');
  for (const [name, fn] of rows) console.log(`| ${name} | ${fmt(medianMs(fn))} |`);
  const p = live.createProject({ name: 'bench' });
  const png = image(32);
  let parent: number | null = null;
  const save = median(Array.from({ length: 200 }, (_, i) => time(() => (parent = live.recordGeneration(p.id, parent, vgs(i, 1), png).id))));
  console.log(`| autosave: recordGeneration (32 px, K = 6), median of 200 | ${fmt(save)} |`);
  console.log(`| open library (with quick_check) | ${fmt(openMs)} |`);
  console.log(`| open library (quickCheck: false) | ${fmt(openNoCheck)} |`);
  const b0 = performance.now();
  await live.backup(join(root, 'backup.sqlite'));
  console.log(`| online backup (db.backup) | ${fmt(performance.now() - b0)} |`);
  const q0 = performance.now();
  live.database.pragma('quick_check');
  console.log(`| PRAGMA quick_check alone | ${fmt(performance.now() - q0)} |`);
  live.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
