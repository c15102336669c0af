/**
 * End-to-end harness: builds the renderer (vite, about a second), starts the browser host on a
 * random port with the engine in its own process, and drives Debian's chromium with playwright-core.
 * Where chromium is absent the suite is skipped with the reason printed (CI installs it: .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EngineClient } from '../../electron/engine/worker/client.js';
import { TINY_PACK, PACK_ROOTS, RENDERER_DIST, ROOT } from '../../electron/host/paths.js';
import { startHost, type RunningHost } from '../../electron/host/server.js';
import { NvgService } from '../../electron/host/service.js';

export const CHROMIUM = process.env.NVG_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM) ? null : `chromium not found at ${CHROMIUM} (apt-get install chromium, or set NVG_CHROMIUM)`;
export const SHOTS = join(ROOT, 'tests', 'e2e', 'screenshots');

export function buildRenderer(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`renderer build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface Session {
  host: RunningHost;
  service: NvgService;
  engine: EngineClient;
  browser: Browser;
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/** `libraryPath`: the project library file (default: a fresh one in a temp folder); `pack`: the
 *  pack opened at start (default: the tiny pack, which keeps the suite fast). */
export async function openApp(options: { libraryPath?: string; pack?: string } = {}): Promise<Session> {
  buildRenderer();
  mkdirSync(SHOTS, { recursive: true });
  const engine = new EngineClient();
  // A fresh project library per session (autosave writes every generation there).
  const libraryPath = options.libraryPath ?? join(mkdtempSync(join(tmpdir(), 'nvg-e2e-lib-')), 'library.sqlite');
  const service = new NvgService(engine, { packRoots: PACK_ROOTS, defaultPack: options.pack ?? TINY_PACK, provider: 'cpu', threads: 1, libraryPath });
  service.start();
  const host = await startHost({ service, staticDir: RENDERER_DIST });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(host.url);
  await page.waitForSelector('[data-status="idle"]', { timeout: 60_000 });
  return {
    host, service, engine, browser, page, problems,
    async close() {
      await browser.close();
      await host.close();
      await service.close();
    },
  };
}

/** Clicks Generate (or another button) and waits for the run to finish. */
export async function runAndWait(page: Page, selector = '#generate', end: 'done' | 'cancelled' | 'error' = 'done'): Promise<void> {
  await page.click(selector);
  await page.waitForSelector('[data-status="running"]', { timeout: 10_000 }).catch(() => undefined);
  await page.waitForSelector(`[data-status="${end}"]`, { timeout: 60_000 });
}

/** data-* of the stage tiles: labels and tokens of the shown image, per stage. */
export function stageData(page: Page): Promise<{ stage: number; labels: string; tokens: string }[]> {
  return page.$$eval('.stage-tile', (tiles) =>
    tiles.map((t) => ({ stage: Number((t as HTMLElement).dataset.stage), labels: (t as HTMLElement).dataset.labels ?? '', tokens: (t as HTMLElement).dataset.tokens ?? '' })),
  );
}

/** The pixels of a canvas (a data URL of its bitmap) for comparisons. */
export function canvasPixels(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (c) => (c as HTMLCanvasElement).toDataURL());
}
