/**
 * The spine against the real local S3 server: what lands, what is skipped, what the cursor
 * and the pending set remember, across runs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateFilePath, type OpenFile } from '@recsync/framework/internal';
import type { TreeSpec } from '@recsync/framework/testing';
import { dayFiles, days, harnessPerTest, readJobState } from '../support/harness.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const after = (ms: number) => new Date(NOW.getTime() + ms);
const DAY = 86_400_000;

const { setup } = harnessPerTest();
const readState = readJobState;

describe('sync with date folders', () => {
  it(
    'uploads exactly the archive, byte-exact with mtime metadata; a second run uploads ' +
      'nothing',
    async () => {
      const files = {
        ...dayFiles('2026-11-23', 5),
        ...dayFiles('2026-11-24', 4),
        ...dayFiles('2026-11-25', 3),
        '2026-11-24/sub/deep.wav': { size: 100, mtime: '2026-11-24T05:00:00Z' },
      };
      const h = await setup({ files });
      const first = await h.sync({ now: NOW });
      expect(first.stats.exitCode).toBe(0);
      expect(first.uploadedKeys()).toEqual(Object.keys(files).sort());
      expect(await h.keys()).toEqual(Object.keys(files).sort());
      expect(await h.byteExact(Object.keys(files))).toBe(true);
      const head = await h.client.head(h.bucket, '2026-11-24/sub/deep.wav');
      expect(head.metadata).toMatchObject({
        mtime: `${String(Date.parse('2026-11-24T05:00:00Z') / 1000)}.000000000`,
        size: '100',
      });
      // the open day (today) is synced but not complete: the cursor stops at yesterday
      expect((await readState(h.stateDir)).cursor).toEqual({ through: '2026-11-24' });

      const second = await h.sync({ now: after(60_000) });
      expect(second.stats.exitCode).toBe(0);
      expect(second.uploadedKeys()).toEqual([]);
      expect(second.stats.counts.present.files).toBeGreaterThan(0);
    },
  );

  it('adopts a bucket that already holds most days: only the missing files upload', async () => {
    const all = days('2026-11-15', 10);
    const files = Object.assign({}, ...all.map((d) => dayFiles(d, 4)));
    const h = await setup({ files });
    const old = Object.keys(files).filter((p) => p < '2026-11-23');
    for (const p of old) await h.client.put(h.bucket, p, h.tree.contentOf(p, files[p]));
    await h.client.put(h.bucket, '2026-11-23/call-000.wav', 'short'); // wrong size: uploaded again
    const run = await h.sync({ now: NOW });
    expect(run.uploadedKeys()).toEqual(
      Object.keys(files)
        .filter((p) => p >= '2026-11-23')
        .sort(),
    );
    expect(run.stats.counts.present.files).toBe(old.length);
    expect(await h.byteExact(Object.keys(files))).toBe(true);
  });

  it(
    'catches up every day missed while the machine was off, and lists only look-back days ' +
      'afterwards',
    async () => {
      const h = await setup({
        files: { ...dayFiles('2026-11-20', 2), ...dayFiles('2026-11-21', 2) },
        strategy: { lookback: 1 },
      });
      await h.sync({ now: new Date('2026-11-22T12:00:00Z') });
      expect((await readState(h.stateDir)).cursor).toEqual({ through: '2026-11-21' });
      await h.tree.write({
        ...dayFiles('2026-11-22', 2),
        ...dayFiles('2026-11-23', 2),
        ...dayFiles('2026-11-24', 2),
        ...dayFiles('2026-11-25', 1),
      });
      const items = await h.plan({ now: NOW });
      const partitions = items
        .filter((i) => i.type === 'partition')
        .map((i) => i.type === 'partition' && i.partition);
      expect(partitions.map((p) => p && [p.id, p.recheck, p.closed])).toEqual([
        ['2026-11-21', true, true],
        ['2026-11-22', false, true],
        ['2026-11-23', false, true],
        ['2026-11-24', false, true],
        ['2026-11-25', false, false],
      ]);
      const run = await h.sync({ now: NOW });
      expect(run.uploadedKeys()).toEqual(
        Object.keys({
          ...dayFiles('2026-11-22', 2),
          ...dayFiles('2026-11-23', 2),
          ...dayFiles('2026-11-24', 2),
          ...dayFiles('2026-11-25', 1),
        }).sort(),
      );
      expect((await readState(h.stateDir)).cursor).toEqual({ through: '2026-11-24' });
    },
  );

  it('uploads a late file inside the look-back window, and not outside it', async () => {
    const h = await setup({
      files: Object.assign({}, ...days('2026-11-19', 6).map((d) => dayFiles(d, 2))),
      strategy: { lookback: 2 },
    });
    await h.sync({ now: NOW });
    await h.tree.write({
      '2026-11-23/late.wav': { content: 'late but inside', mtime: '2026-11-25T08:00:00Z' },
      '2026-11-20/late.wav': { content: 'late and outside', mtime: '2026-11-25T08:00:00Z' },
    });
    // On 11-26 the cursor is 11-24 (11-25 was still open last run): look-back re-checks 11-23 and
    // 11-24.
    const run = await h.sync({ now: after(DAY) });
    expect(run.uploadedKeys()).toEqual(['2026-11-23/late.wav']);
    expect(await h.keys('2026-11-20/')).not.toContain('2026-11-20/late.wav');
  });

  it('keeps an unreadable file pending (exit 1) and uploads it once it can be read', async () => {
    const files = dayFiles('2026-11-24', 3);
    const h = await setup({ files });
    const broken = path.join(h.tree.root, '2026-11-24', 'call-001.wav');
    const failing: OpenFile = async (p, flags) => {
      if (p === broken)
        throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), {
          code: 'EACCES',
          syscall: 'open',
          path: p,
        });
      const { open } = await import('node:fs/promises');
      return open(p, flags);
    };
    const first = await h.sync({ now: NOW, openFile: failing });
    expect(first.stats.exitCode).toBe(1);
    expect(first.stats.counts.failed.files).toBe(1);
    expect(first.events.find((e) => e.outcome === 'failed')?.error?.message).toContain('EACCES');
    const state = await readState(h.stateDir);
    expect(Object.keys(state.pending)).toEqual(['2026-11-24/call-001.wav']);
    expect(state.pending['2026-11-24/call-001.wav']).toMatchObject({
      reason: 'failed',
      attempts: 4,
    });
    // the poison file does not block the cursor
    expect(state.cursor).toEqual({ through: '2026-11-24' });
    expect(await h.keys()).toEqual(['2026-11-24/call-000.wav', '2026-11-24/call-002.wav']);

    const second = await h.sync({ now: after(60_000) });
    expect(second.stats.exitCode).toBe(0);
    expect(second.uploadedKeys()).toEqual(['2026-11-24/call-001.wav']);
    expect((await readState(h.stateDir)).pending).toEqual({});
    expect(await h.byteExact(Object.keys(files))).toBe(true);
  });

  it('defers a file younger than the settle time and uploads it on a later run', async () => {
    const h = await setup({
      files: {
        ...dayFiles('2026-11-24', 1),
        '2026-11-25/recording.wav': { size: 500, mtime: after(-60_000) },
      },
    });
    const first = await h.sync({ now: NOW });
    expect(first.stats.exitCode).toBe(0);
    expect(first.events.find((e) => e.path === '2026-11-25/recording.wav')).toMatchObject({
      outcome: 'deferred',
      reason: 'settle 5m',
    });
    expect((await readState(h.stateDir)).pending['2026-11-25/recording.wav']).toMatchObject({
      reason: 'deferred',
    });
    expect(await h.keys('2026-11-25/')).toEqual([]);
    const later = await h.sync({ now: after(10 * 60_000) });
    expect(later.uploadedKeys()).toEqual(['2026-11-25/recording.wav']);
    expect((await readState(h.stateDir)).pending).toEqual({});
  });

  it('refuses to reuse state after the job is pointed at another bucket', async () => {
    const h = await setup({ files: dayFiles('2026-11-24', 1) });
    await h.sync({ now: NOW });
    const other = `${h.bucket}-new`;
    await h.client.createBucket(other);
    const error = await h.sync({ now: NOW }, { target: { bucket: other } }).catch((e) => e);
    expect(error.code).toBe('E_STATE_MISMATCH');
    expect(error.message).toContain(`bucket: state has "${h.bucket}", config has "${other}"`);
    expect(await h.client.keys(other)).toEqual([]);
  });

  it('stops with exit 4 on a bucket that does not exist, leaving nothing pending', async () => {
    const h = await setup({ files: dayFiles('2026-11-24', 3), bucket: null });
    const error = await h.sync({ now: NOW }).catch((e) => e);
    expect(error.code).toBe('E_TARGET_BUCKET');
    expect(error.exitCode).toBe(4);
    expect(error.hint).toContain('recsync never creates buckets');
    await expect(
      readFile(stateFilePath({ stateDir: h.stateDir, name: 'rec' }), 'utf8'),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops with exit 4 when the endpoint is unreachable', async () => {
    const h = await setup({
      files: dayFiles('2026-11-24', 1),
      target: { endpoint: 'http://127.0.0.1:9' },
    });
    const error = await h.sync({ now: NOW }).catch((e) => e);
    expect(error.code).toBe('E_TARGET_UNREACHABLE');
    expect(error.exitCode).toBe(4);
  });

  it('plan shows per-partition work and changes neither the bucket nor the state', async () => {
    const files: TreeSpec = {
      ...dayFiles('2026-11-23', 2),
      ...dayFiles('2026-11-24', 3),
      '2026-11-24/x.tmp': 'tmp',
    };
    const h = await setup({ files, job: { filters: { exclude: ['*.tmp'] } } });
    await h.client.put(
      h.bucket,
      '2026-11-23/call-000.wav',
      h.tree.contentOf('2026-11-23/call-000.wav', files['2026-11-23/call-000.wav']),
    );
    const items = await h.plan({ now: NOW });
    const ends = items.filter((i) => i.type === 'partitionEnd');
    const byId = Object.fromEntries(
      ends.map((e) => e.type === 'partitionEnd' && [e.partition.id, e.counts]) as [string, never][],
    );
    expect(byId['2026-11-23']).toMatchObject({ upload: { files: 1 }, present: { files: 1 } });
    expect(byId['2026-11-24']).toMatchObject({ upload: { files: 3 }, excluded: { files: 1 } });
    expect(await h.keys()).toEqual(['2026-11-23/call-000.wav']);
    await expect(
      readFile(stateFilePath({ stateDir: h.stateDir, name: 'rec' }), 'utf8'),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a --since/--until range syncs those days without moving the cursor', async () => {
    const h = await setup({
      files: Object.assign({}, ...days('2026-11-18', 7).map((d) => dayFiles(d, 1))),
    });
    await h.sync({ now: NOW });
    const cursor = (await readState(h.stateDir)).cursor;
    await h.tree.write({
      '2026-11-19/backfill.wav': { content: 'x', mtime: '2026-11-19T08:00:00Z' },
    });
    const run = await h.sync({ now: NOW, range: { since: '2026-11-19', until: '2026-11-20' } });
    expect(run.uploadedKeys()).toEqual(['2026-11-19/backfill.wav']);
    expect(run.stats.partitions.total).toBe(2);
    expect((await readState(h.stateDir)).cursor).toEqual(cursor);
  });

  it('uploads files above the multipart threshold byte-exact, under a key prefix', async () => {
    const files = {
      '2026-11-24/big.wav': { size: 6 * 1024 * 1024 + 123, mtime: '2026-11-24T03:00:00Z' },
      '2026-11-24/small.wav': { content: 'small', mtime: '2026-11-24T04:00:00Z' },
    };
    const h = await setup({
      files,
      target: { prefix: 'site-a' },
      job: { upload: { multipartThreshold: '5MiB', partSize: '5MiB' } },
    });
    const run = await h.sync({ now: NOW });
    expect(run.uploadedKeys()).toEqual([
      'site-a/2026-11-24/big.wav',
      'site-a/2026-11-24/small.wav',
    ]);
    const big = await h.client.get(h.bucket, 'site-a/2026-11-24/big.wav');
    expect(
      Buffer.compare(big, h.tree.contentOf('2026-11-24/big.wav', files['2026-11-24/big.wav'])),
    ).toBe(0);
    const again = await h.sync({ now: after(60_000) });
    expect(again.uploadedKeys()).toEqual([]);
  });

  it('drops a pending file that was deleted locally, with a warning', async () => {
    const h = await setup({ files: { '2026-11-25/a.wav': { size: 10, mtime: after(-1000) } } });
    await h.sync({ now: NOW });
    expect(Object.keys((await readState(h.stateDir)).pending)).toEqual(['2026-11-25/a.wav']);
    await h.tree.cleanup();
    await h.tree.write({ '2026-11-24/other.wav': { content: 'x', mtime: '2026-11-24T08:00:00Z' } });
    const run = await h.sync({ now: after(DAY) });
    expect(run.events.find((e) => e.path === '2026-11-25/a.wav')?.outcome).toBe('vanished');
    expect((await readState(h.stateDir)).pending).toEqual({});
  });
});
