/**
 * The IPC surface behind the preload's window.nvg. Every call is checked twice before use: the
 * sender must be the app's own top frame (app://nvg), and the payload must pass the same schemas
 * as the browser host's WebSocket (electron/host/apiSchemas.ts). Replies are {ok, value} or
 * {ok: false, error: {code, message}} because Electron flattens thrown errors to a string.
 */
import { BrowserWindow, dialog, ipcMain, type WebContents } from 'electron';
import { callService, toApiError, type NvgService } from '../host/service.js';
import { writeExportFiles, writeFileAtomic } from '../export/index.js';
import type { ExportedFileWire } from '../shared/api.js';
import { checkIpcCall, isTrustedSender } from './policy.js';

export const IPC = { call: 'nvg:call', progress: 'nvg:progress' } as const;

export type IpcReply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

async function saveWithDialog(sender: WebContents, file: ExportedFileWire): Promise<ExportedFileWire> {
  const win = BrowserWindow.fromWebContents(sender);
  const options = { title: 'Export image', defaultPath: file.fileName, filters: [{ name: 'PNG image', extensions: ['png'] }] };
  const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (r.canceled || !r.filePath) return { fileName: file.fileName, cancelled: true };
  writeFileAtomic(r.filePath, file.bytes!);
  return { fileName: file.fileName, savedTo: r.filePath };
}

/**
 * Asks for a folder first (nothing is rendered when the user cancels), then builds the files and
 * writes each atomically there. The bytes never go back to the page, only where they went.
 */
async function saveAllWithDialog(sender: WebContents, title: string, build: () => Promise<{ files: ExportedFileWire[] }>): Promise<ExportedFileWire[]> {
  const win = BrowserWindow.fromWebContents(sender);
  const options = { title, properties: ['openDirectory' as const, 'createDirectory' as const] };
  const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  if (r.canceled || !r.filePaths[0]) return [{ fileName: '', cancelled: true }];
  const { files } = await build();
  const paths = writeExportFiles(r.filePaths[0], files.map((f) => ({ name: f.fileName, bytes: f.bytes! })));
  return files.map((f, i) => ({ fileName: f.fileName, savedTo: paths[i] }));
}

export function registerIpc(service: NvgService, window: () => WebContents | null): void {
  ipcMain.handle(IPC.call, async (event, method: unknown, args: unknown): Promise<IpcReply> => {
    if (!isTrustedSender(event, window())) return { ok: false, error: { code: 'FORBIDDEN', message: 'IPC from an untrusted frame' } };
    const checked = checkIpcCall(method, args);
    if (!checked.ok) return checked;
    const { method: m, jobId, params } = checked;
    const prefix = `w${event.sender.id}:`;
    try {
      switch (m) {
        case 'cancel': service.cancel(prefix + (params[0] as string)); return { ok: true, value: null };
        case 'exportRecord': {
          // Electron: the main process asks where to save; the bytes never go back to the page.
          const file = service.library.exportRecord(params[0] as number, params[1] as never);
          return { ok: true, value: await saveWithDialog(event.sender, file) };
        }
        case 'exportMaps': {
          const [id, options] = params as [number, never];
          return { ok: true, value: await saveAllWithDialog(event.sender, 'Export structure maps into…', () => service.exportBundle(id, options)) };
        }
        case 'exportBranch': {
          const [id, options] = params as [number, never];
          return { ok: true, value: await saveAllWithDialog(event.sender, 'Export the branch into…', () => service.exportBranch(id, options)) };
        }
        case 'generate': {
          const sender = event.sender;
          const value = await service.generate(prefix + (jobId as string), params[0] as never, (progress) => {
            if (!sender.isDestroyed()) sender.send(IPC.progress, jobId, progress);
          });
          return { ok: true, value };
        }
        default: return { ok: true, value: (await callService(service, m, params)) ?? null };
      }
    } catch (err) {
      return { ok: false, error: toApiError(err) };
    }
  });
}
