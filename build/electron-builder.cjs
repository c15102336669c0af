/**
 * electron-builder configuration: `npm run dist` (see docs/shipping.md).
 * Linux AppImage + deb, Windows NSIS (x64), macOS dmg (arm64 + x64). The app is dist/ (compiled
 * main, preload, engine worker, renderer) in app.asar, the production node_modules, and the packs.
 *
 * NVG_TEST_BUILD=1 keeps the Node inspector flags (Playwright's _electron.launch passes --inspect=0
 * and waits for "Debugger listening on"); every other fuse stays as in a release build.
 */
'use strict';

const { onnxruntimeExcludes } = require('./onnxruntime-files.cjs');

const testBuild = process.env.NVG_TEST_BUILD === '1';

/** What a pack ships: the manifest, the graphs, the codebook and the model card; never training files. */
const PACK_FILES = 'native-models/packs/*/{manifest.json,*.onnx,codebook.bin,MODEL_CARD.md}';

/**
 * The app's files. A platform's `files` replaces the top-level list (electron-builder 26 does not
 * merge them), so each platform repeats it with its onnxruntime exclusions appended.
 */
const APP_FILES = [
  'package.json',
  'dist/electron/**/*.{js,cjs}', // main, preload, engine worker, host, cli; no source maps
  'dist/renderer/**/*',
  // electron/host/paths.ts finds the packs at <app root>/native-models/packs, next to package.json,
  // so they go into the app (and are unpacked from the asar below: real files on disk).
  PACK_FILES,
  // Bundled into dist/renderer by vite: not needed at run time.
  '!node_modules/{fabric,react,react-dom,jsdom,canvas}{,/**/*}',
  // better-sqlite3's sources and build intermediates; only build/Release/better_sqlite3.node is loaded.
  '!node_modules/better-sqlite3/{deps,src}{,/**/*}',
  '!node_modules/better-sqlite3/build/Release/{obj,obj.target,.deps}{,/**/*}',
  '!node_modules/better-sqlite3/build/Release/{test_extension.node,*.a}',
  '!node_modules/better-sqlite3/build/{deps,*.mk,Makefile,*.gypi,config.gypi}{,/**/*}',
];

module.exports = {
  appId: 'org.nvgstudio.app',
  productName: 'NVG Studio',
  copyright: 'Copyright © 2026 NVG Studio contributors (Apache-2.0)',
  // dist/ is the TypeScript/vite output, so the installers go to release/.
  directories: { output: 'release', buildResources: 'build' },
  // package.json has no "main" (the CLI and the browser host do not need one); the app's is this.
  extraMetadata: { main: 'dist/electron/main/main.js' },
  files: APP_FILES,
  asar: true,
  // Native code cannot be loaded from inside an asar archive.
  asarUnpack: [
    'node_modules/onnxruntime-node/bin/**/*',
    'node_modules/better-sqlite3/build/Release/*.node',
    'native-models/packs/**/*',
  ],
  // better-sqlite3 is rebuilt for Electron's ABI (@electron/rebuild; needs Electron's headers or a
  // prebuilt from the internet). onnxruntime-node is N-API: its prebuilt binaries work as they are.
  npmRebuild: true,
  buildDependenciesFromSource: false,
  afterPack: './build/after-pack.cjs', // refuses a better-sqlite3 binary that is not Electron's ABI
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: testBuild,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Graphics',
    executableName: 'nvg-studio',
    maintainer: 'NVG Studio <nvg-studio@users.noreply.github.com>',
    synopsis: 'Structure-controlled image creation with NVG models',
    files: [...APP_FILES, ...onnxruntimeExcludes('linux')],
  },
  deb: { depends: ['libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0'] },
  win: {
    // onnxruntime-node's win32/x64 folder carries DirectML.dll (the DirectML execution provider).
    target: [{ target: 'nsis', arch: ['x64'] }],
    files: [...APP_FILES, ...onnxruntimeExcludes('win')],
  },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
  mac: {
    target: [{ target: 'dmg', arch: ['arm64', 'x64'] }],
    category: 'public.app-category.graphics-design',
    hardenedRuntime: true,
    files: [...APP_FILES, ...onnxruntimeExcludes('mac')],
  },
};
