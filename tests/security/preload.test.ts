/**
 * The preload's API surface, loaded with a fake `electron` (Electron is not launched): what it
 * exposes on window.nvg is snapshotted, so any addition is a deliberate change, and nothing but
 * plain functions goes through contextBridge (no ipcRenderer, no Node object). Also the real IPC
 * handler of ipc.ts, registered on a fake ipcMain: untrusted senders and malformed payloads never
 * reach the service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';
import { API_METHODS } from '../../electron/host/apiSchemas.js';

/**
 * Runs electron/preload/preload.cts as the sandboxed preload runs: CommonJS, compiled by tsc's
 * transpiler, with a `require` that knows only 'electron' (the fake). Any other require fails.
 */
function loadPreload(electron: object): void {
  const file = join(__dirname, '../../electron/preload/preload.cts');
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: file,
  }).outputText;
  const required: string[] = [];
  const req = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`the preload required ${id}`);
  };
  const module = { exports: {} };
  new Function('require', 'module', 'exports', js)(req, module, module.exports);
  expect(required).toStrictEqual(['electron']);
}

const fake = vi.hoisted(() => {
  const exposed: [string, unknown][] = [];
  const invoked: unknown[][] = [];
  const listened: string[] = [];
  const handlers = new Map<string, (...a: unknown[]) => unknown>();
  const ipcRenderer = {
    invoke: async (...a: unknown[]) => { invoked.push(a); return { ok: true, value: 'v' }; },
    on: (channel: string) => { listened.push(channel); return ipcRenderer; },
    removeListener: () => ipcRenderer,
    send: () => { throw new Error('send is not used'); },
  };
  return {
    exposed, invoked, listened, handlers, ipcRenderer,
    module: {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.push([key, api]) },
      ipcRenderer,
      ipcMain: { handle: (channel: string, fn: (...a: unknown[]) => unknown) => handlers.set(channel, fn) },
      BrowserWindow: { fromWebContents: () => null },
      dialog: {},
    },
  };
});
vi.mock('electron', () => ({ ...fake.module, default: fake.module }));

/** The names on window.nvg. Changing this list is a deliberate change to the attack surface. */
const SURFACE = [
  'backup', 'cancel', 'createProject', 'currentPack', 'deleteProject', 'duplicateProject', 'encode', 'exportBranch', 'exportMaps',
  'exportRecord', 'generate', 'getRecord', 'importPng', 'libraryStatus', 'listPacks', 'listProjects', 'openPack', 'openProject',
  'recentProjects', 'recoverLibrary', 'renameProject', 'restoreProject', 'selectRecord', 'setTags',
];

describe('preload API surface', () => {
  it('exposes exactly window.nvg with the snapshotted methods, all plain functions', () => {
    loadPreload(fake.module);
    expect(fake.exposed.map(([k]) => k)).toStrictEqual(['nvg']);
    const api = fake.exposed[0][1] as Record<string, unknown>;
    expect(Object.getPrototypeOf(api)).toBe(Object.prototype);
    expect(Object.keys(api).sort()).toStrictEqual(SURFACE);
    expect([...SURFACE].sort()).toStrictEqual([...API_METHODS].sort());
    for (const [k, v] of Object.entries(api)) {
      expect(typeof v, k).toBe('function');
      expect(v).not.toBe(fake.ipcRenderer.invoke);
      expect(Object.keys(v as object), k).toStrictEqual([]); // no properties hanging off the functions
    }
    expect(Object.values(api)).not.toContain(fake.ipcRenderer);
    expect(Object.getOwnPropertySymbols(api)).toStrictEqual([]);
    expect(fake.listened).toStrictEqual(['nvg:progress']);
    console.log(`[security] preload: ${SURFACE.length} methods on window.nvg, nothing else exposed`);
  });

  it('sends every call on the one nvg:call channel, and returns no Electron objects', async () => {
    const api = fake.exposed[0][1] as Record<string, (...a: unknown[]) => unknown>;
    expect(await api.listPacks()).toBe('v');
    const g = api.generate({ classId: 1, seed: 1 }) as { jobId: string; result: Promise<unknown> };
    expect(Object.keys(g).sort()).toStrictEqual(['jobId', 'result']);
    await g.result;
    expect(fake.invoked).toStrictEqual([['nvg:call', 'listPacks', []], ['nvg:call', 'generate', [g.jobId, { classId: 1, seed: 1 }]]]);
  });
});

describe('ipc.ts handler on a fake ipcMain', () => {
  it('answers FORBIDDEN to untrusted senders and BAD_REQUEST to malformed payloads, before the service', async () => {
    const { registerIpc } = await import('../../electron/main/ipc.js');
    const touched: string[] = [];
    const service = new Proxy({}, { get: (_t, p) => { touched.push(String(p)); return () => ['pack']; } });
    const mainFrame = { url: 'app://nvg/index.html' };
    const wc = { id: 1, mainFrame, isDestroyed: () => false, send: () => undefined };
    registerIpc(service as never, () => wc as never);
    const handle = fake.handlers.get('nvg:call')!;
    expect(handle).toBeTypeOf('function');
    const ev = (frame: { url: string } | null, sender: object = wc) => ({ senderFrame: frame, sender });

    const untrusted = [ev(null), ev({ url: 'app://nvg/index.html' }), ev({ url: 'https://evil.example/' }, { ...wc, mainFrame: { url: 'https://evil.example/' } }),
      ev(mainFrame, { ...wc }), ev({ url: 'file:///index.html' }, { ...wc, mainFrame: { url: 'file:///index.html' } })];
    for (const e of untrusted) expect(await handle(e, 'listPacks', [])).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const bad: [unknown, unknown][] = [['nope', []], [null, null], ['openPack', [1]], ['generate', [{ classId: 1, seed: 1 }]], ['cancel', [{}]], ['getRecord', ['1; DROP']]];
    for (const [m, a] of bad) expect(await handle(ev(mainFrame), m, a)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(touched).toStrictEqual([]);

    expect(await handle(ev(mainFrame), 'listPacks', [])).toStrictEqual({ ok: true, value: ['pack'] });
    expect(touched).toContain('listPacks');
    console.log(`[security] ipc handler: ${untrusted.length} untrusted senders + ${bad.length} bad payloads refused, 1 good call answered`);
  });
});
