/**
 * Browser host access checks beyond tests/host/host.test.ts: DNS-rebinding Host values, Origin
 * "null" and look-alikes, wrong ports and schemes, token variants, the cookie refused for
 * WebSockets, and the security headers on every answer (refusals included).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHost, type RunningHost } from '../../electron/host/server.js';
import type { NvgService } from '../../electron/host/service.js';

let host: RunningHost;
// No engine: these requests are all refused (or static) before the service is reached.
const service = { cancelAll: () => undefined } as unknown as NvgService;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nvg-sec-host-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), '1');
  host = await startHost({ service, staticDir: dir });
});
afterAll(async () => host?.close());

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(query: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api${query}`, { headers });
    ws.once('open', () => { ws.close(); resolve(101); });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

describe('browser host: more access checks', () => {
  it('refuses rebinding Host values, look-alike Origins and token variants', async () => {
    const p = host.port, t = host.token;
    const q = `/?token=${t}`;
    const cases: [string, string, Record<string, string>][] = [
      ['Host 127.0.0.1.evil.com', q, { host: `127.0.0.1.evil.com:${p}` }],
      ['Host localhost.evil.com', q, { host: `localhost.evil.com:${p}` }],
      ['Host evil.com.127.0.0.1', q, { host: `evil.com.127.0.0.1:${p}` }],
      ['Host without port', q, { host: '127.0.0.1' }],
      ['Host localhost without port', q, { host: 'localhost' }],
      ['Host wrong port', q, { host: `127.0.0.1:${p + 1}` }],
      ['Host port suffix', q, { host: `127.0.0.1:${p}.evil.com` }],
      ['Host port prefix', q, { host: `127.0.0.1:1${p}` }],
      ['Host 0.0.0.0', q, { host: `0.0.0.0:${p}` }],
      ['Host 127.0.0.2', q, { host: `127.0.0.2:${p}` }],
      ['Host [::1]', q, { host: `[::1]:${p}` }],
      ['Host userinfo', q, { host: `evil.com@127.0.0.1:${p}` }],
      ['Origin null', q, { origin: 'null' }],
      ['Origin empty', q, { origin: '' }],
      ['Origin wrong port', q, { origin: `http://127.0.0.1:${p + 1}` }],
      ['Origin https', q, { origin: `https://127.0.0.1:${p}` }],
      ['Origin look-alike host', q, { origin: `http://127.0.0.1.evil.com:${p}` }],
      ['Origin port suffix', q, { origin: `http://localhost:${p}.evil.com` }],
      ['Origin with path', q, { origin: `http://127.0.0.1:${p}/` }],
      ['Origin file', q, { origin: 'file://' }],
      ['Origin without port', q, { origin: 'http://127.0.0.1' }],
      ['empty token', '/?token=', {}],
      ['token prefix', `/?token=${t.slice(0, -1)}`, {}],
      ['token upper case', `/?token=${t.toUpperCase()}`, {}],
      ['token in another parameter', `/?tok=${t}`, {}],
      ['token in the path', `/${t}`, {}],
      ['wrong token first', `/?token=x&token=${t}`, {}],
      ['wrong cookie', '/assets/app.js', { cookie: `nvg_token=${t}x` }],
      ['cookie under another name', '/assets/app.js', { cookie: `token=${t}` }],
      ['token as a header', '/assets/app.js', { authorization: `Bearer ${t}` }],
    ];
    for (const [name, path, headers] of cases) {
      const res = await get(path, headers);
      expect(res.status, name).toBe(403);
      // Refusals carry the security headers too.
      expect(res.headers['content-security-policy'], name).toContain("script-src 'self'");
    }
    // Controls: the same requests pass with the right values.
    expect((await get(q)).status).toBe(200);
    expect((await get(q, { origin: `http://localhost:${p}` })).status).toBe(200);
    expect((await get('/assets/app.js', { cookie: `a=b; nvg_token=${t}` })).status).toBe(200);
    expect((await get(q, {}, 'POST')).status).toBe(405);
    console.log(`[security] host HTTP: ${cases.length} requests refused, 3 controls served, 1 POST refused`);
  });

  it('sets a strict cookie and security headers', async () => {
    const res = await get(`/?token=${host.token}`);
    expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses WebSocket upgrades that lack the query token or carry foreign Host / Origin', async () => {
    const p = host.port, t = host.token;
    const own = { origin: `http://127.0.0.1:${p}` };
    const cases: [string, string, Record<string, string>][] = [
      ['cookie only, no query token', '', { ...own, cookie: `nvg_token=${t}` }],
      ['Origin null', `?token=${t}`, { origin: 'null' }],
      ['Origin wrong port', `?token=${t}`, { origin: `http://127.0.0.1:${p + 1}` }],
      ['Origin look-alike', `?token=${t}`, { origin: `http://127.0.0.1.evil.com:${p}` }],
      ['Host rebinding', `?token=${t}`, { ...own, host: `127.0.0.1.evil.com:${p}` }],
      ['Host wrong port', `?token=${t}`, { ...own, host: `localhost:${p + 1}` }],
      ['token prefix', `?token=${t.slice(1)}`, own],
    ];
    for (const [name, query, headers] of cases) expect(await upgrade(query, headers), name).toBe(403);
    expect(await upgrade(`?token=${t}`, own)).toBe(101);
    const other = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${p}/other?token=${t}`, own);
      ws.once('open', () => { ws.close(); resolve(101); });
      ws.once('unexpected-response', (_r, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    expect(other).toBe(403);
    console.log(`[security] host WebSocket: ${cases.length + 1} upgrades refused, 1 control accepted`);
  });
});
