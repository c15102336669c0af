import { describe, expect, it } from 'vitest';
import { draws, gumbel, GUMBEL, normal, PURPOSE, streamKey, STRUCTURE_NOISE, TOKENS, uniform } from '../../electron/engine/rand.js';

// Expected values produced with the Python reference (native-models/training/nvg/rand.py):
//   python3 -c "import sys; sys.path.insert(0,'native-models/training'); from nvg import rand; \
//     print([int(x) for x in rand.draws(42,3,2,4)]); print(hex(int(rand.stream_key(0,0,0)))); \
//     print(rand.uniform(42,3,2,4).tolist()); print(rand.uniform(2**53-1,8,3,3).tolist()); \
//     print(rand.uniform(0,0,1,2).tolist()); print(rand.normal(7,1,1,5).tolist()); \
//     print(rand.gumbel(7,4,2,4).tolist()); print(rand.uniform(123456789,5,3,1000)[[0,1,499,999]].tolist())"

describe('nvg-rand v1', () => {
  it('has the purposes of rand.py', () => {
    expect([STRUCTURE_NOISE, GUMBEL, TOKENS]).toEqual([1, 2, 3]);
    expect(PURPOSE).toEqual({ STRUCTURE_NOISE: 1, GUMBEL: 2, TOKENS: 3 });
  });

  it('matches the raw 64-bit draws and stream key of Python', () => {
    expect(Array.from(draws(42, 3, 2, 4))).toEqual([13516393480252267305n, 6839945629288854162n, 17646668269157936409n, 5996066242075846272n]);
    expect(streamKey(0, 0, 0)).toBe(0x5692161d100b05e5n);
  });

  it('matches Python uniforms bit for bit', () => {
    expect(Array.from(uniform(42, 3, 2, 4))).toEqual([0.7327251587729209, 0.37079419554788534, 0.9566278037276026, 0.3250474023012813]);
    expect(Array.from(uniform(2 ** 53 - 1, 8, 3, 3))).toEqual([0.8191830573669432, 0.6479404133720397, 0.505602993666719]);
    expect(Array.from(uniform(0, 0, 1, 2))).toEqual([0.06833245620166933, 0.28198984293718105]);
    const long = uniform(123456789, 5, 3, 1000);
    expect([long[0], long[1], long[499], long[999]]).toEqual([0.16645402519989844, 0.2826976373713587, 0.14720613172736757, 0.36934115960724284]);
  });

  it('matches Python normals and Gumbels to ~1e-15', () => {
    const n = normal(7, 1, 1, 5);
    [0.7820013348216938, 0.4187682430282096, -0.7130336495463272, 1.0128051350189091, -0.35601427334168034].forEach((v, i) => expect(Math.abs(n[i] - v)).toBeLessThan(1e-14));
    const g = gumbel(7, 4, 2, 4);
    [0.21358989530196537, 1.9912611065021604, 2.642212044789659, 2.763780193603622].forEach((v, i) => expect(Math.abs(g[i] - v)).toBeLessThan(1e-14));
  });

  it('is a counter-based stream: a prefix of a longer stream is the shorter stream', () => {
    expect(Array.from(uniform(5, 2, TOKENS, 3))).toEqual(Array.from(uniform(5, 2, TOKENS, 10).subarray(0, 3)));
    // odd n: the last Box-Muller pair is cut, the values before it do not change
    expect(Array.from(normal(5, 2, STRUCTURE_NOISE, 3))).toEqual(Array.from(normal(5, 2, STRUCTURE_NOISE, 4).subarray(0, 3)));
  });

  it('keeps uniforms strictly inside (0, 1) and separates streams', () => {
    const u = uniform(1, 1, GUMBEL, 2000);
    expect(u.every((x) => x > 0 && x < 1)).toBe(true);
    expect(uniform(1, 2, GUMBEL, 1)[0]).not.toBe(u[0]);
    expect(uniform(1, 1, TOKENS, 1)[0]).not.toBe(u[0]);
    expect(uniform(2, 1, GUMBEL, 1)[0]).not.toBe(u[0]);
  });

  it('rejects seeds outside [0, 2^53) and bad counts', () => {
    expect(() => uniform(-1, 0, 1, 1)).toThrow(RangeError);
    expect(() => uniform(2 ** 53, 0, 1, 1)).toThrow(RangeError);
    expect(() => uniform(1.5, 0, 1, 1)).toThrow(RangeError);
    expect(() => uniform(1, -1, 1, 1)).toThrow(RangeError);
    expect(() => draws(1, 0, 1, -1)).toThrow(RangeError);
    expect(uniform(1, 0, 1, 0).length).toBe(0);
  });
});
