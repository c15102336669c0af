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
export const PACK_ROOTS = [join(ROOT, 'native-models', 'packs')];
export const DEFAULT_PACK = join(ROOT, 'native-models', 'packs', 'tiny');
