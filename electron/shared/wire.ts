/**
 * JSON encoding of API values for the browser host's WebSocket: typed arrays become
 * {"$typed": "Float32Array", "b64": "..."} (little-endian bytes, base64), everything else is JSON.
 * Electron's IPC uses structured clone instead and never needs this.
 *
 * The WebSocket protocol (ws://127.0.0.1:PORT/api?token=TOKEN, one JSON message per frame):
 *   renderer -> host: { id: string, method: keyof NvgApi, params: unknown[] }
 *   host -> renderer: { id, result } | { id, error: { code, message } } | { id, progress }
 * `generate` answers with progress messages, then its result; its `jobId` is the message id.
 */

const TYPED = {
  Float32Array, Float64Array, Int32Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Uint32Array,
} as const;
type TypedName = keyof typeof TYPED;
type Typed = InstanceType<(typeof TYPED)[TypedName]>;

function toBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(b64, 'base64'));
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function typedName(value: unknown): TypedName | null {
  for (const name of Object.keys(TYPED) as TypedName[]) if (value instanceof TYPED[name]) return name;
  return null;
}

/** A value -> JSON text, typed arrays included. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function replacer(this: unknown, key: string, v: unknown) {
    const holder = this as Record<string, unknown>;
    const raw = holder[key]; // JSON.stringify has already called toJSON; look at the original
    const name = typedName(raw);
    if (name) {
      const t = raw as Typed;
      return { $typed: name, b64: toBase64(new Uint8Array(t.buffer, t.byteOffset, t.byteLength)) };
    }
    return v;
  });
}

/** JSON text -> a value, typed arrays restored. Throws SyntaxError for text that is not JSON. */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v) => {
    if (v && typeof v === 'object' && typeof v.$typed === 'string' && typeof v.b64 === 'string' && v.$typed in TYPED) {
      const bytes = fromBase64(v.b64);
      const Ctor = TYPED[v.$typed as TypedName];
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      if (copy.byteLength % Ctor.BYTES_PER_ELEMENT) throw new SyntaxError(`bad ${v.$typed} payload`);
      return new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT);
    }
    return v;
  });
}
