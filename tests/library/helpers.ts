/** Shared fixtures of the library tests: small valid VGS records and PNGs, temp folders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VgsRecord } from '../../electron/engine/vgs.js';
import { encodePng } from '../../electron/shared/png.js';

/** A valid 3-stage record (K = 2, T = 4) without a pack: labels nested, tokens 2^k per stage. */
export function fakeVgs(seed = 1, classId = 0, packName = 'fake'): VgsRecord {
  return {
    format: 'nvg-vgs',
    version: 1,
    pack: { name: packName, manifestSha256: 'ab'.repeat(32) },
    classId,
    seed,
    params: { cfgContentMax: 3, cfgStructureMax: 2, topPMin: 0.9, structureSteps: 8, timeShiftMu: 0, gumbelTemperature: 1 },
    stages: [
      { labels: [0, 0, 0, 0], tokens: [seed % 7], pinStructure: true, pinContent: false, source: 'generated' },
      { labels: [0, 0, 1, 1], tokens: [1, 2], pinStructure: false, pinContent: false, source: 'generated' },
      { labels: [0, 1, 2, 3], tokens: [3, 4, 5, 6], pinStructure: false, pinContent: false, source: 'drawn' },
    ],
  };
}

/** A size x size PNG whose pixels depend on `seed` (so images differ). */
export function fakePng(size = 32, seed = 1): Buffer {
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    data[4 * i] = (i * 7 + seed * 13) & 255;
    data[4 * i + 1] = (i * 3 + seed) & 255;
    data[4 * i + 2] = (seed * 31) & 255;
    data[4 * i + 3] = 255;
  }
  return encodePng({ width: size, height: size, data });
}

export function tempDir(prefix = 'nvg-lib-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
