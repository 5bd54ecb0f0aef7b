/**
 * The run lease at the command line: a paused run that lost its lease stops with exit 3
 * without writing, `state reset` takes the lease, `unlock` removes a lease by hand.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree } from '@recsync/framework/testing';
import { recentDays, runCli, startCli, waitFor, writeConfig } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

/** Short lease for tests: stale after 1 s without a heartbeat change by the reader's clock. */
const LEASE = { RECSYNC_LEASE_TIMEOUT: '1s', RECSYNC_LEASE_HEARTBEAT: '100ms' };

async function fixture() {
  const bucket = `lease-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const spec = Object.fromEntries(
    recentDays(2).flatMap((day) =>
      [1, 2].map((i) => [`${day}/rec-${i}.wav`, { size: 500 + i, mtime: `${day}T10:00:00Z` }]),
    ),
  );
  const tree = await createTree(spec);
  const cwd = await writeConfig({ source: tree.root, bucket, endpoint });
  return {
    cwd,
    bucket,
    stateFile: path.join(cwd, '.recsync', 'rec.state.json'),
    lockFile: path.join(cwd, '.recsync', 'rec.lock'),
  };
}

describe('run lease', () => {
  it('a SIGSTOPped sync whose lease was taken over exits 3 without writing the state', async () => {
    const f = await fixture();
    const gate = path.join(f.cwd, 'gate');
    const first = startCli(['sync', '--json'], { cwd: f.cwd, env: { ...LEASE, GATE: gate } });
    await waitFor(
      () => first.stdout().includes('"event":"run"') && existsSync(f.lockFile),
      'the first sync to start',
    );
    first.child.kill('SIGSTOP');
    try {
      // The reset waits for the paused run's heartbeat to stay unchanged for the lease timeout.
      const reset = await runCli(['state', 'reset', '--job', 'rec'], { cwd: f.cwd, env: LEASE });
      expect(reset.code).toBe(0);
      expect(reset.stderr).toContain('taking over a stale lease');
      expect(reset.stderr).toContain("did not change for 1s (by this host's clock)");
    } finally {
      first.child.kill('SIGCONT');
    }
    await writeFile(gate, ''); // its held uploads finish; the partition is done; it would save now
    const result = await first.done;
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).toContain('E_LEASE_LOST');
    expect(existsSync(f.stateFile)).toBe(false);
    expect(existsSync(f.lockFile)).toBe(false);
  });

  it(
    'refuses state reset while a sync renews the lease (exit 3), and without --job or --all ' +
      '(exit 2)',
    async () => {
      const f = await fixture();
      const bare = await runCli(['state', 'reset'], { cwd: f.cwd });
      expect(bare.code).toBe(2);
      expect(bare.stderr).toContain('state reset needs --job NAME (repeatable) or --all');

      const gate = path.join(f.cwd, 'gate');
      const sync = startCli(['sync'], { cwd: f.cwd, env: { ...LEASE, GATE: gate } });
      await waitFor(() => existsSync(f.lockFile), 'the sync to take the lease');
      const status = await runCli(['status', '--json'], { cwd: f.cwd });
      expect(JSON.parse(status.stdout).jobs[0].lease).toMatchObject({
        owner: { pid: sync.child.pid, command: 'sync' },
      });
      const reset = await runCli(['state', 'reset', '--all'], { cwd: f.cwd, env: LEASE });
      expect(reset.code).toBe(3);
      expect(reset.stderr).toContain('E_LOCKED');
      expect(reset.stderr).toContain('this state reset changed nothing');
      await writeFile(gate, '');
      expect((await sync.done).code).toBe(0);
      expect(JSON.parse(await readFile(f.stateFile, 'utf8')).cursor).toEqual({
        through: recentDays(1)[0],
      });
    },
  );

  it('unlock removes a lease left by a pod that is gone and says whose it was', async () => {
    const f = await fixture();
    await mkdir(path.dirname(f.lockFile), { recursive: true });
    const owner = {
      pid: 4242,
      host: 'recsync-28871-x7k2p',
      startedAt: '2026-11-30T01:00:00.000Z',
      command: 'sync',
    };
    await writeFile(
      f.lockFile,
      JSON.stringify({
        format: 'recsync-lease',
        version: 1,
        token: 'a'.repeat(32),
        owner,
        heartbeat: 3,
        renewedAt: owner.startedAt,
      }),
    );
    const bare = await runCli(['unlock'], { cwd: f.cwd });
    expect(bare.code).toBe(2);
    const unlock = await runCli(['unlock', '--job', 'rec'], { cwd: f.cwd });
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toContain('removed the lease of pid 4242 on recsync-28871-x7k2p');
    expect(existsSync(f.lockFile)).toBe(false);
    // default 2m lease timeout: runs at once only because the lease is gone
    const sync = await runCli(['sync'], { cwd: f.cwd });
    expect(sync.code).toBe(0);
    expect(await client.keys(f.bucket)).toHaveLength(4);
  });

  it(
    'takes over the lease of a pod that was killed once its heartbeat stood still for the ' +
      'lease timeout',
    async () => {
      const f = await fixture();
      await mkdir(path.dirname(f.lockFile), { recursive: true });
      const owner = {
        pid: 77,
        host: 'recsync-28871-x7k2p',
        startedAt: '2026-11-30T01:00:00.000Z',
        command: 'sync',
      };
      const record = {
        format: 'recsync-lease',
        version: 1,
        token: 'b'.repeat(32),
        owner,
        heartbeat: 41,
        renewedAt: '2099-01-01T00:00:00.000Z',
      };
      await writeFile(f.lockFile, JSON.stringify(record));
      const sync = await runCli(['sync'], { cwd: f.cwd, env: LEASE });
      expect(sync.code).toBe(0);
      expect(sync.stderr).toContain(
        `taking over a stale lease ${f.lockFile}: pid 77 on recsync-28871-x7k2p`,
      );
      expect(sync.stderr).toContain("its heartbeat did not change for 1s (by this host's clock)");
      expect(await client.keys(f.bucket)).toHaveLength(4);
      expect(existsSync(f.lockFile)).toBe(false);
    },
  );
});
