/**
 * A small seeded PRNG (mulberry32) for trials: the same seed gives the same archive, the same
 * kill moments and the same injected faults, so a failing trial can be replayed from its seed.
 */
export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Fills a buffer with pseudo-random bytes (fast: one 32-bit step per 4 bytes). */
  fill(buffer: Buffer): Buffer;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const step = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = () => step() / 4294967296;
  return {
    seed: seed >>> 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    fill(buffer) {
      const whole = buffer.length - (buffer.length % 4);
      for (let i = 0; i < whole; i += 4) buffer.writeUInt32LE(step(), i);
      for (let i = whole; i < buffer.length; i++) buffer[i] = step() & 0xff;
      return buffer;
    },
  };
}
