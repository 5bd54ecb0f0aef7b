import { describe, expect, it } from 'vitest';
import { mapUnordered, runPool } from '../src/internal.js';

async function* numbers(n: number, pulled: number[] = []) {
  for (let i = 0; i < n; i++) {
    pulled.push(i);
    yield i;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('runPool', () => {
  it('never runs more than the limit and processes every item once', async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool(numbers(50), 4, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      seen.push(i);
      active--;
    });
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it('reads ahead only as far as there are free workers (backpressure)', async () => {
    const pulled: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = runPool(numbers(100, pulled), 3, () => gate);
    await tick();
    expect(pulled.length).toBe(3);
    release();
    await run;
    expect(pulled.length).toBe(100);
  });

  it('stops pulling after a worker fails and rethrows the error', async () => {
    const pulled: number[] = [];
    await expect(
      runPool(numbers(1000, pulled), 2, async (i) => {
        if (i === 5) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(pulled.length).toBeLessThan(20);
  });
});

describe('mapUnordered', () => {
  it('yields every item taken from a source that then fails, before the error', async () => {
    async function* source() {
      for (let i = 0; i < 6; i++) yield i;
      throw new Error('folder went away');
    }
    const seen: number[] = [];
    const slow = async (n: number) => {
      await new Promise((r) => setTimeout(r, n % 2 ? 5 : 1));
      return n;
    };
    const error = await (async () => {
      for await (const n of mapUnordered(source(), 4, slow)) seen.push(n);
    })().catch((e: Error) => e);
    expect((error as Error).message).toBe('folder went away');
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('yields results as they finish, not in input order', async () => {
    const delays = [30, 1, 1];
    const out: number[] = [];
    for await (const v of mapUnordered([0, 1, 2], 3, async (i) => {
      await new Promise((r) => setTimeout(r, delays[i]));
      return i;
    }))
      out.push(v);
    expect(out[2]).toBe(0);
    expect(out.sort()).toEqual([0, 1, 2]);
  });

  it('bounds the number of calls in flight', async () => {
    let active = 0;
    let peak = 0;
    const results: number[] = [];
    for await (const v of mapUnordered(numbers(40), 5, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
      return i * 2;
    }))
      results.push(v);
    expect(peak).toBeLessThanOrEqual(5);
    expect(results.length).toBe(40);
  });

  it('passes an error to the consumer', async () => {
    const run = async () => {
      for await (const _ of mapUnordered(numbers(10), 2, async (i) => {
        if (i === 3) throw new Error('bad item');
        return i;
      }));
    };
    await expect(run()).rejects.toThrow('bad item');
  });
});
