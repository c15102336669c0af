/**
 * The app's API contract: what the renderer may ask of the main process (Electron, over the
 * preload's `window.nvg`) or of the browser host (the same calls over a WebSocket).
 * One interface, two transports; both validate every payload on arrival (see ipcSchemas.ts when
 * it lands) and the renderer never sees more than this.
 *
 * Binary data crosses as Uint8Array (structured clone in Electron; base64 in the WebSocket JSON).
 */

import type { SamplingParams } from '../engine/manifest.js';

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
}
