/**
 * The engine side of the worker protocol, independent of the transport: `createHost(send)` returns
 * the function to call with each incoming message. worker.ts binds it to a worker thread or an
 * Electron utilityProcess.
 *
 * Requests run one at a time in arrival order (onnxruntime's run() blocks the thread anyway);
 * `cancel` is handled on arrival: onnxruntime-node resolves each run() from a later event-loop turn,
 * so a cancel message is read between two model calls and the engine stops at its next check.
 */
import { EngineError, errorMessage } from '../errors.js';
import { generate, type GenerateRequest, type StageProgress } from '../generate.js';
import { loadPack, type Pack } from '../pack.js';
import { encodeReference } from '../reference.js';
import { parseToWorker, type FromWorker, type ToWorker, type WireError } from './protocol.js';

type Send = (msg: FromWorker, transfer?: ArrayBuffer[]) => void;

function toWireError(err: unknown): WireError {
  if (err instanceof EngineError) return { code: err.code, message: err.message, details: err.details };
  return { code: 'INTERNAL', message: errorMessage(err) };
}

export function packSummary(pack: Pack) {
  const m = pack.manifest;
  return {
    dir: pack.dir, name: m.name, description: m.description, manifestSha256: pack.manifestSha256,
    dims: pack.dims, classes: m.classes, sampling: m.sampling, provider: pack.provider, metrics: m.metrics,
  };
}

export function createHost(send: Send) {
  let pack: Pack | null = null;
  const controllers = new Map<string, AbortController>();
  let queue: Promise<void> = Promise.resolve();

  async function handle(msg: ToWorker): Promise<unknown> {
    switch (msg.type) {
      case 'load': {
        const next = await loadPack(msg.packDir, { provider: msg.provider, intraOpThreads: msg.threads });
        if (pack) await pack.dispose();
        pack = next;
        return packSummary(pack);
      }
      case 'info':
        if (!pack) throw new EngineError('BAD_REQUEST', 'no pack is loaded');
        return packSummary(pack);
      case 'generate': {
        if (!pack) throw new EngineError('BAD_REQUEST', 'no pack is loaded');
        const controller = controllers.get(msg.id)!;
        const request: GenerateRequest = {
          ...msg.request,
          signal: controller.signal,
          onProgress: (event: StageProgress) => send({ type: 'progress', id: msg.id, event }),
        };
        return generate(pack, request);
      }
      case 'encode': {
        if (!pack) throw new EngineError('BAD_REQUEST', 'no pack is loaded');
        return encodeReference(pack, msg.image, { signal: controllers.get(msg.id)!.signal });
      }
      default:
        throw new EngineError('BAD_REQUEST', `unknown message type`);
    }
  }

  return function onMessage(raw: unknown): void {
    const parsed = parseToWorker(raw);
    if (!parsed.ok) {
      send({ type: 'error', id: parsed.id, error: { code: 'BAD_REQUEST', message: parsed.reason } });
      return;
    }
    const msg = parsed.msg;
    if (msg.type === 'cancel') {
      controllers.get(msg.target)?.abort();
      return;
    }
    if (controllers.has(msg.id)) {
      send({ type: 'error', id: msg.id, error: { code: 'BAD_REQUEST', message: `request id '${msg.id}' is already in use` } });
      return;
    }
    controllers.set(msg.id, new AbortController());
    queue = queue.then(async () => {
      try {
        const result = await handle(msg);
        send({ type: 'result', id: msg.id, result });
      } catch (err) {
        send({ type: 'error', id: msg.id, error: toWireError(err) });
      } finally {
        controllers.delete(msg.id);
      }
    });
  };
}
