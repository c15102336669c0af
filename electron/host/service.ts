/**
 * The NvgApi on the trusted side, shared by the browser host and Electron's main process:
 * pack discovery, the engine process (through any client with EngineClient's shape), job ids,
 * cancellation, and the conversion of engine results to the wire types of electron/shared/api.ts.
 * Callers validate parameters first (apiSchemas.ts); this class checks meaning (a known pack dir).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GenerateRequest, GenerateResult, StageProgress } from '../engine/generate.js';
import { imageToRgba, type PixelImage } from '../engine/image.js';
import { vgsToRequest, type VgsRecord } from '../engine/vgs.js';
import { pinAll } from '../export/previews.js';
import { zipStored } from '../export/zip.js';
import type { RgbaImage } from '../shared/png.js';
import type { EncodedReference } from '../engine/reference.js';
import type { ClientGenerateOptions, PackSummary } from '../engine/worker/client.js';
import type { ApiMethod } from './apiSchemas.js';
import { LibraryHost, NoLibraryError } from './libraryService.js';
import type {
  EncodedReferenceWire, ExportOptionsWire, ExportedFileWire, GenerateRequestWire, GenerateResultWire, ImageWire, PackInfo, StageProgressWire,
} from '../shared/api.js';

/** What the service needs of an engine client (EngineClient, or Electron's utilityProcess client). */
export interface EngineLike {
  load(packDir: string, options?: { provider?: 'auto' | 'cpu'; threads?: number }): Promise<PackSummary>;
  generate(request: Omit<GenerateRequest, 'onProgress' | 'signal'>, options?: ClientGenerateOptions): Promise<GenerateResult>;
  encode(image: PixelImage): Promise<EncodedReference>;
  close(): Promise<void>;
}

/** An error for the renderer: a stable code and a message for people. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export { NoLibraryError };

export function toApiError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'INTERNAL';
  let message = typeof e?.message === 'string' ? e.message : String(err);
  if (code === 'ENGINE_CRASHED') message = `The engine process stopped (${message}). It restarts with your next action.`;
  return { code, message };
}

export interface ServiceOptions {
  /** Folders whose subfolders are packs (a subfolder with manifest.json). */
  packRoots: string[];
  /** Pack opened on start (a folder inside a root), or none. */
  defaultPack?: string;
  provider?: 'auto' | 'cpu';
  threads?: number;
  /** The project library file (created when missing); none: no library, no autosave. */
  libraryPath?: string;
}

export function packSummaryToInfo(s: PackSummary): PackInfo {
  return {
    dir: s.dir, name: s.name, description: s.description ?? '', manifestSha256: s.manifestSha256, dims: s.dims,
    classes: s.classes.map((c) => ({ id: c.id, name: c.name, ...(c.group ? { group: c.group } : {}) })),
    sampling: s.sampling, provider: { provider: s.provider.provider, tried: s.provider.tried, fallbackReason: s.provider.fallbackReason },
  };
}

function progressToWire(e: StageProgress): StageProgressWire {
  return { stage: e.stage, K: e.K, count: e.count, labels: e.labels, tokens: e.tokens, ...(e.previews ? { previews: e.previews } : {}) };
}

function resultToWire(r: GenerateResult): GenerateResultWire {
  return {
    classId: r.classId, seed: r.seed, count: r.count, params: r.params, labels: r.labels, tokens: r.tokens, images: r.images,
    timings: { totalMs: r.timings.totalMs, modelMs: r.timings.modelMs, typescriptMs: r.timings.typescriptMs },
  };
}

export class NvgService {
  private current: PackInfo | null = null;
  private opening: Promise<PackInfo> | null = null;
  private jobs = new Map<string, AbortController>();
  /** The project library: opened here; a damaged or locked file leaves it closed with the reason (libraryStatus). */
  readonly library: LibraryHost;

  constructor(private readonly engine: EngineLike, private readonly options: ServiceOptions) {
    this.library = new LibraryHost(options.libraryPath);
  }

  /** Starts loading the default pack; errors surface on the first call that needs it. */
  start(): void {
    if (this.options.defaultPack) this.openPack(this.options.defaultPack).catch(() => undefined);
  }

  listPacks(): { dir: string; name: string }[] {
    const out: { dir: string; name: string }[] = [];
    for (const root of this.options.packRoots) {
      if (!existsSync(root)) continue;
      for (const entry of readdirSync(root).sort()) {
        const dir = resolve(root, entry);
        const manifest = join(dir, 'manifest.json');
        if (!statSync(dir).isDirectory() || !existsSync(manifest)) continue;
        let name = entry;
        try {
          const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
          if (typeof parsed.name === 'string') name = parsed.name;
        } catch {
          name = `${entry} (unreadable manifest)`;
        }
        out.push({ dir, name });
      }
    }
    return out;
  }

  /** Only folders listPacks reports may be opened: the renderer never names arbitrary paths. */
  openPack(dir: string): Promise<PackInfo> {
    const wanted = resolve(dir);
    if (!this.listPacks().some((p) => p.dir === wanted)) {
      return Promise.reject(new ApiError('BAD_REQUEST', `'${dir}' is not one of the app's packs`));
    }
    const opening = this.engine.load(wanted, { provider: this.options.provider ?? 'auto', threads: this.options.threads })
      .then((summary) => {
        this.current = packSummaryToInfo(summary);
        this.library.grid = { h: summary.dims.h, w: summary.dims.w };
        return this.current;
      });
    this.opening = opening;
    opening.catch(() => undefined).finally(() => { if (this.opening === opening) this.opening = null; });
    return opening;
  }

  async currentPack(): Promise<PackInfo | null> {
    if (this.opening) await this.opening;
    return this.current;
  }

  private async requirePack(): Promise<PackInfo> {
    const pack = await this.currentPack();
    if (!pack) throw new ApiError('NO_PACK', 'No model pack is open. Pick one in the pack menu.');
    return pack;
  }

  /** `jobKey` must be unique among running jobs (the transport scopes it to its connection). */
  async generate(jobKey: string, request: GenerateRequestWire, onProgress?: (e: StageProgressWire) => void): Promise<GenerateResultWire> {
    const pack = await this.requirePack();
    if (this.jobs.has(jobKey)) throw new ApiError('BAD_REQUEST', `job '${jobKey}' is already running`);
    const controller = new AbortController();
    this.jobs.set(jobKey, controller);
    try {
      const result = await this.engine.generate(
        { classId: request.classId, seed: request.seed, count: request.count, params: request.params, pins: request.pins, previews: request.previews },
        { signal: controller.signal, onProgress: onProgress && ((e) => onProgress(progressToWire(e))) },
      );
      const wire = resultToWire(result);
      if (this.library.isOpen && request.autosave !== false) {
        // Autosave in the trusted process: one transaction for the whole batch.
        try {
          wire.saved = this.library.autosave(pack, request, wire);
        } catch (err) {
          wire.saved = { error: toApiError(err) };
        }
      }
      return wire;
    } finally {
      this.jobs.delete(jobKey);
    }
  }

  cancel(jobKey: string): void {
    this.jobs.get(jobKey)?.abort();
  }

  /** Cancels every job whose key starts with `prefix` (a closed connection's jobs). */
  cancelAll(prefix = ''): void {
    for (const [key, c] of this.jobs) if (key.startsWith(prefix)) c.abort();
  }

  async encode(image: ImageWire): Promise<EncodedReferenceWire> {
    const pack = await this.requirePack();
    const size = pack.dims.imageSize;
    if (image.width !== size || image.height !== size) {
      throw new ApiError('BAD_REQUEST', `the image is ${image.width}x${image.height}; this pack needs ${size}x${size}`);
    }
    const r = await this.engine.encode({ width: image.width, height: image.height, channels: image.channels, data: image.data });
    return { labels: r.labels, tokens: r.tokens };
  }

  /** importPng needs the open pack for the class name and the native image size. */
  async importPng(bytes: Uint8Array) {
    const pack = await this.currentPack().catch(() => null);
    return this.library.importPng(bytes, pack);
  }

  /**
   * The canvas after each stage, for the contact sheet: the record replayed with every stage
   * pinned (so the replay is the recorded image) and previews on, in the engine process like every
   * model run. None (no sheet) when the open pack is not the record's: it could not replay it.
   */
  async stagePreviews(vgs: VgsRecord): Promise<RgbaImage[] | undefined> {
    const pack = await this.currentPack().catch(() => null);
    if (!pack || pack.manifestSha256 !== vgs.pack.manifestSha256) return undefined;
    const size = pack.dims.imageSize;
    const previews: RgbaImage[] = [];
    await this.engine.generate({ ...vgsToRequest(pinAll(vgs)), previews: true }, {
      onProgress: (e) => {
        if (e.previews) previews[e.stage] = { width: size, height: size, data: new Uint8Array(imageToRgba(e.previews, 0, size).buffer) };
      },
    });
    return previews.length === vgs.stages.length ? previews : undefined;
  }

  /** The structure bundle of one record (stage previews from a replay). */
  async exportBundle(id: number, options: ExportOptionsWire = { size: 1 }): Promise<{ stem: string; files: ExportedFileWire[] }> {
    const previews = await this.stagePreviews(this.library.library.getVgs(id));
    return this.library.bundleFiles(id, options, previews);
  }

  /** The bundle of every record of the branch (one replay per record, one at a time). */
  async exportBranch(id: number, options: ExportOptionsWire = { size: 1 }): Promise<{ stem: string; files: ExportedFileWire[] }> {
    const previews = new Map<number, RgbaImage[]>();
    for (const r of this.library.branchIds(id)) {
      const p = await this.stagePreviews(this.library.library.getVgs(r));
      if (p) previews.set(r, p);
    }
    return this.library.branchFiles(id, options, previews);
  }

  close(): Promise<void> {
    this.cancelAll();
    this.library.close();
    return this.engine.close();
  }
}

/**
 * Every call but generate and cancel (which need the transport's job ids), with parameters that
 * passed checkParams. Both transports use it, so they cannot drift apart.
 */
export async function callService(service: NvgService, method: Exclude<ApiMethod, 'generate' | 'cancel'>, params: unknown[]): Promise<unknown> {
  const lib = service.library;
  const p = params as never[];
  switch (method) {
    case 'listPacks': return service.listPacks();
    case 'openPack': return service.openPack(p[0]);
    case 'currentPack': return service.currentPack();
    case 'encode': return service.encode(p[0]);
    case 'libraryStatus': return lib.libraryStatus();
    case 'recoverLibrary': return lib.recoverLibrary(p[0]);
    case 'listProjects': return lib.listProjects(p[0]);
    case 'recentProjects': return lib.recentProjects();
    case 'openProject': return lib.openProject(p[0]);
    case 'createProject': return lib.createProject(p[0]);
    case 'renameProject': return lib.renameProject(p[0], p[1]);
    case 'duplicateProject': return lib.duplicateProject(p[0]);
    case 'deleteProject': return lib.deleteProject(p[0]);
    case 'restoreProject': return lib.restoreProject(p[0]);
    case 'selectRecord': return lib.selectRecord(p[0], p[1]);
    case 'getRecord': return lib.getRecord(p[0]);
    case 'exportRecord': return lib.exportRecord(p[0], p[1]);
    // The browser host: one .zip download (a page may not start hundreds of downloads).
    case 'exportMaps': return zipped(await service.exportBundle(p[0], p[1]));
    case 'exportBranch': return zipped(await service.exportBranch(p[0], p[1]));
    case 'setTags': return lib.setTags(p[0], p[1]);
    case 'importPng': return service.importPng(p[0]);
    case 'backup': return lib.backup();
  }
}

function zipped(bundle: { stem: string; files: ExportedFileWire[] }): ExportedFileWire[] {
  const bytes = zipStored(bundle.files.map((f) => ({ name: f.fileName, bytes: f.bytes! })));
  return [{ fileName: `${bundle.stem}.zip`, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }];
}
