/**
 * electron-builder afterPack hook: refuses a packed app whose better-sqlite3 binary was not built
 * for the packed Electron. @electron/rebuild can finish "successfully" without producing an
 * Electron build (seen offline: it left a Node 20 binary, node_register_module_v115, and marked it
 * as built for Electron's ABI 145), and such an app would only fail when the library opens.
 * better-sqlite3 is a V8-API addon: its binary names its ABI in node_register_module_v<ABI>.
 */
'use strict';

const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const SQLITE_NODE = ['app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'];

/** The ABIs named by node_register_module_v<N> symbols in a native addon's bytes. */
function addonAbis(bytes) {
  const found = new Set();
  const re = /node_register_module_v(\d+)/g;
  for (let m; (m = re.exec(bytes.toString('latin1'))); ) found.add(Number(m[1]));
  return [...found];
}

function checkAddonAbi(file, abi) {
  if (!existsSync(file)) throw new Error(`afterPack: ${file} is missing`);
  const abis = addonAbis(readFileSync(file));
  if (!abis.includes(abi)) {
    throw new Error(`afterPack: ${file} is built for ABI ${abis.join(', ') || '?'}, Electron needs ${abi}: ` +
      'rebuild it for Electron (delete node_modules/better-sqlite3/build/Release/.forge-meta; needs the internet, see docs/shipping.md)');
  }
}

async function afterPack(context) {
  if (process.env.NVG_SKIP_ABI_CHECK === '1') return;
  const version = context.packager.config.electronVersion || context.packager.info.framework.version;
  const abi = Number(require('node-abi').getAbi(version, 'electron'));
  checkAddonAbi(join(context.packager.getResourcesDir(context.appOutDir), ...SQLITE_NODE), abi);
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.addonAbis = addonAbis;
module.exports.checkAddonAbi = checkAddonAbi;
