/** ExportError: failures of export and import, with a stable `code` and a message for people. */
export type ExportErrorCode =
  | 'NOT_PNG' // not PNG bytes, or a chunk is cut short / fails its CRC
  | 'NO_RECIPE' // a valid PNG without an nvg-vgs chunk (not exported by NVG Studio)
  | 'BAD_RECIPE' // the embedded VGS fails validation
  | 'DISK_FULL' // ENOSPC / EDQUOT while saving
  | 'WRITE_FAILED' // any other file-system refusal while saving
  | 'BAD_INPUT';

export class ExportError extends Error {
  constructor(readonly code: ExportErrorCode, message: string, readonly details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExportError';
  }
}

export function isExportError(err: unknown, code?: ExportErrorCode): err is ExportError {
  return err instanceof ExportError && (code === undefined || err.code === code);
}
