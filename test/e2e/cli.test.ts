/**
 * End to end: the built `recsync` binary spawned on temporary archives and configs, against the
 * real local S3 server.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  createTestClient,
  createTree,
  type FixtureTree,
  type TreeSpec,
} from '@recsync/framework/testing';
import { recentDays, runCli, startCli, waitFor, writeConfig } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

function archive(dayList: string[], perDay: number): TreeSpec {
  const spec: TreeSpec = {};
  for (const day of dayList) {
    for (let i = 0; i < perDay; i++)
      spec[`${day}/rec-${String(i).padStart(3, '0')}.wav`] = {
        size: 1000 + i * 37,
        mtime: `${day}T10:00:00Z`,
      };
  }
  return spec;
}

async function fixture(perDay = 4, dayCount = 3) {
  const bucket = `e2e-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const spec = archive(recentDays(dayCount), perDay);
  const tree = await createTree(spec);
  const cwd = await writeConfig({ source: tree.root, bucket, endpoint });
  return { bucket, spec, tree, cwd };
}

async function byteExact(tree: FixtureTree, bucket: string, spec: TreeSpec): Promise<boolean> {
  const keys = await client.keys(bucket);
  if (keys.join('\n') !== Object.keys(spec).sort().join('\n')) return false;
  for (const key of keys)
    if (Buffer.compare(await client.get(bucket, key), tree.contentOf(key, spec[key])) !== 0)
      return false;
  return true;
}

describe('recsync binary', () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  beforeAll(async () => {
    f = await fixture();
  });

  it('plans, syncs, and then has nothing left to do', async () => {
    const plan = await runCli(['plan'], { cwd: f.cwd });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(
      /PARTITION\s+STATE\s+UPLOAD\s+BYTES\s+PRESENT\s+EXCLUDED\s+DEFERRED/,
    );
    expect(plan.stdout).toMatch(new RegExp(`${recentDays(1)[0]}\\s+closed\\s+4\\b`));
    expect(plan.stdout).toMatch(/total\s+12\b/);
    expect(await client.keys(f.bucket)).toEqual([]);

    const sync = await runCli(['sync'], { cwd: f.cwd });
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('rec: uploaded 12 files');
    expect(await byteExact(f.tree, f.bucket, f.spec)).toBe(true);

    const again = await runCli(['sync', '--json'], { cwd: f.cwd });
    expect(again.code).toBe(0);
    const events = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0].event).toBe('run');
    expect(events.at(-1)).toMatchObject({
      event: 'done',
      exitCode: 0,
      counts: { uploaded: { files: 0 } },
    });
    expect(events.filter((e) => e.event === 'file' && e.outcome === 'uploaded')).toEqual([]);

    const status = await runCli(['status', '--json'], { cwd: f.cwd });
    expect(JSON.parse(status.stdout).jobs[0].state.cursor).toEqual({ through: recentDays(1)[0] });
  });

  it('streams plan --json as one valid document with every file', async () => {
    await f.tree.write({
      [`${recentDays(1)[0]}/new.wav`]: { content: 'fresh', mtime: `${recentDays(1)[0]}T11:00:00Z` },
    });
    const plan = await runCli(['plan', '--json'], { cwd: f.cwd });
    expect(plan.code).toBe(0);
    const doc = JSON.parse(plan.stdout);
    const files = doc.jobs[0].partitions.flatMap(
      (p: { files: { action: string; key: string }[] }) => p.files,
    );
    expect(
      files
        .filter((x: { action: string }) => x.action === 'upload')
        .map((x: { key: string }) => x.key),
    ).toEqual([`${recentDays(1)[0]}/new.wav`]);
    expect(doc.jobs[0].totals.upload).toEqual({ files: 1, bytes: 5 });
  });
});

describe('errors at the command line', () => {
  it('prints each config problem with its path and exits 2, without a stack trace', async () => {
    const cwd = await writeConfig({
      source: '/nonexistent',
      bucket: 'b',
      endpoint: 'not a url',
      extra: 'remoteCheck: "sometimes",',
    });
    const result = await runCli(['plan'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('recsync: error E_CONFIG_INVALID: invalid config in');
    expect(result.stderr).toContain(
      'jobs.rec.target.endpoint: expected an http:// or https:// URL such as "http://127.0.0.1:9000"; got "not a url"',
    );
    expect(result.stderr).toContain(
      'jobs.rec.remoteCheck: Invalid option: expected one of "list"|"head"|"none"; got "sometimes"',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says where it looked when there is no config (exit 2)', async () => {
    // The search goes up to the home folder: make a fresh one so no config above can be found.
    const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-home-'));
    const cwd = path.join(home, 'a', 'b');
    await mkdir(cwd, { recursive: true });
    const result = await runCli(['plan'], { cwd, env: { HOME: home } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no recsync config found in ${cwd}`);
  });

  it('loads a data-only JSON config that names the strategy by package', async () => {
    const { bucket, tree } = await fixture(1, 1);
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-json-'));
    const config = {
      jobs: {
        rec: {
          source: tree.root,
          target: { bucket, endpoint, forcePathStyle: true },
          strategy: { use: '@recsync/strategy-date', with: { timezone: 'UTC' } },
        },
      },
    };
    await writeFile(path.join(cwd, 'recsync.config.json'), JSON.stringify(config));
    const result = await runCli(['sync'], { cwd });
    expect(result.code).toBe(0);
    expect(await client.keys(bucket)).toHaveLength(1);
  });

  it('exits 4 with one clear error when the bucket does not exist', async () => {
    const { tree } = await fixture(1, 1);
    const cwd = await writeConfig({ source: tree.root, bucket: 'no-such-bucket-here', endpoint });
    const result = await runCli(['sync'], { cwd });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('recsync: error E_TARGET_BUCKET');
    expect(result.stderr).toContain('recsync never creates buckets');
  });
});

describe('state commands with --json', () => {
  it('state adopt and state reset print one JSON document, also with nothing to do', async () => {
    const { cwd } = await fixture(1, 1);
    const json = async (args: string[]) => {
      const result = await runCli([...args, '--json'], { cwd });
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout);
    };
    expect(await json(['state', 'adopt', '--job', 'rec'])).toEqual({
      command: 'state adopt',
      jobs: [{ job: 'rec', adopted: false }],
    });
    expect((await runCli(['sync'], { cwd })).code).toBe(0);
    const adopted = await json(['state', 'adopt', '--job', 'rec']);
    expect(adopted.jobs).toEqual([
      {
        job: 'rec',
        adopted: true,
        states: 1,
        before: expect.any(Object),
        after: adopted.jobs[0].after,
      },
    ]);
    const reset = await json(['state', 'reset', '--job', 'rec']);
    expect(reset.command).toBe('state reset');
    expect(reset.jobs).toEqual([
      { job: 'rec', movedTo: [expect.stringMatching(/rec\.state\.json\..+\.bak$/)] },
    ]);
    expect(existsSync(reset.jobs[0].movedTo[0])).toBe(true);
    expect(await json(['state', 'reset', '--all'])).toEqual({
      command: 'state reset',
      jobs: [{ job: 'rec', movedTo: [] }],
    });
  });
});

describe('concurrency and crashes', () => {
  it('lets only one of two overlapping syncs run: the other exits 3', async () => {
    const { cwd, bucket, tree, spec } = await fixture(3, 1);
    const gate = path.join(cwd, 'open-gate');
    const lease = { RECSYNC_LEASE_TIMEOUT: '5s', RECSYNC_LEASE_HEARTBEAT: '100ms' };
    const first = startCli(['sync'], { cwd, env: { GATE: gate, ...lease } });
    await waitFor(
      () => existsSync(path.join(cwd, '.recsync', 'rec.lock')),
      'the first run to take the lock',
    );
    const second = await runCli(['sync'], { cwd, env: lease });
    expect(second.code).toBe(3);
    expect(second.stderr).toContain('E_LOCKED');
    await writeFile(gate, '');
    expect((await first.done).code).toBe(0);
    expect(await byteExact(tree, bucket, spec)).toBe(true);
  });

  it(
    'a sync killed with SIGKILL mid-upload, then rerun, ends with every file present and ' +
      'byte-exact',
    async () => {
      const { cwd, bucket, tree, spec } = await fixture(10, 3);
      const gate = path.join(cwd, 'never-opened');
      const run = startCli(['sync', '--json'], { cwd, env: { GATE: gate, GATE_PASS: '5' } });
      await waitFor(
        () => (run.stdout().match(/"outcome":"uploaded"/g) ?? []).length >= 5,
        'five uploads',
      );
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      expect((await client.keys(bucket)).length).toBeLessThan(30);

      const rerun = await runCli(['sync'], { cwd });
      expect(rerun.code).toBe(0);
      expect(rerun.stderr).toContain('taking over a stale lease');
      expect(rerun.stderr).toContain('is no longer running on this host');
      expect(await byteExact(tree, bucket, spec)).toBe(true);
    },
  );

  it('stops cleanly on SIGINT: exit 130, state saved; the next run finishes the job', async () => {
    const { cwd, bucket, tree, spec } = await fixture(6, 2);
    const gate = path.join(cwd, 'gate');
    const run = startCli(['sync', '--json'], { cwd, env: { GATE: gate, GATE_PASS: '2' } });
    await waitFor(
      () => (run.stdout().match(/"outcome":"uploaded"/g) ?? []).length >= 2,
      'two uploads',
    );
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    await writeFile(gate, ''); // let the held in-flight uploads finish
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stdout).toContain('"interrupted":true');
    const state = JSON.parse(await readFile(path.join(cwd, '.recsync', 'rec.state.json'), 'utf8'));
    expect(state.lastRun.exitCode).toBe(130);
    const rerun = await runCli(['sync'], { cwd });
    expect(rerun.code).toBe(0);
    expect(await byteExact(tree, bucket, spec)).toBe(true);
  });
});
