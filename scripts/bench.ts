/**
 * `npm run bench`: generation speed of every pack in native-models/packs, the TypeScript engine
 * against the Python reference sampler on the same weights, in the same run, as ratios.
 *
 * For each pack: ms per image for 1 image and for a batch of 8 (median of repeats after a warm-up),
 * the time per part (structure model, content model, refiner, decoder, TypeScript work), the share
 * of time outside onnxruntime, and the Python sampler (onnxruntime in Python) on the same requests.
 * Options, through `npm run bench:generation -- ...` (`npm run bench` passes none, as it also runs the
 * library benchmark): --repeats N (default 5), --threads N (default: all cores), --pack DIR (one pack only).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, loadPack, type GenerationTimings } from '../electron/engine/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { repeats: { type: 'string' }, threads: { type: 'string' }, pack: { type: 'string' } } });
const repeats = Number(values.repeats ?? 5);
const threads = Number(values.threads ?? availableParallelism());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function packDirs(): string[] {
  if (values.pack) return [resolve(values.pack)];
  const root = join(ROOT, 'native-models', 'packs');
  return readdirSync(root).map((d) => join(root, d)).filter((d) => existsSync(join(d, 'manifest.json')));
}

async function benchTs(dir: string, count: number) {
  const pack = await loadPack(dir, { provider: 'cpu', intraOpThreads: threads });
  await generate(pack, { classId: 0, seed: 0, count }); // warm-up
  const runs: GenerationTimings[] = [];
  for (let r = 0; r < repeats; r++) runs.push((await generate(pack, { classId: r % pack.dims.numClasses, seed: r, count })).timings);
  await pack.dispose();
  const pick = (key: keyof GenerationTimings) => median(runs.map((t) => t[key] as number));
  return { total: pick('totalMs'), structure: pick('structureMs'), content: pick('contentMs'), refiner: pick('refinerMs'),
    decoder: pick('decoderMs'), typescript: pick('typescriptMs'), share: median(runs.map((t) => t.typescriptMs / t.totalMs)) };
}

function benchPython(dir: string, count: number): number | null {
  try {
    const out = execFileSync('python3', ['-m', 'nvg', 'sample', '--pack', dir, '--class', '0', '--seed', '0', '--count', String(count),
      '--repeat', String(repeats + 1), '--threads', String(threads), '--json'], { cwd: join(ROOT, 'native-models', 'training'), encoding: 'utf8' });
    const ms: number[] = JSON.parse(out.trim().split('\n').pop()!).ms;
    return median(ms.slice(1)); // the first run is the warm-up
  } catch (err) {
    console.error(`  (python reference sampler unavailable: ${(err as Error).message.split('\n')[0]})`);
    return null;
  }
}

const f = (x: number) => x.toFixed(1).padStart(8);
console.log(`NVG generation benchmark: ${repeats} repeats, ${threads} onnxruntime threads, CPU provider, medians`);
const report: unknown[] = [];
for (const dir of packDirs()) {
  const name = dir.split('/').pop();
  for (const count of [1, 8]) {
    const ts = await benchTs(dir, count);
    const py = benchPython(dir, count);
    const row = { pack: name, count, tsMsPerImage: ts.total / count, pyMsPerImage: py === null ? null : py / count, parts: ts, ratioPyOverTs: py === null ? null : py / ts.total };
    report.push(row);
    console.log(`\n${name}, batch ${count}: TypeScript ${f(ts.total / count)} ms/image | Python ${py === null ? '     n/a' : f(py / count)} ms/image | Python/TypeScript ${row.ratioPyOverTs === null ? 'n/a' : row.ratioPyOverTs.toFixed(2) + 'x'}`);
    console.log(`  parts (ms per batch): structure ${f(ts.structure)}  content ${f(ts.content)}  refiner ${f(ts.refiner)}  decoder ${f(ts.decoder)}  TypeScript ${f(ts.typescript)}`);
    console.log(`  time outside onnxruntime: ${(ts.share * 100).toFixed(1)}% (target <= 5%)`);
  }
}
console.log(`\n${JSON.stringify(report)}`);
