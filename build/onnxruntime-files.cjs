/**
 * onnxruntime-node ships its native binaries for every platform (bin/napi-v6/<os>/<arch>, ~290 MB).
 * An installer needs only its own: these are electron-builder `files` exclusions for one target
 * OS, with electron-builder's ${arch} macro standing for the architecture being packed (x64, arm64).
 * electron-builder applies only `!` patterns to node_modules, so the rules exclude, never re-include.
 */
'use strict';

const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6';
/** electron-builder's platform keys to onnxruntime-node's folder names (Node's process.platform). */
const ORT_OS = { linux: 'linux', win: 'win32', mac: 'darwin' };

/** `files` exclusions for electron-builder platform `os` (linux | win | mac). */
function onnxruntimeExcludes(os) {
  const dir = ORT_OS[os];
  if (!dir) throw new Error(`unknown electron-builder platform: ${os}`);
  return [
    `!${ORT_BIN}/!(${dir}){,/**/*}`, // the other operating systems
    `!${ORT_BIN}/${dir}/!(\${arch}){,/**/*}`, // this OS, the other architectures
  ];
}

module.exports = { ORT_BIN, ORT_OS, onnxruntimeExcludes };
