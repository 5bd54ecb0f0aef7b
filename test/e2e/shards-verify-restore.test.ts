/**
 * Scale-out for `recsync verify` and `recsync restore` at the command line: N = 3 processes
 * started at once (`--shard I/3`, or `--shard auto` with the scheduler's index variable) against
 * the local S3 server behind a recording proxy. Every HEAD and GET is counted per key: together
 * the shards check and restore exactly what one process does, no key twice; a problem in one
 * shard's key is reported by that shard alone.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { shardOfKey } from '@recsync/framework/internal';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { callsPerDay, recentDays, runCli, type CliResult, writeConfig } from '../support/cli.js';
import { faults } from '../support/faults.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
let proxy: RecordingProxy;
beforeAll(async () => {
  proxy = await startRecordingProxy(endpoint);
});
afterAll(async () => {
  client.destroy();
  await proxy.close();
});

const N = 3;
const DAYS = recentDays(3);
const SPEC: TreeSpec = callsPerDay(DAYS, 12, '.123456');
const ALL_KEYS = Object.keys(SPEC).sort();
const ownedBy = (index: number) => ALL_KEYS.filter((k) => shardOfKey(k, N) === index);

/** An archive synced by N shards (the job's `shards` setting is N when `setting`). */
async function synced(options: { setting?: boolean } = {}) {
  const bucket = `shard-vr-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const tree = await createTree(SPEC);
  const cwd = await writeConfig({
    source: tree.root,
    bucket,
    endpoint: proxy.endpoint,
    ...(options.setting ? { extra: `shards: ${N},` } : {}),
  });
  const syncs = await Promise.all(
    Array.from({ length: N }, (_, i) => runCli(['sync', '--shard', `${i}/${N}`], { cwd })),
  );
  for (const r of syncs) expect(r.code, r.stderr).toBe(0);
  expect(await client.keys(bucket)).toEqual(ALL_KEYS);
  return { bucket, cwd, tree };
}

/** Requests of `method` per object key in `bucket` since `from` (listings are not counted). */
function perKey(method: string, bucket: string, from: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of proxy.requests.slice(from)) {
    if (r.method !== method || !r.path.startsWith(`/${bucket}/`)) continue;
    const key = r.path.slice(bucket.length + 2);
    if (key === '') continue;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function shards(
  args: (i: number) => string[],
  cwd: string,
  env?: (i: number) => Record<string, string>,
) {
  return Promise.all(
    Array.from({ length: N }, (_, i) => runCli(args(i), { cwd, ...(env ? { env: env(i) } : {}) })),
  );
}

const ndjson = (r: CliResult) =>
  r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

// Many CLI processes per test: a generous limit for loaded machines (not a timed assertion).
describe('verify and restore as N shards', { timeout: 240_000 }, () => {
  it(
    'verify --shard auto (JOB_COMPLETION_INDEX): each key checked by exactly one ' +
      'shard, the union is all',
    async () => {
      const f = await synced({ setting: true });
      const mark = proxy.requests.length;
      const runs = await shards(
        () => ['verify', '--all', '--head', '--shard', 'auto', '--json'],
        f.cwd,
        (i) => ({ JOB_COMPLETION_INDEX: String(i) }),
      );
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const heads = perKey('HEAD', f.bucket, mark);
      expect([...heads.keys()].sort()).toEqual(ALL_KEYS);
      expect([...heads.values()].every((n) => n === 1)).toBe(true);
      // Each process says it checked one shard's share, and which keys were its own.
      runs.forEach((r, i) => {
        const events = ndjson(r);
        expect(events[0]).toMatchObject({
          event: 'cost',
          shard: { index: i, count: N },
          objects: ownedBy(i).length,
          headRequests: ownedBy(i).length,
        });
        expect(events.at(-1)).toMatchObject({
          event: 'summary',
          shard: { index: i, count: N },
          files: ownedBy(i).length,
          objects: ownedBy(i).length,
          exitCode: 0,
        });
      });
      const byShard = ALL_KEYS.map((k) => shardOfKey(k, N));
      for (let i = 0; i < N; i++) expect(byShard).toContain(i); // every shard had a share

      // The text report names the shard too.
      const text = await runCli(['verify', '--all', '--shard', 'auto'], {
        cwd: f.cwd,
        env: { JOB_COMPLETION_INDEX: '2' },
      });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stderr).toContain(
        `job rec (shard 2 of ${N}): list check of all (this shard's share)`,
      );
      expect(text.stdout).toContain(
        `job rec (shard 2 of ${N}): list check of all (this shard's share)`,
      );
      expect(text.stdout).toContain(`${ownedBy(2).length} file(s)`);
      await f.tree.cleanup();
    },
  );

  it(
    "a fault in one shard's key is reported by that shard alone " + '(exit 1), the others exit 0',
    async () => {
      const f = await synced();
      const corrupt = ownedBy(0)[0];
      const missing = ownedBy(2)[1];
      await faults.flipByte(f.bucket, corrupt, 100);
      await faults.deleteObject(f.bucket, missing);

      // Listing level: only the deleted object is seen, by its own shard.
      const list = await shards(
        (i) => ['verify', '--all', '--shard', `${i}/${N}`, '--json'],
        f.cwd,
      );
      expect(list.map((r) => r.code)).toEqual([0, 0, 1]);
      const listFindings = list.map((r) => ndjson(r).filter((e) => e.event === 'finding'));
      expect(listFindings[2]).toEqual([expect.objectContaining({ kind: 'missing', key: missing })]);
      expect(listFindings[0]).toEqual([]);
      expect(listFindings[1]).toEqual([]);

      // --deep: the flipped byte is found by shard 0 alone; every object is read back once.
      const mark = proxy.requests.length;
      const deep = await shards(
        (i) => ['verify', '--all', '--deep', '--shard', `${i}/${N}`],
        f.cwd,
      );
      expect(deep.map((r) => r.code)).toEqual([1, 0, 1]);
      expect(deep[0].stdout).toMatch(new RegExp(`object-corrupt\\s+${corrupt}`));
      expect(deep[2].stdout).toMatch(new RegExp(`missing\\s+${missing}`));
      expect(deep[1].stdout).toContain('findings: none');
      for (const r of [deep[1], deep[2]]) expect(r.stdout).not.toContain(corrupt);
      for (const r of [deep[0], deep[1]]) expect(r.stdout).not.toContain(missing);
      const gets = perKey('GET', f.bucket, mark);
      expect([...gets.keys()].sort()).toEqual(ALL_KEYS.filter((k) => k !== missing));
      expect([...gets.values()].every((n) => n === 1)).toBe(true);
      await f.tree.cleanup();
    },
  );

  it(
    'restore as 3 shards: the union is one restore, byte-exact, ' + 'each object fetched once',
    async () => {
      const f = await synced({ setting: true });
      const shared = await mkdtemp(path.join(os.tmpdir(), 'recsync-shards-to-'));
      const mark = proxy.requests.length;
      const runs = await shards(
        () => ['restore', '--to', shared, '--shard', 'auto', '--json'],
        f.cwd,
        (i) => ({ AWS_BATCH_JOB_ARRAY_INDEX: String(i) }),
      );
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const gets = perKey('GET', f.bucket, mark);
      expect([...gets.keys()].sort()).toEqual(ALL_KEYS);
      expect([...gets.values()].every((n) => n === 1)).toBe(true);
      runs.forEach((r, i) => {
        const events = ndjson(r);
        expect(events[0]).toMatchObject({ event: 'restore', shard: { index: i, count: N } });
        const restored = events
          .filter((e) => e.event === 'object' && e.outcome === 'restored')
          .map((e) => e.key as string)
          .sort();
        expect(restored).toEqual(ownedBy(i));
        expect(events.at(-1)).toMatchObject({ event: 'summary', shard: { index: i, count: N } });
      });

      // One process without --shard restores the whole job (its `shards` setting notwithstanding).
      const single = await mkdtemp(path.join(os.tmpdir(), 'recsync-one-to-'));
      const one = await runCli(['restore', '--to', single], { cwd: f.cwd });
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout).toContain(`${ALL_KEYS.length} restored`);
      expect(() => execFileSync('diff', ['-r', single, shared])).not.toThrow();
      expect(() => execFileSync('diff', ['-r', f.tree.root, shared])).not.toThrow();
      const mtimes = (dir: string) =>
        execFileSync('find', [dir, '-type', 'f', '-printf', '%P %T@\n'])
          .toString()
          .split('\n')
          .sort()
          .join('\n');
      expect(mtimes(shared)).toBe(mtimes(single));
      const names = (await readdir(shared, { recursive: true })).map(String);
      expect(names.filter((n) => n.endsWith('.part') || n.includes('.recsync-case-'))).toEqual([]);

      // Shards of a partition scope restore their share of it, whatever the saved states hold.
      const day = path.join(shared, 'day');
      const scoped = await runCli(
        ['restore', '--to', day, '--partition', DAYS[0], '--shard', '1/3', '--json'],
        { cwd: f.cwd },
      );
      expect(scoped.code, scoped.stderr).toBe(0);
      const scopedKeys = ndjson(scoped)
        .filter((e) => e.event === 'object')
        .map((e) => e.key as string)
        .sort();
      expect(scopedKeys).toEqual(ownedBy(1).filter((k) => k.startsWith(`${DAYS[0]}/`)));
      // And one process restores a whole partition of the sharded job (no state is read).
      const wholeDay = await runCli(
        ['restore', '--to', path.join(shared, 'whole-day'), '--partition', DAYS[0], '--dry-run'],
        { cwd: f.cwd },
      );
      expect(wholeDay.code, wholeDay.stderr).toBe(0);
      expect(wholeDay.stdout).toContain('12 would be restored');
      await f.tree.cleanup();
    },
  );

  it('shard counts that disagree, or no shard index, are usage errors (exit 2)', async () => {
    const f = await synced({ setting: true });
    const env = { JOB_COMPLETION_INDEX: '0' };
    for (const command of [
      ['verify', '--all'],
      ['restore', '--to', path.join(f.cwd, 'to')],
    ]) {
      const differ = await runCli([...command, '--shard', 'auto', '--shards', '4'], {
        cwd: f.cwd,
        env,
      });
      expect(differ.code, differ.stderr).toBe(2);
      expect(differ.stderr).toContain('different shard counts');
      const flag = await runCli([...command, '--shard', '1/4'], { cwd: f.cwd });
      expect(flag.code, flag.stderr).toBe(2);
      expect(flag.stderr).toContain('different shard counts');
      const noIndex = await runCli([...command, '--shard', 'auto'], { cwd: f.cwd });
      expect(noIndex.code, noIndex.stderr).toBe(2);
      expect(noIndex.stderr).toContain('JOB_COMPLETION_INDEX');
      const outOfRange = await runCli([...command, '--shard', 'auto'], {
        cwd: f.cwd,
        env: { JOB_COMPLETION_INDEX: '3' },
      });
      expect(outOfRange.code, outOfRange.stderr).toBe(2);
      expect(outOfRange.stderr).toContain('out of range');
    }
    // verify follows sync's rule: a sharded job is checked shard by shard.
    const whole = await runCli(['verify', '--all'], { cwd: f.cwd });
    expect(whole.code, whole.stderr).toBe(2);
    expect(whole.stderr).toContain('no --shard was given');
    await f.tree.cleanup();
  });
});
