import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertParentConsistency, buildLabels, canonicalize, canonicalRelabel, checkParentConsistency, clusterMeans,
  embeddingToLabels, isCanonical, labelsToEmbedding, labelsToPathSigns, nearestCodes, numStages, poolMatrix,
  residualContents, scatterCodes, StructureError,
} from '../../electron/engine/structure.js';

// Built by tests/fixtures/gen_engine_structure_small.py from nvg.structure.build_labels_reference
// and residual_contents_reference (the Python float64 reference).
interface Case { T: number; e: number; Z: number[]; labels: number[][] }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/engine-structure-small.json', import.meta.url), 'utf8'));
const cases: [string, Case][] = Object.entries(fixture).filter(([name]) => name !== 'contents') as [string, Case][];

const arr = (xs: number[]) => Int32Array.from(xs);
const plain = (stages: Int32Array[]) => stages.map((s) => Array.from(s));

describe('numStages', () => {
  it('is log2 of a power of two', () => {
    expect(numStages(1)).toBe(0);
    expect(numStages(256)).toBe(8);
    expect(() => numStages(48)).toThrow(RangeError);
    expect(() => numStages(0)).toThrow(RangeError);
  });
});

describe('buildLabels vs the Python reference', () => {
  it.each(cases)('%s', (_name, c) => {
    const labels = buildLabels(Float64Array.from(c.Z), c.T, c.e);
    expect(plain(labels)).toEqual(c.labels);
    expect(checkParentConsistency(labels)).toBeNull();
  });

  it('gives the same labels from a Float32Array of float32-exact values', () => {
    const c = fixture.ties_T64_e4 as Case;
    expect(plain(buildLabels(Float32Array.from(c.Z), c.T, c.e))).toEqual(c.labels);
  });

  it('produces consistent, canonical labels; stage K a permutation', () => {
    const c = fixture.random_T256_e8 as Case;
    const labels = buildLabels(Float64Array.from(c.Z), c.T, c.e);
    for (let k = 1; k < labels.length; k++) expect(isCanonical(labels[k], labels[k - 1])).toBe(true);
    expect(Array.from(labels[8]).sort((a, b) => a - b)).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  it('clusters a 16x16x32 latent fast', () => {
    let s = 1;
    const Z = Float32Array.from({ length: 256 * 32 }, () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5);
    const t0 = performance.now();
    const labels = buildLabels(Z, 256, 32);
    expect(performance.now() - t0).toBeLessThan(1000); // ~20 ms on a laptop core
    expect(labels.length).toBe(9);
  });

  it('handles T = 1 and rejects bad input', () => {
    expect(plain(buildLabels(new Float64Array(2), 1, 2))).toEqual([[0]]);
    expect(() => buildLabels(new Float64Array(10), 4, 2)).toThrow(RangeError);
    expect(() => buildLabels(Float64Array.from([0, NaN, 0, 0]), 4, 1)).toThrow(RangeError);
  });
});

describe('structure embedding', () => {
  it('encodes bits most significant first, 1 for unknown channels', () => {
    // stage 2, K = 3, labels 0..3 -> [2*b0, 2*b1, 1]
    expect(Array.from(labelsToEmbedding(arr([0, 1, 2, 3]), 2, 3))).toEqual([0, 0, 1, 0, 2, 1, 2, 0, 1, 2, 2, 1]);
    expect(Array.from(labelsToEmbedding(arr([0, 0]), 0, 3))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(labelsToPathSigns(arr([2]), 2, 3))).toEqual([1, -1, 0]);
  });

  it('round-trips every stage of a real hierarchy', () => {
    const c = fixture.random_T256_e8 as Case;
    const labels = buildLabels(Float64Array.from(c.Z), c.T, c.e);
    labels.forEach((s, k) => expect(Array.from(embeddingToLabels(labelsToEmbedding(s, k, 8), k, 8))).toEqual(Array.from(s)));
  });
});

describe('canonical form and consistency', () => {
  it('gives bit 0 to the sibling holding the smaller position', () => {
    // parent 0 = {0, 1, 2, 3}; children swapped (position 0 holds label 1) -> swap back
    expect(Array.from(canonicalRelabel(arr([1, 0, 1, 0, 2, 3, 3, 2]), arr([0, 0, 0, 0, 1, 1, 1, 1])))).toEqual([0, 1, 0, 1, 2, 3, 3, 2]);
    // an empty child: the non-empty one gets bit 0
    expect(Array.from(canonicalRelabel(arr([1, 1, 2, 3]), arr([0, 0, 1, 1])))).toEqual([0, 0, 2, 3]);
    // arbitrary ids (e.g. region ids) are accepted
    expect(Array.from(canonicalRelabel(arr([7, 9, 5, 4]), arr([0, 0, 1, 1])))).toEqual([0, 1, 2, 3]);
  });

  it('canonicalizes a whole hierarchy of nested partitions', () => {
    const stages = [arr([5, 5, 5, 5]), arr([9, 4, 9, 4]), arr([3, 1, 2, 0])];
    const out = canonicalize(stages);
    expect(plain(out)).toEqual([[0, 0, 0, 0], [0, 1, 0, 1], [0, 2, 1, 3]]);
    expect(checkParentConsistency(out)).toBeNull();
  });

  it('rejects partitions that are not a binary tree', () => {
    expect(() => canonicalRelabel(arr([0, 1, 2, 0]), arr([0, 0, 0, 0]), 1)).toThrow(StructureError);
    let caught: unknown;
    try {
      canonicalRelabel(arr([0, 0, 1, 1]), arr([0, 1, 1, 1]), 2);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StructureError);
    expect((caught as StructureError).issue).toMatchObject({ kind: 'notNested', stage: 2, position: 1 });
    expect(() => canonicalize([arr([0, 1])])).toThrow(StructureError);
  });

  it('reports the first inconsistency with a typed description', () => {
    expect(checkParentConsistency([arr([0, 0, 0, 0]), arr([0, 0, 1, 1]), arr([0, 1, 3, 2])])).toBeNull();
    expect(checkParentConsistency([arr([0, 0, 0, 0]), arr([0, 0, 1, 1]), arr([0, 1, 2, 0])])).toMatchObject({ kind: 'parent', stage: 2, position: 3 });
    expect(checkParentConsistency([arr([0, 0]), arr([0, 2])])).toMatchObject({ kind: 'range', stage: 1, position: 1 });
    expect(checkParentConsistency([arr([0, 0]), arr([0])])).toMatchObject({ kind: 'length', stage: 1 });
    expect(() => assertParentConsistency([arr([1])])).toThrow(StructureError);
  });
});

describe('pool matrix', () => {
  it('is row-normalised with zero rows for empty clusters', () => {
    const pool = poolMatrix(arr([0, 0, 2, 0]), 4);
    expect(Array.from(pool)).toEqual([1 / 3, 1 / 3, 0, 1 / 3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0].map(Math.fround));
    expect(() => poolMatrix(arr([0, 4]), 4)).toThrow(RangeError);
  });
});

describe('contents', () => {
  it('computes cluster means, nearest codes with ties to the lowest index, and scatters', () => {
    const x = Float64Array.from([1, 2, 3, 4, 5, 6]); // T = 3, e = 2
    expect(Array.from(clusterMeans(x, arr([1, 1, 0]), 3, 2))).toEqual([5, 6, 2, 3, 0, 0]);
    const codebook = Float32Array.from([1, 0, -1, 0, 0, 0]); // three codes, e = 2
    expect(Array.from(nearestCodes(Float64Array.from([0, 0, 0.5, 0, -0.2, 0]), codebook, 2))).toEqual([2, 0, 2]);
    expect(Array.from(nearestCodes(Float64Array.from([0, 5]), Float32Array.from([1, 0, -1, 0]), 2))).toEqual([0]); // exact tie
    expect(Array.from(scatterCodes(codebook, arr([1, 0]), arr([0, 1, 0]), 2))).toEqual([-1, 0, 1, 0, -1, 0]);
  });

  it('matches residual_contents_reference', () => {
    const c = fixture[fixture.contents.case] as Case;
    const Z = Float64Array.from(c.Z);
    const stages = buildLabels(Z, c.T, c.e);
    const refine = (k: number, x: Float64Array) => x.map((v) => v * (1 - k / 8));
    const out = residualContents(Z, stages, Float64Array.from(fixture.contents.codebook), c.e, refine);
    expect(out.tokens.map((t) => Array.from(t))).toEqual(fixture.contents.tokens);
    expect(Array.from(out.final)).toEqual(fixture.contents.final);
    expect(out.canvases.length).toBe(stages.length);
    expect(out.canvases[0].every((v) => v === 0)).toBe(true);
  });
});
