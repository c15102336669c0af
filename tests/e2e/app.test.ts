/**
 * The app end to end in a real browser against the browser host: generate; pin stage 2 and make
 * variations (pinned stages identical, the rest changes); draw a circle as the stage-1 structure
 * with mouse events on the fabric canvas and generate with it; reuse a reference image's
 * structure; cancel a run. Screenshots of the main views go to tests/e2e/screenshots/.
 */
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { readRecipe, readZip } from '../../electron/export/index.js';
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

  it('saves every generation in the library: thumbnail, rename, delete + Undo, export, import (file input and drop)', async () => {
    const { page } = s;
    const tmp = mkdtempSync(join(tmpdir(), 'nvg-e2e-export-'));
    await page.locator('.class-item').nth(5).click();
    const classId = Number(await page.getAttribute('.class-item.selected', 'data-class-id'));
    await page.fill('#seed', '4321');
    await runAndWait(page);
    // Every earlier generation went into the automatic project, one record per image.
    expect(await page.textContent('[data-testid="project-name"]')).toBe('Untitled 1');
    expect(await page.locator('.history-item').count()).toBeGreaterThan(5);
    expect(await page.getAttribute('.history-item.selected', 'data-record-id')).toBeTruthy();

    await page.click('#library-toggle');
    await page.waitForSelector('.project-card[data-name="Untitled 1"]');
    await page.waitForFunction(() => ((document.querySelector('.project-card[data-name="Untitled 1"] img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
    expect(await page.locator('.recent-item').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'library.png') });

    // Rename inline.
    await page.click('.project-card[data-name="Untitled 1"] [data-action="rename"]');
    await page.fill('.rename-input', 'My cats');
    await page.press('.rename-input', 'Enter');
    await page.waitForSelector('.project-card[data-name="My cats"]');
    expect(await page.textContent('[data-testid="project-name"]')).toBe('My cats');
    // Tag it, find it by the tag, remove the tag.
    await page.fill('.project-card[data-name="My cats"] [data-action="add-tag"]', 'pets');
    await page.press('.project-card[data-name="My cats"] [data-action="add-tag"]', 'Enter');
    await page.waitForSelector('.project-card[data-name="My cats"] .tag[data-tag="pets"]');
    await page.fill('#library-search', 'pets');
    await page.waitForSelector('.project-card[data-name="My cats"]');
    await page.click('.project-card[data-name="My cats"] .tag[data-tag="pets"] [data-action="remove-tag"]');
    await page.waitForSelector('.project-card[data-name="My cats"] .tag', { state: 'detached' });
    // Search by seed, by name, nothing.
    await page.fill('#library-search', '4321');
    await page.waitForSelector('.project-card[data-name="My cats"]');
    await page.fill('#library-search', 'zebra crossing');
    await page.waitForSelector('.project-card', { state: 'detached' });
    await page.fill('#library-search', '');
    await page.waitForSelector('.project-card[data-name="My cats"]');

    // Delete, then Undo in the toast brings it back.
    await page.click('.project-card[data-name="My cats"] [data-action="delete"]');
    await page.waitForSelector('.project-card[data-name="My cats"]', { state: 'detached' });
    expect(await page.textContent('[data-testid="toast"]')).toContain('Deleted “My cats”');
    await page.click('[data-testid="toast-action"]');
    await page.waitForSelector('.project-card[data-name="My cats"]');
    await page.click('.project-card[data-name="My cats"] .project-thumb');
    await page.waitForSelector('[data-testid="library"]', { state: 'detached' });
    expect(await page.textContent('[data-testid="project-name"]')).toBe('My cats');
    expect(await page.inputValue('#seed')).toBe('4321');

    // Export at 4x: a download whose PNG carries the recipe.
    await page.selectOption('#export-size', '4');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const file = join(tmp, dl.suggestedFilename());
    await dl.saveAs(file);
    expect(dl.suggestedFilename()).toMatch(/^My-cats-r\d+-4x\.png$/);
    const bytes = readFileSync(file);
    const png = PNG.sync.read(bytes);
    expect(png.width).toBe(128);
    const { vgs } = readRecipe(bytes);
    expect(vgs.seed).toBe(4321);
    expect(vgs.classId).toBe(classId);
    await page.click('[data-testid="toast"] [aria-label="Dismiss"]');

    // The structure bundle and the branch: one zip each, with the contact sheet.
    for (const [button, name] of [['#export-maps', /^My-cats-r\d+\.zip$/], ['#export-branch', /^My-cats-r\d+-branch\.zip$/]] as const) {
      const [z] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      expect(z.suggestedFilename()).toMatch(name);
      const zipPath = join(tmp, z.suggestedFilename());
      await z.saveAs(zipPath);
      const names = readZip(readFileSync(zipPath)).map((e) => e.name);
      expect(names.some((n) => n.endsWith('-sheet.png')), button).toBe(true);
      expect(names.some((n) => n.endsWith('-labels.json')), button).toBe(true);
      await page.click('[data-testid="toast"] [aria-label="Dismiss"]');
    }

    // Another state, then import the PNG through the file input: the record comes back.
    await page.locator('.class-item').nth(0).click();
    await page.fill('#seed', '1');
    await page.click('#library-toggle');
    await page.setInputFiles('[data-testid="import-input"]', file);
    await page.waitForSelector('[data-testid="toast"]:has-text("Restored")');
    await page.waitForFunction(() => (document.querySelector('#seed') as HTMLInputElement).value === '4321');
    expect(await page.getAttribute('.class-item.selected', 'data-class-id')).toBe(String(classId));
    expect(await page.textContent('[data-testid="project-name"]')).toContain('seed 4321');
    expect(await page.locator('.history-item').count()).toBe(1);
    const st = await stageData(page);
    st.forEach((tile, k) => expect(tile.labels, `stage ${k}`).toBe(vgs.stages[k].labels.join(',')));
    // The stage previews come back from an exact replay (the library keeps only the final image).
    await page.waitForSelector('.stage-tile[data-stage="3"] canvas:not(.empty)');
    await page.screenshot({ path: join(SHOTS, 'restored.png') });

    // Dropping the PNG on the window restores it too (a second imported project).
    await page.fill('#seed', '2');
    await page.evaluate((b64) => {
      const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([raw], 'dropped.png', { type: 'image/png' }));
      document.querySelector('.canvas-area')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes.toString('base64'));
    await page.waitForSelector('[data-testid="toast"]:has-text("dropped.png")');
    await page.waitForFunction(() => (document.querySelector('#seed') as HTMLInputElement).value === '4321');
    await page.click('#library-toggle');
    await page.waitForFunction(() => document.querySelectorAll('.project-card').length === 3);
    await page.click('#library-toggle');
  }, 120_000);

  it('had no console errors, page errors or CSP violations', () => {
    expect(s.problems).toEqual([]);
  });
});

describe.skipIf(!!chromiumMissing)('NVG Studio with a damaged library (browser host)', () => {
  let s: Session;
  const path = join(mkdtempSync(join(tmpdir(), 'nvg-e2e-bad-')), 'library.sqlite');
  const garbage = Buffer.from('not a library '.repeat(500));
  beforeAll(async () => {
    writeFileSync(path, garbage);
    s = await openApp({ libraryPath: path });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('starts anyway, shows the error with the ways out, and "Start a new library" works; the file is untouched', async () => {
    const { page } = s;
    await page.waitForSelector('[data-testid="library-error"][data-code="LIBRARY_CORRUPT"]');
    expect(await page.textContent('[data-testid="library-error"]')).toContain('left as it is');
    expect(await page.textContent('[data-testid="project-name"]')).toBe('Not saving (no library)');
    await page.screenshot({ path: join(SHOTS, 'library-damaged.png') });
    // Generating works without a library (nothing is saved).
    await page.click('#library-toggle');
    await runAndWait(page);
    expect(await page.isDisabled('#export')).toBe(true);
    await page.click('#library-toggle');
    await page.click('[data-testid="library-new"]');
    await page.waitForSelector('#library-search');
    await page.click('#library-toggle');
    await runAndWait(page);
    expect(await page.textContent('[data-testid="project-name"]')).toBe('Untitled 1');
    expect(await page.isDisabled('#export')).toBe(false);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    expect(s.problems).toEqual([]);
  }, 90_000);
});
