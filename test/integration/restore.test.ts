/**
 * `restore` against the local S3 server: a byte-exact round trip with mtimes, no overwrite,
 * resume, hostile keys, corrupted objects, symlinks inside the restore folder, ranged GETs.
 */
import { execFileSync } from 'node:child_process';
import {
  lstat,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import {
  openRestore,
  openVerify,
  type ResolvedJob,
  type RestoreEvent,
  type RestoreOptions,
} from '@recsync/framework/internal';
import { harness, dayFiles, harnessPerTest } from '../support/harness.js';
import { faults } from '../support/faults.js';
import { startRecordingProxy } from '../support/recording-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const MiB = 1024 * 1024;
const each = harnessPerTest();

async function synced(files = {}) {
  const h = await harness({
    files: { ...dayFiles('2026-11-23', 5), ...dayFiles('2026-11-24', 5), ...files },
  });
  each.defer(h.dispose);
  expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
  const to = await mkdtemp(path.join(os.tmpdir(), 'recsync-restore-'));
  each.defer(() => rm(to, { recursive: true, force: true }));
  return { h, to };
}

async function restore(job: ResolvedJob, options: RestoreOptions) {
  const run = await openRestore(job, options);
  const events: RestoreEvent[] = [];
  try {
    for await (const e of run.events) events.push(e);
  } finally {
    run.dispose();
  }
  const of = (outcome: string) =>
    events
      .filter((e) => e.outcome === outcome)
      .map((e) => e.key)
      .sort();
  return { summary: run.summary(), events, of };
}

describe('restore', () => {
  it(
    'round-trips a synced archive byte-exact with mtimes (diff -r, stat), including ranged ' +
      'GETs',
    async () => {
      const { h, to } = await synced({
        '2026-11-24/big.wav': { size: 5 * MiB + 123, mtime: '2026-11-24T08:00:00.123456Z' },
      });
      const job = await h.makeJob();
      const { summary } = await restore(job, { to, rangedFrom: MiB, partSize: MiB });
      expect(summary.counts.restored.objects).toBe(11);
      expect(summary.counts.unverified).toBe(0);
      expect(summary.exitCode).toBe(0);
      expect(() => execFileSync('diff', ['-r', h.tree.root, to])).not.toThrow();
      for (const p of ['2026-11-24/big.wav', '2026-11-23/call-002.wav']) {
        const [a, b] = [
          await stat(h.tree.path(p), { bigint: true }),
          await stat(path.join(to, p), { bigint: true }),
        ];
        // utimes takes a double: equal to the microsecond.
        expect(b.mtimeNs / 1000n).toBe(a.mtimeNs / 1000n);
      }
    },
  );

  it(
    'never overwrites a different file without --overwrite; skips files already restored ' +
      '(resume)',
    async () => {
      const { h, to } = await synced();
      const job = await h.makeJob();
      await restore(job, { to });
      await writeFile(path.join(to, '2026-11-23/call-000.wav'), 'mine');
      await rm(path.join(to, '2026-11-24/call-004.wav'));
      const again = await restore(job, { to });
      expect(again.of('restored')).toEqual(['2026-11-24/call-004.wav']);
      expect(again.events.find((e) => e.key === '2026-11-23/call-000.wav')).toMatchObject({
        outcome: 'skipped',
        conflict: true,
      });
      expect(again.of('skipped')).toHaveLength(9);
      expect(again.summary.exitCode).toBe(1);
      expect(await readFile(path.join(to, '2026-11-23/call-000.wav'), 'utf8')).toBe('mine');
      const forced = await restore(job, { to, overwrite: true });
      expect(forced.of('restored')).toEqual(['2026-11-23/call-000.wav']);
      expect(forced.summary.exitCode).toBe(0);
    },
  );

  it('reports a corrupted object instead of writing it', async () => {
    const { h, to } = await synced();
    await faults.flipByte(h.bucket, '2026-11-23/call-001.wav', 5);
    const { events, summary } = await restore(await h.makeJob(), { to });
    expect(events.find((e) => e.key === '2026-11-23/call-001.wav')).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/corrupted/),
    });
    await expect(lstat(path.join(to, '2026-11-23/call-001.wav'))).rejects.toThrow();
    const leftovers = execFileSync('find', [to, '-name', '*.part']).toString();
    expect(leftovers).toBe('');
    expect(summary.exitCode).toBe(1);
  });

  it('refuses hostile keys and never follows a symlink inside --to', async () => {
    // Keys a real store holds but s3rver cannot (it keeps objects as files): added to its listing.
    const hostile = [
      '../../escape.wav',
      '/abs.wav',
      'a//b.wav',
      'sub/./x.wav',
      `${'x'.repeat(256)}.wav`,
    ];
    const proxy = await startRecordingProxy(inject('s3Endpoint'), {
      rewrite: (req, answer) => {
        if (req.method !== 'GET' || !req.query.has('list-type') || answer.status !== 200)
          return undefined;
        const extra = hostile
          .map(
            (k) =>
              `<Contents><Key>${k}</Key><Size>7</Size>` +
              '<StorageClass>STANDARD</StorageClass></Contents>',
          )
          .join('');
        return {
          status: 200,
          body: answer.body
            .toString()
            .replace('</ListBucketResult>', `${extra}</ListBucketResult>`),
        };
      },
    });
    each.defer(proxy.close);
    const { h, to } = await synced();
    for (const key of ['folder/', 'clash', 'clash/inner.wav'])
      await h.client.put(h.bucket, key, 'hostile');
    const outside = await mkdtemp(path.join(os.tmpdir(), 'recsync-outside-'));
    each.defer(() => rm(outside, { recursive: true, force: true }));
    await symlink(outside, path.join(to, '2026-11-24'));
    const { events, summary } = await restore(
      await h.makeJob({ target: { endpoint: proxy.endpoint } }),
      { to },
    );
    const outcome = (key: string) => events.find((e) => e.key === key)?.outcome;
    for (const key of [...hostile, 'folder/'])
      expect([key, outcome(key)]).toEqual([key, 'refused']);
    // the 5 objects under the symlinked folder, and one of "clash" / "clash/inner.wav"
    expect(
      events.filter((e) => e.key.startsWith('2026-11-24/') && e.outcome === 'refused'),
    ).toHaveLength(5);
    expect(events.filter((e) => e.key.startsWith('clash') && e.outcome === 'refused')).toHaveLength(
      1,
    );
    expect(
      events.filter((e) => e.key.startsWith('2026-11-23/') && e.outcome === 'restored'),
    ).toHaveLength(5);
    expect(execFileSync('ls', ['-A', outside]).toString()).toBe('');
    await expect(lstat(path.join(to, '..', 'escape.wav'))).rejects.toThrow();
    // refused before any GET
    expect(
      proxy.requests.filter((r) => r.method === 'GET' && hostile.some((k) => r.path.endsWith(k))),
    ).toEqual([]);
    expect(summary.exitCode).toBe(1);
  });

  it(
    'names that are not valid UTF-8: verify finds them in place, restore writes the original ' +
      'bytes',
    async () => {
      const h = await harness({ files: dayFiles('2026-11-24', 2) });
      each.defer(h.dispose);
      const raw = Buffer.concat([
        Buffer.from(`${h.tree.root}/2026-11-24/`),
        Buffer.from([0x62, 0xe9, 0x6c, 0xff, 0x2e, 0x77, 0x61, 0x76]),
      ]);
      await writeFile(raw, 'latin-1 name');
      await utimes(raw, new Date('2026-11-24T10:00:00Z'), new Date('2026-11-24T10:00:00Z'));
      expect((await h.sync({ now: NOW })).stats.counts.uploaded.files).toBe(3);
      const job = await h.makeJob();
      const run = await openVerify(job, { now: NOW, all: true, level: 'head' });
      const found = [];
      for await (const item of run.items) if (item.type === 'finding') found.push(item.finding);
      await run.dispose();
      expect(found).toEqual([]);
      expect(run.summary().files).toBe(3);
      const to = await mkdtemp(path.join(os.tmpdir(), 'recsync-raw-'));
      each.defer(() => rm(to, { recursive: true, force: true }));
      const { summary } = await restore(job, { to });
      expect(summary.counts.restored.objects).toBe(3);
      const names = await readdir(Buffer.from(path.join(to, '2026-11-24')), { encoding: 'buffer' });
      expect(
        names.some((n) => n.equals(Buffer.from([0x62, 0xe9, 0x6c, 0xff, 0x2e, 0x77, 0x61, 0x76]))),
      ).toBe(true);
      expect(() => execFileSync('diff', ['-r', h.tree.root, to])).not.toThrow();
    },
  );

  it(
    '--dry-run lists what would be downloaded and writes nothing; --prefix and --partition ' +
      'scope it',
    async () => {
      const { h, to } = await synced();
      const job = await h.makeJob();
      const dry = await restore(job, { to, dryRun: true });
      expect(dry.of('planned')).toHaveLength(10);
      expect(execFileSync('ls', ['-A', to]).toString()).toBe('');
      expect((await restore(job, { to, prefix: '2026-11-23/' })).of('restored')).toHaveLength(5);
      expect((await restore(job, { to, partition: '2026-11-24' })).of('restored')).toHaveLength(5);
    },
  );
});
