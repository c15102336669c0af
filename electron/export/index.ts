/**
 * Export and import (main process; no model runs here except previews.ts, which the engine
 * process or CLI uses): see docs/library.md.
 */
export { ExportError, isExportError, type ExportErrorCode } from './errors.js';
export { PNG_SIGNATURE, crc32, crc32Table, insertText, readChunks, readText, textChunk, writeChunks, type PngChunk, type TextEntry } from './pngChunks.js';
export { MAX_EXPORT_SIDE, downscaleBox, downscaleExport, resizeBilinear, resizeForExport, type ResizeMode } from './resize.js';
export { PARAMETERS_KEY, VGS_KEY, a1111Parameters, embedRecipe, exportImage, readRecipe, type ImageExportOptions, type Recipe, type RecipeInfo } from './recipe.js';
export { nodeFs, writeFileAtomic, type WriteFs } from './atomicWrite.js';
export { MASK_STAGES_DEFAULT, encodeMask1Bit, gridOf, labelsJson, stageMap, stageMasks, type Grid, type LabelsJson, type StageMask } from './maps.js';
export { contactSheet } from './contactSheet.js';
export { branchFiles, exportBranch, exportRecord, importPng, recordFiles, restoreFromPng, safeBaseName, writeExportFiles, type BranchExportOptions, type ExportFile, type RecordExportInput, type RecordExportOptions, type RestoreOptions } from './files.js';
export { makeThumbnail } from './thumbnail.js';
export { readZip, zipStored } from './zip.js';
