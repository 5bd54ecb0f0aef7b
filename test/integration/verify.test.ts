/**
 * `verify` against the local S3 server, with faults injected into its data folder: what each
 * level finds, what it cannot, repairs, the subset rotation and the local checksum cache.
 */
import { readFile, rm, utimes, writeFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  openVerify,
  type Finding,
  type ResolvedJob,
  type VerifyOptions,
  type VerifySummary,
  type RepairOutcome,
} from '@recsync/framework/internal';
import { harness, dayFiles, harnessPerTest } from '../support/harness.js';
import { faults } from '../support/faults.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const each = harnessPerTest();

async function synced(extra: Parameters<typeof harness>[0] = { files: {} }) {
  const files = {
    ...dayFiles('2026-11-22', 4),
    ...dayFiles('2026-11-23', 4),
    ...dayFiles('2026-11-24', 4),
    ...extra.files,
  };
  const h = await harness({ ...extra, files });
  each.defer(h.dispose);
  const result = await h.sync({ now: NOW });
  expect(result.stats.exitCode).toBe(0);
  return h;
}

async function verify(job: ResolvedJob, options: VerifyOptions = {}) {
  const run = await openVerify(job, { now: NOW, ...options });
  const findings: Finding[] = [];
  const repairs: RepairOutcome[] = [];
  try {
    for await (const item of run.items) {
      if (item.type === 'finding') findings.push(item.finding);
      else if (item.type === 'repair') repairs.push(item.repair);
    }
  } finally {
    await run.dispose();
  }
  const summary: VerifySummary = run.summary();
  const failing = findings.filter((f) => f.kind !== 'note');
  return {
    summary,
    findings: failing,
    repairs,
    byKind: (kind: string) =>
      failing
        .filter((f) => f.kind === kind)
        .map((f) => f.key)
        .sort(),
  };
}

describe('verify', () => {
  it('a clean bucket reports nothing at every level (exit 0)', async () => {
    const h = await synced();
    const job = await h.makeJob();
    for (const level of ['list', 'head', 'deep'] as const) {
      const { summary, findings } = await verify(job, { level, all: true });
      expect(findings).toEqual([]);
      expect(summary.exitCode).toBe(0);
      expect(summary.files).toBe(12);
      expect(summary.objects).toBe(12);
    }
  });

  it('finds each injected fault at the level that can see it', async () => {
    const h = await synced();
    const job = await h.makeJob();
    const k = (day: string, i: number) => `${day}/call-00${i}.wav`;
    await faults.deleteObject(h.bucket, k('2026-11-22', 0));
    await faults.truncateObject(h.bucket, k('2026-11-22', 1), 100);
    await h.client.put(h.bucket, '2026-11-23/stray.wav', 'not ours');
    await h.client.put(h.bucket, '2026-10-01/old.wav', 'a folder that does not exist locally');
    await faults.flipByte(h.bucket, k('2026-11-23', 1), 700);
    await faults.dropMetadata(h.bucket, k('2026-11-24', 2), 'checksum-crc32c');
    // Same size, same mtime, other bytes: only a checksum can tell.
    const changed = h.tree.path(k('2026-11-24', 3));
    const before = await stat(changed);
    const bytes = await readFile(changed);
    bytes[10] ^= 0xff;
    await writeFile(changed, bytes);
    await utimes(changed, before.atime, before.mtime);

    const list = await verify(job, { all: true });
    expect(list.byKind('missing')).toEqual([k('2026-11-22', 0)]);
    expect(list.byKind('size')).toEqual([k('2026-11-22', 1)]);
    expect(list.byKind('extra')).toEqual(['2026-10-01/old.wav', '2026-11-23/stray.wav']);
    expect(list.findings).toHaveLength(4);
    expect(list.summary.exitCode).toBe(1);

    const head = await verify(job, { all: true, level: 'head' });
    expect(head.byKind('local-differs')).toEqual([k('2026-11-24', 3)]);
    expect(head.byKind('no-checksum')).toEqual([k('2026-11-24', 2)]);
    // bytes inside an object: only --deep reads them
    expect(head.byKind('object-corrupt')).toEqual([]);

    const deep = await verify(job, { all: true, level: 'deep' });
    expect(deep.byKind('object-corrupt')).toEqual([k('2026-11-23', 1)]);
    expect(deep.byKind('local-differs')).toEqual([k('2026-11-24', 3)]);
    expect(deep.byKind('missing')).toEqual([k('2026-11-22', 0)]);
    expect(deep.summary.bytesRead).toBeGreaterThan(0);

    const repaired = await verify(job, { all: true, level: 'deep', repair: true });
    expect(repaired.repairs.map((r) => [r.key, r.outcome]).sort()).toEqual(
      [
        k('2026-11-22', 0),
        k('2026-11-22', 1),
        k('2026-11-23', 1),
        k('2026-11-24', 2),
        k('2026-11-24', 3),
      ].map((key) => [key, 'uploaded']),
    );
    const after = await verify(job, { all: true, level: 'deep' });
    expect(after.findings.map((f) => f.kind)).toEqual(['extra', 'extra']);
    expect(await h.byteExact([k('2026-11-23', 1)])).toBe(true);
  });

  it('the look-back window, a range and one partition scope the check', async () => {
    const h = await synced();
    const job = await h.makeJob();
    await faults.deleteObject(h.bucket, '2026-11-22/call-000.wav');
    await faults.deleteObject(h.bucket, '2026-11-24/call-000.wav');
    expect((await verify(job, { partition: '2026-11-22' })).byKind('missing')).toEqual([
      '2026-11-22/call-000.wav',
    ]);
    expect(
      (await verify(job, { range: { since: '2026-11-23', until: '2026-11-24' } })).byKind(
        'missing',
      ),
    ).toEqual(['2026-11-24/call-000.wav']);
    const window = await verify(job); // look-back 2: the 23rd and 24th
    expect(window.byKind('missing')).toEqual(['2026-11-24/call-000.wav']);
    // A day whose local folder is gone: its objects have no local file.
    await rm(h.tree.path('2026-11-22'), { recursive: true });
    const gone = await verify(job, { partition: '2026-11-22' });
    expect(gone.byKind('extra')).toEqual([
      '2026-11-22/call-001.wav',
      '2026-11-22/call-002.wav',
      '2026-11-22/call-003.wav',
    ]);
  });

  it('write-once jobs never replace an existing object on --repair', async () => {
    const h = await synced({ files: {}, target: { noOverwrite: true } });
    const job = await h.makeJob();
    await faults.truncateObject(h.bucket, '2026-11-22/call-000.wav', 10);
    await faults.deleteObject(h.bucket, '2026-11-22/call-001.wav');
    const { repairs } = await verify(job, { all: true, repair: true });
    const outcome = Object.fromEntries(repairs.map((r) => [r.key, r.outcome]));
    expect(outcome).toEqual({
      '2026-11-22/call-000.wav': 'not-replaced',
      '2026-11-22/call-001.wav': 'uploaded',
    });
  });

  it('--subset K/N reads a different slice each run and all of them over N runs', async () => {
    const h = await synced();
    const job = await h.makeJob();
    const seen: number[][] = [];
    let read = 0;
    for (let run = 0; run < 3; run++) {
      const { summary } = await verify(job, {
        all: true,
        level: 'deep',
        subset: { take: 1, of: 3 },
      });
      seen.push(summary.subset!.slices);
      read += summary.bytesRead;
    }
    expect(seen).toEqual([[0], [1], [2]]);
    const total = (await verify(job, { all: true, level: 'deep' })).summary.bytesRead;
    expect(read).toBe(total);
    const state = JSON.parse(await readFile(`${h.stateDir}/rec.verify.json`, 'utf8'));
    expect(state.subset).toMatchObject({ of: 3, next: 0 });
  });

  it('local checksums are cached per folder; a changed file or --rehash reads again', async () => {
    const h = await synced();
    const job = await h.makeJob();
    const first = await verify(job, { all: true, level: 'head' });
    expect(first.summary).toMatchObject({ readHashes: 12, cachedHashes: 0 });
    const second = await verify(job, { all: true, level: 'head' });
    expect(second.summary).toMatchObject({ readHashes: 0, cachedHashes: 12 });
    const file = h.tree.path('2026-11-23/call-000.wav');
    const s = await stat(file);
    await utimes(file, s.atime, s.mtime); // ctime moves
    const third = await verify(job, { all: true, level: 'head' });
    expect(third.summary).toMatchObject({ readHashes: 1, cachedHashes: 11 });
    const rehash = await verify(job, { all: true, level: 'head', rehash: true });
    expect(rehash.summary).toMatchObject({ readHashes: 12, cachedHashes: 0 });
  });
});
