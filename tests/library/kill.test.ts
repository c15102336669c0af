import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Library } from '../../electron/library/index.js';
import { fakePng, fakeVgs, tempDir } from './helpers.js';

const WRITER = resolve(fileURLToPath(new URL('.', import.meta.url)), 'killWriter.ts');

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir()));
afterAll(() => tmp.cleanup());

interface Committed { id: number; seed: number; size: number }

/** Runs the writer until it has committed `atLeast` records plus a random few ms, then SIGKILLs it. */
function writeAndKill(path: string, round: number, atLeast: number): Promise<Committed[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const committed: Committed[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePromise, reject) => {
    let killing = false;
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const [, id, seed, size] = line.split(' ').map(Number);
        committed.push({ id, seed, size });
      }
      if (!killing && committed.length >= atLeast) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 15); // lands mid-transaction most times
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise(committed);
      else reject(new Error(`writer exited on its own (${code}): ${stderr}`));
    });
  });
}

describe('autosave survives SIGKILL mid-write', () => {
  it('leaves a sound file where every committed record is whole', { timeout: 60_000 }, async () => {
    const path = join(tmp.dir, 'kill.sqlite');
    const seen: Committed[] = [];
    for (let round = 1; round <= 4; round++) {
      seen.push(...(await writeAndKill(path, round, 25 + round * 10)));
      const lib = Library.open(path);
      try {
        expect(lib.integrityCheck()).toEqual(['ok']);
        const [project] = lib.listProjects();
        const records = lib.listRecords(project.id);
        const byId = new Map(records.map((r) => [r.id, r]));
        // Durable: every record the writer saw committed is there.
        for (const c of seen) expect(byId.has(c.id), `record ${c.id}`).toBe(true);
        // Whole: every row's VGS parses and its image is exactly the PNG that was written.
        for (const r of records) {
          const vgs = lib.getVgs(r.id);
          expect(vgs).toEqual(fakeVgs(r.seed, vgs.classId));
          expect(r.className).toBe(`c${vgs.classId}`);
          expect(lib.getImage(r.id).equals(fakePng(r.width, r.seed)), `image of ${r.id}`).toBe(true);
          if (r.parentId !== null) expect(byId.has(r.parentId)).toBe(true);
        }
        // The selection moved in the same transaction as the newest record.
        expect(project.currentRecordId).toBe(records[records.length - 1].id);
        expect(records.length).toBeGreaterThanOrEqual(seen.length);
      } finally {
        lib.close();
      }
    }
  });
});
