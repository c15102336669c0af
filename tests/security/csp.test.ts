/**
 * The Content Security Policy of both shells: APP_CSP (every app:// response in Electron) and the
 * browser host's header. Statically: no eval, no inline scripts, no remote origins, object-src /
 * base-uri / frame-ancestors / form-action 'none'. In chromium: a page script's eval, new Function,
 * string setTimeout, injected inline and remote scripts are all blocked, under the host's real
 * header and under APP_CSP (served by a playwright route); a control page without a CSP runs them,
 * so it is the CSP that blocks. (page.evaluate itself bypasses the CSP: the probe is a page script.)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../electron/host/server.js';
import type { NvgService } from '../../electron/host/service.js';
import { APP_CSP } from '../../electron/main/appUrl.js';
import { CHROMIUM, chromiumMissing } from '../e2e/harness.js';

const INDEX = `<!doctype html><html><head>
<script>window.inlineRan = true;</script>
<script src="/assets/probe.js"></script>
</head><body>probe</body></html>`;

/** A page script (script-src 'self' allows it) that tries every way of running code from strings. */
const PROBE = `
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
const r = (window.results = {});
try { r.eval = String(eval('1 + 1')); } catch (e) { r.eval = e.name; }
try { r.newFunction = String(new Function('return 2')()); } catch (e) { r.newFunction = e.name; }
try { setTimeout('window.timeoutRan = true', 0); } catch (e) { r.setTimeout = e.name; }
const s = document.createElement('script'); s.textContent = 'window.injectedRan = true'; document.head.appendChild(s);
const d = document.createElement('script'); d.src = 'data:text/javascript,window.dataRan=true'; document.head.appendChild(d);
const x = document.createElement('script'); x.src = 'http://evil.example/x.js'; document.head.appendChild(x);
`;

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...values] = d.split(/\s+/);
    return [name, values];
  }));
}

function checkCsp(name: string, csp: string, port?: number): number {
  const d = directives(csp);
  let n = 0;
  const is = (dir: string, values: string[]) => { expect(d.get(dir), `${name}: ${dir}`).toStrictEqual(values); n++; };
  is('default-src', ["'self'"]);
  is('script-src', ["'self'"]);
  is('object-src', ["'none'"]);
  is('base-uri', ["'none'"]);
  is('frame-ancestors', ["'none'"]);
  is('form-action', ["'none'"]);
  is('style-src', ["'self'", "'unsafe-inline'"]); // React style props; styles cannot run code
  is('img-src', ["'self'", 'data:', 'blob:']);
  const local = port ? [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] : [];
  for (const [dir, values] of d) {
    for (const v of values) {
      expect(["'unsafe-eval'", "'wasm-unsafe-eval'", "'unsafe-hashes'", "'strict-dynamic'", '*'], `${name}: ${dir} ${v}`).not.toContain(v);
      if (v === "'unsafe-inline'") expect(dir, `${name}: unsafe-inline only for styles`).toBe('style-src');
      // No remote origin anywhere: keywords, data:/blob: for images, and this host's own WebSocket.
      const allowed = ["'self'", "'none'", "'unsafe-inline'", 'data:', 'blob:', ...local];
      expect(allowed, `${name}: ${dir} ${v}`).toContain(v);
      n++;
    }
  }
  expect(d.has('script-src-elem') || d.has('script-src-attr') || d.has('worker-src'), `${name}: no directive widening scripts`).toBe(false);
  return n;
}

let host: RunningHost;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nvg-sec-csp-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'probe.js'), PROBE);
  host = await startHost({ service: { cancelAll: () => undefined } as unknown as NvgService, staticDir: dir });
});
afterAll(async () => host?.close());

function hostCsp(): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: host.port, path: `/?token=${host.token}` }, (res) => {
      res.resume();
      resolve(String(res.headers['content-security-policy']));
    }).on('error', reject).end();
  });
}

describe('CSP strings', () => {
  it('APP_CSP and the browser host header forbid eval, inline scripts and remote origins', async () => {
    const a = checkCsp('APP_CSP', APP_CSP);
    const b = checkCsp('host', await hostCsp(), host.port);
    console.log(`[security] CSP strings: ${a} checks on APP_CSP, ${b} on the host header`);
  });
});

type Probe = { results: Record<string, string>; flags: Record<string, unknown>; violations: string[]; evaluateEval: string };

async function probe(page: Page, url: string): Promise<Probe> {
  await page.goto(url);
  await page.waitForFunction(() => (window as any).results !== undefined);
  await page.waitForTimeout(300); // setTimeout, the injected scripts and the violation events
  return page.evaluate(() => {
    const w = window as any;
    let evaluateEval: string;
    try { evaluateEval = String(eval('3')); } catch (e) { evaluateEval = (e as Error).name; }
    return {
      results: w.results, violations: [...w.violations].sort(), evaluateEval,
      flags: { inlineRan: !!w.inlineRan, timeoutRan: !!w.timeoutRan, injectedRan: !!w.injectedRan, dataRan: !!w.dataRan, remoteRan: !!w.remoteRan },
    };
  });
}

describe.skipIf(!!chromiumMissing)('CSP in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  }, 60_000);
  afterAll(async () => browser?.close());

  /** A "remote" script (served by a route, so no network is needed) that would set remoteRan. */
  async function withRemote(page: Page): Promise<Page> {
    await page.route('http://evil.example/**', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: 'window.remoteRan = true' }));
    return page;
  }

  /** Serves the probe on a fake origin, with `csp` as the header (or none). */
  async function routed(csp: string | null): Promise<Page> {
    const page = await withRemote(await browser.newPage());
    await page.route('http://nvg.test/**', (route) => {
      const path = new URL(route.request().url()).pathname;
      const headers: Record<string, string> = { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' };
      if (csp) headers['content-security-policy'] = csp;
      return route.fulfill({ status: 200, headers, body: path.endsWith('.js') ? PROBE : INDEX });
    });
    return page;
  }

  const BLOCKED = { eval: 'EvalError', newFunction: 'EvalError' };
  const NOTHING_RAN = { inlineRan: false, timeoutRan: false, injectedRan: false, dataRan: false, remoteRan: false };

  it('blocks code from strings and foreign scripts under the host header and under APP_CSP', async () => {
    const pages: [string, Page, string][] = [
      ['browser host', await withRemote(await browser.newPage()), host.url],
      ['APP_CSP', await routed(APP_CSP), 'http://nvg.test/index.html'],
    ];
    for (const [name, page, url] of pages) {
      const p = await probe(page, url);
      expect(p.results, name).toStrictEqual(BLOCKED);
      expect(p.flags, name).toStrictEqual(NOTHING_RAN);
      // Code run through CDP (page.evaluate) is exempt from the CSP, so eval works there: that is
      // why the checks above run in a page script loaded by the page itself.
      expect(p.evaluateEval, name).toBe('3');
      for (const dir of ['script-src', 'script-src-elem']) expect(p.violations, name).toContain(dir);
      console.log(`[security] CSP in chromium (${name}): 7 attempts blocked, violations: ${p.violations.join(', ')}`);
    }
  }, 60_000);

  it('control: the same probe without a CSP runs everything (so the CSP is what blocks)', async () => {
    const p = await probe(await routed(null), 'http://nvg.test/index.html');
    expect(p.results).toStrictEqual({ eval: '2', newFunction: '2' });
    expect(p.flags).toStrictEqual({ inlineRan: true, timeoutRan: true, injectedRan: true, dataRan: true, remoteRan: true });
    expect(p.evaluateEval).toBe('3');
  }, 60_000);
});
