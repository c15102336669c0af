/**
 * The engine in an Electron utilityProcess (electron/engine/worker/worker.ts speaks the same
 * protocol over process.parentPort). EngineClient (worker/client.ts) does the rest: ids, progress,
 * cancellation, and crash recovery (a crash fails what was in flight with ENGINE_CRASHED and the
 * next call starts a fresh process and reloads the last pack).
 */
import { utilityProcess } from 'electron';
import type { FromWorker } from '../engine/worker/protocol.js';
import type { SpawnEngine } from '../engine/worker/client.js';

export function spawnUtilityEngine(entry: string): SpawnEngine {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'NVG engine', stdio: 'inherit' });
    let exited = false;
    child.once('exit', () => { exited = true; });
    return {
      send: (msg) => child.postMessage(msg),
      listen(onMessage, onExit) {
        child.on('message', (msg: FromWorker) => onMessage(msg));
        child.on('exit', (code) => onExit(`the engine process exited (code ${code})`));
      },
      kill: () => new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
    };
  };
}
