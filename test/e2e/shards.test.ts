/**
 * Scale-out at the command line: N `recsync sync --shard I/N` processes started at once on one
 * archive, against the local S3 server behind a recording proxy (N = 1, 3, 7). Every PUT is
 * counted per key: the shards together upload exactly what one process uploads, no key twice,
 * and a rerun of each shard is idle. A shard killed mid-run reruns only its own share.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { shardOfKey } from '@recsync/framework/internal';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { callsPerDay, recentDays, runCli, startCli, waitFor, writeConfig } from '../support/cli.js';
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

const DAYS = recentDays(3);
const SPEC: TreeSpec = callsPerDay(DAYS, 12);
const ALL_KEYS = Object.keys(SPEC).sort();

async function fixture() {
  const bucket = `shards-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const tree = await createTree(SPEC);
  const cwd = await writeConfig({ source: tree.root, bucket, endpoint: proxy.endpoint });
  return { bucket, cwd, tree };
}

/**
 * Object PUTs per key in `bucket` recorded since `from` (multipart never happens at these sizes).
 */
function putsSince(bucket: string, from: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of proxy.requests.slice(from)) {
    if (r.method !== 'PUT' || !r.path.startsWith(`/${bucket}/`)) continue;
    const key = r.path.slice(bucket.length + 2);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function runShards(cwd: string, count: number, extra: string[] = []) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      runCli(['sync', '--shard', `${i}/${count}`, ...extra], { cwd }),
    ),
  );
}

// Many CLI processes per test: a generous limit for loaded CI machines (not a timed assertion).
describe('N shards at once', { timeout: 240_000 }, () => {
  it.each([1, 3, 7])(
    'N = %i: the union is one run, no key PUT twice, reruns idle',
    async (count) => {
      const f = await fixture();
      const mark = proxy.requests.length;
      const results = await runShards(f.cwd, count);
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const puts = putsSince(f.bucket, mark);
      expect([...puts.keys()].sort()).toEqual(ALL_KEYS);
      expect([...puts.values()].every((n) => n === 1)).toBe(true);
      expect(await client.keys(f.bucket)).toEqual(ALL_KEYS);
      // One state and one (released) lease per shard.
      const names = (await readdir(path.join(f.cwd, '.recsync')))
        .filter((n) => /\.(state\.json|lock)$/.test(n))
        .sort();
      const expected =
        count === 1
          ? ['rec.state.json']
          : Array.from({ length: count }, (_, i) => `rec.shard-${i}-of-${count}.state.json`).sort();
      expect(names).toEqual(expected);

      const rerunMark = proxy.requests.length;
      for (const r of await runShards(f.cwd, count)) expect(r.code, r.stderr).toBe(0);
      expect(putsSince(f.bucket, rerunMark).size).toBe(0);
    },
  );

  it('each shard uploads only its share, by the documented hash', async () => {
    const f = await fixture();
    const mark = proxy.requests.length;
    const one = await runCli(['sync', '--shard', '1/3', '--json'], { cwd: f.cwd });
    expect(one.code, one.stderr).toBe(0);
    const mine = ALL_KEYS.filter((k) => shardOfKey(k, 3) === 1);
    expect(mine.length).toBeGreaterThan(5);
    expect([...putsSince(f.bucket, mark).keys()].sort()).toEqual(mine);
    const plan = await runCli(['plan', '--shard', '2/3', '--json'], { cwd: f.cwd });
    expect(plan.code, plan.stderr).toBe(0);
    const doc = JSON.parse(plan.stdout) as {
      jobs: {
        run: { shard: unknown };
        partitions: { files: { key: string; action: string }[] }[];
      }[];
    };
    const planned = doc.jobs[0].partitions.flatMap((p) => p.files.map((x) => x.key)).sort();
    expect(doc.jobs[0].run.shard).toEqual({ index: 2, count: 3 });
    expect(planned).toEqual(ALL_KEYS.filter((k) => shardOfKey(k, 3) === 2));
  });

  it('a shard killed mid-run reruns only its own share; the others are unaffected', async () => {
    const f = await fixture();
    const gate = path.join(f.cwd, 'gate');
    const mark = proxy.requests.length;
    const victim = startCli(['sync', '--shard', '1/3'], {
      cwd: f.cwd,
      env: { GATE: gate, GATE_PASS: '3' },
    });
    const others = await Promise.all(
      [0, 2].map((i) => runCli(['sync', '--shard', `${i}/3`], { cwd: f.cwd })),
    );
    for (const r of others) expect(r.code, r.stderr).toBe(0);
    await waitFor(
      () =>
        putsSince(f.bucket, mark).size >= ALL_KEYS.filter((k) => shardOfKey(k, 3) !== 1).length + 3,
      'the victim to upload 3 files',
    );
    victim.child.kill('SIGKILL');
    await victim.done;
    expect(existsSync(path.join(f.cwd, '.recsync', 'rec.shard-1-of-3.lock'))).toBe(true);

    const before = putsSince(f.bucket, mark);
    const rerunMark = proxy.requests.length;
    const rerun = await runCli(['sync', '--shard', '1/3'], { cwd: f.cwd });
    expect(rerun.code, rerun.stderr).toBe(0);
    const again = [...putsSince(f.bucket, rerunMark).keys()];
    expect(again.length).toBeGreaterThan(0);
    for (const key of again) {
      expect(shardOfKey(key, 3)).toBe(1); // only its own share
      expect(before.has(key)).toBe(false); // nothing uploaded before is uploaded again
    }
    expect(await client.keys(f.bucket)).toEqual(ALL_KEYS);
    const idle = proxy.requests.length;
    for (const r of await runShards(f.cwd, 3)) expect(r.code, r.stderr).toBe(0);
    expect(putsSince(f.bucket, idle).size).toBe(0);
  });

  it(
    'a change of the shard count is refused with the way to migrate (exit 2), and status ' +
      'shows every shard',
    async () => {
      const f = await fixture();
      for (const r of await runShards(f.cwd, 3)) expect(r.code, r.stderr).toBe(0);
      const changed = await runCli(['sync', '--shard', '0/4'], { cwd: f.cwd });
      expect(changed.code).toBe(2);
      expect(changed.stderr).toContain('E_SHARDS_CHANGED');
      expect(changed.stderr).toContain('saved state for 3 shards');
      expect(changed.stderr).toContain('recsync state reset --job rec');
      const whole = await runCli(['sync'], { cwd: f.cwd });
      expect(whole.code).toBe(2);
      expect(whole.stderr).toContain('E_SHARDS_CHANGED');
      const conflict = await runCli(['sync', '--shard', '0/3', '--shards', '4'], { cwd: f.cwd });
      expect(conflict.code).toBe(2);
      expect(conflict.stderr).toContain('different shard counts');

      const status = await runCli(['status', '--json'], { cwd: f.cwd });
      const doc = JSON.parse(status.stdout) as {
        jobs: {
          shard: { index: number; count: number };
          state: { lastRun: { exitCode: number } };
        }[];
      };
      expect(doc.jobs.map((j) => j.shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
      expect(doc.jobs.every((j) => j.state.lastRun.exitCode === 0)).toBe(true);

      const reset = await runCli(['state', 'reset', '--job', 'rec'], { cwd: f.cwd });
      expect(reset.code, reset.stderr).toBe(0);
      const mark = proxy.requests.length;
      for (const r of await runShards(f.cwd, 4)) expect(r.code, r.stderr).toBe(0);
      // everything found present: nothing uploaded twice
      expect(putsSince(f.bucket, mark).size).toBe(0);
    },
  );
});
