import { describe, expect, it } from 'vitest';
import { ownsKey, resolveShard, shardOfKey, shardSuffix } from '../src/shard.js';
import { parseShardSuffix } from '../src/shard.js';

describe('the shard hash', () => {
  // Golden values: first 8 bytes of SHA-256 of the key (as `printf %s KEY | sha256sum` shows),
  // big-endian, mod N. Changing them reassigns files between shards: never change them.
  const golden: [string, string, Record<number, number>][] = [
    ['2026-11-25/call-001.wav', 'b6624920f4a2fe8b', { 2: 1, 3: 2, 7: 2, 8: 3, 1000: 459 }],
    ['2026-11-25/call-002.wav', '9e0c1cbaa16b846c', { 2: 0, 3: 1, 7: 5, 8: 4, 1000: 572 }],
    ['backup/2026/11/25/cam1/0001.mp4', '651e5d2aca65fa99', { 2: 1, 3: 0, 7: 0, 8: 1, 1000: 737 }],
    ['journal/a b+c.log', '29971b947be67229', { 2: 1, 3: 2, 7: 4, 8: 1, 1000: 265 }],
    ['é/ü.dat', 'a3440e7a126a77bf', { 2: 1, 3: 0, 7: 5, 8: 7, 1000: 511 }],
  ];
  it.each(golden)('%s → %s', (key, hex, expected) => {
    for (const [n, shard] of Object.entries(expected)) {
      expect(shardOfKey(key, Number(n))).toBe(shard);
      expect(shardOfKey(key, Number(n))).toBe(Number(BigInt(`0x${hex}`) % BigInt(n)));
    }
    expect(shardOfKey(key, 1)).toBe(0);
  });

  it('spreads keys evenly and gives each key exactly one shard', () => {
    const counts = [0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 7000; i++) {
      const key = `2026-11-25/call-${i}.wav`;
      const owners = [0, 1, 2, 3, 4, 5, 6].filter((index) => ownsKey({ index, count: 7 }, key));
      expect(owners).toEqual([shardOfKey(key, 7)]);
      counts[owners[0]]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850); // 1000 each, give or take
    expect(ownsKey(undefined, 'x')).toBe(true);
  });
});

describe('which shard this process is', () => {
  const job = { name: 'rec' };
  it('reads I/N, I with --shards, and the job setting', () => {
    expect(resolveShard(job, { shard: '2/8' })).toEqual({ index: 2, count: 8 });
    expect(resolveShard(job, { shard: '2', shards: 8 })).toEqual({ index: 2, count: 8 });
    expect(resolveShard({ ...job, shards: 8 }, { shard: '7' })).toEqual({ index: 7, count: 8 });
    expect(resolveShard(job, {})).toBeUndefined();
    expect(resolveShard(job, { shard: '0/1' })).toBeUndefined(); // one shard: not sharded
  });

  it('reads the index from the scheduler with auto', () => {
    expect(resolveShard(job, { shard: 'auto', shards: 8 }, { JOB_COMPLETION_INDEX: '5' })).toEqual({
      index: 5,
      count: 8,
    });
    expect(
      resolveShard({ ...job, shards: 3 }, { shard: 'auto' }, { AWS_BATCH_JOB_ARRAY_INDEX: '1' }),
    ).toEqual({ index: 1, count: 3 });
    expect(() => resolveShard(job, { shard: 'auto', shards: 3 }, {})).toThrow(
      /JOB_COMPLETION_INDEX nor AWS_BATCH_JOB_ARRAY_INDEX/,
    );
    expect(() =>
      resolveShard(job, { shard: 'auto', shards: 3 }, { JOB_COMPLETION_INDEX: 'x' }),
    ).toThrow(/not a shard index/);
  });

  it('refuses counts that disagree, are missing or out of range (exit 2)', () => {
    const usage = (f: () => unknown, pattern: RegExp) => {
      try {
        f();
      } catch (error) {
        expect((error as { code: string; exitCode: number }).code).toBe('E_USAGE');
        expect((error as { exitCode: number }).exitCode).toBe(2);
        expect(String((error as Error).message)).toMatch(pattern);
        return;
      }
      throw new Error('expected a usage error');
    };
    usage(() => resolveShard(job, { shard: '1/3', shards: 4 }), /different shard counts/);
    usage(
      () =>
        resolveShard(
          { ...job, shards: 4 },
          { shard: 'auto', shards: 3 },
          { JOB_COMPLETION_INDEX: '0' },
        ),
      /different shard counts/,
    );
    usage(
      () => resolveShard(job, { shard: 'auto' }, { JOB_COMPLETION_INDEX: '0' }),
      /needs the number of shards/,
    );
    usage(() => resolveShard(job, { shard: '3/3' }), /out of range/);
    usage(() => resolveShard(job, { shard: 'a/b' }), /is not a shard/);
    usage(() => resolveShard({ ...job, shards: 4 }, {}), /no --shard was given/);
    usage(() => resolveShard(job, { shard: '0', shards: 0 }), /from 1 to 1000/);
  });

  it('names shard files and reads the names back', () => {
    expect(shardSuffix({ index: 2, count: 8 })).toBe('.shard-2-of-8');
    expect(shardSuffix(undefined)).toBe('');
    expect(parseShardSuffix('rec.shard-2-of-8.state.json', 'rec', '.state.json')).toEqual({
      index: 2,
      count: 8,
    });
    expect(parseShardSuffix('rec.state.json', 'rec', '.state.json')).toBeNull();
    expect(parseShardSuffix('rec.other.state.json', 'rec', '.state.json')).toBeUndefined();
  });
});
