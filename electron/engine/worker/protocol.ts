/**
 * The engine worker's message protocol. onnxruntime's run() blocks its thread, and a native crash
 * takes its whole process down, so the engine lives in a process of its own (a forked Node child,
 * or an Electron utilityProcess) and talks in messages (structured clone: typed arrays pass as is).
 *
 * To the worker:   load | generate | encode | info | cancel
 * From the worker: progress (generate only) | result | error  — each carries the request id.
 * Every incoming message is validated against a schema before anything acts on it; a message
 * that fails gets an `error` reply with code BAD_REQUEST (and the id, when it has a usable one).
 */
import type { ErrorObject } from 'ajv';
import { describeAjvError, sharedAjv } from '../manifest.js';
import type { ProviderChoice } from '../pack.js';
import type { GenerateRequestWire, StagePinWire } from '../../shared/api.js';

export type RequestId = string;

/** A pinned stage and a generation request on the wire: the app contract's own types (plain
 * integer arrays; typed arrays are converted by the client). */
export type WirePin = StagePinWire;
export type WireGenerateRequest = GenerateRequestWire;

export type ToWorker =
  | { type: 'load'; id: RequestId; packDir: string; provider?: ProviderChoice; threads?: number }
  | { type: 'generate'; id: RequestId; request: WireGenerateRequest }
  | { type: 'encode'; id: RequestId; image: { width: number; height: number; channels: 3 | 4; data: Uint8Array } }
  | { type: 'info'; id: RequestId }
  | { type: 'cancel'; id: RequestId; target: RequestId };

export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type FromWorker =
  | { type: 'progress'; id: RequestId; event: unknown }
  | { type: 'result'; id: RequestId; result: unknown }
  | { type: 'error'; id: RequestId | null; error: WireError };

const id = { type: 'string', minLength: 1, maxLength: 128 };
const intArray = { type: 'array', items: { type: 'integer' }, maxItems: 1 << 16 };
const SCHEMA = {
  oneOf: [
    {
      type: 'object', additionalProperties: false, required: ['type', 'id', 'packDir'],
      properties: {
        type: { const: 'load' }, id, packDir: { type: 'string', minLength: 1, maxLength: 4096 },
        provider: { enum: ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] },
        threads: { type: 'integer', minimum: 1, maximum: 256 },
      },
    },
    {
      type: 'object', additionalProperties: false, required: ['type', 'id', 'request'],
      properties: {
        type: { const: 'generate' }, id,
        request: {
          type: 'object', additionalProperties: false, required: ['classId', 'seed'],
          properties: {
            classId: { type: 'integer' }, seed: { type: 'integer' }, count: { type: 'integer' },
            params: { type: 'object', additionalProperties: { type: 'number' } },
            previews: { type: 'boolean' },
            pins: {
              type: 'object', propertyNames: { pattern: '^[0-9]{1,2}$' },
              additionalProperties: {
                type: 'object', additionalProperties: false,
                properties: { labels: { anyOf: [intArray, { type: 'null' }] }, tokens: { anyOf: [intArray, { type: 'null' }] } },
              },
            },
          },
        },
      },
    },
    {
      type: 'object', additionalProperties: false, required: ['type', 'id', 'image'],
      properties: {
        type: { const: 'encode' }, id,
        image: {
          type: 'object', additionalProperties: false, required: ['width', 'height', 'channels', 'data'],
          properties: {
            width: { type: 'integer', minimum: 1, maximum: 8192 }, height: { type: 'integer', minimum: 1, maximum: 8192 },
            channels: { enum: [3, 4] }, data: {},
          },
        },
      },
    },
    { type: 'object', additionalProperties: false, required: ['type', 'id'], properties: { type: { const: 'info' }, id } },
    {
      type: 'object', additionalProperties: false, required: ['type', 'id', 'target'],
      properties: { type: { const: 'cancel' }, id, target: id },
    },
  ],
};

let validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;

/** Validates a message to the worker; returns it typed, or a reason. Binary fields are checked by hand. */
export function parseToWorker(msg: unknown): { ok: true; msg: ToWorker } | { ok: false; reason: string; id: RequestId | null } {
  validate ??= sharedAjv().compile(SCHEMA);
  const maybeId = typeof (msg as { id?: unknown })?.id === 'string' ? ((msg as { id: string }).id) : null;
  if (!validate(msg)) {
    const type = (msg as { type?: unknown })?.type;
    return { ok: false, reason: `malformed ${typeof type === 'string' ? `'${type.slice(0, 32)}' ` : ''}message: ${describeAjvError(validate.errors)}`, id: maybeId };
  }
  const m = msg as ToWorker;
  if (m.type === 'encode') {
    const { width, height, channels, data } = m.image;
    if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
      return { ok: false, reason: `image data must be a Uint8Array of width*height*channels = ${width * height * channels} bytes`, id: m.id };
    }
  }
  return { ok: true, msg: m };
}
