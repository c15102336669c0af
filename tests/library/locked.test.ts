import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Library } from '../../electron/library/index.js';
import { fakePng, fakeVgs, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let holder: ChildProcess | undefined;
beforeEach(() => (tmp = tempDir()));
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
  tmp.cleanup();
});

/** Another process that takes the write lock (BEGIN IMMEDIATE) and keeps it until killed. */
function holdWriteLock(path: string): Promise<ChildProcess> {
  const script = `const db = require('better-sqlite3')(process.argv[1]); db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO projects (name, created, updated) VALUES ('other', 0, 0)").run();
    process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  holder = child;
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve(child));
    child.on('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
  });
}

describe('a library locked by another process: LIBRARY_LOCKED', () => {
  it('on open, quickly and with a clear message', async () => {
    const path = join(tmp.dir, 'lib.sqlite');
    Library.open(path).close();
    await holdWriteLock(path);
    const t0 = Date.now();
    let caught: unknown;
    try {
      Library.open(path).close();
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'LIBRARY_LOCKED' });
    expect((caught as Error).message).toMatch(/in use by another program/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('on a write, and the library works again once the lock is gone', async () => {
    const path = join(tmp.dir, 'lib.sqlite');
    const lib = Library.open(path, { busyTimeoutMs: 100 });
    try {
      const p = lib.createProject({ name: 'mine' });
      const child = await holdWriteLock(path);
      expect(() => lib.recordGeneration(p.id, null, fakeVgs(), fakePng())).toThrow(expect.objectContaining({ code: 'LIBRARY_LOCKED' }));
      expect(lib.listProjects().map((x) => x.name)).toEqual(['mine']); // reads still work (WAL)
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      lib.recordGeneration(p.id, null, fakeVgs(), fakePng());
      expect(lib.listRecords(p.id)).toHaveLength(1);
      expect(lib.listProjects().map((x) => x.name)).toEqual(['mine']); // the other's uncommitted insert is gone
    } finally {
      lib.close();
    }
  });
});
