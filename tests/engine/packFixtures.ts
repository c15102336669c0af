/**
 * Where the engine tests find their model pack and parity fixtures: the committed tiny pack
 * (native-models/packs/tiny) and its fixtures (tests/fixtures/tiny, written by
 * `python -m nvg fixtures`), or NVG_TEST_PACK / NVG_TEST_FIXTURES to point at others.
 * A missing pack fails the tests with a clear message; nothing is skipped silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPack, type Pack } from '../../electron/engine/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const PACK_DIR = resolve(process.env.NVG_TEST_PACK ?? join(ROOT, 'native-models', 'packs', 'tiny'));
export const FIXTURES_DIR = resolve(process.env.NVG_TEST_FIXTURES ?? join(ROOT, 'tests', 'fixtures', 'tiny'));

/** Throws (failing the test) when the pack or fixtures are absent. */
export function requirePackFiles(): void {
  if (!existsSync(join(PACK_DIR, 'manifest.json'))) {
    throw new Error(`engine tests need a model pack at ${PACK_DIR} (train/export it, or set NVG_TEST_PACK)`);
  }
  if (!existsSync(join(FIXTURES_DIR, 'sampler.json'))) {
    throw new Error(`engine tests need parity fixtures in ${FIXTURES_DIR} (python -m nvg fixtures, or set NVG_TEST_FIXTURES)`);
  }
}

export interface FixtureHeader {
  pack: string;
  manifestSha256: string;
  K: number;
  h: number;
  w: number;
  e: number;
  imageSize: number;
}

export function readFixture<T>(name: 'vgs' | 'graphs' | 'sampler'): FixtureHeader & T {
  requirePackFiles();
  return JSON.parse(readFileSync(join(FIXTURES_DIR, `${name}.json`), 'utf8'));
}

/** The test pack on the CPU (the fixtures come from onnxruntime's CPU provider), 2 threads. */
export async function openTestPack(): Promise<Pack> {
  requirePackFiles();
  return loadPack(PACK_DIR, { provider: 'cpu', intraOpThreads: 2 });
}
