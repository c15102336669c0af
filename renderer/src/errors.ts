/**
 * Errors from either transport as {code, message}: the WebSocket client keeps `code`; Electron's
 * contextBridge keeps only the message, where the preload put the code as "[CODE] message".
 */
export function errorInfo(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.code === 'string') return { code: e.code, message };
  const m = /^(?:Error invoking remote method '[^']*': )?(?:Error: )?\[([A-Z_]+)\] ([\s\S]*)$/.exec(message);
  return m ? { code: m[1], message: m[2] } : { code: 'INTERNAL', message };
}
