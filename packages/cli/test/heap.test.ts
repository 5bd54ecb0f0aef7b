import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercent } from '../src/heap.js';

describe('heap growing percent', () => {
  it("is recsync's default on Node 20 unless set, V8's own on later versions", () => {
    expect(heapGrowingPercent([], {}, 20)).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(heapGrowingPercent([], { RECSYNC_HEAP_GROWING_PERCENT: ' ' }, 20)).toBe(
      DEFAULT_HEAP_GROWING_PERCENT,
    );
    expect(heapGrowingPercent([], {}, 22)).toBeUndefined();
    expect(heapGrowingPercent([], { RECSYNC_HEAP_GROWING_PERCENT: '50' }, 20)).toBe(50);
    expect(heapGrowingPercent([], { RECSYNC_HEAP_GROWING_PERCENT: '50' }, 24)).toBe(50);
  });

  it('leaves V8 its own choice for 0 or a flag given to Node', () => {
    expect(heapGrowingPercent([], { RECSYNC_HEAP_GROWING_PERCENT: '0' })).toBeUndefined();
    expect(heapGrowingPercent(['--heap-growing-percent=80'], {})).toBeUndefined();
    expect(heapGrowingPercent(['--heap_growing_percent', '80'], {})).toBeUndefined();
  });

  it('refuses a value that is not a percentage', () => {
    for (const raw of ['-5', '1.5', 'ten', '2000'])
      expect(() => heapGrowingPercent([], { RECSYNC_HEAP_GROWING_PERCENT: raw })).toThrow(
        expect.objectContaining({ code: 'E_USAGE' }),
      );
  });

  it('makes the command line exit 2 with what to do', () => {
    const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'status'], {
      env: { ...process.env, RECSYNC_HEAP_GROWING_PERCENT: 'abc' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('E_USAGE: RECSYNC_HEAP_GROWING_PERCENT="abc"');
    expect(r.stderr).toContain('or unset it');
  });

  // The flag is set after Node started: this checks that V8 still takes it, by the heap a
  // process allocating the same garbage around the same live set reaches with and without it.
  // Node 20 only, where the setting is the default: later V8s size heaps differently (their
  // untuned heap in this test is already as small).
  const node20 = Number(process.versions.node.split('.')[0]) <= 20;
  it.runIf(node20)('keeps a fast-allocating process heap smaller on Node 20', () => {
    const heap = fileURLToPath(new URL('../dist/heap.js', import.meta.url));
    const script = `
      const { tuneHeap } = await import(${JSON.stringify(heap)});
      const v8 = await import('node:v8');
      if (process.env.TUNE) tuneHeap();
      const live = [];
      let peak = 0;
      for (let i = 0; i < 300; i++) {
        live.push(Array.from({ length: 10000 }, (_, j) => ({ j })));
        if (live.length > 100) live.shift();
        for (let k = 0; k < 20; k++) new Array(5000).fill({ k });
        peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
      }
      console.log(peak);`;
    const peak = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, RECSYNC_HEAP_GROWING_PERCENT: '10', ...env },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      return Number(r.stdout.trim());
    };
    const untuned = peak({});
    const tuned = peak({ TUNE: '1' });
    expect(tuned).toBeGreaterThan(0);
    expect(tuned).toBeLessThan(untuned * 0.9);
  });
});
