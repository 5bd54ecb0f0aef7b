/**
 * State and leases in the bucket (`state: { store: 's3' }`). The local S3 server ignores
 * conditional headers, so the requests go through a proxy that enforces them per key
 * (support/conditional-proxy.ts); straight to the server, the store is refused at the start.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  acquireJobLease,
  acquireLease,
  jobLeaseBackend,
  JobState,
  type LeaseRecord,
  type ResolvedJob,
} from '@recsync/framework/internal';
import { harness, dayFiles } from '../support/harness.js';
import { startConditionalProxy, type ConditionalProxy } from '../support/conditional-proxy.js';
import { recentDays, runCli, writeConfig } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
let proxy: ConditionalProxy;
beforeAll(async () => {
  proxy = await startConditionalProxy(endpoint);
});
afterAll(() => proxy.close());

const STORE = { store: 's3', prefix: '_recsync/state/' } as const;
const warnNothing = () => undefined;

async function bucketJob(through: string) {
  const h = await harness({ files: dayFiles('2026-11-20', 3) });
  const job = await h.makeJob();
  const inBucket: ResolvedJob = {
    ...job,
    stateStore: STORE,
    target: { ...job.target, endpoint: through },
  };
  return { h, job: inBucket };
}

describe('the bucket state store', () => {
  it('refuses a store that ignores conditional writes (exit 2) before any lease', async () => {
    const { h, job } = await bucketJob(endpoint); // the server alone: no conditional writes
    const error = await acquireJobLease(job, { command: 'sync', warn: warnNothing }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'E_STATE_STORE_UNSAFE', exitCode: 2 });
    expect(String((error as Error).message)).toContain(
      'If-None-Match: * (a second create overwrote the first)',
    );
    expect(await h.keys('_recsync/')).toEqual([]); // the probe cleaned up after itself
    await h.dispose();
  });

  it('two runs racing for one lease: exactly one gets it, the other exits 3', async () => {
    const { h, job } = await bucketJob(proxy.endpoint);
    const timing = { timeoutMs: 60_000, heartbeatMs: 200 };
    const take = () =>
      acquireLease(jobLeaseBackend(job), { command: 'sync', timing, warn: warnNothing });
    const [a, b] = await Promise.allSettled([take(), take()]);
    const won = [a, b].filter((r) => r.status === 'fulfilled');
    const lost = [a, b].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost[0].reason).toMatchObject({ code: 'E_LOCKED', exitCode: 3 });
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof take>>>).value.release();
    expect(await h.keys('_recsync/')).toEqual([]);
    await h.dispose();
  });

  it(
    'two writers racing for one state: one wins, the other stops with E_STATE_CONFLICT (exit ' +
      '3)',
    async () => {
      const { h, job } = await bucketJob(proxy.endpoint);
      const [a, b] = await Promise.all([JobState.load(job), JobState.load(job)]);
      a.cursor = { through: '2026-11-19' };
      b.cursor = { through: '2026-11-20' };
      const results = await Promise.allSettled([a.save(), b.save()]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(loser?.reason).toMatchObject({ code: 'E_STATE_CONFLICT', exitCode: 3 });
      const winner = results[0].status === 'fulfilled' ? a : b;
      winner.cursor = { through: '2026-11-21' };
      await winner.save(); // its own next write carries the ETag it wrote: accepted
      const stale = winner === a ? b : a;
      await expect(stale.save()).rejects.toMatchObject({ code: 'E_STATE_CONFLICT' });
      const reread = await JobState.load(job);
      expect(reread.cursor).toEqual({ through: '2026-11-21' });
      expect(proxy.refused.length).toBeGreaterThan(0);
      await h.dispose();
    },
  );

  it(
    "judges a lease's age by the store's LastModified, not by " + 'the clock its writer wrote',
    async () => {
      const { h, job } = await bucketJob(proxy.endpoint);
      const backend = jobLeaseBackend(job);
      // A lease from another pod whose clock runs a day ahead: its own timestamps say "fresh".
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const record: LeaseRecord = {
        format: 'recsync-lease',
        version: 1,
        token: 'elsewhere',
        owner: { pid: 1, host: 'pod-elsewhere', startedAt: future, command: 'sync' },
        heartbeat: 7,
        renewedAt: future,
      };
      expect(await backend.create(record)).not.toBe(false);
      await new Promise((r) => setTimeout(r, 2100)); // LastModified has one-second precision
      const warnings: string[] = [];
      const lease = await acquireLease(backend, {
        command: 'sync',
        timing: { timeoutMs: 1000, heartbeatMs: 200 },
        warn: (m) => warnings.push(m),
      });
      expect(warnings.join('\n')).toContain("by the store's clock");
      expect(warnings.join('\n')).toContain('pod-elsewhere');
      await lease.release();
      await h.dispose();
    },
  );
});

describe('sharded runs with state in the bucket (command line)', { timeout: 240_000 }, () => {
  it(
    '3 shards keep state and leases as objects, no local state; reruns are idle; status ' +
      'reads the bucket',
    async () => {
      const h = await harness({
        files: Object.fromEntries(recentDays(2).flatMap((d) => Object.entries(dayFiles(d, 6)))),
      });
      const cwd = await writeConfig({
        source: h.tree.root,
        bucket: h.bucket,
        endpoint: proxy.endpoint,
      });
      const file = path.join(cwd, 'recsync.config.ts');
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(file, 'utf8');
      await writeFile(
        file,
        text.replace(
          'export default defineConfig({',
          `export default defineConfig({\n  state: ${JSON.stringify(STORE)},`,
        ),
      );
      const run = () =>
        Promise.all([0, 1, 2].map((i) => runCli(['sync', '--shard', `${i}/3`, '--json'], { cwd })));
      for (const r of await run()) expect(r.code, r.stderr).toBe(0);
      // Only the audit manifests stay local (per shard); state and leases are in the bucket.
      const local = existsSync(path.join(cwd, '.recsync'))
        ? await readdir(path.join(cwd, '.recsync'), { recursive: true })
        : [];
      expect(local.filter((n) => /\.(state\.json|lock)$/.test(String(n)))).toEqual([]);
      const manifests = local
        .filter((n) => String(n).endsWith('.jsonl'))
        .map((n) => String(n).replace(/^.*\.(shard-\d-of-3)\.jsonl$/, '$1'));
      expect(manifests.sort()).toEqual(['shard-0-of-3', 'shard-1-of-3', 'shard-2-of-3']);
      expect(await h.keys('_recsync/')).toEqual(
        [0, 1, 2].map((i) => `_recsync/state/rec.shard-${i}-of-3.state.json`),
      );
      const dataKeys = (await h.keys()).filter((k) => !k.startsWith('_recsync/'));
      expect(dataKeys).toHaveLength(12);
      for (const r of await run()) {
        expect(r.code, r.stderr).toBe(0);
        const done = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { event: string; counts?: { uploaded: { files: number } } })
          .find((e) => e.event === 'done');
        expect(done?.counts?.uploaded.files).toBe(0);
      }
      const status = await runCli(['status', '--json'], { cwd });
      const doc = JSON.parse(status.stdout) as {
        jobs: { stateFile: string; state: { lastRun: { exitCode: number } } | null }[];
      };
      expect(doc.jobs.map((j) => j.stateFile)).toEqual(
        [0, 1, 2].map((i) => `s3://${h.bucket}/_recsync/state/rec.shard-${i}-of-3.state.json`),
      );
      expect(doc.jobs.every((j) => j.state?.lastRun.exitCode === 0)).toBe(true);
      await h.dispose();
    },
  );

  it(
    'refuses the bucket store at the command line when the store ignores conditional writes ' +
      '(exit 2, nothing uploaded)',
    async () => {
      const h = await harness({ files: dayFiles(recentDays(1)[0], 2) });
      const cwd = await writeConfig({ source: h.tree.root, bucket: h.bucket, endpoint });
      const file = path.join(cwd, 'recsync.config.ts');
      const { readFile } = await import('node:fs/promises');
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace(
          'export default defineConfig({',
          `export default defineConfig({\n  state: ${JSON.stringify(STORE)},`,
        ),
      );
      const r = await runCli(['sync'], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('E_STATE_STORE_UNSAFE');
      expect(await h.keys()).toEqual([]);
      await h.dispose();
    },
  );
});
