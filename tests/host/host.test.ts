/**
 * The browser host over real HTTP and a real WebSocket: token, Host and Origin checks, static
 * files without path traversal, schema validation of every message (the connection survives bad
 * ones), a generate round trip with per-stage progress on the tiny pack, cancellation, and
 * refusal of pack folders the host did not list.
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EngineClient } from '../../electron/engine/worker/client.js';
import { TINY_PACK, PACK_ROOTS } from '../../electron/host/paths.js';
import { startHost, type RunningHost } from '../../electron/host/server.js';
import { NvgService } from '../../electron/host/service.js';
import { decodeWire, encodeWire } from '../../electron/shared/wire.js';

let host: RunningHost;
let service: NvgService;
let engine: EngineClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nvg-host-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>NVG test</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  engine = new EngineClient();
  service = new NvgService(engine, { packRoots: PACK_ROOTS, defaultPack: TINY_PACK, provider: 'cpu', threads: 1 });
  service.start();
  host = await startHost({ service, staticDir: dir });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await service?.close();
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(query = `?token=${host.token}`, origin: string | null = `http://127.0.0.1:${host.port}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api${query}`, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

type Reply = { id: string | null; result?: unknown; error?: { code: string; message: string }; progress?: any };

/** Sends raw text; resolves with the final reply (result or error), collecting progress. */
function call(ws: WebSocket, text: string, id: string | null): Promise<{ reply: Reply; progress: any[] }> {
  return new Promise((resolve) => {
    const progress: any[] = [];
    const onMessage = (data: WebSocket.RawData) => {
      const msg = decodeWire(data.toString()) as Reply;
      if (msg.id !== id) return;
      if (msg.progress) {
        progress.push(msg.progress);
        return;
      }
      ws.off('message', onMessage);
      resolve({ reply: msg, progress });
    };
    ws.on('message', onMessage);
    ws.send(text);
  });
}

const api = (ws: WebSocket, id: string, method: string, params: unknown[]) => call(ws, encodeWire({ id, method, params }), id);

describe('browser host: HTTP access checks', () => {
  it('serves the page with the token and sets the cookie', async () => {
    const res = await get(`/?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('NVG test');
    expect(String(res.headers['set-cookie'])).toContain('HttpOnly');
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'self'");
  });
  it('refuses a missing or wrong token', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/?token=nope')).status).toBe(403);
    expect((await get(`/?token=${host.token}x`)).status).toBe(403);
    expect((await get('/assets/app.js')).status).toBe(403);
  });
  it('accepts the cookie instead of the query (assets, reloads)', async () => {
    const res = await get('/assets/app.js', { cookie: `nvg_token=${host.token}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
  });
  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    expect((await get(`/?token=${host.token}`, { host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await get(`/?token=${host.token}`, { host: `127.0.0.1:1` })).status).toBe(403);
    expect((await get(`/?token=${host.token}`, { host: `localhost:${host.port}` })).status).toBe(200);
    expect((await get(`/?token=${host.token}`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`/?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` })).status).toBe(200);
  });
  it('never serves files outside the bundle', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/../../package.json', '/..%2fpackage.json']) {
      const res = await get(`${path}?token=${host.token}`);
      expect(res.body).not.toContain('nvg-studio');
    }
  });
});

describe('browser host: WebSocket access checks', () => {
  it('refuses upgrades without the right token or Origin', async () => {
    await expect(connect('')).rejects.toThrow(/refused 403/);
    await expect(connect('?token=wrong')).rejects.toThrow(/refused 403/);
    await expect(connect(undefined, 'http://evil.example')).rejects.toThrow(/refused 403/);
    await expect(connect(undefined, null)).rejects.toThrow(/refused 403/);
    const ws = await connect();
    ws.close();
  });
});

describe('browser host: the API over the WebSocket', () => {
  let ws: WebSocket;
  beforeAll(async () => {
    ws = await connect();
  });
  afterAll(() => ws?.close());

  it('answers malformed messages with BAD_REQUEST and keeps the connection', async () => {
    const cases: [string, string | null][] = [
      ['not json', null],
      [JSON.stringify({ id: 'a1', method: 'rm -rf', params: [] }), 'a1'],
      [JSON.stringify({ id: 'a2', method: 'generate', params: [{ classId: 'x', seed: 1 }] }), 'a2'],
      [JSON.stringify({ id: 'a3', method: 'generate', params: [{ classId: 1, seed: -1 }] }), 'a3'],
      [JSON.stringify({ id: 'a4', method: 'generate', params: [{ classId: 1, seed: 1, count: 1e9 }] }), 'a4'],
      [JSON.stringify({ id: 'a5', method: 'generate', params: [{ classId: 1, seed: 1, pins: { '99999': {} } }] }), 'a5'],
      [JSON.stringify({ id: 'a6', method: 'encode', params: [{ width: 32, height: 32, channels: 4, data: [1, 2] }] }), 'a6'],
      [JSON.stringify({ id: 'a7', method: 'listPacks', params: [], extra: 1 }), 'a7'],
      [JSON.stringify({ id: 'a8', method: 'openPack', params: [] }), 'a8'],
      [JSON.stringify([1, 2, 3]), null],
    ];
    for (const [text, id] of cases) {
      const { reply } = await call(ws, text, id);
      expect(reply.error?.code, text).toBe('BAD_REQUEST');
    }
    const { reply } = await api(ws, 'ok', 'listPacks', []);
    expect(reply.result).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'tiny' })]));
  });

  it('refuses pack folders it did not list', async () => {
    const { reply } = await api(ws, 'p1', 'openPack', ['/etc']);
    expect(reply.error?.code).toBe('BAD_REQUEST');
  });

  it('reports the open pack with its execution provider', async () => {
    const { reply } = await api(ws, 'c1', 'currentPack', []);
    const info = reply.result as { name: string; dims: { K: number }; provider: { provider: string }; classes: unknown[] };
    expect(info.name).toBe('tiny');
    expect(info.provider.provider).toBe('cpu');
    expect(info.classes.length).toBe(40);
  }, 60_000);

  it('generates with per-stage progress and previews, typed arrays intact', async () => {
    const { reply, progress } = await api(ws, 'g1', 'generate', [{ classId: 3, seed: 7, count: 2, previews: true }]);
    expect(reply.error).toBeUndefined();
    const result = reply.result as { images: Float32Array; labels: Int32Array[][]; count: number };
    expect(result.count).toBe(2);
    expect(result.images).toBeInstanceOf(Float32Array);
    expect(result.images.length).toBe(2 * 3 * 32 * 32);
    expect(result.labels[0][6]).toBeInstanceOf(Int32Array);
    expect(progress.map((p) => p.stage)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(progress[2].previews).toBeInstanceOf(Float32Array);

    // Pins cross the wire: pinning stages 0-2 keeps them identical in a new seed.
    const pins: Record<string, { labels: number[]; tokens: number[] }> = {};
    for (let k = 0; k <= 2; k++) pins[k] = { labels: Array.from(result.labels[0][k]), tokens: Array.from((reply.result as any).tokens[0][k]) };
    const second = await api(ws, 'g2', 'generate', [{ classId: 3, seed: 99, pins }]);
    const r2 = second.reply.result as { labels: Int32Array[][] };
    expect(Array.from(r2.labels[0][2])).toEqual(Array.from(result.labels[0][2]));
  }, 60_000);

  it('cancels a running generation', async () => {
    const running = api(ws, 'g3', 'generate', [{ classId: 1, seed: 1, count: 8, previews: true }]);
    await new Promise((r) => setTimeout(r, 50));
    await api(ws, 'x1', 'cancel', ['g3']);
    const { reply } = await running;
    expect(reply.error?.code).toBe('CANCELLED');
  }, 60_000);

  it('encodes a reference image', async () => {
    const data = new Uint8Array(32 * 32 * 4);
    for (let i = 0; i < 32 * 32; i++) data.set([i % 32 < 16 ? 255 : 0, 80, 40, 255], i * 4);
    const { reply } = await api(ws, 'e1', 'encode', [{ width: 32, height: 32, channels: 4, data }]);
    const r = reply.result as { labels: Int32Array[]; tokens: Int32Array[] };
    expect(r.labels.length).toBe(7);
    expect(r.tokens[3].length).toBe(8);
    const wrong = await api(ws, 'e2', 'encode', [{ width: 2, height: 2, channels: 3, data: new Uint8Array(12) }]);
    expect(wrong.reply.error?.code).toBe('BAD_REQUEST');
  }, 60_000);

  it('reports an engine crash and recovers on the next call', async () => {
    const running = api(ws, 'k1', 'generate', [{ classId: 1, seed: 1, count: 8, previews: true }]);
    await new Promise((r) => setTimeout(r, 100));
    engine.kill();
    const { reply } = await running;
    expect(reply.error?.code).toBe('ENGINE_CRASHED');
    expect(reply.error?.message).toMatch(/restarts/);
    const again = await api(ws, 'k2', 'generate', [{ classId: 1, seed: 1 }]);
    expect(again.reply.error).toBeUndefined();
  }, 60_000);
});
