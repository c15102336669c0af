/**
 * manifest.json of a model pack (docs/model-pack.md, formatVersion 1): its TypeScript type, a
 * JSON schema checked with ajv, and the cross-field rules a schema cannot say (T = h*w a power
 * of two, K = log2 T, contentScale has K+1 entries...). A pack is untrusted data, so sizes are
 * bounded: an absurd manifest is refused before any buffer is allocated from its numbers.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { EngineError } from './errors.js';

export const PACK_FORMAT = 'nvg-pack';
export const PACK_FORMAT_VERSION = 1;

export const GRAPH_NAMES = ['encoder', 'decoder', 'refiner', 'content', 'structure'] as const;
export type GraphName = (typeof GRAPH_NAMES)[number];

/** Limits on what a pack may declare (generous for real packs, small enough to stay safe). */
export const LIMITS = {
  imageSize: 1024,
  positions: 4096, // T = h*w, K = log2 T <= 12
  codebookSize: 65536,
  latentDim: 256,
  classes: 10000,
  structureSteps: 1000,
} as const;

export interface SamplingParams {
  cfgContentMax: number;
  cfgStructureMax: number;
  topPMin: number;
  structureSteps: number;
  timeShiftMu: number;
  gumbelTemperature: number;
}

export interface PackClass {
  id: number;
  name: string;
  group?: string;
}

export interface PackFile {
  file: string;
  sha256: string;
}

export interface PackManifest {
  format: typeof PACK_FORMAT;
  formatVersion: typeof PACK_FORMAT_VERSION;
  name: string;
  description?: string;
  license?: string;
  created?: string;
  provenance?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  image: { size: number; channels: 3; range?: [number, number] };
  latent: { h: number; w: number; e: number };
  stages: { K: number };
  codebook: PackFile & { V: number; e: number; dtype: 'float32-le' };
  classes: PackClass[];
  nullClass: number;
  files: Record<GraphName, PackFile>;
  contentScale: number[];
  sampling: SamplingParams;
  ropeAxes?: number[];
  structureRopeAxes?: number[];
  models?: Record<string, unknown>;
  exportCheck?: Record<string, unknown>;
}

// A plain file name inside the pack folder: no separators, no "..", no hidden files.
const FILE_NAME = '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$';
const GRAPH_FILE_NAME = '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,122}\\.onnx$';
const SHA256 = '^[0-9a-f]{64}$';
const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
const num = (minimum: number, maximum: number) => ({ type: 'number', minimum, maximum });
const graphFile = {
  type: 'object',
  required: ['file', 'sha256'],
  properties: { file: { type: 'string', pattern: GRAPH_FILE_NAME }, sha256: { type: 'string', pattern: SHA256 } },
};

export const MANIFEST_SCHEMA = {
  type: 'object',
  required: ['format', 'formatVersion', 'name', 'image', 'latent', 'stages', 'codebook', 'classes', 'nullClass', 'files', 'contentScale', 'sampling'],
  properties: {
    format: { const: PACK_FORMAT },
    formatVersion: { const: PACK_FORMAT_VERSION },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string' },
    license: { type: 'string' },
    created: { type: 'string' },
    provenance: { type: 'object' },
    metrics: { type: 'object' },
    image: {
      type: 'object',
      required: ['size', 'channels'],
      properties: {
        size: int(1, LIMITS.imageSize),
        channels: { const: 3 },
        range: { type: 'array', items: [{ const: -1 }, { const: 1 }], minItems: 2, maxItems: 2 },
      },
    },
    latent: {
      type: 'object',
      required: ['h', 'w', 'e'],
      properties: { h: int(1, LIMITS.positions), w: int(1, LIMITS.positions), e: int(1, LIMITS.latentDim) },
    },
    stages: { type: 'object', required: ['K'], properties: { K: int(1, Math.log2(LIMITS.positions)) } },
    codebook: {
      type: 'object',
      required: ['file', 'V', 'e', 'sha256'],
      properties: {
        file: { type: 'string', pattern: FILE_NAME },
        V: int(1, LIMITS.codebookSize),
        e: int(1, LIMITS.latentDim),
        dtype: { const: 'float32-le' },
        sha256: { type: 'string', pattern: SHA256 },
      },
    },
    classes: {
      type: 'array',
      minItems: 1,
      maxItems: LIMITS.classes,
      items: {
        type: 'object',
        required: ['id', 'name'],
        properties: { id: int(0, LIMITS.classes - 1), name: { type: 'string', maxLength: 200 }, group: { type: 'string', maxLength: 200 } },
      },
    },
    nullClass: int(1, LIMITS.classes),
    files: {
      type: 'object',
      required: [...GRAPH_NAMES],
      properties: Object.fromEntries(GRAPH_NAMES.map((g) => [g, graphFile])),
    },
    contentScale: { type: 'array', minItems: 2, maxItems: 13, items: num(0, 1e6) },
    sampling: {
      type: 'object',
      required: ['cfgContentMax', 'cfgStructureMax', 'topPMin', 'structureSteps', 'timeShiftMu', 'gumbelTemperature'],
      properties: samplingProperties(),
    },
    ropeAxes: { type: 'array', maxItems: 64, items: int(0, 4096) },
    structureRopeAxes: { type: 'array', maxItems: 64, items: int(0, 4096) },
    models: { type: 'object' },
    exportCheck: { type: 'object' },
  },
} as const;

/** Bounds of the sampling parameters, shared by the manifest and request validation. */
export function samplingProperties() {
  return {
    cfgContentMax: num(0, 100),
    cfgStructureMax: num(0, 100),
    topPMin: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    structureSteps: int(1, LIMITS.structureSteps),
    timeShiftMu: num(-20, 20),
    gumbelTemperature: num(0, 100),
  };
}

let ajv: Ajv | undefined;
/** One shared ajv instance (compiling schemas is the slow part; do it once per process). */
export function sharedAjv(): Ajv {
  ajv ??= new Ajv({ allErrors: false, strict: false });
  return ajv;
}

let validate: ReturnType<Ajv['compile']> | undefined;

/** "/latent/h must be <= 4096" from ajv's first error. */
export function describeAjvError(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid';
  const where = e.instancePath || '(root)';
  const extra = e.keyword === 'const' ? ` (${JSON.stringify(e.params.allowedValue)})` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}

/**
 * Checks parsed manifest JSON and returns it typed, or throws PACK_UNSUPPORTED_VERSION (other
 * format/version: checked first so a newer pack is named as such, not as "malformed") or
 * PACK_BAD_MANIFEST (schema or cross-field rule). `where` names the file in messages.
 */
export function validateManifest(json: unknown, where = 'manifest.json'): PackManifest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new EngineError('PACK_BAD_MANIFEST', `${where}: the manifest must be a JSON object`, { file: where });
  }
  const m = json as Record<string, unknown>;
  if (m.format !== PACK_FORMAT || m.formatVersion !== PACK_FORMAT_VERSION) {
    throw new EngineError(
      'PACK_UNSUPPORTED_VERSION',
      `${where}: this app reads format "${PACK_FORMAT}" version ${PACK_FORMAT_VERSION}; the pack says format ${JSON.stringify(m.format)} version ${JSON.stringify(m.formatVersion)}`,
      { file: where, format: m.format, formatVersion: m.formatVersion },
    );
  }
  validate ??= sharedAjv().compile(MANIFEST_SCHEMA);
  if (!validate(json)) {
    throw new EngineError('PACK_BAD_MANIFEST', `${where}: ${describeAjvError(validate.errors)}`, { file: where, errors: validate.errors });
  }
  const man = json as unknown as PackManifest;
  const bad = (msg: string, extra: Record<string, unknown> = {}) => new EngineError('PACK_BAD_MANIFEST', `${where}: ${msg}`, { file: where, ...extra });

  const { h, w, e } = man.latent;
  const T = h * w;
  const K = man.stages.K;
  if (T > LIMITS.positions || T < 2 || 2 ** Math.round(Math.log2(T)) !== T) throw bad(`latent h*w = ${T} must be a power of two in [2, ${LIMITS.positions}]`, { T });
  if (K !== Math.log2(T)) throw bad(`stages.K = ${K} but log2(h*w) = ${Math.log2(T)}`, { K, T });
  if (man.image.size % h !== 0 || man.image.size % w !== 0) throw bad(`image size ${man.image.size} is not a multiple of the latent grid ${h}x${w}`);
  if (man.codebook.e !== e) throw bad(`codebook.e = ${man.codebook.e} but latent.e = ${e}`);
  if (man.contentScale.length !== K + 1) throw bad(`contentScale has ${man.contentScale.length} entries, K+1 = ${K + 1} expected`);
  const n = man.classes.length;
  const seen = new Uint8Array(n);
  for (const c of man.classes) {
    if (c.id >= n || seen[c.id]) throw bad(`class ids must be 0..${n - 1}, each once (bad id ${c.id})`, { classId: c.id });
    seen[c.id] = 1;
  }
  if (man.nullClass !== n) throw bad(`nullClass must equal the number of classes (${n}), got ${man.nullClass}`);
  const files = [man.codebook.file, ...GRAPH_NAMES.map((g) => man.files[g].file)];
  if (new Set(files).size !== files.length) throw bad('two entries point at the same file');
  return man;
}
