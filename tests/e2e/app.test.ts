/**
 * The app end to end in a real browser against the browser host: generate; pin stage 2 and make
 * variations (pinned stages identical, the rest changes); draw a circle as the stage-1 structure
 * with mouse events on the fabric canvas and generate with it; reuse a reference image's
 * structure; cancel a run. Screenshots of the main views go to tests/e2e/screenshots/.
 */
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canvasPixels, chromiumMissing, openApp, runAndWait, SHOTS, stageData, type Session } from './harness.js';

if (chromiumMissing) console.warn(`[e2e] skipped: ${chromiumMissing}`);

describe.skipIf(!!chromiumMissing)('NVG Studio in chromium (browser host)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp();
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('shows the pack, its provider and the classes, and generates with a live stage strip', async () => {
    const { page } = s;
    expect(await page.textContent('[data-testid="provider"]')).toBe('CPU');
    expect(await page.locator('.class-item').count()).toBe(40);
    await page.fill('#class-search', 'face');
    const faces = await page.locator('.class-item').count();
    expect(faces).toBeGreaterThan(0);
    expect(faces).toBeLessThan(40);
    await page.locator('.class-item').first().click();
    await page.fill('#class-search', '');
    await page.fill('#seed', '1234');
    await runAndWait(page);
    const stages = await stageData(page);
    expect(stages.length).toBe(7);
    for (const st of stages) expect(st.labels.split(',').length).toBe(64);
    expect(new Set(stages[6].labels.split(',')).size).toBe(64);
    const final = await canvasPixels(page, '[data-testid="stage-image"]');
    expect(final.length).toBeGreaterThan(200);
    await page.screenshot({ path: join(SHOTS, 'main-generate.png') });
    // [ and ] move through the stages.
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    expect(await page.getAttribute('.stage-tile.selected', 'data-stage')).toBe('4');
  }, 90_000);

  it('pins stage 2 and makes variations: stage 2 (and the regions under it) stays identical, later stages change', async () => {
    const { page } = s;
    const before = await stageData(page);
    await page.click('[data-tab="layers"]');
    await page.click('button[aria-label="Pin stage 2 from the selected result"]');
    expect(await page.getAttribute('[data-layer="2"]', 'data-source')).toBe('pinned');
    await runAndWait(page, '#variations');
    const n = await page.locator('[data-variation]').count();
    expect(n).toBe(4);
    const finals = new Set<string>();
    const stage5 = new Set<string>();
    for (let b = 0; b < n; b++) {
      await page.click(`[data-variation="${b}"]`);
      const st = await stageData(page);
      // Stage 2 is pinned (structure + content); its structure fixes stages 0-1's regions too.
      for (let k = 0; k <= 2; k++) expect(st[k].labels, `variation ${b} stage ${k} structure`).toBe(before[k].labels);
      expect(st[2].tokens, `variation ${b} stage 2 content`).toBe(before[2].tokens);
      stage5.add(st[5].labels);
      finals.add(await canvasPixels(page, `[data-variation="${b}"] canvas`));
    }
    expect(finals.size).toBeGreaterThan(1);
    expect(stage5.size).toBeGreaterThan(1);
    await page.screenshot({ path: join(SHOTS, 'variations.png') });
    await page.click('text=Clear all pins');
  }, 90_000);

  it('draws a circle as the stage-1 structure and generates with it', async () => {
    const { page } = s;
    await page.click('[data-tab="draw"]');
    await page.selectOption('#editor-stage', '1');
    await page.click('[data-tool="ellipse"]');
    const box = (await page.locator('[data-testid="editor-canvas"] canvas.upper-canvas').boundingBox())!;
    await page.mouse.move(box.x + 28, box.y + 28);
    await page.mouse.down();
    await page.mouse.move(box.x + 128, box.y + 128, { steps: 5 });
    await page.mouse.move(box.x + 228, box.y + 228, { steps: 5 });
    await page.mouse.up();
    const snapped = await page.getAttribute('[aria-label="snapped structure preview"]', 'data-labels');
    expect(snapped).toBeTruthy();
    const cells = snapped!.split(',').map(Number);
    expect(cells.filter((v) => v === 1).length).toBe(32); // balanced: half the cells
    // The middle of the circle is in the drawn half, the corners are not.
    expect(cells[3 * 8 + 3]).toBe(cells[4 * 8 + 4]);
    expect(cells[0]).not.toBe(cells[4 * 8 + 4]);
    // Undo removes the ellipse, redo brings it back.
    await page.keyboard.press('Control+z');
    expect(await page.getAttribute('[aria-label="snapped structure preview"]', 'data-labels')).toBe('');
    await page.keyboard.press('Control+Shift+z');
    expect(await page.getAttribute('[aria-label="snapped structure preview"]', 'data-labels')).toBe(snapped);
    await page.screenshot({ path: join(SHOTS, 'structure-editor.png') });
    await runAndWait(page, 'text=Use & generate');
    const st = await stageData(page);
    expect(st[1].labels).toBe(snapped);
    await page.click('[data-tab="layers"]');
    expect(await page.getAttribute('[data-layer="1"]', 'data-source')).toBe('drawn');
    await page.screenshot({ path: join(SHOTS, 'generated-from-drawing.png') });
    await page.click('text=Clear all pins');
  }, 90_000);

  it("reuses a reference image's structure", async () => {
    const { page } = s;
    // A red disc on white, 64x64 (the app resizes it to 32x32).
    const png = new PNG({ width: 64, height: 64 });
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) {
      const inside = (x - 32) ** 2 + (y - 30) ** 2 < 22 ** 2;
      png.data.set(inside ? [220, 40, 40, 255] : [255, 255, 255, 255], (y * 64 + x) * 4);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'nvg-e2e-')), 'disc.png');
    writeFileSync(file, PNG.sync.write(png));
    await page.click('[data-tab="reference"]');
    await page.setInputFiles('[data-testid="reference-input"]', file);
    await page.waitForSelector('.ref-stage[data-stage="6"] canvas:not(.empty)', { timeout: 60_000 });
    const ref = await page.$$eval('.ref-stage', (els) => els.map((e) => (e as HTMLElement).dataset.labels ?? ''));
    await page.screenshot({ path: join(SHOTS, 'reference.png') });
    await page.click('text=Use structure');
    expect(await page.getAttribute('[data-layer="3"]', 'data-source')).toBe('reference');
    await runAndWait(page);
    const st = await stageData(page);
    for (let k = 1; k <= 3; k++) expect(st[k].labels, `stage ${k}`).toBe(ref[k]);
    expect(st[5].labels).not.toBe(ref[5] === st[5].labels ? '' : ref[5]); // free stages may differ
    await page.click('[data-tab="layers"]');
    await page.click('text=Clear all pins');
  }, 90_000);

  it('cancels a run', async () => {
    const { page } = s;
    await page.fill('#count', '16');
    await page.click('#generate');
    await page.waitForSelector('#cancel', { timeout: 10_000 });
    await runAndWait(page, '#cancel', 'cancelled');
    expect(await page.textContent('.notice-banner')).toContain('cancelled');
    await page.fill('#count', '1');
    // The app still works after a cancel.
    await runAndWait(page);
  }, 90_000);

  it('had no console errors, page errors or CSP violations', () => {
    expect(s.problems).toEqual([]);
  });
});
