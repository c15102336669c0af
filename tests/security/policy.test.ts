/**
 * Electron's security checklist, the parts that are pure functions (electron/main/policy.ts, which
 * main.ts and ipc.ts install): webPreferences, navigation / window.open / permissions denied, the
 * IPC sender check and the IPC payload schemas. Electron itself is not launched here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_METHODS } from '../../electron/host/apiSchemas.js';
import {
  checkIpcCall, denyNavigation, isTrustedSender, navigationAllowed, permissionCheckHandler, permissionRequestHandler,
  preloadPath, webPreferences, windowOpenHandler, windowOptions,
} from '../../electron/main/policy.js';

const ROOT = '/srv/nvg';

describe('webPreferences', () => {
  it('is exactly the hardened set, with the compiled preload', () => {
    expect(webPreferences(ROOT)).toStrictEqual({
      preload: '/srv/nvg/dist/electron/preload/preload.cjs',
      contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false,
      nodeIntegrationInSubFrames: false, nodeIntegrationInWorker: false, allowRunningInsecureContent: false, webviewTag: false,
    });
    expect(windowOptions(ROOT).webPreferences).toStrictEqual(webPreferences(ROOT));
    // The preload path is where tsc puts electron/preload/preload.cts (tsconfig outDir "dist").
    expect(preloadPath(ROOT)).toBe(join(ROOT, 'dist', 'electron', 'preload', 'preload.cjs'));
    console.log('[security] webPreferences: 10 keys checked');
  });
  it('is what main.ts installs (no inline window options or handlers left there)', () => {
    const main = readFileSync(join(__dirname, '../../electron/main/main.ts'), 'utf8');
    expect(main).toContain('new BrowserWindow(windowOptions(ROOT))');
    expect(main).not.toMatch(/(contextIsolation|nodeIntegration|sandbox|webSecurity)\s*:/);
    for (const f of ['permissionRequestHandler', 'permissionCheckHandler', 'windowOpenHandler', 'denyNavigation']) expect(main).toContain(f);
    expect(main).toContain('app.enableSandbox()');
    expect(main).not.toMatch(/shell\.openExternal/);
  });
});

const URLS = [
  'app://nvg/index.html', 'app://nvg/', 'app://evil/index.html', 'https://example.com/', 'http://127.0.0.1:8080/',
  'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<script>1</script>', 'about:blank', 'chrome://settings',
  'devtools://devtools/bundled/inspector.html', 'app://nvg.evil.com/', 'blob:app://nvg/uuid', '',
];

describe('navigation, window.open and permissions', () => {
  it('denies every navigation and redirect (the app has one page; its own URL included)', () => {
    let n = 0;
    for (const url of URLS) {
      expect(navigationAllowed(url), url).toBe(false);
      let prevented = false;
      denyNavigation({ preventDefault: () => (prevented = true) }, url);
      expect(prevented, url).toBe(true);
      n++;
    }
    console.log(`[security] navigation: ${n} URLs denied`);
  });
  it('denies window.open for every URL', () => {
    for (const url of URLS) expect(windowOpenHandler({ url })).toStrictEqual({ action: 'deny' });
    console.log(`[security] window.open: ${URLS.length} URLs denied`);
  });
  it('denies every permission request and check', () => {
    const perms = [
      'clipboard-read', 'clipboard-sanitized-write', 'display-capture', 'fullscreen', 'geolocation', 'idle-detection', 'media',
      'mediaKeySystem', 'midi', 'midiSysex', 'notifications', 'pointerLock', 'keyboardLock', 'openExternal', 'speaker-selection',
      'storage-access', 'top-level-storage-access', 'window-management', 'unknown', 'hid', 'serial', 'usb', 'fileSystem',
    ];
    for (const p of perms) {
      const answers: boolean[] = [];
      permissionRequestHandler({}, p, (granted) => answers.push(granted));
      expect(answers, p).toStrictEqual([false]);
      expect(permissionCheckHandler({}, p), p).toBe(false);
    }
    console.log(`[security] permissions: ${perms.length} permissions x (request, check) denied`);
  });
});

describe('IPC sender check', () => {
  const mainFrame = { url: 'app://nvg/index.html' };
  const win = { mainFrame };
  it('accepts only the app window’s top frame on app://nvg', () => {
    expect(isTrustedSender({ senderFrame: mainFrame, sender: win }, win)).toBe(true);
    const sub = { url: 'app://nvg/index.html' };
    const other = { mainFrame };
    const cases: [string, Parameters<typeof isTrustedSender>[0], unknown][] = [
      ['subframe on the app origin', { senderFrame: sub, sender: win }, win],
      ['no frame (destroyed)', { senderFrame: null, sender: win }, win],
      ['undefined frame', { senderFrame: undefined, sender: win }, win],
      ['another webContents', { senderFrame: mainFrame, sender: other }, win],
      ['no window yet', { senderFrame: mainFrame, sender: win }, null],
    ];
    for (const url of ['https://evil.example/', 'http://127.0.0.1:5173/', 'file:///index.html', 'file:///srv/nvg/dist/renderer/index.html',
      'app://evil/index.html', 'app://nvg.evil.com/', 'app://nvg@evil/', 'devtools://devtools/', 'about:blank', 'data:text/html,x',
      'chrome-extension://abc/', '', 'nvg/index.html']) {
      const frame = { url };
      const w = { mainFrame: frame };
      cases.push([`top frame at ${url || '(empty)'}`, { senderFrame: frame, sender: w }, w]);
    }
    for (const [name, event, window] of cases) expect(isTrustedSender(event, window), name).toBe(false);
    console.log(`[security] IPC sender: 1 trusted + ${cases.length} untrusted senders checked`);
  });
});

describe('IPC payloads', () => {
  const img = (over: object = {}) => ({ width: 2, height: 2, channels: 4, data: new Uint8Array(16), ...over });
  const gen = (over: object = {}) => ({ classId: 1, seed: 1, ...over });
  it('accepts well-formed calls', () => {
    const good: [string, unknown[]][] = [
      ['listPacks', []], ['openPack', ['/packs/tiny']], ['generate', ['j1', gen()]], ['cancel', ['j1']], ['encode', [img()]],
      ['renameProject', [1, 'x']], ['exportMaps', [3]], ['setTags', [1, ['a']]], ['importPng', [new Uint8Array(8)]], ['createProject', []],
    ];
    for (const [m, args] of good) expect(checkIpcCall(m, args).ok, m).toBe(true);
  });
  it('refuses malformed payloads on every method with BAD_REQUEST', () => {
    const bad: [unknown, unknown][] = [
      [undefined, []], [null, []], [42, []], ['rm -rf', []], ['__proto__', []], ['constructor', []], ['toString', []], ['', []],
      ['generate', []], ['generate', [gen()]], ['generate', ['', gen()]], ['generate', ['x'.repeat(129), gen()]], ['generate', [7, gen()]],
      ['generate', ['j', { classId: 'x', seed: 1 }]], ['generate', ['j', gen({ seed: -1 })]], ['generate', ['j', gen({ count: 1e9 })]],
      ['generate', ['j', gen({ pins: { 999: {} } })]], ['generate', ['j', gen({ evil: 1 })]], ['generate', ['j', gen(), 'extra']],
      ['generate', ['j', gen({ params: { structureSteps: 1e9 } })]], ['generate', ['j', gen({ sources: ['x'] })]],
      ['openPack', []], ['openPack', ['']], ['openPack', [{}]], ['openPack', ['a'.repeat(5000)]], ['openPack', ['/a', '/b']],
      ['listPacks', ['x']], ['currentPack', [1]], ['libraryStatus', [null]], ['backup', [{}]], ['recentProjects', [0]],
      ['cancel', []], ['cancel', [1]], ['cancel', ['']],
      ['encode', []], ['encode', [img({ data: [1, 2] })]], ['encode', [img({ data: new Uint8Array(3) })]], ['encode', [img({ channels: 2 })]],
      ['encode', [img({ width: 1e6 })]], ['encode', [img({ extra: 1 })]],
      ['recoverLibrary', [{ kind: 'backup', name: '../x' }]], ['recoverLibrary', [{ kind: 'backup', name: 'a\\b' }]], ['recoverLibrary', [{ kind: 'rm' }]],
      ['listProjects', [{ sort: 'drop table' }]], ['listProjects', [{ page: -1 }]], ['listProjects', [{ evil: 1 }]],
      ['openProject', [0]], ['openProject', ['1']], ['openProject', [1.5]], ['openProject', [2 ** 53]],
      ['createProject', ['']], ['createProject', ['   ']], ['createProject', ['a'.repeat(201)]], ['createProject', [{}]],
      ['renameProject', [1]], ['renameProject', [1, '']], ['duplicateProject', [-1]], ['deleteProject', [null]], ['restoreProject', []],
      ['selectRecord', [1]], ['selectRecord', [1, '2']], ['getRecord', [{}]],
      ['exportRecord', [1]], ['exportRecord', [1, { size: 3 }]], ['exportRecord', [1, { size: 1, path: '/etc/x' }]],
      ['exportMaps', [1, { size: 2 }]], ['exportBranch', ['1']], ['exportBranch', [1, { size: 1 }, 3]],
      ['setTags', [1, 'tag']], ['setTags', [1, ['']]], ['setTags', [1, Array(33).fill('t')]],
      ['importPng', []], ['importPng', ['png']], ['importPng', [[137, 80, 78, 71, 13, 10, 26, 10]]], ['importPng', [new Uint8Array(7)]],
    ];
    const methods = new Set<unknown>();
    for (const [method, args] of bad) {
      const r = checkIpcCall(method, args);
      expect(r.ok, `${String(method)} ${JSON.stringify(args)?.slice(0, 80)}`).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('BAD_REQUEST');
      methods.add(method);
    }
    // Every API method got at least one bad payload.
    for (const m of API_METHODS) expect(methods.has(m), m).toBe(true);
    console.log(`[security] IPC payloads: ${bad.length} malformed calls refused across ${API_METHODS.length} methods`);
  });
});
