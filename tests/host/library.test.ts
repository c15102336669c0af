/**
 * The project library through the browser host's WebSocket (the same service Electron's IPC
 * uses): schemas refuse bad payloads, autosave writes one record per generated image (variations
 * branch from the record whose pins were used), projects are listed / searched / renamed /
 * duplicated / deleted and restored, export -> import gives back the same VGS, and a damaged or
 * locked library leaves the app running with the ways out, the damaged file untouched.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EngineClient } from '../../electron/engine/worker/client.js';
import { readRecipe, readZip } from '../../electron/export/index.js';
import { LibraryHost } from '../../electron/host/libraryService.js';
import { TINY_PACK, PACK_ROOTS } from '../../electron/host/paths.js';
import { startHost, type RunningHost } from '../../electron/host/server.js';
import { NvgService } from '../../electron/host/service.js';
import type { ExportedFileWire, GenerateResultWire, OpenedProjectWire, ProjectWire, RecordWire } from '../../electron/shared/api.js';
import { decodePng } from '../../electron/shared/png.js';
import { decodeWire, encodeWire } from '../../electron/shared/wire.js';

let host: RunningHost;
let service: NvgService;
let ws: WebSocket;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nvg-lib-host-'));
  mkdirSync(join(dir, 'static'));
  writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html><title>NVG test</title>');
  service = new NvgService(new EngineClient(), { packRoots: PACK_ROOTS, defaultPack: TINY_PACK, provider: 'cpu', threads: 1, libraryPath: join(dir, 'lib', 'library.sqlite') });
  service.start();
  host = await startHost({ service, staticDir: join(dir, 'static') });
  ws = await new Promise<WebSocket>((resolve, reject) => {
    const s = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    s.once('open', () => resolve(s));
    s.once('error', reject);
  });
}, 60_000);

afterAll(async () => {
  ws?.close();
  await host?.close();
  await service?.close();
});

let next = 1;
/** One call; resolves with the result, rejects with the error code. */
function api<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
  const id = `t${next++}`;
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = decodeWire(data.toString()) as { id: string; result?: unknown; error?: { code: string; message: string }; progress?: unknown };
      if (msg.id !== id || msg.progress) return;
      ws.off('message', onMessage);
      if (msg.error) reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
      else resolve(msg.result as T);
    };
    ws.on('message', onMessage);
    ws.send(encodeWire({ id, method, params }));
  });
}
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);

describe('library over the WebSocket', () => {
  it('refuses bad payloads with BAD_REQUEST', async () => {
    const bad: [string, unknown[]][] = [
      ['listProjects', [{ query: 'x', evil: 1 }]],
      ['listProjects', [{ sort: 'random' }]],
      ['listProjects', [{ page: -1 }]],
      ['openProject', [0]],
      ['openProject', ['1']],
      ['renameProject', [1]],
      ['renameProject', [1, '']],
      ['renameProject', [1, '   ']],
      ['renameProject', [1, 'x'.repeat(201)]],
      ['selectRecord', [1]],
      ['exportRecord', [1, { size: 3 }]],
      ['exportRecord', [1, { size: 4, path: '/etc/passwd' }]],
      ['importPng', [[137, 80, 78, 71]]],
      ['importPng', ['iVBORw0KGgo=']],
      ['recoverLibrary', [{ kind: 'backup', name: '../../etc/passwd' }]],
      ['recoverLibrary', [{ kind: 'delete' }]],
      ['backup', ['/tmp/x']],
      ['generate', [{ classId: 1, seed: 1, parentRecordId: -5 }]],
    ];
    for (const [method, params] of bad) expect(await code(api(method, ...params)), `${method} ${JSON.stringify(params)}`).toBe('BAD_REQUEST');
    expect((await api<{ ok: boolean }>('libraryStatus')).ok).toBe(true);
  });

  let first: GenerateResultWire;
  let opened: OpenedProjectWire;

  it('autosaves every generated image as a record of an "Untitled N" project, variations branching from the pinned record', async () => {
    first = await api<GenerateResultWire>('generate', { classId: 3, seed: 11, count: 1 });
    const saved = first.saved as { projectId: number; projectName: string; recordIds: number[] };
    expect(saved.projectName).toBe('Untitled 1');
    expect(saved.recordIds.length).toBe(1);
    const root = saved.recordIds[0];

    // Variations: 3 images pinned on stages 0-2 of the first one, each a record under it.
    const pins: Record<string, { labels: number[]; tokens: number[] }> = {};
    for (let k = 0; k <= 2; k++) pins[k] = { labels: Array.from(first.labels[0][k]), tokens: Array.from(first.tokens[0][k]) };
    const vars = await api<GenerateResultWire>('generate', { classId: 3, seed: 500, count: 3, pins, parentRecordId: root });
    const vs = vars.saved as { projectId: number; recordIds: number[] };
    expect(vs.projectId).toBe(saved.projectId);
    expect(vs.recordIds.length).toBe(3);

    opened = await api<OpenedProjectWire>('openProject', saved.projectId);
    expect(opened.records.map((r) => r.id)).toEqual([root, ...vs.recordIds]);
    expect(opened.records.slice(1).every((r) => r.parentId === root)).toBe(true);
    expect(opened.records.map((r) => r.seed)).toEqual([11, 500, 501, 502]);
    expect(opened.selected).toBe(vs.recordIds[0]);
    expect(opened.project.thumbnail).toBeInstanceOf(Uint8Array);
    expect(opened.records[0].thumbnail.length).toBeGreaterThan(50);

    // The record replays: its VGS has the pins the variations used, its image is the result's.
    const rec = await api<RecordWire>('getRecord', vs.recordIds[1]);
    expect(rec.vgs.seed).toBe(501);
    expect(rec.vgs.stages.map((s) => s.pinContent)).toEqual([true, true, true, false, false, false, false]);
    expect(rec.image.width).toBe(32);
    expect(rec.image.data.length).toBe(32 * 32 * 4);
    const px = Math.round((vars.images[1 * 3 * 1024] + 1) * 127.5);
    expect(Math.abs(rec.image.data[0] - Math.min(255, Math.max(0, px)))).toBeLessThanOrEqual(1);
  }, 60_000);

  it('saves nothing when autosave is off; records each stage source; a record replays exactly with every stage pinned', async () => {
    const off = await api<GenerateResultWire>('generate', { classId: 2, seed: 5, autosave: false });
    expect(off.saved).toBeUndefined();
    const sources = ['generated', 'drawn', 'drawn', 'generated', 'generated', 'generated', 'generated'];
    const pins = { 1: { labels: Array.from(first.labels[0][1]), tokens: null } };
    const on = await api<GenerateResultWire>('generate', { classId: 2, seed: 6, pins, sources });
    const id = (on.saved as { recordIds: number[] }).recordIds[0];
    const rec = await api<RecordWire>('getRecord', id);
    expect(rec.vgs.stages.map((s) => s.source)).toEqual(sources);
    expect(rec.vgs.stages.map((s) => s.pinStructure)).toEqual([false, true, false, false, false, false, false]);
    // What the renderer does to show a loaded record's stage previews.
    const all: Record<string, { labels: number[]; tokens: number[] }> = {};
    rec.vgs.stages.forEach((s, k) => (all[k] = { labels: s.labels, tokens: s.tokens }));
    const replay = await api<GenerateResultWire>('generate', { classId: 2, seed: rec.vgs.seed, params: rec.vgs.params, pins: all, autosave: false });
    expect(Array.from(replay.images)).toEqual(Array.from(on.images));
    opened = await api<OpenedProjectWire>('openProject', opened.project.id);
    expect(opened.records.length).toBe(5);
  }, 60_000);

  it('lists, searches, renames, duplicates, deletes and restores projects', async () => {
    const id = opened.project.id;
    const renamed = await api<ProjectWire>('renameProject', id, 'Cats and dogs');
    expect(renamed.name).toBe('Cats and dogs');
    const list = async (q: object) => (await api<{ projects: ProjectWire[] }>('listProjects', q)).projects.map((p) => p.name);
    expect(await list({ query: 'dogs' })).toEqual(['Cats and dogs']);
    expect(await list({ query: '502' })).toEqual(['Cats and dogs']); // a seed
    expect(await list({ query: 'nothing-like-it' })).toEqual([]);
    expect(await list({ classId: 3 })).toEqual(['Cats and dogs']);
    const dup = await api<ProjectWire>('duplicateProject', id);
    expect(dup.recordCount).toBe(5);
    expect(await list({ sort: 'name' })).toEqual(['Cats and dogs', 'Cats and dogs copy']);
    await api('deleteProject', dup.id);
    expect(await list({})).toEqual(['Cats and dogs']);
    await api('restoreProject', dup.id);
    expect((await list({})).sort()).toEqual(['Cats and dogs', 'Cats and dogs copy']);
    const recent = await api<ProjectWire[]>('recentProjects');
    expect(recent.map((p) => p.id)).toContain(id);
    expect(await code(api('openProject', 999_999))).toBe('NOT_FOUND');
  });

  it('export -> import gives back the same VGS (1x, and 4x scaled back to the native image)', async () => {
    const rid = opened.records[2].id;
    const original = await api<RecordWire>('getRecord', rid);
    for (const size of [1, 4]) {
      const file = await api<ExportedFileWire>('exportRecord', rid, { size });
      expect(file.fileName).toMatch(/^Cats-and-dogs-r\d+(-4x)?\.png$/);
      const png = decodePng(Buffer.from(file.bytes!));
      expect(png.width).toBe(32 * size);
      expect(readRecipe(file.bytes!).vgs).toEqual(original.vgs);
      const restored = await api<OpenedProjectWire>('importPng', file.bytes!);
      expect(restored.project.tags).toEqual(['imported']);
      expect(restored.records.length).toBe(1);
      const back = await api<RecordWire>('getRecord', restored.selected!);
      expect(back.vgs).toEqual(original.vgs);
      expect(Buffer.from(back.image.data).equals(Buffer.from(original.image.data))).toBe(true);
    }
    expect(await code(api('importPng', new Uint8Array(readFileSync(join(dir, 'static', 'index.html')))))).toBe('NOT_PNG');
  });

  it('exports the structure bundle of a record as one zip: image, maps, 1-bit masks, labels JSON matching the VGS, a K+1 stage contact sheet', async () => {
    const rid = opened.records[0].id;
    const rec = await api<RecordWire>('getRecord', rid);
    const [zip] = await api<ExportedFileWire[]>('exportMaps', rid, { size: 4 });
    const B = `Cats-and-dogs-r${rid}`;
    expect(zip.fileName).toBe(`${B}.zip`);
    const files = new Map(readZip(zip.bytes!).map((e) => [e.name, e.bytes]));
    expect(readRecipe(files.get(`${B}.png`)!).vgs).toEqual(rec.vgs);
    expect(decodePng(Buffer.from(files.get(`${B}.png`)!)).width).toBe(128);
    for (let k = 0; k <= 6; k++) expect(decodePng(Buffer.from(files.get(`${B}-stage${k}-map.png`)!)).width).toBe(32);
    const masks = [...files.keys()].filter((n) => /-mask\d+\.png$/.test(n));
    expect(masks).toContain(`${B}-stage1-mask1.png`);
    expect(masks.some((n) => n.includes('stage0'))).toBe(false);
    for (const m of masks) {
      const ihdr = Buffer.from(files.get(m)!).subarray(16, 29);
      expect([ihdr.readUInt32BE(0), ihdr[8], ihdr[9]], m).toEqual([32, 1, 0]); // 32 px wide, 1-bit greyscale
    }
    const labels = JSON.parse(Buffer.from(files.get(`${B}-labels.json`)!).toString()) as { grid: { h: number; w: number }; stages: { labels: number[]; tokens: number[] }[] };
    expect(labels.grid).toEqual({ h: 8, w: 8 });
    expect(labels.stages.map((s) => s.labels)).toEqual(rec.vgs.stages.map((s) => s.labels));
    expect(labels.stages.map((s) => s.tokens)).toEqual(rec.vgs.stages.map((s) => s.tokens));
    // One column per stage (K + 1 = 7), each 96 px wide with 4 px gaps.
    const sheet = decodePng(Buffer.from(files.get(`${B}-sheet.png`)!));
    expect(sheet.width).toBe(4 + 7 * (96 + 4));
    // The last column's preview is the record's image (a replay with every stage pinned).
    const at = (x: number, y: number) => Array.from(sheet.data.subarray((y * sheet.width + x) * 4, (y * sheet.width + x) * 4 + 3));
    expect(at(4 + 6 * 100, 4)).toEqual(Array.from(rec.image.data.subarray(0, 3)));
  }, 60_000);

  it('exports a branch: the record and every image made from it, each with its bundle', async () => {
    const root = opened.records[0].id;
    const [zip] = await api<ExportedFileWire[]>('exportBranch', root);
    expect(zip.fileName).toBe(`Cats-and-dogs-r${root}-branch.zip`);
    const names = readZip(zip.bytes!).map((e) => e.name);
    const images = names.filter((n) => /-r\d+\.png$/.test(n));
    expect(images).toEqual(opened.records.slice(0, 4).map((r) => `Cats-and-dogs-r${r.id}.png`));
    for (const img of images) expect(names).toContain(img.replace(/\.png$/, '-sheet.png'));
    expect(await code(api('exportBranch', root, { size: 2 }))).toBe('BAD_REQUEST');
  }, 120_000);

  it('adds and removes tags; search finds them', async () => {
    const id = opened.project.id;
    expect((await api<ProjectWire>('setTags', id, ['pets', ' Pets ', 'cute'])).tags.map((t) => t.toLowerCase()).sort()).toEqual(['cute', 'pets']); // case-insensitive: one "pets"
    const found = await api<{ projects: ProjectWire[] }>('listProjects', { query: 'cute' });
    expect(found.projects.map((p) => p.id)).toEqual([id]);
    expect((await api<ProjectWire>('setTags', id, ['pets'])).tags).toEqual(['pets']);
    expect((await api<{ projects: ProjectWire[] }>('listProjects', { query: 'cute' })).projects).toEqual([]);
    expect(await code(api('setTags', id, ['']))).toBe('BAD_REQUEST');
    expect(await code(api('setTags', id))).toBe('BAD_REQUEST');
  });

  it('backs the library up', async () => {
    const { path } = await api<{ path: string }>('backup');
    expect(existsSync(path)).toBe(true);
  });
});

describe('a library that does not open', () => {
  it('damaged: reports LIBRARY_CORRUPT with the backups, never touches the file; "new" and "backup" are the ways out', async () => {
    const d = mkdtempSync(join(tmpdir(), 'nvg-lib-bad-'));
    const path = join(d, 'library.sqlite');
    // A good library with a backup, then the file is damaged.
    const good = new LibraryHost(path);
    good.createProject('Kept in the backup');
    const backupPath = (await good.backup()).path;
    good.close();
    const garbage = Buffer.from('this is not an sqlite file at all '.repeat(200));
    writeFileSync(path, garbage);

    const host1 = new LibraryHost(path);
    const st = host1.libraryStatus();
    expect(st.ok).toBe(false);
    expect(st.error?.code).toBe('LIBRARY_CORRUPT');
    expect(st.backups.length).toBe(1);
    expect(() => host1.listProjects({})).toThrow(/not open/);
    const fresh = host1.recoverLibrary({ kind: 'new' });
    expect(fresh.ok).toBe(true);
    expect(fresh.path).not.toBe(path);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    host1.close();

    // The choice is remembered: the next start opens the new library.
    const host2 = new LibraryHost(path);
    expect(host2.libraryStatus().path).toBe(fresh.path);
    host2.close();

    writeFileSync(`${path}.current`, ''); // back to the damaged default
    const host3 = new LibraryHost(path);
    expect(host3.libraryStatus().error?.code).toBe('LIBRARY_CORRUPT');
    expect(() => host3.recoverLibrary({ kind: 'backup', name: 'nope.sqlite' })).toThrow(/not one of/);
    const restored = host3.recoverLibrary({ kind: 'backup', name: st.backups[0] });
    expect(restored.ok).toBe(true);
    expect(host3.listProjects({}).projects.map((p) => p.name)).toEqual(['Kept in the backup']);
    expect(existsSync(backupPath)).toBe(true);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    host3.close();
  });

  it('locked: LIBRARY_LOCKED, and "retry" opens it once the other writer is gone', () => {
    const d = mkdtempSync(join(tmpdir(), 'nvg-lib-lock-'));
    const path = join(d, 'library.sqlite');
    const owner = new LibraryHost(path);
    const db = owner.library.database;
    db.exec('BEGIN IMMEDIATE');
    const other = new LibraryHost(path);
    expect(other.libraryStatus().error?.code).toBe('LIBRARY_LOCKED');
    db.exec('ROLLBACK');
    expect(other.recoverLibrary({ kind: 'retry' }).ok).toBe(true);
    other.close();
    owner.close();
  });
});
