/**
 * The Electron shell's security policies as pure functions (no Electron import, so tests run under
 * plain Node; tests/security/). main.ts and ipc.ts install exactly these:
 * - the window's options and webPreferences (contextIsolation, sandbox, no Node, no webviews);
 * - navigation / redirects / webviews / window.open all denied;
 * - every permission request and check denied;
 * - IPC answered only for the app's own top frame on app://nvg, and only with a valid payload.
 */
import { join } from 'node:path';
import { API_METHODS, checkParams, type ApiMethod } from '../host/apiSchemas.js';
import { isTrustedSenderUrl } from './appUrl.js';

/** The compiled preload (tsc output of electron/preload/preload.cts). */
export function preloadPath(root: string): string {
  return join(root, 'dist', 'electron', 'preload', 'preload.cjs');
}

/** The app window's webPreferences. The last four are Electron's defaults, spelled out. */
export function webPreferences(root: string) {
  return {
    preload: preloadPath(root),
    contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false,
    nodeIntegrationInSubFrames: false, nodeIntegrationInWorker: false, allowRunningInsecureContent: false, webviewTag: false,
  };
}

/** The app window's BrowserWindow options. */
export function windowOptions(root: string) {
  return {
    width: 1360, height: 880, minWidth: 1100, minHeight: 700, title: 'NVG Studio', backgroundColor: '#14171f', show: false,
    webPreferences: webPreferences(root),
  };
}

/** The app has one page: every navigation and redirect is refused, the app's own URLs included. */
export function navigationAllowed(_url: string): boolean {
  return false;
}

/** will-navigate / will-redirect / will-attach-webview: prevent unless navigationAllowed. */
export function denyNavigation(event: { preventDefault(): void }, url?: string): void {
  if (!navigationAllowed(url ?? '')) event.preventDefault();
}

/** setWindowOpenHandler: no new windows, whatever the URL (nothing is handed to the OS either). */
export function windowOpenHandler(_details?: { url: string }): { action: 'deny' } {
  return { action: 'deny' };
}

/** setPermissionRequestHandler: every permission refused. */
export function permissionRequestHandler(_webContents: unknown, _permission: string, callback: (granted: boolean) => void): void {
  callback(false);
}

/** setPermissionCheckHandler: every permission reported as not granted. */
export function permissionCheckHandler(_webContents?: unknown, _permission?: string): boolean {
  return false;
}

/** The parts of an IpcMainInvokeEvent the sender check reads. */
export interface SenderLike {
  senderFrame: { url: string } | null | undefined;
  sender: { mainFrame: unknown };
}

/** IPC is answered only for the app window's top frame showing app://nvg. */
export function isTrustedSender(event: SenderLike, window: unknown): boolean {
  const frame = event.senderFrame;
  return !!frame && frame === event.sender.mainFrame && event.sender === window && isTrustedSenderUrl(frame.url);
}

export type IpcCheck =
  | { ok: true; method: ApiMethod; jobId: string | undefined; params: unknown[] }
  | { ok: false; error: { code: 'BAD_REQUEST'; message: string } };

/** The payload of one nvg:call: a known method and parameters that pass the shared schemas. */
export function checkIpcCall(method: unknown, args: unknown): IpcCheck {
  if (typeof method !== 'string' || !(API_METHODS as readonly string[]).includes(method)) {
    return { ok: false, error: { code: 'BAD_REQUEST', message: 'unknown method' } };
  }
  const m = method as ApiMethod;
  // generate's first argument is the job id chosen by the preload; the rest are the API's.
  const list = Array.isArray(args) ? args : [];
  const jobId = m === 'generate' ? list[0] : undefined;
  const params = m === 'generate' ? list.slice(1) : list;
  if (m === 'generate' && (typeof jobId !== 'string' || jobId.length < 1 || jobId.length > 128)) {
    return { ok: false, error: { code: 'BAD_REQUEST', message: 'bad job id' } };
  }
  const checked = checkParams(m, params);
  if (!checked.ok) return { ok: false, error: { code: 'BAD_REQUEST', message: checked.message } };
  return { ok: true, method: m, jobId: jobId as string | undefined, params };
}
