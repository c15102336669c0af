/**
 * Export of a record as a set of files, batch export of a branch, and import (restore) from an
 * exported PNG. Every file goes through writeFileAtomic: a full disk leaves no half file and
 * keeps the previous one.
 *
 * Files for base name B (docs/library.md):
 *   B.png                        the image at the chosen size with the recipe (parameters + nvg-vgs)
 *   B-stage<k>-map.png           colour structure map of stage k, sized like the 1x image
 *   B-stage<k>-mask<c>.png       1-bit mask of cluster c at stage k (see maps.ts for which)
 *   B-labels.json                raw labels and tokens of every stage
 *   B-sheet.png                  contact sheet (when stage previews are given)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VgsRecord } from '../engine/vgs.js';
import type { Library } from '../library/library.js';
import type { Project, RecordSummary } from '../library/types.js';
import { encodePng, type RgbaImage } from '../shared/png.js';
import { nodeFs, writeFileAtomic, type WriteFs } from './atomicWrite.js';
import { contactSheet } from './contactSheet.js';
import { ExportError } from './errors.js';
import { MASK_STAGES_DEFAULT, gridOf, labelsJson, stageMap, stageMasks, type Grid } from './maps.js';
import { readChunks } from './pngChunks.js';
import { exportImage, readRecipe, type ImageExportOptions, type Recipe } from './recipe.js';

export interface RecordExportInput {
  vgs: VgsRecord;
  /** The record's image as PNG bytes at its native size. */
  png: Uint8Array;
  className?: string | null;
  /** The latent grid (pack dims h, w); inferred from T when absent. */
  grid?: Grid;
  /** Decoded canvas after each stage (previews.ts renderStages); enables the contact sheet. */
  stagePreviews?: readonly RgbaImage[];
}

export interface RecordExportOptions extends Omit<ImageExportOptions, 'className'> {
  /** File name stem, e.g. "cat-r12"; letters, digits, ._- only. */
  baseName: string;
  maps?: boolean; // default true
  masks?: boolean; // default true
  /** Masks for stages 1..maskStages (default MASK_STAGES_DEFAULT). */
  maskStages?: number;
  labels?: boolean; // default true
  sheet?: boolean; // default true (needs stagePreviews)
  /** File system calls (tests inject failures). */
  fs?: WriteFs;
}

export function safeBaseName(s: string): string {
  const clean = s.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 80);
  return clean || 'nvg';
}

/** One export file in memory: a name (no folders) and its bytes. */
export interface ExportFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * The record's files in memory, image first. One builder for both ways out: exportRecord writes
 * them into a folder (Electron, CLI); the browser host hands them to the page.
 */
export function recordFiles(input: RecordExportInput, options: Omit<RecordExportOptions, 'fs'>): ExportFile[] {
  if (safeBaseName(options.baseName) !== options.baseName) throw new ExportError('BAD_INPUT', `unsafe file name "${options.baseName}"; use safeBaseName()`);
  const files: ExportFile[] = [];
  const put = (name: string, bytes: Uint8Array) => files.push({ name, bytes });
  const B = options.baseName;
  const { vgs } = input;
  const grid = gridOf(vgs, input.grid);
  const ihdr = readChunks(input.png)[0].data;
  const cell = Math.max(1, Math.floor(ihdr.readUInt32BE(0) / grid.w)); // maps overlay the 1x image

  put(`${B}.png`, exportImage(input.png, vgs, { ...options, className: input.className }));
  vgs.stages.forEach((_, k) => {
    if (options.maps ?? true) put(`${B}-stage${k}-map.png`, encodePng(stageMap(vgs, k, grid, cell)));
    if ((options.masks ?? true) && k <= (options.maskStages ?? MASK_STAGES_DEFAULT)) {
      for (const m of stageMasks(vgs, k, grid, cell)) put(`${B}-stage${k}-mask${m.cluster}.png`, m.png);
    }
  });
  if (options.labels ?? true) put(`${B}-labels.json`, Buffer.from(JSON.stringify(labelsJson(vgs, grid), null, 1)));
  if ((options.sheet ?? true) && input.stagePreviews) put(`${B}-sheet.png`, encodePng(contactSheet(vgs, input.stagePreviews, grid)));
  return files;
}

/** Writes files into `dir` (created if needed), each atomically; returns their paths in order. */
export function writeExportFiles(dir: string, files: readonly ExportFile[], io: WriteFs = nodeFs): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const path = join(dir, f.name);
    writeFileAtomic(path, f.bytes, io);
    return path;
  });
}

/** Writes the record's files into `dir` (created if needed); returns their paths, image first. */
export function exportRecord(dir: string, input: RecordExportInput, options: RecordExportOptions): string[] {
  return writeExportFiles(dir, recordFiles(input, options), options.fs);
}

export interface BranchExportOptions extends Omit<RecordExportOptions, 'baseName'> {
  grid?: Grid;
  /** Stage previews per record (e.g. from the engine process); no sheet when absent. */
  previews?: (record: RecordSummary, vgs: VgsRecord) => readonly RgbaImage[] | undefined;
}

/** The files of a record and everything branched from it, each as "<project>-r<id>", in memory. */
export function branchFiles(library: Library, recordId: number, options: Omit<BranchExportOptions, 'fs'> = {}): ExportFile[] {
  const records = library.branch(recordId);
  const project: Project = library.getProject(records[0].projectId);
  const stem = safeBaseName(project.name);
  return records.flatMap((r) => {
    const vgs = library.getVgs(r.id);
    return recordFiles({ vgs, png: library.getImage(r.id), className: r.className, grid: options.grid, stagePreviews: options.previews?.(r, vgs) }, { ...options, baseName: `${stem}-r${r.id}` });
  });
}

/** Exports a record and everything branched from it, each as "<project>-r<id>". Returns all paths. */
export function exportBranch(library: Library, recordId: number, dir: string, options: BranchExportOptions = {}): string[] {
  return writeExportFiles(dir, branchFiles(library, recordId, options), options.fs);
}

/** Reads an exported PNG's recipe (drop on the app): the validated VGS record and the A1111 text. */
export function importPng(bytes: Uint8Array, file = 'image'): Recipe {
  return readRecipe(bytes, file);
}

export interface RestoreOptions {
  /** Project name; default "<class name or class N> seed <seed>". */
  name?: string;
  className?: string | null;
  /** The record's image at native size (e.g. regenerated); default: the dropped PNG itself. */
  image?: Uint8Array;
  /** The project card's thumbnail (PNG); default: the library's own. */
  thumbnail?: Uint8Array;
  /** Names the file in error messages. */
  file?: string;
}

/** Restores a project from an exported PNG: a new project holding the record, selected. */
export function restoreFromPng(library: Library, bytes: Uint8Array, options: RestoreOptions = {}): { project: Project; record: RecordSummary } {
  const { vgs } = importPng(bytes, options.file);
  const name = options.name ?? `${options.className ?? `class ${vgs.classId}`} seed ${vgs.seed}`;
  const project = library.createProject({ name, tags: ['imported'] });
  const record = library.recordGeneration(project.id, null, vgs, options.image ?? bytes, { className: options.className, thumbnail: options.thumbnail });
  return { project: library.getProject(project.id), record };
}
