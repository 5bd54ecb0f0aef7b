/**
 * The idle night: partitions whose folders are unchanged since their last complete check are
 * neither read nor listed (`lookbackCheck: 'folders'`, the default); a changed folder is.
 */
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPlan } from '@recsync/framework';
import { dayFiles, harness, harnessPerTest } from '../support/harness.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { inject } from 'vitest';

const NOW = new Date('2026-11-25T12:00:00Z');
const LATER = new Date('2026-11-26T01:00:00Z');
const HOUR_AGO = () => new Date(Date.now() - 3_600_000);

const each = harnessPerTest();

async function setup(job: Record<string, unknown> = {}) {
  const proxy = await startRecordingProxy(inject('s3Endpoint'));
  const files = {
    ...dayFiles('2026-11-22', 3),
    ...dayFiles('2026-11-23', 3),
    ...dayFiles('2026-11-24', 3),
    '2026-11-24/sub/deep.wav': { size: 10, mtime: '2026-11-24T05:00:00Z' },
  };
  const h = await harness({
    files,
    target: { endpoint: proxy.endpoint },
    strategy: { lookback: 2 },
    job,
  });
  each.defer(async () => {
    await h.dispose();
    await proxy.close();
  });
  await h.tree.ageFolders(HOUR_AGO());
  return { h, proxy };
}

const listed = (proxy: RecordingProxy) =>
  [
    ...new Set(
      proxy.requests
        .filter((r) => r.query.get('list-type') === '2' && r.query.get('prefix'))
        .map((r) => r.query.get('prefix')),
    ),
  ].sort();

describe('unchanged folders', () => {
  it('a plan after a complete sync sends no request at all when no folder changed', async () => {
    const { h, proxy } = await setup();
    expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
    proxy.requests.length = 0;
    const items = await h.plan({ now: LATER });
    expect(proxy.requests).toEqual([]);
    const ends = items.filter((i) => i.type === 'partitionEnd');
    expect(ends.map((e) => e.partition.id)).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
    ]);
    // the folders that exist were complete and unchanged; the two newest days have no folder, so
    // nothing to list
    expect(ends.filter((e) => e.partition.unchanged).map((e) => e.partition.id)).toEqual([
      '2026-11-23',
      '2026-11-24',
    ]);
  });

  it('a new file in a look-back day: only that day is read and listed', async () => {
    const { h, proxy } = await setup();
    await h.sync({ now: NOW });
    await writeFile(path.join(h.tree.root, '2026-11-23', 'late.wav'), 'late arrival');
    await utimes(path.join(h.tree.root, '2026-11-23', 'late.wav'), NOW, NOW);
    // changed an hour ago, but changed
    await utimes(path.join(h.tree.root, '2026-11-23'), HOUR_AGO(), HOUR_AGO());
    proxy.requests.length = 0;
    const run = await h.sync({ now: LATER });
    expect(run.uploadedKeys()).toEqual(['2026-11-23/late.wav']);
    expect(listed(proxy)).toEqual(['2026-11-23/']);
  });

  it('a new subfolder deep in a day is seen through its parent', async () => {
    const { h, proxy } = await setup();
    await h.sync({ now: NOW });
    await mkdir(path.join(h.tree.root, '2026-11-24', 'sub', 'new'));
    await writeFile(path.join(h.tree.root, '2026-11-24', 'sub', 'new', 'x.wav'), 'x');
    await utimes(path.join(h.tree.root, '2026-11-24', 'sub', 'new', 'x.wav'), NOW, NOW);
    proxy.requests.length = 0;
    const run = await h.sync({ now: LATER });
    expect(run.uploadedKeys()).toEqual(['2026-11-24/sub/new/x.wav']);
    expect(listed(proxy)).toEqual(['2026-11-24/']);
  });

  it('a folder modified within seconds of its stamp is not trusted: it is read again', async () => {
    const { h, proxy } = await setup();
    await h.tree.ageFolders(new Date()); // just written
    await h.sync({ now: NOW });
    proxy.requests.length = 0;
    await h.sync({ now: LATER });
    expect(listed(proxy)).toEqual(['2026-11-23/', '2026-11-24/']);
  });

  it("lookbackCheck: 'list' reads and lists every partition as before", async () => {
    const { h, proxy } = await setup({ lookbackCheck: 'list' });
    await h.sync({ now: NOW });
    proxy.requests.length = 0;
    await h.sync({ now: LATER });
    expect(listed(proxy)).toEqual(['2026-11-23/', '2026-11-24/']);
  });

  it('a new exclude drops the records: every partition is read again', async () => {
    const { h, proxy } = await setup();
    await h.sync({ now: NOW });
    proxy.requests.length = 0;
    const run = await h.sync({ now: LATER }, { job: { filters: { exclude: ['**/*.tmp'] } } });
    expect(run.stats.exitCode).toBe(0);
    expect(listed(proxy)).toEqual(['2026-11-23/', '2026-11-24/']);
  });

  it('a plan whose bucket check fails on first use still exits with the target error', async () => {
    const { h } = await setup();
    const job = await h.makeJob({ target: { bucket: 'no-such-bucket-here' } });
    const plan = await openPlan(job, { now: NOW });
    const error = await (async () => {
      for await (const _ of plan.items);
    })().catch((e) => e);
    expect(error).toMatchObject({ code: 'E_TARGET_BUCKET', exitCode: 4 });
  });
});
