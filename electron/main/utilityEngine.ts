/**
 * The engine in an Electron utilityProcess (electron/engine/worker/worker.ts speaks the same
 * protocol over process.parentPort). Mirrors EngineClient (worker/client.ts), which forks a plain
 * Node child: ids, progress, cancellation, and crash recovery: a crash fails what was in flight
 * with ENGINE_CRASHED and the next call starts a fresh process and reloads the last pack.
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import type { GenerateRequest, GenerateResult, StageProgress } from '../engine/generate.js';
import type { PixelImage } from '../engine/image.js';
import type { EncodedReference } from '../engine/reference.js';
import { WorkerError, type ClientGenerateOptions, type PackSummary } from '../engine/worker/client.js';
import type { FromWorker, ToWorker, WireGenerateRequest } from '../engine/worker/protocol.js';
import type { EngineLike } from '../host/service.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: WorkerError) => void;
  onProgress?: (e: StageProgress) => void;
}

export class UtilityEngine implements EngineLike {
  private child: UtilityProcess | null = null;
  private pending = new Map<string, Pending>();
  private next = 1;
  private lastLoad: ToWorker | null = null;
  private closed = false;
  onCrash?: (err: WorkerError) => void;

  constructor(private readonly entry: string) {}

  private ensure(): UtilityProcess {
    if (this.closed) throw new WorkerError('CLOSED', 'the engine is closed');
    if (this.child) return this.child;
    const child = utilityProcess.fork(this.entry, [], { serviceName: 'NVG engine', stdio: 'inherit' });
    child.on('message', (msg: FromWorker) => this.onMessage(msg));
    child.on('exit', (code) => this.onExit(child, `the engine process exited (code ${code})`));
    this.child = child;
    if (this.lastLoad) child.postMessage({ ...this.lastLoad, id: `r${this.next++}` });
    return child;
  }

  private onExit(child: UtilityProcess, reason: string): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.closed) return;
    const err = new WorkerError('ENGINE_CRASHED', reason);
    const inFlight = [...this.pending.values()];
    this.pending.clear();
    for (const p of inFlight) p.reject(err);
    if (inFlight.length) this.onCrash?.(err);
  }

  private onMessage(msg: FromWorker): void {
    const p = msg.id == null ? undefined : this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') return p.onProgress?.(msg.event as StageProgress);
    this.pending.delete(msg.id!);
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(new WorkerError(msg.error.code, msg.error.message, msg.error.details));
  }

  private call<T>(msg: ToWorker, onProgress?: (e: StageProgress) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const child = this.ensure();
      this.pending.set(msg.id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      child.postMessage(msg);
    });
  }

  load(packDir: string, options: { provider?: 'auto' | 'cpu'; threads?: number } = {}): Promise<PackSummary> {
    const msg: ToWorker = { type: 'load', id: `r${this.next++}`, packDir, ...options };
    this.lastLoad = msg;
    return this.call(msg);
  }

  generate(request: Omit<GenerateRequest, 'onProgress' | 'signal'>, options: ClientGenerateOptions = {}): Promise<GenerateResult> {
    const id = `r${this.next++}`;
    const pins: WireGenerateRequest['pins'] = {};
    for (const [k, pin] of Object.entries(request.pins ?? {})) {
      if (pin) pins[k] = { labels: pin.labels == null ? null : Array.from(pin.labels), tokens: pin.tokens == null ? null : Array.from(pin.tokens) };
    }
    const wire: WireGenerateRequest = { classId: request.classId, seed: request.seed, pins };
    if (request.count !== undefined) wire.count = request.count;
    if (request.params) wire.params = request.params as Record<string, number>;
    if (request.previews !== undefined) wire.previews = request.previews;
    const cancel = () => this.child?.postMessage({ type: 'cancel', id: `r${this.next++}`, target: id } satisfies ToWorker);
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    return this.call<GenerateResult>({ type: 'generate', id, request: wire }, options.onProgress)
      .finally(() => options.signal?.removeEventListener('abort', cancel));
  }

  encode(image: PixelImage): Promise<EncodedReference> {
    const data = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
    return this.call({ type: 'encode', id: `r${this.next++}`, image: { width: image.width, height: image.height, channels: image.channels, data } });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new WorkerError('CLOSED', 'the engine was closed'));
    this.pending.clear();
    this.child?.kill();
    this.child = null;
  }
}
