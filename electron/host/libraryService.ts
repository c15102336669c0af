/**
 * The project library on the trusted side (browser host and Electron main share it through
 * NvgService): opening the library file (and the ways out when it is damaged or locked),
 * autosave of every generation, the project / record calls of NvgApi, export and import of PNGs
 * with their recipe. The renderer never writes to the library itself.
 *
 * The library file is `libraryPath`, unless a recovery ("start a new library", "open a backup")
 * chose another file: that choice is remembered in `<libraryPath>.current` (a text file holding
 * the path), so the next start opens it too. The damaged or locked file is never touched.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { branchFiles, downscaleExport, exportImage, importPng, makeThumbnail, recordFiles, restoreFromPng, safeBaseName, type ExportFile } from '../export/index.js';
import type { RgbaImage } from '../shared/png.js';
import { Library, LibraryError, listBackups, newLibraryPathBeside } from '../library/index.js';
import type { Project, RecordSummary } from '../library/types.js';
import { VGS_FORMAT, VGS_VERSION, type VgsRecord } from '../engine/vgs.js';
import { decodePng, encodePng } from '../shared/png.js';
import type {
  ExportOptionsWire, ExportedFileWire, GenerateRequestWire, GenerateResultWire, LibraryRecovery, LibraryStatusWire,
  OpenedProjectWire, PackInfo, ProjectListQuery, ProjectWire, RecordSummaryWire, RecordWire,
} from '../shared/api.js';
import { PROJECT_PAGE_SIZE } from '../shared/api.js';

/** Thrown when a library call is made while no library is open. */
export class NoLibraryError extends Error {
  readonly code = 'NO_LIBRARY';
  constructor(message: string) {
    super(message);
  }
}

function toProjectWire(p: Project, thumbnail: Uint8Array | null): ProjectWire {
  return {
    id: p.id, name: p.name, tags: p.tags, created: p.created, updated: p.updated, opened: p.opened,
    currentRecordId: p.currentRecordId, recordCount: p.recordCount, deletedAt: p.deletedAt, thumbnail,
  };
}

function toFileWire(f: ExportFile): ExportedFileWire {
  return { fileName: f.name, bytes: new Uint8Array(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength) };
}

function toRecordWire(r: RecordSummary): RecordSummaryWire {
  return {
    id: r.id, projectId: r.projectId, parentId: r.parentId, classId: r.classId, className: r.className, seed: r.seed,
    packName: r.packName, created: r.created, width: r.width, height: r.height,
  };
}

/** Image b of a [count, 3, S, S] tensor in [-1, 1] -> RGBA PNG bytes. */
export function tensorToPng(images: Float32Array, b: number, size: number): Buffer {
  const plane = size * size;
  const base = b * 3 * plane;
  const data = new Uint8Array(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.round((images[base + c * plane + p] + 1) * 127.5);
      data[p * 4 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    data[p * 4 + 3] = 255;
  }
  return encodePng({ width: size, height: size, data });
}

/** The VGS record of image b of a generation, with the pins the request used. */
export function vgsOfResult(pack: PackInfo, request: GenerateRequestWire, result: GenerateResultWire, b: number): VgsRecord {
  const pins = request.pins ?? {};
  return {
    format: VGS_FORMAT,
    version: VGS_VERSION,
    pack: { name: pack.name, manifestSha256: pack.manifestSha256 },
    classId: result.classId,
    seed: result.seed + b,
    params: { ...result.params },
    stages: result.labels[b].map((labels, k) => {
      const pin = pins[String(k)];
      const pinContent = !!pin?.tokens;
      return {
        labels: Array.from(labels),
        tokens: Array.from(result.tokens[b][k]),
        pinStructure: !!pin?.labels || pinContent,
        pinContent,
        source: request.sources?.[k] ?? ('generated' as const),
      };
    }),
  };
}

export class LibraryHost {
  private lib: Library | null = null;
  private status: LibraryStatusWire;
  private currentProject: number | null = null;

  /** `path`: the library file (created when missing); none: the library calls answer NO_LIBRARY. */
  constructor(private readonly path: string | undefined) {
    this.status = { ok: false, path: path ?? '', backups: [], error: { code: 'NO_LIBRARY', message: 'No library file was configured.' } };
    if (path) this.openAt(this.rememberedPath(path));
  }

  private pointer(): string {
    return `${this.path}.current`;
  }

  private rememberedPath(path: string): string {
    try {
      const p = readFileSync(this.pointer(), 'utf8').trim();
      if (p && existsSync(p)) return p;
    } catch {
      // no pointer: the default file
    }
    return path;
  }

  private remember(path: string): void {
    if (!this.path) return;
    writeFileSync(this.pointer(), path === this.path ? '' : path);
  }

  private openAt(path: string, create = false): LibraryStatusWire {
    this.lib?.close();
    this.lib = null;
    this.currentProject = null;
    try {
      mkdirSync(dirname(path), { recursive: true });
      if (create && existsSync(path)) throw new LibraryError('LIBRARY_IO', `${path} already exists`);
      this.lib = Library.open(path);
      this.status = { ok: true, path, backups: listBackups(path).map((p) => basename(p)) };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.status = {
        ok: false, path, backups: listBackups(path).map((p) => basename(p)),
        error: { code: typeof e.code === 'string' ? e.code : 'LIBRARY_IO', message: e.message ?? String(err) },
      };
    }
    return this.libraryStatus();
  }

  libraryStatus(): LibraryStatusWire {
    return { ...this.status, backups: [...this.status.backups] };
  }

  /** The ways out of a library that did not open. The file that failed is never written or deleted. */
  recoverLibrary(how: LibraryRecovery): LibraryStatusWire {
    const failed = this.status.path || this.path;
    if (!failed) throw new NoLibraryError('No library file was configured.');
    if (how.kind === 'retry') return this.openAt(failed);
    if (how.kind === 'new') {
      const fresh = newLibraryPathBeside(failed);
      const st = this.openAt(fresh, true);
      if (st.ok) this.remember(fresh);
      return st;
    }
    const backup = listBackups(failed).find((p) => basename(p) === how.name);
    if (!backup) throw new LibraryError('NOT_FOUND', `"${how.name}" is not one of the library's backups`);
    // A copy of the backup becomes the library: the backup itself stays as it was.
    const stem = basename(failed, extname(failed)).replace(/-(new|restored)-.*$/, '');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const copy = join(dirname(failed), `${stem}-restored-${stamp}.sqlite`);
    copyFileSync(backup, copy);
    const st = this.openAt(copy);
    if (st.ok) this.remember(copy);
    return st;
  }

  get library(): Library {
    if (!this.lib) throw new NoLibraryError(`The project library is not open: ${this.status.error?.message ?? 'unknown reason'}`);
    return this.lib;
  }

  get isOpen(): boolean {
    return this.lib !== null;
  }

  private project(p: Project): ProjectWire {
    const thumb = this.library.getThumbnail(p.id);
    return toProjectWire(p, thumb ? new Uint8Array(thumb) : null);
  }

  private untitledName(): string {
    const used = new Set(this.library.listProjects({ name: 'Untitled', state: 'all', limit: 100_000 }).map((p) => p.name));
    for (let n = 1; ; n++) if (!used.has(`Untitled ${n}`)) return `Untitled ${n}`;
  }

  /**
   * Autosave: every image of a generation becomes a record of the current project (created as
   * "Untitled N" when there is none), branching from `request.parentRecordId`, all in one
   * transaction. The first image becomes the selection.
   */
  autosave(pack: PackInfo, request: GenerateRequestWire, result: GenerateResultWire): { projectId: number; projectName: string; recordIds: number[] } {
    const lib = this.library;
    const size = pack.dims.imageSize;
    const className = pack.classes.find((c) => c.id === result.classId)?.name ?? null;
    const items = Array.from({ length: result.count }, (_, b) => {
      const png = tensorToPng(result.images, b, size);
      return { vgs: vgsOfResult(pack, request, result, b), png, thumb: makeThumbnail(png) };
    });
    const run = lib.database.transaction(() => {
      let projectId = this.currentProject;
      if (projectId !== null) {
        const p = lib.getProject(projectId);
        if (p.deletedAt !== null) projectId = null;
      }
      if (projectId === null) projectId = lib.createProject({ name: this.untitledName() }).id;
      let parent = request.parentRecordId ?? null;
      if (parent !== null) {
        const s = lib.getRecordSummary(parent);
        if (s.projectId !== projectId) parent = null; // pins from another project: a new root here
      }
      const recordIds = items.map((it, b) => lib.recordGeneration(projectId!, parent, it.vgs, it.png, { className, select: b === 0, thumbnail: it.thumb }).id);
      return { projectId, recordIds };
    });
    let out: { projectId: number; recordIds: number[] };
    try {
      out = run.immediate();
    } catch (err) {
      if (/^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code ?? ''))) {
        throw new LibraryError('LIBRARY_LOCKED', `The library "${lib.path}" is in use by another program; this generation was not saved.`);
      }
      throw err;
    }
    this.currentProject = out.projectId;
    return { ...out, projectName: lib.getProject(out.projectId).name };
  }

  listProjects(q: ProjectListQuery): { projects: ProjectWire[]; hasMore: boolean } {
    const lib = this.library;
    const page = q.page ?? 0;
    const sort = q.sort ?? 'updated';
    const base = { classId: q.classId, tag: q.tag, seed: q.seed, sort };
    const text = q.query?.trim();
    let list: Project[];
    if (!text) {
      list = lib.listProjects({ ...base, limit: PROJECT_PAGE_SIZE + 1, offset: page * PROJECT_PAGE_SIZE });
    } else {
      // One box for name, class, tag and seed: the union of those searches, in the chosen order.
      const cap = (page + 1) * PROJECT_PAGE_SIZE + 1;
      const found = new Map<number, Project>();
      const add = (ps: Project[]) => ps.forEach((p) => found.set(p.id, p));
      add(lib.listProjects({ ...base, name: text, limit: cap }));
      add(lib.listProjects({ ...base, className: text, limit: cap }));
      add(lib.listProjects({ ...base, className: text.replace(/ /g, '_'), limit: cap }));
      if (!q.tag) add(lib.listProjects({ ...base, tag: text, limit: cap }));
      if (/^\d{1,15}$/.test(text) && q.seed === undefined) add(lib.listProjects({ ...base, seed: Number(text), limit: cap }));
      const cmp = sort === 'name'
        ? (a: Project, b: Project) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id - b.id
        : (a: Project, b: Project) => b[sort] - a[sort] || b.id - a.id;
      list = [...found.values()].sort(cmp).slice(page * PROJECT_PAGE_SIZE, (page + 1) * PROJECT_PAGE_SIZE + 1);
    }
    return { projects: list.slice(0, PROJECT_PAGE_SIZE).map((p) => this.project(p)), hasMore: list.length > PROJECT_PAGE_SIZE };
  }

  recentProjects(): ProjectWire[] {
    return this.library.recentProjects(8).map((p) => this.project(p));
  }

  private opened(id: number): OpenedProjectWire {
    const lib = this.library;
    const project = lib.getProject(id);
    const records = lib.listRecords(id).map((r) => ({ ...toRecordWire(r), thumbnail: new Uint8Array(makeThumbnail(lib.getImage(r.id), 96)) }));
    return { project: this.project(project), records, selected: project.currentRecordId };
  }

  openProject(id: number): OpenedProjectWire {
    this.library.openProject(id);
    this.currentProject = id;
    return this.opened(id);
  }

  createProject(name?: string): OpenedProjectWire {
    const p = this.library.createProject({ name: name?.trim() || this.untitledName() });
    this.currentProject = p.id;
    return this.opened(p.id);
  }

  renameProject(id: number, name: string): ProjectWire {
    return this.project(this.library.renameProject(id, name));
  }

  duplicateProject(id: number): ProjectWire {
    const src = this.library.getProject(id);
    return this.project(this.library.duplicateProject(id, `${src.name} copy`.slice(0, 200)));
  }

  deleteProject(id: number): void {
    this.library.deleteProject(id);
    if (this.currentProject === id) this.currentProject = null;
  }

  restoreProject(id: number): ProjectWire {
    return this.project(this.library.restoreProject(id));
  }

  selectRecord(projectId: number, recordId: number): void {
    this.library.selectRecord(projectId, recordId);
  }

  getRecord(id: number): RecordWire {
    const lib = this.library;
    const png = lib.getImage(id);
    const img = decodePng(png, `record ${id}`);
    return {
      summary: toRecordWire(lib.getRecordSummary(id)), vgs: lib.getVgs(id), png: new Uint8Array(png),
      image: { width: img.width, height: img.height, channels: 4, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) },
    };
  }

  private baseName(id: number): { stem: string; summary: RecordSummary } {
    const summary = this.library.getRecordSummary(id);
    const project = this.library.getProject(summary.projectId);
    return { stem: safeBaseName(`${project.name}-r${id}`), summary };
  }

  exportRecord(id: number, options: ExportOptionsWire): ExportedFileWire {
    const { stem, summary } = this.baseName(id);
    const bytes = exportImage(this.library.getImage(id), this.library.getVgs(id), {
      scale: options.size, mode: options.smooth ? 'smooth' : 'nearest', className: summary.className,
    });
    return { fileName: `${stem}${options.size > 1 ? `-${options.size}x` : ''}.png`, bytes: new Uint8Array(bytes) };
  }

  /**
   * Everything of one record (docs/library.md "Files"): the image with its recipe at `options`,
   * per stage the colour map and the masks, labels + tokens JSON, and the contact sheet when
   * `previews` (one decoded canvas per stage) are given.
   */
  bundleFiles(id: number, options: ExportOptionsWire, previews?: readonly RgbaImage[]): { stem: string; files: ExportedFileWire[] } {
    const { stem, summary } = this.baseName(id);
    const files = recordFiles(
      { vgs: this.library.getVgs(id), png: this.library.getImage(id), className: summary.className, grid: this.grid, stagePreviews: previews },
      { baseName: stem, scale: options.size, mode: options.smooth ? 'smooth' : 'nearest' },
    );
    return { stem, files: files.map(toFileWire) };
  }

  /** The record ids of a branch: the record and everything made from it (to render their previews first). */
  branchIds(id: number): number[] {
    return this.library.branch(id).map((r) => r.id);
  }

  /** bundleFiles for every record of the branch, each named "<project>-r<id>". */
  branchFiles(id: number, options: ExportOptionsWire, previews?: ReadonlyMap<number, readonly RgbaImage[]>): { stem: string; files: ExportedFileWire[] } {
    const { stem } = this.baseName(id);
    const files = branchFiles(this.library, id, { grid: this.grid, scale: options.size, mode: options.smooth ? 'smooth' : 'nearest', previews: (r) => previews?.get(r.id) });
    return { stem: `${stem}-branch`, files: files.map(toFileWire) };
  }

  /** The open pack's latent grid, set by the service: maps then use the pack's h x w, not a guess from T. */
  grid: { h: number; w: number } | undefined;

  setTags(id: number, tags: string[]): ProjectWire {
    return this.project(this.library.setTags(id, tags));
  }

  /** A new project (tagged "imported") holding the PNG's record, opened and current. */
  importPng(bytes: Uint8Array, pack: PackInfo | null): OpenedProjectWire {
    const file = 'the dropped PNG';
    const { vgs } = importPng(bytes, file);
    const className = pack && pack.manifestSha256 === vgs.pack.manifestSha256 ? pack.classes.find((c) => c.id === vgs.classId)?.name ?? null : null;
    const lib = this.library;
    // The library keeps images at their native size: a 4x / 8x export is scaled back down.
    let png: Uint8Array = bytes;
    if (pack) {
      const small = downscaleExport(decodePng(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), file), pack.dims.imageSize);
      if (small) png = encodePng(small);
    }
    const name = `${className ?? `class ${vgs.classId}`} seed ${vgs.seed}`.replace(/_/g, ' ');
    const projectId = lib.database.transaction(() => restoreFromPng(lib, bytes, { name, className, image: png, thumbnail: makeThumbnail(png), file }).project.id).immediate();
    return this.openProject(projectId);
  }

  async backup(): Promise<{ path: string }> {
    return { path: await this.library.backup() };
  }

  close(): void {
    this.lib?.close();
    this.lib = null;
  }
}
