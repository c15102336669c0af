/**
 * The pack `npm start` opens (electron/host/paths.ts DEFAULT_PACK) works in the real UI: the app
 * starts on it and generates a full-size image through every stage, without console errors.
 * The other e2e tests run on the tiny pack for speed; this one guards the pack users see first.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PACK } from '../../electron/host/paths.js';
import { chromiumMissing, openApp, runAndWait, SHOTS, stageData, type Session } from './harness.js';

const manifest = JSON.parse(readFileSync(join(DEFAULT_PACK, 'manifest.json'), 'utf8')) as {
  name: string; image: { size: number }; latent: { h: number; w: number }; stages: { K: number }; classes: unknown[];
};

describe.skipIf(!!chromiumMissing)(`the default pack (${manifest.name}) in chromium`, () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp({ pack: DEFAULT_PACK });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('opens at start and generates a full-size image through every stage', async () => {
    const { page } = s;
    expect(await page.inputValue('#pack-select')).toBe(DEFAULT_PACK);
    expect(await page.locator('.class-item').count()).toBe(manifest.classes.length);
    await page.fill('#class-search', 'face');
    await page.locator('.class-item').first().click();
    await page.fill('#class-search', '');
    await page.fill('#seed', '7');
    await runAndWait(page);
    const stages = await stageData(page);
    const T = manifest.latent.h * manifest.latent.w;
    expect(stages.length).toBe(manifest.stages.K + 1);
    stages.forEach((st, k) => expect(new Set(st.labels.split(',')).size, `stage ${k} regions`).toBe(2 ** k));
    expect(stages[0].labels.split(',').length).toBe(T);
    const size = await page.$eval('[data-testid="stage-image"]', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    expect(size).toEqual([manifest.image.size, manifest.image.size]);
    expect(s.problems).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'default-pack.png') });
  }, 120_000);
});
