/**
 * `npm run soak`: many generations in a row on one loaded pack, with memory sampled, to catch
 * leaks in the engine (typed arrays, onnxruntime tensors, sessions). Prints RSS and heap every
 * --every generations and fails (exit 1) if RSS grows by more than --bound MiB between the first
 * sample after warm-up and the last.
 * Options: --count N (500), --every N (25), --bound MiB (64), --pack DIR, --batch N (1).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, loadPack } from '../electron/engine/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { count: { type: 'string' }, every: { type: 'string' }, bound: { type: 'string' }, pack: { type: 'string' }, batch: { type: 'string' } } });
const count = Number(values.count ?? 500);
const every = Number(values.every ?? 25);
const bound = Number(values.bound ?? 64);
const batch = Number(values.batch ?? 1);
const mib = (b: number) => b / 2 ** 20;

const pack = await loadPack(resolve(values.pack ?? join(ROOT, 'native-models', 'packs', 'tiny')), { provider: 'cpu' });
const samples: { n: number; rss: number; heap: number; ext: number }[] = [];
const t0 = performance.now();
for (let n = 1; n <= count; n++) {
  await generate(pack, { classId: n % pack.dims.numClasses, seed: n, count: batch, previews: n % 2 === 0 });
  if (n % every === 0) {
    const m = process.memoryUsage();
    samples.push({ n, rss: mib(m.rss), heap: mib(m.heapUsed), ext: mib(m.external + m.arrayBuffers) });
    const s = samples.at(-1)!;
    console.log(`${String(n).padStart(5)} generations  rss ${s.rss.toFixed(1)} MiB  heap ${s.heap.toFixed(1)} MiB  external+buffers ${s.ext.toFixed(1)} MiB  ${((performance.now() - t0) / n).toFixed(0)} ms/gen`);
  }
}
await pack.dispose();
const base = samples[Math.min(1, samples.length - 1)]; // after warm-up
const last = samples.at(-1)!;
const growth = last.rss - base.rss;
const maxRss = Math.max(...samples.map((s) => s.rss));
console.log(`\n${count} generations: RSS ${base.rss.toFixed(1)} -> ${last.rss.toFixed(1)} MiB (growth ${growth.toFixed(1)} MiB, peak ${maxRss.toFixed(1)}, bound ${bound} MiB)`);
if (growth > bound) {
  console.error(`soak: RSS grew by ${growth.toFixed(1)} MiB, more than the ${bound} MiB bound`);
  process.exitCode = 1;
}
