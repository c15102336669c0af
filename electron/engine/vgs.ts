/**
 * The VGS record (docs/architecture.md "a VGS record"): everything needed to reproduce an image
 * exactly with a pack: the pack's name and manifest sha256, class, seed, sampling parameters and,
 * per stage k, its labels (T ints), tokens (2^k ints), whether structure / content are pinned and
 * where the stage came from. Projects store these; PNG exports embed them as JSON.
 *
 * Parsing validates the JSON shape with ajv, then the structure: every stage nested in the one
 * before (structure.ts checkParentConsistency), sizes matching the stage count, and, given a
 * pack, matching the pack's dimensions.
 */
import { EngineError } from './errors.js';
import type { GenerateRequest, GenerateResult } from './generate.js';
import { describeAjvError, samplingProperties, sharedAjv, type SamplingParams } from './manifest.js';
import type { Pack } from './pack.js';
import type { EncodedReference } from './reference.js';
import type { StagePin } from './request.js';
import { checkParentConsistency } from './structure.js';

export const VGS_FORMAT = 'nvg-vgs';
export const VGS_VERSION = 1;

export type StageSource = 'generated' | 'drawn' | 'reference';

export interface VgsStage {
  labels: number[];
  tokens: number[];
  pinStructure: boolean;
  pinContent: boolean;
  source: StageSource;
}

export interface VgsRecord {
  format: typeof VGS_FORMAT;
  version: typeof VGS_VERSION;
  pack: { name: string; manifestSha256: string };
  classId: number;
  seed: number;
  params: SamplingParams;
  stages: VgsStage[];
}

const intArray = (maxItems: number) => ({ type: 'array', maxItems, items: { type: 'integer', minimum: 0 } });

export const VGS_SCHEMA = {
  type: 'object',
  required: ['format', 'version', 'pack', 'classId', 'seed', 'params', 'stages'],
  additionalProperties: false,
  properties: {
    format: { const: VGS_FORMAT },
    version: { const: VGS_VERSION },
    pack: {
      type: 'object',
      required: ['name', 'manifestSha256'],
      properties: { name: { type: 'string', maxLength: 200 }, manifestSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    },
    classId: { type: 'integer', minimum: 0 },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['cfgContentMax', 'cfgStructureMax', 'topPMin', 'structureSteps', 'timeShiftMu', 'gumbelTemperature'],
      properties: samplingProperties(),
    },
    stages: {
      type: 'array',
      minItems: 2,
      maxItems: 13,
      items: {
        type: 'object',
        required: ['labels', 'tokens', 'pinStructure', 'pinContent', 'source'],
        additionalProperties: false,
        properties: {
          labels: intArray(4096),
          tokens: intArray(4096),
          pinStructure: { type: 'boolean' },
          pinContent: { type: 'boolean' },
          source: { enum: ['generated', 'drawn', 'reference'] },
        },
      },
    },
  },
} as const;

let validate: ReturnType<ReturnType<typeof sharedAjv>['compile']> | undefined;

const badVgs = (msg: string, details: Record<string, unknown> = {}) => new EngineError('BAD_VGS', `VGS record: ${msg}`, details);

export interface ParseVgsOptions {
  /** Accept a record made with another pack of the same dimensions (otherwise BAD_VGS, reason 'otherPack'). */
  allowOtherPack?: boolean;
}

/**
 * Validates a VGS record (JSON text or parsed object) and returns it typed. With a pack, also
 * checks that it fits the pack (K, T, token range, class id) and came from it.
 */
export function parseVgs(input: string | unknown, pack?: Pack, options: ParseVgsOptions = {}): VgsRecord {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (err) {
      throw badVgs(`not valid JSON (${(err as Error).message})`);
    }
  }
  validate ??= sharedAjv().compile(VGS_SCHEMA);
  if (!validate(json)) throw badVgs(describeAjvError(validate.errors), { errors: validate.errors });
  const rec = json as VgsRecord;
  const K = rec.stages.length - 1;
  const T = 2 ** K;
  for (let k = 0; k <= K; k++) {
    const s = rec.stages[k];
    if (s.labels.length !== T) throw badVgs(`stage ${k} has ${s.labels.length} labels; ${K + 1} stages need T = ${T}`, { stage: k, reason: 'length' });
    if (s.tokens.length !== 2 ** k) throw badVgs(`stage ${k} has ${s.tokens.length} tokens, expected ${2 ** k}`, { stage: k, reason: 'length' });
    if (s.pinContent && !s.pinStructure && k > 0) throw badVgs(`stage ${k} pins its content but not its structure`, { stage: k, reason: 'pin' });
  }
  const issue = checkParentConsistency(rec.stages.map((s) => Int32Array.from(s.labels)));
  if (issue) throw badVgs(issue.message, { stage: issue.stage, position: issue.position, reason: issue.kind });
  if (pack) {
    const d = pack.dims;
    if (K !== d.K) throw badVgs(`${K + 1} stages, the pack "${pack.manifest.name}" has ${d.K + 1}`, { reason: 'dims' });
    if (rec.classId >= d.numClasses) throw badVgs(`class ${rec.classId} is not in the pack (${d.numClasses} classes)`, { reason: 'class' });
    rec.stages.forEach((s, k) => {
      const t = s.tokens.findIndex((v) => v >= d.V);
      if (t >= 0) throw badVgs(`stage ${k}: token ${s.tokens[t]} >= codebook size ${d.V}`, { stage: k, reason: 'token' });
    });
    if (!options.allowOtherPack && rec.pack.manifestSha256 !== pack.manifestSha256) {
      throw badVgs(`made with pack "${rec.pack.name}" (${rec.pack.manifestSha256.slice(0, 12)}), not the loaded "${pack.manifest.name}"`, { reason: 'otherPack' });
    }
  }
  return rec;
}

export function serializeVgs(record: VgsRecord): string {
  return JSON.stringify(record);
}

export interface VgsStageOptions {
  /** Per stage; defaults: pins as the generation had them, source 'generated'. */
  sources?: StageSource[];
  pinStructure?: boolean[];
  pinContent?: boolean[];
}

/** The record of image b of a generation (its seed is result.seed + b, so it replays alone). */
export function vgsFromResult(pack: Pack, result: GenerateResult, b: number, options: VgsStageOptions = {}): VgsRecord {
  if (!Number.isInteger(b) || b < 0 || b >= result.count) throw new EngineError('BAD_REQUEST', `image ${b} is not in the result (count ${result.count})`);
  return {
    format: VGS_FORMAT,
    version: VGS_VERSION,
    pack: { name: pack.manifest.name, manifestSha256: pack.manifestSha256 },
    classId: result.classId,
    seed: result.seed + b,
    params: { ...result.params },
    stages: result.labels[b].map((labels, k) => ({
      labels: Array.from(labels),
      tokens: Array.from(result.tokens[b][k]),
      pinStructure: options.pinStructure?.[k] ?? result.structureOrigin[k] === 'pinned',
      pinContent: options.pinContent?.[k] ?? result.contentPinned[k],
      source: options.sources?.[k] ?? 'generated',
    })),
  };
}

/** The record of an encoded reference image; every stage pinned by default (it then replays the reconstruction). */
export function vgsFromReference(
  pack: Pack,
  ref: EncodedReference,
  meta: { classId: number; seed?: number; params?: SamplingParams },
  options: Omit<VgsStageOptions, 'sources'> = {},
): VgsRecord {
  return {
    format: VGS_FORMAT,
    version: VGS_VERSION,
    pack: { name: pack.manifest.name, manifestSha256: pack.manifestSha256 },
    classId: meta.classId,
    seed: meta.seed ?? 0,
    params: { ...(meta.params ?? pack.manifest.sampling) },
    stages: ref.labels.map((labels, k) => ({
      labels: Array.from(labels),
      tokens: Array.from(ref.tokens[k]),
      pinStructure: options.pinStructure?.[k] ?? true,
      pinContent: options.pinContent?.[k] ?? true,
      source: 'reference' as const,
    })),
  };
}

/** The generation request that replays a record: its class, seed, parameters and pinned stages. */
export function vgsToRequest(record: VgsRecord): GenerateRequest {
  const pins: Record<number, StagePin> = {};
  record.stages.forEach((s, k) => {
    if (s.pinStructure || s.pinContent) {
      pins[k] = { labels: s.pinStructure || k === 0 ? s.labels : null, tokens: s.pinContent ? s.tokens : null };
    }
  });
  return { classId: record.classId, seed: record.seed, count: 1, params: { ...record.params }, pins };
}
