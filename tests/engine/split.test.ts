import { describe, expect, it } from 'vitest';
import { gumbel, GUMBEL, uniform } from '../../electron/engine/rand.js';
import { balancedSplit, checkParentConsistency, isCanonical, lastStageSplit } from '../../electron/engine/structure.js';

const arr = (xs: number[]) => Int32Array.from(xs);

/** Sizes of the two children (bit 0, bit 1) of every parent present. */
function childSizes(labels: Int32Array, parents: Int32Array): Map<number, [number, number]> {
  const sizes = new Map<number, [number, number]>();
  labels.forEach((l, p) => {
    const s = sizes.get(parents[p]) ?? [0, 0];
    s[l & 1]++;
    sizes.set(parents[p], s);
  });
  return sizes;
}

describe('balancedSplit (Gumbel-top-k)', () => {
  it('gives every parent of size m floor(m/2) and ceil(m/2) children, consistent and canonical', () => {
    const T = 64;
    const parents = Int32Array.from({ length: T }, (_, p) => (p * 5) % 8); // stage 3, eight parents of 8
    const values = Float64Array.from(uniform(9, 4, 99, T), (u) => 2 * u - 1);
    const labels = balancedSplit({ values, parents, gumbel: gumbel(9, 4, GUMBEL, T), temperature: 1 });
    for (const [, [a, b]] of childSizes(labels, parents)) expect([a, b]).toEqual([4, 4]);
    labels.forEach((l, p) => expect(l >> 1).toBe(parents[p]));
    expect(isCanonical(labels, parents)).toBe(true);
  });

  it('is plain top-k at temperature 0 and follows the values', () => {
    const parents = arr([0, 0, 0, 0, 1, 1, 1, 1]);
    const values = [0.9, -0.5, 0.1, 0.8, -1, -1, 0.3, 0.2];
    const labels = balancedSplit({ values, parents, gumbel: new Float64Array(8).fill(5), temperature: 0 });
    // parent 0: top 2 = positions 0 and 3 -> bit 1, but position 0 must be bit 0: flip
    // parent 1: top 2 = positions 6 and 7 -> bit 1, position 4 already bit 0
    expect(Array.from(labels)).toEqual([0, 1, 1, 0, 2, 2, 3, 3]);
  });

  it('uses a uniform p when every value is <= -1 (ties by position) and clamps large values', () => {
    const parents = arr([0, 0, 0, 0]);
    // all scores equal: the two lowest positions rank first (bit 1), then the canonical flip
    expect(Array.from(balancedSplit({ values: [-1, -3, -1, NaN], parents, gumbel: [0, 0, 0, 0], temperature: 0 }))).toEqual([0, 0, 1, 1]);
    // 5 and 1 clamp to the same probability: tie broken by position
    expect(Array.from(balancedSplit({ values: [0, 5, 1, 0], parents, gumbel: [0, 0, 0, 0], temperature: 0 }))).toEqual([0, 1, 1, 0]);
  });

  it('lets strong Gumbel noise override the values', () => {
    const parents = arr([0, 0, 0, 0]);
    const labels = balancedSplit({ values: [1, 1, -0.9, -0.9], parents, gumbel: [0, 0, 50, 50], temperature: 1 });
    expect(Array.from(labels)).toEqual([0, 0, 1, 1]);
  });

  it('handles uneven and empty parents: size 1 -> bit 0, odd sizes floor(m/2) ones before the canonical flip', () => {
    // parent 0: 3 members, parent 1: empty, parent 2: 1 member, parent 3: 4 members (stage 2 -> 3)
    const parents = arr([0, 3, 0, 2, 3, 0, 3, 3]);
    const values = [-1, 1, 1, 0, 1, 0.5, -1, -1];
    const labels = balancedSplit({ values, parents, gumbel: new Float64Array(8), temperature: 0 });
    expect(Array.from(labels)).toEqual([0, 6, 1, 4, 6, 0, 7, 7]);
    expect(checkParentConsistency([new Int32Array(8), arr([0, 1, 0, 1, 1, 0, 1, 1]), parents, labels])).toBeNull();
    const sizes = childSizes(labels, parents);
    expect(sizes.get(0)).toEqual([2, 1]);
    expect(sizes.get(2)).toEqual([1, 0]);
    expect(sizes.has(1)).toBe(false);
  });

  it('rejects mismatched lengths', () => {
    expect(() => balancedSplit({ values: [0], parents: arr([0, 0]), gumbel: [0, 0], temperature: 1 })).toThrow(RangeError);
  });
});

describe('lastStageSplit', () => {
  it('splits each pair into its two positions, smaller index bit 0', () => {
    const parents = arr([1, 0, 1, 0]);
    expect(Array.from(lastStageSplit(parents))).toEqual([2, 0, 3, 1]);
  });

  it('splits uneven clusters like the Python sampler: the first position alone gets bit 0', () => {
    expect(Array.from(lastStageSplit(arr([0, 0, 0, 1])))).toEqual([0, 1, 1, 2]);
  });
});
