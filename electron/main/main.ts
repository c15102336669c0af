/**
 * Electron's main process: one sandboxed window on the app:// protocol, the engine in a
 * utilityProcess, and the typed IPC of ipc.ts. Follows Electron's security checklist:
 * contextIsolation + sandbox, no nodeIntegration, a strict CSP on every app:// response, path
 * traversal refused, navigation / window.open / webviews denied, every permission request denied.
 */
import { app, BrowserWindow, dialog, net, protocol, session } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_PACK, PACK_ROOTS, RENDERER_DIST, ROOT } from '../host/paths.js';
import { NvgService } from '../host/service.js';
import { APP_CSP, APP_SCHEME, APP_START_URL, resolveAppPath } from './appUrl.js';
import { registerIpc } from './ipc.js';
import { denyNavigation, permissionCheckHandler, permissionRequestHandler, windowOpenHandler, windowOptions } from './policy.js';
import { EngineClient } from '../engine/worker/client.js';
import { spawnUtilityEngine } from './utilityEngine.js';

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

let win: BrowserWindow | null = null;
const engine = new EngineClient(spawnUtilityEngine(join(ROOT, 'dist', 'electron', 'engine', 'worker', 'worker.js')));
engine.onCrash = (err) => console.error(`engine process crashed: ${err.message} (restarting on the next request)`);
// The service (and with it the library) is made once the app is ready: userData is known then.
let service!: NvgService;

function serveApp(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppPath(RENDERER_DIST, request.url);
    if (!file || !existsSync(file)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', APP_CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}

function lockDown(): void {
  session.defaultSession.setPermissionRequestHandler(permissionRequestHandler);
  session.defaultSession.setPermissionCheckHandler(permissionCheckHandler);
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (e, url) => denyNavigation(e, url));
    contents.on('will-redirect', (e, url) => denyNavigation(e, url));
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(windowOpenHandler);
  });
}

function createWindow(): void {
  win = new BrowserWindow(windowOptions(ROOT));
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => (win = null));
  void win.loadURL(APP_START_URL);
}

app.whenReady().then(() => {
  if (!existsSync(join(RENDERER_DIST, 'index.html'))) {
    dialog.showErrorBox('NVG Studio', 'The renderer is not built. Run `npm start` (it builds it) or `npm run build:renderer`.');
    app.quit();
    return;
  }
  lockDown();
  serveApp();
  service = new NvgService(engine, { packRoots: PACK_ROOTS, defaultPack: DEFAULT_PACK, libraryPath: process.env.NVG_LIBRARY || join(app.getPath('userData'), 'library.sqlite') });
  registerIpc(service, () => win?.webContents ?? null);
  service.start();
  createWindow();
  app.on('activate', () => BrowserWindow.getAllWindows().length === 0 && createWindow());
});

app.on('window-all-closed', () => {
  void (service ? service.close() : Promise.resolve()).finally(() => app.quit());
});
