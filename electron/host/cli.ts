/**
 * `npm run web`: the browser host. Prints the start URL (with its token) and serves until Ctrl+C.
 * Options: --port N (default: a random free port), --pack DIR (default: the tiny pack),
 * --provider auto|cpu, --threads N, --library FILE (the project library; default
 * ~/.nvg-studio/library.sqlite, created when missing).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineClient } from '../engine/worker/client.js';
import { DEFAULT_PACK, PACK_ROOTS, RENDERER_DIST } from './paths.js';
import { startHost } from './server.js';
import { NvgService } from './service.js';

function parseArgs(argv: string[]) {
  const out: { port: number; pack: string; provider: 'auto' | 'cpu'; threads?: number; library: string } = {
    port: 0, pack: DEFAULT_PACK, provider: 'auto', library: join(homedir(), '.nvg-studio', 'library.sqlite'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--port') { out.port = Number(v); i++; }
    else if (a === '--pack') { out.pack = resolve(v); i++; }
    else if (a === '--provider') { out.provider = v === 'cpu' ? 'cpu' : 'auto'; i++; }
    else if (a === '--threads') { out.threads = Number(v); i++; }
    else if (a === '--library') { out.library = resolve(v); i++; }
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run web -- [--port N] [--pack DIR] [--provider auto|cpu] [--threads N] [--library FILE]');
      process.exit(0);
    } else {
      console.error(`unknown option ${a} (try --help)`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) {
    console.error('--port must be an integer in 0..65535');
    process.exit(2);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (!existsSync(join(RENDERER_DIST, 'index.html'))) {
  console.error('The renderer is not built yet: run `npm run build:renderer` (npm start does it for you).');
  process.exit(1);
}
const engine = new EngineClient();
engine.onCrash = (err) => console.error(`engine process crashed: ${err.message} (it restarts on the next request)`);
const packRoots = [...new Set([...PACK_ROOTS, resolve(args.pack, '..')])];
const service = new NvgService(engine, { packRoots, defaultPack: args.pack, provider: args.provider, threads: args.threads, libraryPath: args.library });
service.start();
const lib = service.library.libraryStatus();
if (lib.ok) console.log(`Project library: ${lib.path}`);
else console.error(`The project library did not open (${lib.error?.code}): ${lib.error?.message}\nThe app starts anyway and offers the ways out.`);
const host = await startHost({ service, staticDir: RENDERER_DIST, port: args.port });
console.log(`NVG Studio is running at ${host.url}`);
console.log('Open that URL in a browser (the token in it is required). Ctrl+C stops the server.');

async function shutdown() {
  await host.close();
  await service.close();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
