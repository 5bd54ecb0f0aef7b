import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  createRateLimiter,
  parseBandwidth,
  throttleStream,
  uploadSchemaForTests,
} from './bandwidth-helpers.js';

/** A virtual clock: sleeping moves time forward instantly, so pacing is checked without timing. */
function virtualClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    // Concurrent sleepers wake at their own deadlines, not one after another.
    sleep: async (ms: number) => {
      sleeps.push(ms);
      const deadline = t + ms;
      await Promise.resolve();
      t = Math.max(t, deadline);
    },
    advance: (ms: number) => (t += ms),
    sleeps,
  };
}

describe('bandwidth values', () => {
  it('parses rates with a unit per second, and refuses sizes without /s', () => {
    expect(parseBandwidth('50MiB/s')).toBe(50 * 1024 * 1024);
    expect(parseBandwidth('10MB/s')).toBe(10_000_000);
    expect(parseBandwidth('512 KiB / s')).toBe(512 * 1024);
    expect(parseBandwidth(1000)).toBe(1000);
    for (const bad of ['50MiB', 'fast', '0MiB/s', '-1MiB/s', 0, -5])
      expect(parseBandwidth(bad)).toBeUndefined();
  });

  it('is an upload setting with a clear error', () => {
    expect(uploadSchemaForTests({ maxBandwidth: '50MiB/s' }).maxBandwidth).toBe(52_428_800);
    expect(() => uploadSchemaForTests({ maxBandwidth: '50MiB' })).toThrow(
      /expected a rate such as \\"50MiB\/s\\".*"maxBandwidth"/s,
    );
  });
});

describe('rate limiter', () => {
  it('releases bytes at the set rate over the long run', async () => {
    const clock = virtualClock();
    const limiter = createRateLimiter({ bytesPerSecond: 1000, burst: 0, ...clock });
    for (let i = 0; i < 100; i++) await limiter.take(100);
    // 10,000 bytes at 1,000 B/s: the last chunk may start at 9.9 s (it is sent after its wait)
    expect(clock.now()).toBeCloseTo(9900, 6);
  });

  it('shares one rate between concurrent takers, first come first served', async () => {
    const clock = virtualClock();
    const limiter = createRateLimiter({ bytesPerSecond: 1000, burst: 0, ...clock });
    // four uploads reserving at the same instant: slots follow each other on one timeline
    await Promise.all([0, 1, 2, 3].map(() => limiter.take(500)));
    expect(clock.sleeps).toEqual([500, 1000, 1500]);
  });

  it('lets a small burst go after idle time; idle time earns no more than a burst', async () => {
    const clock = virtualClock();
    const limiter = createRateLimiter({ bytesPerSecond: 1000, burst: 200, ...clock });
    await limiter.take(200); // within the burst: no wait
    expect(clock.sleeps).toEqual([]);
    clock.advance(60_000); // a quiet minute
    for (let i = 0; i < 10; i++) await limiter.take(100);
    // 1,000 bytes after the pause: 200 bytes of burst, the rest at 1,000 B/s
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeCloseTo(700, 6);
  });

  it('by default makes up a stall of up to one second, never more', async () => {
    const clock = virtualClock();
    const limiter = createRateLimiter({ bytesPerSecond: 1000, ...clock });
    /** How many 100-byte takes go without waiting, then the wait of the next one. */
    const freeTakes = async () => {
      let free = 0;
      for (;;) {
        const before = clock.sleeps.length;
        await limiter.take(100);
        if (clock.sleeps.length > before) return { free, wait: clock.sleeps.at(-1) };
        free++;
      }
    };
    // a fresh limiter: one second's worth (plus the chunk starting now) at once, then the rate
    expect(await freeTakes()).toEqual({ free: 11, wait: 100 });
    // the store stalls 400 ms: the 300 ms of rate it left unused are made up at once
    clock.advance(400);
    expect(await freeTakes()).toEqual({ free: 4, wait: 100 });
    // a five-second pause earns one second, not five
    clock.advance(5000);
    expect(await freeTakes()).toEqual({ free: 11, wait: 100 });
  });

  it('refuses a rate that is not positive', () => {
    expect(() => createRateLimiter({ bytesPerSecond: 0 })).toThrow(RangeError);
  });

  it('throttles a stream in pieces of at most 64 KiB, byte-exact', async () => {
    const taken: number[] = [];
    const limiter = { bytesPerSecond: 1, take: async (n: number) => void taken.push(n) };
    const data = Buffer.alloc(200 * 1024, 7);
    data[12345] = 1;
    const out = await buffer(
      Readable.from([data.subarray(0, 150_000), data.subarray(150_000)]).pipe(
        throttleStream(limiter),
      ),
    );
    expect(out.equals(data)).toBe(true);
    expect(taken.every((n) => n <= 64 * 1024)).toBe(true);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(data.length);
  });
});
