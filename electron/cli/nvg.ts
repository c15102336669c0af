#!/usr/bin/env node
/**
 * `nvg`: the engine without a window, for batches and scripts.
 *
 *   nvg generate --class face_happy --seed 7 --count 4 --out out/
 *   nvg generate --class 3 --pins earlier.vgs.json --pin-stages 0-2 --out out/
 *   nvg generate --class 3 --map circle.png --map-stage 1 --map-mode balanced --out out/
 *   nvg encode photo.png --out ref/          (VGS JSON + structure map PNGs + reconstruction)
 *   nvg decode ref/photo.vgs.json --out photo.png
 *   nvg packs list [DIR]      nvg packs verify DIR
 *
 * A progress bar goes to stderr on a terminal; --json prints one JSON document on stdout instead
 * of the human summary. Errors print their code and message and exit with status 1 (2 for usage).
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  encodeReference, generate, imageToRgba, isEngineError, loadPack, parseVgs, serializeVgs, structure,
  vgsFromReference, vgsFromResult, vgsToRequest, type Pack, type Pins, type StageProgress, type StagePin, type VgsRecord,
} from '../engine/index.js';
import { readPng, upscaleNearest, writePng, type RgbaImage } from '../shared/png.js';
import { imageToRegions, labelsToImage } from '../shared/structureMap.js';
import { DEFAULT_PACK, PACK_ROOTS } from '../host/paths.js';

// The pack rule (NVG_PACK, else emoji64, else tiny) is the app's: one place, electron/host/paths.ts.

class UsageError extends Error {}

const USAGE = `usage:
  nvg generate --class ID|NAME [--seed N] [--count N] [--out DIR] [--pins VGS.json [--pin-stages 0-2] [--pin structure|content|both]]
               [--map MAP.png [--map-stage K] [--map-mode balanced|as-drawn]] [--cfg W] [--cfg-structure G] [--top-p-min P]
               [--steps N] [--temperature T] [--scale N] [--maps] [--pack DIR] [--provider auto|cpu|cuda|dml|coreml] [--json]
  nvg encode IMAGE.png [--class ID|NAME] [--out DIR] [--scale N] [--pack DIR] [--json]
  nvg decode RECORD.vgs.json [--out IMAGE.png] [--scale N] [--pack DIR] [--json]
  nvg packs list [DIR]
  nvg packs verify [DIR]
default pack: ${DEFAULT_PACK} (or $NVG_PACK)`;

const common = {
  pack: { type: 'string' }, provider: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' },
  scale: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

function int(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${value}'`);
  return n;
}

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

function classId(pack: Pack, value: string | undefined): number {
  if (value === undefined) throw new UsageError('--class is required (an id or a name; `nvg packs list` shows them)');
  const byName = pack.manifest.classes.find((c) => c.name === value);
  if (byName) return byName.id;
  const id = Number(value);
  if (Number.isInteger(id) && id >= 0 && id < pack.manifest.classes.length) return id;
  const near = pack.manifest.classes.filter((c) => c.name.includes(value)).map((c) => c.name).slice(0, 5);
  throw new UsageError(`unknown class '${value}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
}

/** "0-2,4" -> [0, 1, 2, 4] */
function stageList(spec: string, K: number): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--pin-stages: '${part}' is not a stage or a range like 0-2`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (a > b || b > K) throw new UsageError(`--pin-stages: stages run from 0 to ${K}, got '${part}'`);
    for (let k = a; k <= b; k++) out.add(k);
  }
  return [...out].sort((x, y) => x - y);
}

function readVgs(path: string, pack: Pack): VgsRecord {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: cannot read (${(err as Error).message})`);
  }
  return parseVgs(text, pack);
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function imageOf(images: Float32Array, b: number, pack: Pack, scale: number): RgbaImage {
  const S = pack.dims.imageSize;
  return upscaleNearest({ width: S, height: S, data: new Uint8Array(imageToRgba(images, b, S).buffer) }, scale);
}

class Progress {
  private readonly tty: boolean;
  constructor(quiet: boolean) {
    this.tty = Boolean(process.stderr.isTTY) && !quiet;
  }
  stage(e: StageProgress): void {
    if (!this.tty) return;
    const done = e.stage + 1, total = e.K + 1, width = 24;
    const bar = '#'.repeat(Math.round((done / total) * width)).padEnd(width, '.');
    process.stderr.write(`\r  stage ${done}/${total} [${bar}] ${e.timings.totalMs.toFixed(0)} ms`);
    if (done === total) process.stderr.write('\n');
  }
}

async function openPack(values: { pack?: string; provider?: string }): Promise<Pack> {
  const provider = values.provider as 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | undefined;
  return loadPack(resolve(values.pack ?? DEFAULT_PACK), { provider: provider ?? 'auto' });
}

async function cmdGenerate(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args: argv, strict: true, options: {
      ...common, class: { type: 'string' }, seed: { type: 'string' }, count: { type: 'string' }, pins: { type: 'string' },
      'pin-stages': { type: 'string' }, pin: { type: 'string' }, map: { type: 'string' }, 'map-stage': { type: 'string' },
      'map-mode': { type: 'string' }, cfg: { type: 'string' }, 'cfg-structure': { type: 'string' }, 'top-p-min': { type: 'string' },
      steps: { type: 'string' }, temperature: { type: 'string' }, maps: { type: 'boolean' },
    },
  });
  const pack = await openPack(values);
  const { K, h, w } = pack.dims;
  const count = int(values.count, 'count', 1, 1, 64);
  const seed = int(values.seed, 'seed', randomInt(2 ** 31), 0, 2 ** 53 - count);
  const scale = int(values.scale, 'scale', 1, 1, 64);
  const pins: Record<number, StagePin> = {};
  if (values.pins) {
    const record = readVgs(values.pins, pack);
    const what = values.pin ?? 'both';
    if (!['structure', 'content', 'both'].includes(what)) throw new UsageError(`--pin must be structure, content or both, got '${what}'`);
    const stages = values['pin-stages'] ? stageList(values['pin-stages'], K)
      : record.stages.flatMap((s, k) => (s.pinStructure || s.pinContent ? [k] : []));
    for (const k of stages) {
      const s = record.stages[k];
      pins[k] = { labels: what === 'content' && k > 0 ? null : s.labels, tokens: what === 'structure' ? null : s.tokens };
      if (what === 'content' && k > 0) pins[k].labels = s.labels; // content needs its structure
    }
  }
  if (values.map) {
    const k = int(values['map-stage'], 'map-stage', 1, 1, K);
    const mode = values['map-mode'] ?? 'balanced';
    if (mode !== 'balanced' && mode !== 'as-drawn') throw new UsageError(`--map-mode must be balanced or as-drawn, got '${mode}'`);
    const parents = k === 1 ? new Int32Array(h * w) : pins[k - 1]?.labels;
    if (!parents) throw new UsageError(`a map for stage ${k} splits the clusters of stage ${k - 1}: pin that stage's structure too (--pins with --pin-stages)`);
    const regions = imageToRegions(readPng(values.map), values.map);
    const labels = structure.maskToStageLabels(regions, h, w, k, Int32Array.from(parents), mode === 'balanced' ? 'balanced' : 'asDrawn');
    pins[k] = { ...(pins[k] ?? {}), labels, tokens: null };
  }
  const params: Record<string, number> = {};
  const set = (key: string, v: number | undefined) => { if (v !== undefined) params[key] = v; };
  set('cfgContentMax', num(values.cfg, 'cfg'));
  set('cfgStructureMax', num(values['cfg-structure'], 'cfg-structure'));
  set('topPMin', num(values['top-p-min'], 'top-p-min'));
  set('structureSteps', values.steps === undefined ? undefined : int(values.steps, 'steps', 25, 1, 1000));
  set('gumbelTemperature', num(values.temperature, 'temperature'));
  const progress = new Progress(Boolean(values.json));
  const cls = classId(pack, values.class);
  const result = await generate(pack, {
    classId: cls, seed, count, pins: pins as Pins, params: Object.keys(params).length ? params : undefined,
    onProgress: (e) => progress.stage(e),
  });
  const out = resolve(values.out ?? 'nvg-out');
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  for (let b = 0; b < count; b++) {
    const stem = join(out, `${pack.manifest.classes[cls].name}-${seed + b}`);
    writePng(`${stem}.png`, imageOf(result.images, b, pack, scale));
    writeAtomic(`${stem}.vgs.json`, serializeVgs(vgsFromResult(pack, result, b)));
    files.push(`${stem}.png`, `${stem}.vgs.json`);
    if (values.maps) {
      for (let k = 1; k <= K; k++) {
        writePng(`${stem}.stage${k}.png`, labelsToImage(result.labels[b][k], h, w, Math.max(1, Math.round(pack.dims.imageSize / h)) * scale));
        files.push(`${stem}.stage${k}.png`);
      }
    }
  }
  await pack.dispose();
  const t = result.timings;
  return {
    summary: `${count} image(s) of '${pack.manifest.classes[cls].name}', seed ${seed}, in ${t.totalMs.toFixed(0)} ms `
      + `(models ${t.modelMs.toFixed(0)} ms, TypeScript ${t.typescriptMs.toFixed(1)} ms; ${pack.provider.provider}) -> ${out}`,
    json: { classId: cls, seed, count, provider: pack.provider, timings: t, files },
  };
}

async function cmdEncode(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...common, class: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('encode takes one image (PNG)');
  const pack = await openPack(values);
  const { imageSize: S, h, w } = pack.dims;
  const png = readPng(positionals[0]);
  if (png.width !== S || png.height !== S) throw new UsageError(`${positionals[0]} is ${png.width}x${png.height}; this pack encodes ${S}x${S} images`);
  const ref = await encodeReference(pack, { data: png.data, width: S, height: S, channels: 4 });
  const record = vgsFromReference(pack, ref, { classId: values.class ? classId(pack, values.class) : 0 });
  const out = resolve(values.out ?? 'nvg-out');
  mkdirSync(out, { recursive: true });
  const stem = join(out, basename(positionals[0]).replace(/\.png$/i, ''));
  writeAtomic(`${stem}.vgs.json`, serializeVgs(record));
  const scale = int(values.scale, 'scale', 1, 1, 64);
  for (let k = 1; k < ref.labels.length; k++) writePng(`${stem}.stage${k}.png`, labelsToImage(ref.labels[k], h, w, (S / h) * scale));
  const rec = await generate(pack, vgsToRequest(record));
  writePng(`${stem}.reconstruction.png`, imageOf(rec.images, 0, pack, scale));
  await pack.dispose();
  return { summary: `encoded ${positionals[0]} -> ${stem}.vgs.json, ${ref.labels.length - 1} structure maps, reconstruction`, json: { vgs: `${stem}.vgs.json`, timings: ref.timings } };
}

async function cmdDecode(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: common });
  if (positionals.length !== 1) throw new UsageError('decode takes one VGS JSON file');
  const pack = await openPack(values);
  const record = readVgs(positionals[0], pack);
  const full = { ...record, stages: record.stages.map((s) => ({ ...s, pinStructure: true, pinContent: true })) };
  const result = await generate(pack, vgsToRequest(full));
  const out = resolve(values.out ?? positionals[0].replace(/(\.vgs)?\.json$/i, '') + '.png');
  writePng(out, imageOf(result.images, 0, pack, int(values.scale, 'scale', 1, 1, 64)));
  await pack.dispose();
  return { summary: `decoded ${positionals[0]} -> ${out}`, json: { out } };
}

async function cmdPacks(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: common });
  const [sub, dir] = positionals;
  if (sub === 'verify') {
    const pack = await openPack({ ...values, pack: dir ?? values.pack });
    const info = { name: pack.manifest.name, manifestSha256: pack.manifestSha256, dims: pack.dims, provider: pack.provider };
    await pack.dispose();
    return { summary: `${info.name}: OK (manifest valid, sha256 of every file checked, graphs match the contract; runs on ${info.provider.provider})`, json: info };
  }
  if (sub === 'list') {
    const root = resolve(dir ?? PACK_ROOTS[0]);
    const packs = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'manifest.json')))
      .map((d) => {
        try {
          const m = JSON.parse(readFileSync(join(root, d.name, 'manifest.json'), 'utf8'));
          return { dir: join(root, d.name), name: m.name, image: m.image?.size, K: m.stages?.K, classes: (m.classes ?? []).map((c: { name: string }) => c.name) };
        } catch (err) {
          return { dir: join(root, d.name), error: (err as Error).message };
        }
      });
    const lines = packs.map((p) => ('error' in p ? `${p.dir}: unreadable manifest (${p.error})`
      : `${p.name}  ${p.image}px, K=${p.K}, ${p.classes.length} classes  ${p.dir}\n    ${p.classes.join(', ')}`));
    return { summary: lines.join('\n') || `no packs in ${root}`, json: packs };
  }
  throw new UsageError('packs takes list or verify');
}

const COMMANDS: Record<string, (argv: string[]) => Promise<unknown>> = { generate: cmdGenerate, encode: cmdEncode, decode: cmdDecode, packs: cmdPacks };

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const json = rest.includes('--json');
  if (!cmd || cmd === '--help' || cmd === '-h' || rest.includes('--help') || rest.includes('-h')) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  try {
    const run = COMMANDS[cmd];
    if (!run) throw new UsageError(`unknown command '${cmd}'`);
    const { summary, json: data } = (await run(rest)) as { summary: string; json: unknown };
    console.log(json ? JSON.stringify(data) : summary);
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const code = isEngineError(err) ? err.code : usage ? 'USAGE' : (err as Error).name;
    const message = (err as Error).message;
    if (json) console.log(JSON.stringify({ error: { code, message } }));
    else console.error(`nvg: ${isEngineError(err) ? `${code}: ` : ''}${message}${usage ? `\n\n${USAGE}` : ''}`);
    return usage ? 2 : 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
