/** The generator's allocation-free nucleus sampler returns exactly what sampling.nucleusSample returns. */
import { describe, expect, it } from 'vitest';
import { NucleusSampler } from '../../electron/engine/nucleus.js';
import { uniform } from '../../electron/engine/rand.js';
import { nucleusSample } from '../../electron/engine/sampling.js';

describe('NucleusSampler', () => {
  it('agrees with nucleusSample on flat, peaky and tied logits', () => {
    const V = 64;
    const s = new NucleusSampler(V);
    const u = uniform(1, 0, 3, 4000);
    let n = 0;
    for (let row = 0; row < 400; row++) {
      const logits = new Float32Array(V);
      const kind = row % 4;
      for (let i = 0; i < V; i++) {
        const r = u[(row * 7 + i) % 4000];
        if (kind === 0) logits[i] = r * 0.1; // nearly flat
        else if (kind === 1) logits[i] = r * 12; // peaky
        else if (kind === 2) logits[i] = Math.floor(r * 3); // many exact ties
        else logits[i] = i % 5 === 0 ? 4 : -30 + r; // a few equal winners, underflowing rest
      }
      for (const p of [1, 0.97, 0.8, 0.5, 1e-9]) {
        const uu = u[(row * 13 + Math.round(p * 100)) % 4000];
        expect(s.sample(logits, 0, p, uu)).toBe(nucleusSample(logits, p, uu));
        n++;
      }
    }
    expect(n).toBe(2000);
  });

  it('reads a row at an offset and handles infinities like nucleusSample', () => {
    const s = new NucleusSampler(3);
    const buf = Float32Array.from([9, 9, 9, 0, 5, 1]);
    expect(s.sample(buf, 3, 0.5, 0.5)).toBe(nucleusSample(buf.subarray(3), 0.5, 0.5));
    expect(s.sample(Float32Array.from([0, Infinity, Infinity]), 0, 0.5, 0.5)).toBe(1);
    expect(() => s.sample(Float32Array.from([0, NaN, 1]), 0, 0.5, 0.5)).toThrow(RangeError);
  });
});
