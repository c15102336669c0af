/**
 * The installer configuration (build/electron-builder.cjs) checked with electron-builder's own
 * file filter (app-builder-lib's FileMatcher, the code that decides what goes into app.asar):
 * targets, what the app ships (dist/, packs without training files), what is unpacked from the
 * asar (native code), one onnxruntime binary folder per target, fuses, and the afterPack ABI check.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../electron/host/paths.js';

const require = createRequire(import.meta.url);
const CONFIG = join(ROOT, 'build', 'electron-builder.cjs');
const { FileMatcher } = require(join(ROOT, 'node_modules', 'app-builder-lib', 'out', 'fileMatcher.js'));
const { Minimatch } = require(require.resolve('minimatch', { paths: [join(ROOT, 'node_modules', 'app-builder-lib')] }));
const afterPack = require(join(ROOT, 'build', 'after-pack.cjs'));

type Target = { target: string; arch: string[] };
type PlatformOptions = { target: (string | Target)[]; files: string[] };
interface Config {
  appId: string; productName: string; files: string[]; asarUnpack: string[]; npmRebuild: boolean;
  extraMetadata: { main: string }; directories: { output: string }; afterPack: string;
  electronFuses: Record<string, boolean>; linux: PlatformOptions; win: PlatformOptions; mac: PlatformOptions;
}

function loadConfig(env: Record<string, string | undefined> = {}): Config {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    delete require.cache[CONFIG];
    return require(CONFIG) as Config;
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

/** Every file under dir, relative to base, with '/' separators. */
function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, base, out);
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out;
}

/** What electron-builder's filter keeps of `files` (relative to root) for `patterns`, ${arch} = arch. */
function kept(root: string, files: string[], patterns: string[], arch = 'x64'): string[] {
  const expand = (p: string) => p.replace(/\$\{arch\}/g, arch);
  const filter = new FileMatcher(root, root, expand, patterns).createFilter() as (file: string, stat: Stats) => boolean;
  return files.filter((f) => filter(join(root, f), statSync(join(root, f))));
}

/** electron-builder's node_modules filter: everything, less the `!` patterns of `files`. */
function nodeModulePatterns(files: string[]): string[] {
  return ['**/*', ...files.filter((p) => p.startsWith('!'))];
}

const matchesAny = (patterns: string[], path: string) => patterns.some((p) => new Minimatch(p, { dot: true }).match(path));

const config = loadConfig({ NVG_TEST_BUILD: undefined });
const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('electron-builder config', () => {
  it('names the app and builds the installers the project ships', () => {
    expect(config.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(config.productName).toBe('NVG Studio');
    expect(config.directories.output).not.toBe('dist'); // dist/ is the compiled app
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual([{ target: 'nsis', arch: ['x64'] }]);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['arm64', 'x64'] }]);
    expect(config.npmRebuild).toBe(true);
  });

  it('ships the compiled app: main, preload, engine worker, renderer, package.json', () => {
    // The paths electron/main/main.ts loads, relative to the app root (ROOT in electron/host/paths.ts).
    const needed = ['package.json', config.extraMetadata.main, 'dist/electron/preload/preload.cjs',
      'dist/electron/engine/worker/worker.js', 'dist/electron/host/paths.js', 'dist/renderer/index.html', 'dist/renderer/assets/index.js'];
    expect(config.extraMetadata.main).toBe('dist/electron/main/main.js');
    for (const os of ['linux', 'win', 'mac'] as const) {
      const included = config[os].files.filter((p) => !p.startsWith('!'));
      for (const f of needed) expect(matchesAny(included, f), `${os}: ${f}`).toBe(true);
      expect(matchesAny(included, 'dist/electron/main/main.js.map'), `${os}: source maps`).toBe(false);
      // every platform list carries the common list (a platform's `files` replaces the top-level one)
      expect(config[os].files.slice(0, config.files.length)).toEqual(config.files);
    }
  });

  it.skipIf(!existsSync(join(ROOT, 'dist', 'electron')))('keeps every built file the app loads (dist/ as `npm run build` left it)', () => {
    const files = walk(join(ROOT, 'dist')).map((f) => `dist/${f}`);
    const shipped = new Set(kept(ROOT, files, config.linux.files));
    for (const f of [config.extraMetadata.main, 'dist/electron/preload/preload.cjs', 'dist/electron/engine/worker/worker.js', 'dist/renderer/index.html']) {
      expect(shipped.has(f), f).toBe(true);
    }
    expect([...shipped].filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => !f.endsWith('.map') && !shipped.has(f))).toEqual([]);
  });

  it('ships the packs without their training files (the real native-models tree)', () => {
    const files = walk(join(ROOT, 'native-models')).map((f) => `native-models/${f}`);
    const shipped = kept(ROOT, files, config.linux.files);
    const tiny = shipped.filter((f) => f.startsWith('native-models/packs/tiny/')).map((f) => f.slice('native-models/packs/tiny/'.length));
    expect(tiny.sort()).toEqual(['MODEL_CARD.md', 'codebook.bin', 'content.onnx', 'decoder.onnx', 'encoder.onnx', 'manifest.json', 'refiner.onnx', 'structure.onnx']);
    expect(shipped.filter((f) => !/^native-models\/packs\/[^/]+\/(manifest\.json|[^/]+\.onnx|codebook\.bin|MODEL_CARD\.md)$/.test(f))).toEqual([]);
  });

  it('unpacks the native code and the packs from the asar', () => {
    for (const f of ['node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/DirectML.dll',
      'node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'native-models/packs/tiny/content.onnx']) {
      expect(matchesAny(config.asarUnpack, f), f).toBe(true);
    }
    expect(matchesAny(config.asarUnpack, 'dist/electron/main/main.js')).toBe(false);
  });

  it('keeps only the target\'s onnxruntime binaries (a fake onnxruntime-node tree)', () => {
    const root = mkdtempSync(join(tmpdir(), 'nvg-ort-'));
    tmp.push(root);
    const binaries = { 'darwin/arm64': 'libonnxruntime.1.dylib', 'darwin/x64': 'libonnxruntime.1.dylib', 'linux/arm64': 'libonnxruntime.so.1',
      'linux/x64': 'libonnxruntime.so.1', 'win32/arm64': 'DirectML.dll', 'win32/x64': 'DirectML.dll' };
    const files = ['node_modules/onnxruntime-node/package.json', 'node_modules/onnxruntime-node/dist/index.js'];
    for (const [dir, lib] of Object.entries(binaries)) {
      for (const name of ['onnxruntime_binding.node', lib]) files.push(`node_modules/onnxruntime-node/bin/napi-v6/${dir}/${name}`);
    }
    for (const f of files) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), '');
    }
    const cases = [['linux', 'x64', 'linux/x64'], ['linux', 'arm64', 'linux/arm64'], ['win', 'x64', 'win32/x64'], ['mac', 'arm64', 'darwin/arm64'], ['mac', 'x64', 'darwin/x64']] as const;
    for (const [os, arch, dir] of cases) {
      const out = kept(root, files, nodeModulePatterns(config[os].files), arch);
      const bins = out.filter((f) => f.includes('/bin/'));
      expect(bins.length, `${os} ${arch}`).toBe(2);
      expect(bins.every((f) => f.startsWith(`node_modules/onnxruntime-node/bin/napi-v6/${dir}/`)), `${os} ${arch}: ${bins}`).toBe(true);
      expect(out).toContain('node_modules/onnxruntime-node/dist/index.js');
    }
  });

  it('leaves renderer-only packages and better-sqlite3 build leftovers out of node_modules', () => {
    const excluded = config.linux.files.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    for (const f of ['node_modules/fabric/dist/index.js', 'node_modules/react/index.js', 'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c',
      'node_modules/better-sqlite3/build/Release/test_extension.node', 'node_modules/better-sqlite3/build/Release/obj.target/x.o']) {
      expect(matchesAny(excluded, f), f).toBe(true);
    }
    expect(matchesAny(excluded, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(false);
  });

  it('sets the fuses; NVG_TEST_BUILD=1 only turns the Node inspector flags back on (Playwright needs --inspect)', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false, enableCookieEncryption: true, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true, onlyLoadAppFromAsar: true, grantFileProtocolExtraPrivileges: false,
    });
    const test = loadConfig({ NVG_TEST_BUILD: '1' });
    expect(test.electronFuses).toEqual({ ...config.electronFuses, enableNodeCliInspectArguments: true });
  });

  it('afterPack refuses a better-sqlite3 binary that is not built for Electron', () => {
    expect(config.afterPack).toBe('./build/after-pack.cjs');
    expect(afterPack.addonAbis(Buffer.from('\0node_register_module_v145\0'))).toEqual([145]);
    const dir = mkdtempSync(join(tmpdir(), 'nvg-abi-'));
    tmp.push(dir);
    const file = join(dir, 'better_sqlite3.node');
    writeFileSync(file, '\0_node_register_module_v115\0');
    expect(() => afterPack.checkAddonAbi(file, 145)).toThrow(/ABI 115, Electron needs 145/);
    writeFileSync(file, '\0_node_register_module_v145\0');
    expect(() => afterPack.checkAddonAbi(file, 145)).not.toThrow();
  });
});
