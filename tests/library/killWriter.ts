/**
 * Child process of kill.test.ts: opens the library given as argv[2] and autosaves records in a
 * loop, printing "committed <id> <seed> <size>" after each transaction returns, until killed.
 */
import { Library } from '../../electron/library/index.js';
import { fakePng, fakeVgs } from './helpers.js';

const lib = Library.open(process.argv[2]);
const project = lib.listProjects({ limit: 1 })[0] ?? lib.createProject({ name: 'kill test' });
let parent: number | null = project.currentRecordId;
for (let i = 0; ; i++) {
  const seed = Number(process.argv[3] ?? 0) * 100_000 + i;
  const size = i % 2 ? 64 : 32;
  const r = lib.recordGeneration(project.id, parent, fakeVgs(seed, i % 5), fakePng(size, seed), { className: `c${i % 5}` });
  process.stdout.write(`committed ${r.id} ${seed} ${size}\n`);
  parent = i % 3 ? r.id : parent; // a tree, not a chain
}
