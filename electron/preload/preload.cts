/**
 * The preload: the whole of what the page may ask of the main process, as window.nvg (NvgApi).
 * CommonJS (.cts) because sandboxed preloads cannot be ES modules. Only fixed channels, no raw
 * ipcRenderer on the page; arguments are validated again in the main process.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { GenerateRequestWire, ImageWire, NvgApi, StageProgressWire } from '../shared/api.js';

type Reply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

class ApiCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const progressListeners = new Map<string, (e: StageProgressWire) => void>();
ipcRenderer.on('nvg:progress', (_event, jobId: string, progress: StageProgressWire) => progressListeners.get(jobId)?.(progress));

async function call<T>(method: keyof NvgApi, ...args: unknown[]): Promise<T> {
  const reply = (await ipcRenderer.invoke('nvg:call', method, args)) as Reply;
  if (!reply.ok) {
    // contextBridge copies only an error's message to the page: the code travels in it as
    // "[CODE] message" and the renderer splits it again (renderer/src/errors.ts).
    throw new ApiCallError(reply.error.code, `[${reply.error.code}] ${reply.error.message}`);
  }
  return reply.value as T;
}

let nextJob = 1;
const api: NvgApi = {
  listPacks: () => call('listPacks'),
  openPack: (dir: string) => call('openPack', dir),
  currentPack: () => call('currentPack'),
  generate(request: GenerateRequestWire, onProgress?: (e: StageProgressWire) => void) {
    const jobId = `j${nextJob++}`;
    if (onProgress) progressListeners.set(jobId, onProgress);
    const result = call<import('../shared/api.js').GenerateResultWire>('generate', jobId, request).finally(() => progressListeners.delete(jobId));
    return { jobId, result };
  },
  cancel: (jobId: string) => call('cancel', jobId),
  encode: (image: ImageWire) => call('encode', image),
  libraryStatus: () => call('libraryStatus'),
  recoverLibrary: (how) => call('recoverLibrary', how),
  listProjects: (query) => call('listProjects', query),
  recentProjects: () => call('recentProjects'),
  openProject: (id) => call('openProject', id),
  createProject: (name) => (name === undefined ? call('createProject') : call('createProject', name)),
  renameProject: (id, name) => call('renameProject', id, name),
  duplicateProject: (id) => call('duplicateProject', id),
  deleteProject: (id) => call('deleteProject', id),
  restoreProject: (id) => call('restoreProject', id),
  selectRecord: (projectId, recordId) => call('selectRecord', projectId, recordId),
  getRecord: (id) => call('getRecord', id),
  exportRecord: (id, options) => call('exportRecord', id, options),
  exportMaps: (id, options) => (options ? call('exportMaps', id, options) : call('exportMaps', id)),
  exportBranch: (id, options) => (options ? call('exportBranch', id, options) : call('exportBranch', id)),
  setTags: (id, tags) => call('setTags', id, tags),
  importPng: (bytes) => call('importPng', bytes),
  backup: () => call('backup'),
};

contextBridge.exposeInMainWorld('nvg', api);
