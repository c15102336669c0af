/**
 * NvgApi over the browser host's WebSocket (protocol: electron/shared/wire.ts). The access token
 * comes from the start URL once, moves to sessionStorage (so a reload keeps working) and is taken
 * out of the address bar. A dropped connection fails what was in flight with a clear message and
 * the next call reconnects.
 */
import type {
  ExportOptionsWire, ExportedFileWire, GenerateRequestWire, GenerateResultWire, LibraryRecovery, LibraryStatusWire, NvgApi,
  OpenedProjectWire, ProjectListQuery, ProjectWire, RecordWire, StageProgressWire,
} from '../../electron/shared/api.js';
import { decodeWire, encodeWire } from '../../electron/shared/wire.js';

export class ApiCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ApiCallError';
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (e: StageProgressWire) => void;
}

export function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('nvg-token', fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem('nvg-token');
}

export class WsApi implements NvgApi {
  private socket: Promise<WebSocket> | null = null;
  private pending = new Map<string, Pending>();
  private next = 1;

  constructor(private readonly token: string) {}

  private connect(): Promise<WebSocket> {
    if (this.socket) return this.socket;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api?token=${encodeURIComponent(this.token)}`);
    const opened = new Promise<WebSocket>((resolve, reject) => {
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new ApiCallError('CONNECTION', 'Cannot reach the NVG host. Is it still running? Open the URL it printed.'));
    });
    ws.onmessage = (ev) => this.onMessage(String(ev.data));
    ws.onclose = () => {
      this.socket = null;
      const err = new ApiCallError('CONNECTION', 'The connection to the NVG host was lost; it reconnects with your next action.');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.socket = opened;
    opened.catch(() => (this.socket = null));
    return opened;
  }

  private onMessage(text: string): void {
    let msg: { id: string | null; result?: unknown; error?: { code: string; message: string }; progress?: StageProgressWire };
    try {
      msg = decodeWire(text) as typeof msg;
    } catch {
      return;
    }
    const p = msg.id == null ? undefined : this.pending.get(msg.id);
    if (!p) {
      if (msg.error) console.warn('host error without a request:', msg.error.message);
      return;
    }
    if (msg.progress) {
      p.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id!);
    if (msg.error) p.reject(new ApiCallError(msg.error.code, msg.error.message));
    else p.resolve(msg.result);
  }

  private call<T>(method: keyof NvgApi, params: unknown[], id = `m${this.next++}`, onProgress?: (e: StageProgressWire) => void): Promise<T> {
    return this.connect().then(
      (ws) =>
        new Promise<T>((resolve, reject) => {
          this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
          ws.send(encodeWire({ id, method, params }));
        }),
    );
  }

  listPacks() {
    return this.call<{ dir: string; name: string }[]>('listPacks', []);
  }
  openPack(dir: string) {
    return this.call<import('../../electron/shared/api.js').PackInfo>('openPack', [dir]);
  }
  currentPack() {
    return this.call<import('../../electron/shared/api.js').PackInfo | null>('currentPack', []);
  }
  generate(request: GenerateRequestWire, onProgress?: (e: StageProgressWire) => void) {
    const jobId = `g${this.next++}`;
    return { jobId, result: this.call<GenerateResultWire>('generate', [request], jobId, onProgress) };
  }
  async cancel(jobId: string) {
    await this.call('cancel', [jobId]);
  }
  encode(image: import('../../electron/shared/api.js').ImageWire) {
    return this.call<import('../../electron/shared/api.js').EncodedReferenceWire>('encode', [image]);
  }
  libraryStatus() { return this.call<LibraryStatusWire>('libraryStatus', []); }
  recoverLibrary(how: LibraryRecovery) { return this.call<LibraryStatusWire>('recoverLibrary', [how]); }
  listProjects(query: ProjectListQuery) { return this.call<{ projects: ProjectWire[]; hasMore: boolean }>('listProjects', [query]); }
  recentProjects() { return this.call<ProjectWire[]>('recentProjects', []); }
  openProject(id: number) { return this.call<OpenedProjectWire>('openProject', [id]); }
  createProject(name?: string) { return this.call<OpenedProjectWire>('createProject', name === undefined ? [] : [name]); }
  renameProject(id: number, name: string) { return this.call<ProjectWire>('renameProject', [id, name]); }
  duplicateProject(id: number) { return this.call<ProjectWire>('duplicateProject', [id]); }
  async deleteProject(id: number) { await this.call('deleteProject', [id]); }
  restoreProject(id: number) { return this.call<ProjectWire>('restoreProject', [id]); }
  async selectRecord(projectId: number, recordId: number) { await this.call('selectRecord', [projectId, recordId]); }
  getRecord(id: number) { return this.call<RecordWire>('getRecord', [id]); }
  exportRecord(id: number, options: ExportOptionsWire) { return this.call<ExportedFileWire>('exportRecord', [id, options]); }
  exportMaps(id: number, options?: ExportOptionsWire) { return this.call<ExportedFileWire[]>('exportMaps', options ? [id, options] : [id]); }
  exportBranch(id: number, options?: ExportOptionsWire) { return this.call<ExportedFileWire[]>('exportBranch', options ? [id, options] : [id]); }
  setTags(id: number, tags: string[]) { return this.call<ProjectWire>('setTags', [id, tags]); }
  importPng(bytes: Uint8Array) { return this.call<OpenedProjectWire>('importPng', [bytes]); }
  backup() { return this.call<{ path: string }>('backup', []); }
}

/** The API the app talks to: the preload's in Electron, else the browser host's WebSocket. */
export function createApi(): NvgApi | { error: string } {
  if (window.nvg) return window.nvg;
  const token = takeToken();
  if (!token) return { error: 'No access token. Open the full URL that `npm run web` or `npm start` printed (it ends in ?token=…).' };
  return new WsApi(token);
}
