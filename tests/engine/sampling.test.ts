import { describe, expect, it } from 'vitest';
import { cfgCombine, contentGuidance, nucleusSample, sampleTokens, structureGuidance, timeSchedule, topPSchedule } from '../../electron/engine/sampling.js';

describe('schedules', () => {
  it('content guidance runs linearly from 1 (stage 0) to the max (stage K)', () => {
    expect(contentGuidance(0, 8, 3.5)).toBe(1);
    expect(contentGuidance(8, 8, 3.5)).toBe(3.5);
    expect(contentGuidance(4, 8, 3.5)).toBe(2.25);
    expect(() => contentGuidance(9, 8, 3.5)).toThrow(RangeError);
  });

  it('structure guidance follows the line 1 (stage 0) to the max (stage K), read at stages 1..K-1', () => {
    expect(structureGuidance(1, 8, 2.5)).toBe(1.1875);
    expect(structureGuidance(7, 8, 2.5)).toBe(2.3125);
    expect(structureGuidance(4, 8, 2.5)).toBe(1.75);
    expect(structureGuidance(1, 2, 2.5)).toBe(1.75);
    expect(() => structureGuidance(0, 8, 2.5)).toThrow(RangeError);
    expect(() => structureGuidance(8, 8, 2.5)).toThrow(RangeError);
  });

  it('top-p is 1 at stage 0 and topPMin at stage K, decreasing in between', () => {
    expect(topPSchedule(0, 8, 0.5)).toBe(1);
    expect(topPSchedule(8, 8, 0.5)).toBe(0.5);
    expect(topPSchedule(4, 8, 0.5)).toBeCloseTo(0.5 + (0.5 * (8 - Math.sqrt(8))) / 7, 15);
    for (let k = 1; k <= 8; k++) expect(topPSchedule(k, 8, 0.5)).toBeLessThan(topPSchedule(k - 1, 8, 0.5));
  });

  it('time grid: 1 -> 0 in steps+1 points, shifted like the Python reference', () => {
    // python: t = np.linspace(1, 0, 26); np.exp(0.5) / (np.exp(0.5) + 1/t - 1) at [0, 1, 12, 24, 25]
    const t = timeSchedule(25, 0.5);
    expect(t.length).toBe(26);
    expect(t[0]).toBe(1);
    expect(t[25]).toBe(0);
    [[1, 0.9753508258396748], [12, 0.6410772333107314], [24, 0.0642808369781596]].forEach(([i, v]) => expect(t[i]).toBeCloseTo(v, 14));
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeLessThan(t[i - 1]);
    timeSchedule(4, 0).forEach((v, i) => expect(v).toBeCloseTo([1, 0.75, 0.5, 0.25, 0][i], 15)); // mu = 0: no shift
    expect(() => timeSchedule(0, 0.5)).toThrow(RangeError);
  });
});

describe('cfgCombine', () => {
  it('computes uncond + w (cond - uncond) and keeps the array type', () => {
    const out = cfgCombine(Float32Array.from([1, 2]), Float32Array.from([0, 4]), 3);
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out)).toEqual([3, -2]);
    const into = new Float64Array(2);
    expect(cfgCombine(Float64Array.from([1, 1]), Float64Array.from([1, 0]), 1, into)).toBe(into);
    expect(Array.from(into)).toEqual([1, 1]); // w = 1: the conditional value
    expect(() => cfgCombine(new Float32Array(2), new Float32Array(3), 1)).toThrow(RangeError);
  });

  it('rounds like numpy float32 arithmetic for Float32Array inputs', () => {
    // python: c, u float32 from np.random.default_rng(1).normal(size=200) (c first, then u);
    // r = u + 2.3125 * (c - u) in float32; entries where r differs from a float64 computation rounded once
    const c = Float32Array.from([0.8216181397438049, 0.9053558707237244, -0.5369532108306885, -0.16290995478630066]);
    const u = Float32Array.from([2.020073413848877, -0.673302412033081, -1.265636920928955, -0.5636398196220398]);
    expect(Array.from(cfgCombine(c, u, 2.3125))).toEqual([-0.751354455947876, 2.9773449897766113, 0.41944420337677, 0.3630480170249939]);
  });
});

describe('nucleusSample', () => {
  const logits = [Math.log(0.1), Math.log(0.5), Math.log(0.3), Math.log(0.1)];

  it('samples by cumulative mass in descending probability order', () => {
    // order: 1 (0.5), 2 (0.3), 0 (0.1), 3 (0.1, tie -> lower index first)
    expect(nucleusSample(logits, 1, 0.01)).toBe(1);
    expect(nucleusSample(logits, 1, 0.6)).toBe(2);
    expect(nucleusSample(logits, 1, 0.85)).toBe(0);
    expect(nucleusSample(logits, 1, 0.95)).toBe(3);
  });

  it('keeps the smallest prefix reaching p and renormalises it', () => {
    // p = 0.7: keep {1, 2} (0.8 >= 0.7); u * 0.8 splits at 0.5 / 0.8 = 0.625
    expect(nucleusSample(logits, 0.7, 0.6)).toBe(1);
    expect(nucleusSample(logits, 0.7, 0.65)).toBe(2);
    expect(nucleusSample(logits, 0.7, 0.999)).toBe(2);
    // a tiny p keeps only the top token
    expect(nucleusSample(logits, 1e-9, 0.999)).toBe(1);
  });

  it('handles ties, -Infinity, temperature 0 and a single logit', () => {
    expect(nucleusSample([0, 0, 0, 0], 0.5, 0.4)).toBe(0); // keeps {0, 1}
    expect(nucleusSample([0, 0, 0, 0], 0.5, 0.6)).toBe(1);
    expect(nucleusSample([-Infinity, 2, -Infinity], 1, 0.99)).toBe(1);
    expect(nucleusSample([0, 3, 3], 1, 0.99, 0)).toBe(1);
    expect(nucleusSample([42], 0.5, 0.5)).toBe(0);
    expect(nucleusSample([1e308, -1e308], 1, 0.5)).toBe(0); // no overflow thanks to max-subtraction
  });

  it('rejects bad input', () => {
    expect(() => nucleusSample([], 1, 0.5)).toThrow(RangeError);
    expect(() => nucleusSample([0, NaN], 1, 0.5)).toThrow(RangeError);
    expect(() => nucleusSample([-Infinity], 1, 0.5)).toThrow(RangeError);
    expect(() => nucleusSample([0], 0, 0.5)).toThrow(RangeError);
  });

  it('samples one token per cluster', () => {
    const rows = Float32Array.from([0, 10, 0, 10, 0, 0]); // N = 2, V = 3
    expect(Array.from(sampleTokens(rows, 3, 0.9, [0.5, 0.5]))).toEqual([1, 0]);
  });
});
