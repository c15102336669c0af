/**
 * The same app inside Electron (app:// protocol, preload API, engine in a utilityProcess), where
 * Electron's binary is installed; skipped with the reason printed where it is not (CI installs
 * with ELECTRON_SKIP_BINARY_DOWNLOAD, so it usually is skipped there).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../electron/host/paths.js';
import { buildRenderer, SHOTS } from './harness.js';

function electronPath(): { path?: string; reason?: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as string;
    return existsSync(path) ? { path } : { reason: `Electron's binary is missing (${path})` };
  } catch (err) {
    return { reason: `Electron's binary is not installed (${String((err as Error).message).split('\n')[0]})` };
  }
}
const electron = electronPath();
if (!electron.path) console.warn(`[e2e electron] skipped: ${electron.reason}`);

describe.skipIf(!electron.path)('NVG Studio in Electron', () => {
  let app: ElectronApplication;
  beforeAll(async () => {
    buildRenderer();
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(tsc.stdout);
    app = await _electron.launch({ executablePath: electron.path, args: [join(ROOT, 'dist', 'electron', 'main', 'main.js')], env: { ...process.env, NVG_LIBRARY: join(mkdtempSync(join(tmpdir(), 'nvg-electron-lib-')), 'library.sqlite') } });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('generates through the preload API', async () => {
    const page = await app.firstWindow();
    await page.waitForSelector('[data-status="idle"]', { timeout: 60_000 });
    expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    await page.click('#generate');
    await page.waitForSelector('[data-status="done"]', { timeout: 60_000 });
    const labels = await page.getAttribute('.stage-tile[data-stage="6"]', 'data-labels');
    expect(labels!.split(',').length).toBe(64);
    await page.screenshot({ path: join(SHOTS, 'electron-main.png') });
  }, 90_000);
});
