/**
 * The engine's one error type. Every failure the engine can explain carries a stable `code`
 * (callers branch on it, the UI maps it to a message, IPC sends it as plain JSON) plus a human
 * message and a `details` object with the facts (file, stage, expected/actual values...).
 */

export type EngineErrorCode =
  // model packs
  | 'PACK_MISSING_FILE' // manifest or a listed file is absent / unreadable
  | 'PACK_BAD_MANIFEST' // not JSON, or fails the schema / consistency rules
  | 'PACK_UNSUPPORTED_VERSION' // not format "nvg-pack" formatVersion 1
  | 'PACK_SHA256_MISMATCH' // a file's bytes differ from the manifest's sha256
  | 'PACK_BAD_CODEBOOK' // wrong size or non-finite values
  | 'PACK_BAD_GRAPH' // onnxruntime cannot load a graph (truncated, not ONNX, unknown op...)
  | 'PACK_GRAPH_SIGNATURE' // a graph's input/output names, dtypes or shapes break the contract
  // requests
  | 'BAD_REQUEST' // malformed request (class, seed, count, params, image)
  | 'BAD_PIN' // a pinned stage is malformed or inconsistent (details.stage says which)
  | 'BAD_VGS' // a VGS record fails validation
  // running
  | 'CANCELLED' // the request's AbortSignal fired
  | 'MODEL_RUN_FAILED' // onnxruntime failed or returned an unexpected output
  | 'DISPOSED'; // the pack was disposed

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: EngineErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
    this.details = details;
  }

  /** Plain data for IPC / logs (an Error does not survive structured clone with its fields). */
  toJSON(): { name: string; code: EngineErrorCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}

/** The message of any thrown value (onnxruntime throws plain Errors, sometimes strings). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Throws CANCELLED when the signal has fired; called between model calls. */
export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new EngineError('CANCELLED', `cancelled (${where})`, { where });
}
