#!/usr/bin/env node
/**
 * `npm start` / `npm run web`: builds the renderer when it is missing or older than its sources,
 * then opens the desktop app (Electron) on the default pack. Where Electron's binary is missing
 * (ELECTRON_SKIP_BINARY_DOWNLOAD installs, CI, headless boxes) it says so in one line and serves
 * the browser host instead, printing its URL, so the same command works everywhere.
 * `--web` always serves the browser host; other arguments go to the host (--port, --pack, ...).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const webOnly = args.includes('--web');
const hostArgs = args.filter((a) => a !== '--web');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function ensureRenderer() {
  const index = join(root, 'dist', 'renderer', 'index.html');
  const sources = [join(root, 'renderer'), join(root, 'electron', 'shared')];
  const stale = !existsSync(index) || Math.max(...sources.map(newestMtime)) > statSync(index).mtimeMs;
  if (!stale) return;
  console.log('Building the renderer…');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** The Electron binary's path, or null (with the reason) where it is not installed. */
function electronBinary() {
  try {
    const require = createRequire(import.meta.url);
    const path = require('electron'); // a string: the binary's path; throws when the download was skipped
    return existsSync(path) ? { path } : { reason: `Electron's binary is not installed (${path} is missing)` };
  } catch (err) {
    return { reason: `Electron's binary is not installed (${String(err.message).split('\n')[0]})` };
  }
}

function run(cmd, argv) {
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit' });
  const stop = (sig) => child.kill(sig);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code, signal) => process.exit(signal ? 0 : code ?? 0));
}

ensureRenderer();
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
if (!webOnly) {
  const electron = electronBinary();
  if (electron.path) {
    // The main process runs compiled JavaScript (Electron cannot load TypeScript): build it first.
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
    run(electron.path, [join(root, 'dist', 'electron', 'main', 'main.js'), ...hostArgs]);
  } else {
    console.log(`${electron.reason}; serving the browser host instead.`);
    run(process.execPath, [tsx, join(root, 'electron', 'host', 'cli.ts'), ...hostArgs]);
  }
} else {
  run(process.execPath, [tsx, join(root, 'electron', 'host', 'cli.ts'), ...hostArgs]);
}
