/**
 * The run lease: exclusive while renewed, taken over once its heartbeat stops (whatever host
 * wrote it), atomic takeover between racing processes, fencing of a holder that lost it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  acquireLease,
  breakLease,
  fileLeaseBackend,
  resolveLeaseTiming,
  type LeaseRecord,
} from '../src/internal.js';

const fast = { timeoutMs: 400, heartbeatMs: 40 };

async function leaseFile(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), 'recsync-lease-')), 'rec.lock');
}

function foreignRecord(host: string, heartbeat = 7): LeaseRecord {
  return {
    format: 'recsync-lease',
    version: 1,
    token: 'f'.repeat(32),
    owner: { pid: 1, host, startedAt: '2026-11-30T01:00:00.000Z', command: 'sync' },
    heartbeat,
    // Written by a clock far in the future: must not matter (never compared with ours).
    renewedAt: '2099-01-01T00:00:00.000Z',
  };
}

const quiet = { command: 'sync', timing: fast, warn: () => undefined };

describe('run lease', () => {
  it(
    'refuses a second run while the holder renews it (exit 3), then can be taken again after ' +
      'release',
    async () => {
      const file = await leaseFile();
      const lease = await acquireLease(fileLeaseBackend(file), quiet);
      const error = await acquireLease(fileLeaseBackend(file), {
        ...quiet,
        timing: { timeoutMs: 5000, heartbeatMs: 40 },
      }).catch((e) => e);
      expect(error.code).toBe('E_LOCKED');
      expect(error.exitCode).toBe(3);
      expect(error.message).toContain(`pid ${process.pid} on ${os.hostname()}`);
      await lease.release();
      expect(existsSync(file)).toBe(false);
      await (await acquireLease(fileLeaseBackend(file), quiet)).release();
    },
  );

  it('creates the lease file private to its owner (0600)', async () => {
    const file = await leaseFile();
    const lease = await acquireLease(fileLeaseBackend(file), quiet);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await lease.release();
  });

  it('takes over a lease of another host whose heartbeat stopped, warning who it was', async () => {
    const file = await leaseFile();
    await writeFile(file, JSON.stringify(foreignRecord('recsync-7f9c-pod-xk2lp')));
    const warnings: string[] = [];
    const lease = await acquireLease(fileLeaseBackend(file), {
      ...quiet,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('taking over a stale lease');
    expect(warnings[0]).toContain('on recsync-7f9c-pod-xk2lp');
    expect(warnings[0]).toContain("did not change for 400ms (by this host's clock)");
    expect(JSON.parse(await readFile(file, 'utf8')).token).toBe(lease.token);
    await lease.release();
  });

  it('does not take over a lease from another host that keeps renewing it', async () => {
    const file = await leaseFile();
    let beat = 0;
    await writeFile(file, JSON.stringify(foreignRecord('other-host', beat)));
    const renewer = setInterval(
      () => void writeFile(file, JSON.stringify(foreignRecord('other-host', ++beat))),
      30,
    );
    try {
      const error = await acquireLease(fileLeaseBackend(file), quiet).catch((e) => e);
      expect(error.code).toBe('E_LOCKED');
      expect(error.message).toContain('on other-host');
    } finally {
      clearInterval(renewer);
    }
  });

  it('takes over at once a lease whose process is gone on this host (same boot)', async () => {
    const file = await leaseFile();
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    const first = await acquireLease(fileLeaseBackend(file), {
      ...quiet,
      timing: { timeoutMs: 3_600_000, heartbeatMs: 600_000 },
    });
    const record = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...record, owner: { ...record.owner, pid: deadPid } }));
    const warnings: string[] = [];
    // A one-hour timeout: only the dead-pid check can explain a takeover within the test.
    const second = await acquireLease(fileLeaseBackend(file), {
      ...quiet,
      timing: { timeoutMs: 3_600_000, heartbeatMs: 600_000 },
      warn: (m) => warnings.push(m),
    });
    expect(warnings[0]).toContain(`pid ${deadPid} is no longer running on this host`);
    await second.release();
    await first.release();
  });

  it(
    'reads a lock file written by an older recsync (no token, no heartbeat) and takes it ' +
      'over once stale',
    async () => {
      const file = await leaseFile();
      await writeFile(
        file,
        JSON.stringify({
          pid: 1,
          host: 'old-host',
          startedAt: '2026-11-01T00:00:00.000Z',
          command: 'sync',
        }),
      );
      const warnings: string[] = [];
      const lease = await acquireLease(fileLeaseBackend(file), {
        ...quiet,
        warn: (m) => warnings.push(m),
      });
      expect(warnings[0]).toContain('pid 1 on old-host, started 2026-11-01T00:00:00.000Z (sync)');
      await lease.release();
    },
  );

  it('tries again when the lease it watches is released, not reporting it held', async () => {
    const file = await leaseFile();
    const first = await acquireLease(fileLeaseBackend(file), {
      ...quiet,
      timing: { timeoutMs: 60_000, heartbeatMs: 30_000 },
    });
    setTimeout(() => void first.release(), 100);
    // No heartbeat within the test: only the release can end the watch.
    const second = await acquireLease(fileLeaseBackend(file), {
      ...quiet,
      timing: { timeoutMs: 60_000, heartbeatMs: 30_000 },
    });
    expect(JSON.parse(await readFile(file, 'utf8')).token).toBe(second.token);
    await second.release();
  });

  it('stops waiting for a lease when interrupted (E_INTERRUPTED)', async () => {
    const file = await leaseFile();
    await writeFile(file, JSON.stringify(foreignRecord('busy-host')));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const timing = { timeoutMs: 3_600_000, heartbeatMs: 60_000 };
    const error = await acquireLease(fileLeaseBackend(file), {
      ...quiet,
      timing,
      signal: controller.signal,
    }).catch((e) => e);
    expect(error.code).toBe('E_INTERRUPTED');
    expect(error.exitCode).toBe(130);
    expect(JSON.parse(await readFile(file, 'utf8')).owner.host).toBe('busy-host');
  });

  it('fences a holder that lost its lease: assertHeld throws E_LEASE_LOST', async () => {
    const file = await leaseFile();
    const a = await acquireLease(fileLeaseBackend(file), quiet);
    // As if `a` were paused past the timeout: another run removes it and takes the lease.
    await breakLease(fileLeaseBackend(file));
    const b = await acquireLease(fileLeaseBackend(file), quiet);
    if (!a.lost.aborted)
      await new Promise<void>((resolve) =>
        a.lost.addEventListener('abort', () => resolve(), { once: true }),
      );
    const error = await a.assertHeld().catch((e) => e);
    expect(error.code).toBe('E_LEASE_LOST');
    expect(error.exitCode).toBe(3);
    await a.release(); // must not remove b's lease
    expect(JSON.parse(await readFile(file, 'utf8')).token).toBe(b.token);
    await b.assertHeld();
    await b.release();
  });

  it('lets exactly one of several processes racing for the same stale lease win', async () => {
    const file = await leaseFile();
    const dir = path.dirname(file);
    await writeFile(file, JSON.stringify(foreignRecord('crashed-pod')));
    const racers = 4;
    const script = `
      import { existsSync } from 'node:fs';
      import { acquireLease, fileLeaseBackend } from '@recsync/framework/internal';
      const [file, go, release] = process.argv.slice(1);
      while (!existsSync(go)) await new Promise((r) => setTimeout(r, 5));
      try {
        const lease = await acquireLease(fileLeaseBackend(file), {
          command: 'sync',
          timing: { timeoutMs: 400, heartbeatMs: 40 },
          warn: () => {},
        });
        console.log('WON ' + lease.token);
        while (!existsSync(release)) await new Promise((r) => setTimeout(r, 5));
        await lease.release();
      } catch (error) {
        console.log('LOST ' + error.code);
      }`;
    const go = path.join(dir, 'go');
    const release = path.join(dir, 'release');
    const children = Array.from({ length: racers }, () => {
      const child = spawn(
        process.execPath,
        ['--input-type=module', '-e', script, file, go, release],
        {
          cwd: path.dirname(fileURLToPath(import.meta.url)),
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const answered = new Promise<void>((resolve) => {
        const check = () => (out.includes('\n') ? resolve() : setTimeout(check, 10));
        check();
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      return { answered, exited, out: () => out.trim() };
    });
    // let the processes start: not a correctness condition
    await new Promise((r) => setTimeout(r, 300));
    await writeFile(go, '');
    await Promise.all(children.map((c) => c.answered));
    const answers = children.map((c) => c.out());
    await writeFile(release, '');
    await Promise.all(children.map((c) => c.exited));
    const winners = answers.filter((a) => a.startsWith('WON'));
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a === 'LOST E_LOCKED')).toHaveLength(racers - 1);
    expect(existsSync(file)).toBe(false); // the winner released it
  });
});

describe('lease timing', () => {
  it('defaults to 2m / 15s; the environment overrides the config', () => {
    expect(resolveLeaseTiming({}, {})).toEqual({ timeoutMs: 120_000, heartbeatMs: 15_000 });
    expect(resolveLeaseTiming({ timeoutMs: 600_000 }, {})).toEqual({
      timeoutMs: 600_000,
      heartbeatMs: 15_000,
    });
    expect(resolveLeaseTiming({ timeoutMs: 40_000 }, {})).toEqual({
      timeoutMs: 40_000,
      heartbeatMs: 10_000,
    });
    expect(
      resolveLeaseTiming(
        { timeoutMs: 600_000 },
        { RECSYNC_LEASE_TIMEOUT: '2s', RECSYNC_LEASE_HEARTBEAT: '200ms' },
      ),
    ).toEqual({ timeoutMs: 2000, heartbeatMs: 200 });
  });

  it('refuses a heartbeat over half the timeout, and a variable that is not a duration', () => {
    expect(() => resolveLeaseTiming({ timeoutMs: 10_000, heartbeatMs: 6000 }, {})).toThrow(
      /at most half the lease timeout/,
    );
    expect(() => resolveLeaseTiming({}, { RECSYNC_LEASE_TIMEOUT: '120' })).toThrow(
      /RECSYNC_LEASE_TIMEOUT="120" is not a duration/,
    );
  });
});
