/**
 * The caller's side of the engine process: request ids, progress callbacks, cancellation and crash
 * recovery. A crashed engine rejects what was in flight with ENGINE_CRASHED; the next call starts a
 * fresh one and reloads the last pack first.
 * The process itself comes from a `SpawnEngine`: a forked Node child here (CLI, browser host,
 * tests), an Electron utilityProcess in the app (electron/main/utilityEngine.ts).
 * (A worker thread would not isolate crashes: terminating one inside onnxruntime's run() aborts
 * the whole process, as a test of ours found.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GenerateRequest, GenerateResult, StageProgress } from '../generate.js';
import type { PixelImage } from '../image.js';
import type { ProviderChoice } from '../pack.js';
import type { EncodedReference } from '../reference.js';
import type { Pins } from '../request.js';
import type { packSummary } from './host.js';
import type { FromWorker, ToWorker, WireGenerateRequest, WirePin } from './protocol.js';

export type PackSummary = ReturnType<typeof packSummary>;

/** An error reported by the worker (engine codes, BAD_REQUEST, INTERNAL) or ENGINE_CRASHED. */
export class WorkerError extends Error {
  constructor(readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'WorkerError';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: WorkerError) => void;
  onProgress?: (event: StageProgress) => void;
}

const RAW = '\u0000raw';

/** One running engine process, whatever starts it. */
export interface EngineTransport {
  send(msg: unknown): void;
  /** Registers the handlers; `onExit` gets a human reason ("the engine process exited (code 1)"). */
  listen(onMessage: (msg: FromWorker) => void, onExit: (reason: string) => void): void;
  /** Kills the process and resolves once it is gone. */
  kill(): Promise<void>;
}

export type SpawnEngine = () => EngineTransport;

function workerEntry(): { url: URL; execArgv: string[] } {
  // From TypeScript sources (tests, `tsx` dev runs) the child needs tsx's loader.
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource
    ? { url: new URL('./worker.ts', import.meta.url), execArgv: ['--import', 'tsx'] }
    : { url: new URL('./worker.js', import.meta.url), execArgv: [] };
}

/** The engine as a forked Node child (structured clone over IPC: typed arrays pass as they are). */
export const forkNodeEngine: SpawnEngine = () => {
  const { url, execArgv } = workerEntry();
  const child: ChildProcess = fork(fileURLToPath(url), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    send: (msg) => child.send(msg as object),
    listen(onMessage, onExit) {
      child.on('message', onMessage);
      child.on('error', (err) => onExit(`the engine process failed: ${err.message}`));
      child.on('exit', (code, signal) => onExit(`the engine process exited (${signal ?? `code ${code}`})`));
    },
    kill: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
};

export function wirePins(pins: Pins | undefined): Record<string, WirePin> | undefined {
  if (!pins) return undefined;
  const out: Record<string, WirePin> = {};
  for (const [stage, pin] of Object.entries(pins)) {
    if (!pin) continue;
    out[stage] = {
      labels: pin.labels == null ? null : Array.from(pin.labels),
      tokens: pin.tokens == null ? null : Array.from(pin.tokens),
    };
  }
  return out;
}

export interface ClientGenerateOptions {
  onProgress?: (event: StageProgress) => void;
  signal?: AbortSignal;
}

export class EngineClient {
  private worker: EngineTransport | null = null;
  private pending = new Map<string, Pending>();
  private nextId = 1;
  private lastLoad: ToWorker | null = null;
  private closed = false;
  /** Called when the worker dies with requests in flight (after they are rejected). */
  onCrash?: (err: WorkerError) => void;

  constructor(private readonly spawn: SpawnEngine = forkNodeEngine) {}

  private ensureWorker(): EngineTransport {
    if (this.closed) throw new WorkerError('CLOSED', 'the engine client is closed');
    if (this.worker) return this.worker;
    const worker = this.spawn();
    worker.listen((msg) => this.onMessage(msg), (reason) => this.onExit(worker, reason));
    this.worker = worker;
    if (this.lastLoad) this.post({ ...this.lastLoad, id: this.newId() } as ToWorker); // reload after a restart
    return worker;
  }

  private onExit(worker: EngineTransport, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    if (this.closed) return;
    const err = new WorkerError('ENGINE_CRASHED', reason);
    const inFlight = [...this.pending.values()];
    this.pending.clear();
    for (const p of inFlight) p.reject(err);
    if (inFlight.length) this.onCrash?.(err);
  }

  private onMessage(msg: FromWorker): void {
    const key = msg.id ?? RAW; // errors about messages without a usable id go to sendRaw's caller
    const pending = this.pending.get(key);
    if (!pending) return; // a reload after restart, or a reply to a cancelled caller
    if (msg.type === 'progress') {
      pending.onProgress?.(msg.event as StageProgress);
      return;
    }
    this.pending.delete(key);
    if (msg.type === 'result') pending.resolve(msg.result);
    else pending.reject(new WorkerError(msg.error.code, msg.error.message, msg.error.details));
  }

  private newId(): string {
    return `r${this.nextId++}`;
  }

  private post(msg: ToWorker): void {
    this.ensureWorker().send(msg);
  }

  private call<T>(msg: ToWorker, onProgress?: (event: StageProgress) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ensureWorker();
      this.pending.set(msg.id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      this.post(msg);
    });
  }

  /** Loads (or replaces) the pack; returns what the UI needs to know about it. */
  load(packDir: string, options: { provider?: ProviderChoice; threads?: number } = {}): Promise<PackSummary> {
    const msg: ToWorker = { type: 'load', id: this.newId(), packDir, ...options };
    this.lastLoad = msg;
    return this.call(msg);
  }

  info(): Promise<PackSummary> {
    return this.call({ type: 'info', id: this.newId() });
  }

  generate(request: Omit<GenerateRequest, 'onProgress' | 'signal'>, options: ClientGenerateOptions = {}): Promise<GenerateResult> {
    const id = this.newId();
    const wire: WireGenerateRequest = {
      classId: request.classId, seed: request.seed, count: request.count,
      params: request.params, pins: wirePins(request.pins), previews: request.previews,
    };
    for (const key of Object.keys(wire) as (keyof WireGenerateRequest)[]) if (wire[key] === undefined) delete wire[key];
    const cancel = () => this.worker?.send({ type: 'cancel', id: this.newId(), target: id } satisfies ToWorker);
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    return this.call<GenerateResult>({ type: 'generate', id, request: wire }, options.onProgress)
      .finally(() => options.signal?.removeEventListener('abort', cancel));
  }

  encode(image: PixelImage): Promise<EncodedReference> {
    const data = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
    return this.call({ type: 'encode', id: this.newId(), image: { width: image.width, height: image.height, channels: image.channels, data } });
  }

  /** Sends a raw message (tests of the protocol's validation). */
  sendRaw(message: unknown): Promise<unknown> {
    const id = typeof (message as { id?: unknown })?.id === 'string' ? (message as { id: string }).id : RAW;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensureWorker().send(message);
    });
  }

  /** Kills the engine process as a crash would (tests of crash recovery). */
  kill(): void {
    void this.worker?.kill();
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new WorkerError('CLOSED', 'the engine client was closed'));
    this.pending.clear();
    await worker?.kill();
  }
}
