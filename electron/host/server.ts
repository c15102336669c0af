/**
 * The browser host: the renderer bundle and the NvgApi over a WebSocket, on 127.0.0.1 only.
 *
 * Why the checks: any web page the user visits can make the browser send requests to 127.0.0.1.
 * - A random token (printed in the start URL, like notebook servers) must accompany every request:
 *   as ?token= (the start URL, the WebSocket) or as the HttpOnly SameSite=Strict cookie set when
 *   the start URL is opened (so the bundle's scripts and a reload work without the query).
 * - The Host header must be 127.0.0.1:PORT or localhost:PORT (DNS rebinding).
 * - An Origin header, when present (always for WebSockets), must be this host's own.
 * Every WebSocket message is validated (apiSchemas.ts) before use; a bad one gets an error reply
 * and the connection stays up.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeWire, encodeWire } from '../shared/wire.js';
import { parseCall } from './apiSchemas.js';
import { callService, toApiError, type NvgService } from './service.js';

export interface HostOptions {
  service: NvgService;
  /** The built renderer (vite output); index.html at its root. */
  staticDir: string;
  /** 0 = a random free port. */
  port?: number;
  token?: string;
}

export interface RunningHost {
  port: number;
  token: string;
  /** The start URL, token included. */
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};

const COOKIE = 'nvg_token';
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

function sameSecret(a: string | undefined | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

export function startHost(options: HostOptions): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const staticRoot = resolve(options.staticDir);
  let port = 0;

  /** Why a request is refused, or null when it may proceed. */
  function refusal(req: IncomingMessage, url: URL, allowCookie: boolean): string | null {
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(req.headers.host ?? '')) return 'unexpected Host header';
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts.some((h) => origin === `http://${h}`)) return 'foreign Origin';
    const ok = sameSecret(url.searchParams.get('token'), token) || (allowCookie && sameSecret(cookieToken(req), token));
    return ok ? null : 'missing or wrong token';
  }

  function securityHeaders(res: ServerResponse): void {
    res.setHeader('Content-Security-Policy', [
      "default-src 'self'", `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "img-src 'self' data: blob:", "style-src 'self' 'unsafe-inline'", "script-src 'self'", "object-src 'none'",
      "base-uri 'none'", "frame-ancestors 'none'", "form-action 'none'",
    ].join('; '));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
  }

  function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL): void {
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (path.includes('\0')) {
      res.writeHead(400).end('bad path');
      return;
    }
    let file = resolve(staticRoot, '.' + normalize(path === '/' ? '/index.html' : path));
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) {
      // The app has one page; unknown non-asset paths get it too (a reload on a sub-path).
      if (extname(file)) {
        res.writeHead(404).end('not found');
        return;
      }
      file = join(staticRoot, 'index.html');
    }
    if (!existsSync(file)) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('The renderer is not built: run `npm run build:renderer`.');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    securityHeaders(res);
    const why = refusal(req, url, true);
    if (why) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Forbidden: ${why}. Open the URL the host printed at start.`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end('method not allowed');
      return;
    }
    if (sameSecret(url.searchParams.get('token'), token)) {
      res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    serveStatic(req, res, url);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // A WebSocket must carry the token in its URL: the cookie alone could be replayed by a page
    // that passes the Origin check only in a browser bug; defence in depth.
    const why = url.pathname !== '/api' ? 'unknown path' : req.headers.origin === undefined ? 'missing Origin' : refusal(req, url, false);
    if (why) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nForbidden: ${why}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  let connections = 0;
  function serveSocket(ws: WebSocket): void {
    const prefix = `c${++connections}:`;
    const send = (msg: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeWire(msg));
    };
    ws.on('message', (data, isBinary) => {
      let decoded: unknown;
      try {
        if (isBinary) throw new SyntaxError('binary frames are not part of the protocol');
        decoded = decodeWire(data.toString());
      } catch (err) {
        send({ id: null, error: { code: 'BAD_REQUEST', message: `not a JSON message: ${(err as Error).message}` } });
        return;
      }
      const call = parseCall(decoded);
      if (!call.ok) {
        send({ id: call.id, error: { code: 'BAD_REQUEST', message: call.message } });
        return;
      }
      const { id, method, params } = call;
      const service = options.service;
      const reply = (p: Promise<unknown> | unknown) =>
        Promise.resolve(p).then(
          (result) => send({ id, result: result ?? null }),
          (err) => send({ id, error: toApiError(err) }),
        );
      switch (method) {
        case 'cancel': return void reply(service.cancel(prefix + (params[0] as string)));
        case 'generate':
          return void reply(service.generate(prefix + id, params[0] as never, (progress) => send({ id, progress })));
        default: return void reply(callService(service, method, params));
      }
    });
    ws.on('close', () => options.service.cancelAll(prefix));
    ws.on('error', () => ws.terminate());
  }

  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port;
      resolvePromise({
        port, token, url: `http://127.0.0.1:${port}/?token=${token}`,
        close: () => new Promise<void>((done) => {
          for (const c of wss.clients) c.terminate();
          wss.close();
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
