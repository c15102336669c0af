/** Where the app's files live, from a checkout (tsx) or from dist/ (compiled): the repository root. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native-models'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

export const ROOT = findRoot();
export const RENDERER_DIST = join(ROOT, 'dist', 'renderer');
const PACKS = join(ROOT, 'native-models', 'packs');
export const PACK_ROOTS = [PACKS];
/** The pack tests and quick checks use: small, fast, committed with its fixtures. */
export const TINY_PACK = join(PACKS, 'tiny');
/** The pack the app and the CLI open: $NVG_PACK, else the 64 px emoji pack
 *  (native-models/packs/emoji64/MODEL_CARD.md), else the tiny one (a checkout or build that left
 *  the larger pack out still starts). */
export const DEFAULT_PACK = process.env.NVG_PACK
  || [join(PACKS, 'emoji64'), TINY_PACK].find((p) => existsSync(join(p, 'manifest.json')))
  || TINY_PACK;
