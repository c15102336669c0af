/**
 * The app's API contract: what the renderer may ask of the main process (Electron, over the
 * preload's `window.nvg`) or of the browser host (the same calls over a WebSocket).
 * One interface, two transports; both validate every payload on arrival (see ipcSchemas.ts when
 * it lands) and the renderer never sees more than this.
 *
 * Binary data crosses as Uint8Array (structured clone in Electron; base64 in the WebSocket JSON).
 */

import type { SamplingParams } from '../engine/manifest.js';
import type { VgsRecord } from '../engine/vgs.js';

/** The pack's sampling defaults (one definition: the manifest's). */
export type { SamplingParams };

export interface PackClassInfo {
  id: number;
  name: string;
  group?: string;
}

export interface ProviderInfo {
  /** The execution provider that runs: 'cpu', 'cuda', 'dml', 'coreml'. */
  provider: string;
  /** Providers tried in order. */
  tried?: string[];
  /** Why the accelerator is not used (e.g. "CUDA not available: ..."), when it is not. */
  fallbackReason?: string;
}

export interface PackInfo {
  dir: string;
  name: string;
  description: string;
  manifestSha256: string;
  dims: { imageSize: number; h: number; w: number; e: number; T: number; K: number; V: number; numClasses: number; nullClass: number };
  classes: PackClassInfo[];
  sampling: SamplingParams;
  provider: ProviderInfo;
}


/** A pinned stage: its structure (T labels) and/or its content (2^k tokens). */
export interface StagePinWire {
  labels?: number[] | null;
  tokens?: number[] | null;
}

export interface GenerateRequestWire {
  classId: number;
  seed: number;
  count?: number;
  params?: Partial<SamplingParams>;
  /** Keyed by stage ("0".."K"). */
  pins?: Record<string, StagePinWire>;
  /** Decode the canvas after every stage for the live stage strip. */
  previews?: boolean;
  /** Autosave: the library record whose pins were used (the new records branch from it). */
  parentRecordId?: number;
  /** Autosave (default true); false for replays and reference reconstructions. */
  autosave?: boolean;
  /** Where each stage's structure came from, for the saved record (default 'generated'). */
  sources?: ('generated' | 'drawn' | 'reference')[];
}

export interface StageProgressWire {
  stage: number;
  K: number;
  count: number;
  labels: Int32Array[];
  tokens: Int32Array[];
  /** [count, 3, H, W] in [-1, 1] when previews were asked for. */
  previews?: Float32Array;
}

export interface GenerateResultWire {
  classId: number;
  seed: number;
  count: number;
  params: SamplingParams;
  labels: Int32Array[][];
  tokens: Int32Array[][];
  /** [count, 3, H, W] in [-1, 1]. */
  images: Float32Array;
  timings: { totalMs: number; modelMs: number; typescriptMs: number };
  /** Where autosave put the images (one record per image), or why it could not. */
  saved?: { projectId: number; projectName: string; recordIds: number[] } | { error: ApiErrorWire };
}

export interface EncodedReferenceWire {
  labels: Int32Array[];
  tokens: Int32Array[];
}

export interface ImageWire {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** An error as the renderer sees it: a stable code and a message for people. */
export interface ApiErrorWire {
  code: string;
  message: string;
}

// ---- the project library (docs/library.md) ----

export type { VgsRecord };

/** The library file: open, or why not and the ways out (a damaged or locked file is never deleted). */
export interface LibraryStatusWire {
  ok: boolean;
  path: string;
  error?: ApiErrorWire;
  /** Backup file names (newest first) that recoverLibrary({kind: 'backup'}) can open. */
  backups: string[];
}

export type LibraryRecovery = { kind: 'retry' } | { kind: 'new' } | { kind: 'backup'; name: string };

export interface ProjectWire {
  id: number;
  name: string;
  tags: string[];
  created: number;
  updated: number;
  opened: number | null;
  currentRecordId: number | null;
  recordCount: number;
  deletedAt: number | null;
  /** PNG bytes. */
  thumbnail: Uint8Array | null;
}

export interface ProjectListQuery {
  /** Matches a name substring, a class name, a tag, or (digits) a seed. */
  query?: string;
  classId?: number;
  tag?: string;
  seed?: number;
  sort?: 'updated' | 'created' | 'name';
  /** 0-based; PROJECT_PAGE_SIZE projects a page. */
  page?: number;
}

export const PROJECT_PAGE_SIZE = 48;

export interface RecordSummaryWire {
  id: number;
  projectId: number;
  parentId: number | null;
  classId: number;
  className: string | null;
  seed: number;
  packName: string;
  created: number;
  width: number;
  height: number;
}

export interface OpenedProjectWire {
  project: ProjectWire;
  /** Oldest first; parentId makes the tree. Each with its image (PNG) as a thumbnail. */
  records: (RecordSummaryWire & { thumbnail: Uint8Array })[];
  selected: number | null;
}

export interface RecordWire {
  summary: RecordSummaryWire;
  vgs: VgsRecord;
  /** The image at its native size: PNG bytes and decoded RGBA. */
  png: Uint8Array;
  image: ImageWire;
}

export interface ExportOptionsWire {
  size: 1 | 4 | 8;
  smooth?: boolean;
}

/** An exported file: the bytes (browser host: the page offers them as a download) or where Electron saved it. */
export interface ExportedFileWire {
  fileName: string;
  bytes?: Uint8Array;
  savedTo?: string;
  cancelled?: boolean;
}

export interface NvgApi {
  /** Packs found in the app's pack folders, and the one loaded now. */
  listPacks(): Promise<{ dir: string; name: string }[]>;
  openPack(dir: string): Promise<PackInfo>;
  currentPack(): Promise<PackInfo | null>;
  /** Starts a generation; progress arrives through onProgress; cancel(jobId) stops it. */
  generate(request: GenerateRequestWire, onProgress?: (event: StageProgressWire) => void): { jobId: string; result: Promise<GenerateResultWire> };
  cancel(jobId: string): Promise<void>;
  /** A reference image (already resized to the pack's size by the renderer) to its VGS. */
  encode(image: ImageWire): Promise<EncodedReferenceWire>;

  /** The library: whether it opened; recoverLibrary takes one of the ways out of LIBRARY_CORRUPT / LIBRARY_LOCKED. */
  libraryStatus(): Promise<LibraryStatusWire>;
  recoverLibrary(how: LibraryRecovery): Promise<LibraryStatusWire>;
  listProjects(query: ProjectListQuery): Promise<{ projects: ProjectWire[]; hasMore: boolean }>;
  recentProjects(): Promise<ProjectWire[]>;
  /** Makes it the current project (autosave goes there) and returns its history. */
  openProject(id: number): Promise<OpenedProjectWire>;
  createProject(name?: string): Promise<OpenedProjectWire>;
  renameProject(id: number, name: string): Promise<ProjectWire>;
  duplicateProject(id: number): Promise<ProjectWire>;
  /** Soft delete (the bin); restoreProject undoes it. */
  deleteProject(id: number): Promise<void>;
  restoreProject(id: number): Promise<ProjectWire>;
  selectRecord(projectId: number, recordId: number): Promise<void>;
  getRecord(id: number): Promise<RecordWire>;
  /** The record's image with its recipe embedded. */
  exportRecord(id: number, options: ExportOptionsWire): Promise<ExportedFileWire>;
  /**
   * The record's structure bundle (docs/library.md "Files"): the image with its recipe at
   * `options` (default 1x), per stage the colour map and 1-bit masks, labels + tokens JSON, and a
   * contact sheet of all stages. Browser host: one .zip; Electron: written into a chosen folder.
   */
  exportMaps(id: number, options?: ExportOptionsWire): Promise<ExportedFileWire[]>;
  /** exportMaps for the record and every record made from it (its branch), same delivery. */
  exportBranch(id: number, options?: ExportOptionsWire): Promise<ExportedFileWire[]>;
  /** Replaces the project's tags (trimmed, de-duplicated); search matches them. */
  setTags(id: number, tags: string[]): Promise<ProjectWire>;
  /** Restores an exported PNG as a new project holding its record (opened). */
  importPng(bytes: Uint8Array): Promise<OpenedProjectWire>;
  backup(): Promise<{ path: string }>;
}
