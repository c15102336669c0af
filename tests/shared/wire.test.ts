import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire } from '../../electron/shared/wire.js';

describe('wire encoding', () => {
  it('round-trips typed arrays inside plain values', () => {
    const value = { a: 1, f: new Float32Array([0.5, -2, 3.25]), nested: [new Int32Array([7, -8]), { u: new Uint8Array([1, 255]) }] };
    const back = decodeWire(encodeWire(value)) as typeof value;
    expect(back.a).toBe(1);
    expect(back.f).toBeInstanceOf(Float32Array);
    expect(Array.from(back.f)).toEqual([0.5, -2, 3.25]);
    expect(Array.from(back.nested[0] as Int32Array)).toEqual([7, -8]);
    expect(Array.from((back.nested[1] as { u: Uint8Array }).u)).toEqual([1, 255]);
  });

  it('keeps subarray views exact and refuses broken payloads', () => {
    const base = new Float32Array([1, 2, 3, 4]);
    expect(Array.from(decodeWire(encodeWire(base.subarray(1, 3))) as Float32Array)).toEqual([2, 3]);
    expect(() => decodeWire('{"$typed":"Float32Array","b64":"AAA="}')).toThrow(SyntaxError);
    expect(() => decodeWire('not json')).toThrow(SyntaxError);
  });
});
