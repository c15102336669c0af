/**
 * Schemas for every call the renderer may make (electron/shared/api.ts), used by both transports:
 * the browser host's WebSocket (after decodeWire) and Electron's IPC (structured clone). Nothing
 * from the renderer is used before it passes here: the renderer is treated as untrusted input,
 * because a compromised page must not be able to steer the engine into reading arbitrary files or
 * allocating absurd buffers.
 */
import type { ErrorObject } from 'ajv';
import { describeAjvError, sharedAjv } from '../engine/manifest.js';
import type { NvgApi } from '../shared/api.js';

export type ApiMethod = Exclude<keyof NvgApi, never>;
export const API_METHODS = [
  'listPacks', 'openPack', 'currentPack', 'generate', 'cancel', 'encode',
  'libraryStatus', 'recoverLibrary', 'listProjects', 'recentProjects', 'openProject', 'createProject', 'renameProject',
  'duplicateProject', 'deleteProject', 'restoreProject', 'selectRecord', 'getRecord', 'exportRecord', 'exportMaps', 'exportBranch', 'setTags', 'importPng', 'backup',
] as const satisfies readonly ApiMethod[];
/** The largest PNG importPng takes. */
export const MAX_IMPORT_BYTES = 24 * 1024 * 1024;

const id = { type: 'string', minLength: 1, maxLength: 128 };
const intArray = { type: 'array', items: { type: 'integer', minimum: 0, maximum: 1 << 24 }, maxItems: 1 << 16 };
const finite = { type: 'number', minimum: -1e6, maximum: 1e6 };
const rowId = { type: 'integer', minimum: 1, maximum: 2 ** 53 - 1 };
const projectName = { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' };
const none = { type: 'array', maxItems: 0 };
const one = (schema: object) => ({ type: 'array', minItems: 1, maxItems: 1, prefixItems: [schema] });

const GENERATE_REQUEST = {
  type: 'object', additionalProperties: false, required: ['classId', 'seed'],
  properties: {
    classId: { type: 'integer', minimum: 0, maximum: 1 << 20 },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    count: { type: 'integer', minimum: 1, maximum: 64 },
    previews: { type: 'boolean' },
    parentRecordId: rowId,
    autosave: { type: 'boolean' },
    sources: { type: 'array', maxItems: 13, items: { enum: ['generated', 'drawn', 'reference'] } },
    params: {
      type: 'object', additionalProperties: false,
      properties: {
        cfgContentMax: finite, cfgStructureMax: finite, topPMin: finite,
        structureSteps: { type: 'integer', minimum: 1, maximum: 1000 }, timeShiftMu: finite, gumbelTemperature: finite,
      },
    },
    pins: {
      type: 'object', propertyNames: { pattern: '^[0-9]{1,2}$' }, maxProperties: 32,
      additionalProperties: {
        type: 'object', additionalProperties: false,
        properties: { labels: { anyOf: [intArray, { type: 'null' }] }, tokens: { anyOf: [intArray, { type: 'null' }] } },
      },
    },
  },
};

const IMAGE = {
  type: 'object', additionalProperties: false, required: ['width', 'height', 'channels', 'data'],
  properties: {
    width: { type: 'integer', minimum: 1, maximum: 4096 }, height: { type: 'integer', minimum: 1, maximum: 4096 },
    channels: { enum: [3, 4] }, data: {}, // a Uint8Array: checked by hand below (JSON schema has no binary type)
  },
};

const EXPORT_OPTIONS = {
  type: 'object', additionalProperties: false, required: ['size'], properties: { size: { enum: [1, 4, 8] }, smooth: { type: 'boolean' } },
};

/** Positional parameters per method (tuples: exactly these, nothing more). */
const PARAMS: Record<ApiMethod, object> = {
  listPacks: { type: 'array', maxItems: 0 },
  currentPack: { type: 'array', maxItems: 0 },
  openPack: { type: 'array', minItems: 1, maxItems: 1, prefixItems: [{ type: 'string', minLength: 1, maxLength: 4096 }] },
  generate: { type: 'array', minItems: 1, maxItems: 1, prefixItems: [GENERATE_REQUEST] },
  cancel: { type: 'array', minItems: 1, maxItems: 1, prefixItems: [id] },
  encode: { type: 'array', minItems: 1, maxItems: 1, prefixItems: [IMAGE] },
  libraryStatus: none,
  recoverLibrary: one({
    oneOf: [
      { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { enum: ['retry', 'new'] } } },
      { type: 'object', additionalProperties: false, required: ['kind', 'name'], properties: { kind: { const: 'backup' }, name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^/\\\\]+$' } } },
    ],
  }),
  listProjects: one({
    type: 'object', additionalProperties: false,
    properties: {
      query: { type: 'string', maxLength: 200 }, classId: { type: 'integer', minimum: 0, maximum: 1 << 20 },
      tag: { type: 'string', minLength: 1, maxLength: 100 }, seed: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
      sort: { enum: ['updated', 'created', 'name'] }, page: { type: 'integer', minimum: 0, maximum: 100_000 },
    },
  }),
  recentProjects: none,
  openProject: one(rowId),
  createProject: { type: 'array', maxItems: 1, prefixItems: [projectName] },
  renameProject: { type: 'array', minItems: 2, maxItems: 2, prefixItems: [rowId, projectName] },
  duplicateProject: one(rowId),
  deleteProject: one(rowId),
  restoreProject: one(rowId),
  selectRecord: { type: 'array', minItems: 2, maxItems: 2, prefixItems: [rowId, rowId] },
  getRecord: one(rowId),
  exportRecord: { type: 'array', minItems: 2, maxItems: 2, prefixItems: [rowId, EXPORT_OPTIONS] },
  exportMaps: { type: 'array', minItems: 1, maxItems: 2, prefixItems: [rowId, EXPORT_OPTIONS] },
  exportBranch: { type: 'array', minItems: 1, maxItems: 2, prefixItems: [rowId, EXPORT_OPTIONS] },
  setTags: {
    type: 'array', minItems: 2, maxItems: 2,
    prefixItems: [rowId, { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' } }],
  },
  importPng: one({}), // a Uint8Array: checked by hand below
  backup: none,
};

/** The WebSocket envelope: { id, method, params }. */
const ENVELOPE = {
  type: 'object', additionalProperties: false, required: ['id', 'method', 'params'],
  properties: { id, method: { enum: API_METHODS }, params: { type: 'array', maxItems: 4 } },
};

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let envelope: Validator | undefined;
const params = new Map<ApiMethod, Validator>();

function ajv() {
  // ajv's draft-07 default has no prefixItems; "items" as an array is the draft-07 tuple form.
  return sharedAjv();
}

function tupleSchema(schema: object): object {
  const s = schema as { prefixItems?: object[] };
  if (!s.prefixItems) return schema;
  const { prefixItems, ...rest } = s as { prefixItems: object[] };
  return { ...rest, items: prefixItems, additionalItems: false };
}

export type ParsedCall =
  | { ok: true; id: string; method: ApiMethod; params: unknown[] }
  | { ok: false; id: string | null; message: string };

/** Validates the parameters of one call (both transports). */
export function checkParams(method: ApiMethod, args: unknown): { ok: true } | { ok: false; message: string } {
  let v = params.get(method);
  if (!v) {
    v = ajv().compile(tupleSchema(PARAMS[method])) as Validator;
    params.set(method, v);
  }
  if (!v(args)) return { ok: false, message: `bad parameters for ${method}: ${describeAjvError(v.errors)}` };
  if (method === 'encode') {
    const img = (args as [{ width: number; height: number; channels: number; data: unknown }])[0];
    const want = img.width * img.height * img.channels;
    if (!(img.data instanceof Uint8Array) || img.data.length !== want) {
      return { ok: false, message: `bad parameters for encode: image data must be ${want} bytes (width*height*channels) as a Uint8Array` };
    }
  }
  if (method === 'importPng') {
    const bytes = (args as [unknown])[0];
    if (!(bytes instanceof Uint8Array) || bytes.length < 8 || bytes.length > MAX_IMPORT_BYTES) {
      return { ok: false, message: `bad parameters for importPng: PNG bytes (a Uint8Array of at most ${MAX_IMPORT_BYTES} bytes) expected` };
    }
  }
  return { ok: true };
}

/** Validates a whole WebSocket message (already decoded by decodeWire). */
export function parseCall(msg: unknown): ParsedCall {
  envelope ??= ajv().compile(ENVELOPE) as Validator;
  const maybeId = typeof (msg as { id?: unknown })?.id === 'string' ? String((msg as { id: string }).id).slice(0, 128) : null;
  if (!envelope(msg)) return { ok: false, id: maybeId, message: `malformed message: ${describeAjvError(envelope.errors)}` };
  const m = msg as { id: string; method: ApiMethod; params: unknown[] };
  const checked = checkParams(m.method, m.params);
  if (!checked.ok) return { ok: false, id: m.id, message: checked.message };
  return { ok: true, id: m.id, method: m.method, params: m.params };
}
