/**
 * Entry point of the engine process: a forked Node child (CLI, browser host, tests) or an
 * Electron utilityProcess (the desktop app). Only the transport differs; host.ts does the work.
 */
import { createHost } from './host.js';

interface UtilityParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const electronPort = (process as unknown as { parentPort?: UtilityParentPort }).parentPort;

if (electronPort) {
  const onMessage = createHost((msg) => electronPort.postMessage(msg));
  electronPort.on('message', (e) => onMessage(e.data));
} else if (process.send) {
  const send = process.send.bind(process);
  const onMessage = createHost((msg) => send(msg));
  process.on('message', onMessage);
  process.on('disconnect', () => process.exit(0)); // the parent went away: nothing left to serve
} else {
  console.error('electron/engine/worker: start me with child_process.fork (serialization "advanced") or as an Electron utilityProcess');
  process.exit(2);
}
