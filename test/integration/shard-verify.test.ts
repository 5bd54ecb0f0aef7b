/**
 * `verify` as one shard of N, in process against the local S3 server: every mode (listing,
 * --inventory, --manifest) checks only the keys the shard owns, the N shares together are the
 * whole job, and what a shard keeps under the state dir (checksum cache, --subset rotation) is its
 * own, so shards sharing a state dir do not undo each other.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openInventoryCheck,
  openManifestCheck,
  openVerify,
  shardOfKey,
  type Finding,
  type VerifyRun,
  type VerifySummary,
} from '@recsync/framework/internal';
import { dayFiles, harness } from '../support/harness.js';
import { faults } from '../support/faults.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const N = 3;
const FILES = { ...dayFiles('2026-11-23', 8), ...dayFiles('2026-11-24', 8) };
const ALL_KEYS = Object.keys(FILES).sort();
const shardOf = (index: number) => ({ index, count: N });
const owned = (index: number, keys: readonly string[] = ALL_KEYS) =>
  keys.filter((k) => shardOfKey(k, N) === index);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Synced by N shards: one state (and one manifest) per shard. */
async function synced() {
  const h = await harness({ files: FILES });
  cleanup.push(h.dispose);
  for (let i = 0; i < N; i++)
    expect((await h.sync({ now: NOW }, { shard: shardOf(i) })).stats.exitCode).toBe(0);
  expect(await h.keys()).toEqual(ALL_KEYS);
  return h;
}

async function collect(run: VerifyRun): Promise<{ findings: Finding[]; summary: VerifySummary }> {
  const findings: Finding[] = [];
  try {
    for await (const item of run.items) if (item.type === 'finding') findings.push(item.finding);
  } finally {
    await run.dispose();
  }
  return { findings, summary: run.summary() };
}

const keysOf = (findings: Finding[]) => findings.map((f) => [f.kind, f.key]).sort();

describe('verify as one shard of N', () => {
  it(
    'listing and --head: each shard checks its share; faults are found ' +
      'by their own shard only',
    async () => {
      const h = await synced();
      const missing = owned(0)[0];
      const stray = '2026-11-24/stray.wav';
      await faults.deleteObject(h.bucket, missing);
      await h.client.put(h.bucket, stray, 'not from the archive');
      const files: number[] = [];
      const found: Finding[][] = [];
      for (let i = 0; i < N; i++) {
        const job = await h.makeJob({ shard: shardOf(i) });
        const run = await openVerify(job, { now: NOW, all: true, level: 'head' });
        expect(run.shard).toEqual(shardOf(i));
        const cost = await run.estimate();
        expect(cost.objects).toBe(
          owned(i, [...ALL_KEYS.filter((k) => k !== missing), stray]).length,
        );
        const { findings, summary } = await collect(run);
        expect(summary.shard).toEqual(shardOf(i));
        files.push(summary.files);
        found.push(findings);
      }
      expect(files.reduce((a, b) => a + b, 0)).toBe(ALL_KEYS.length);
      expect(files).toEqual([0, 1, 2].map((i) => owned(i).length));
      const expected = [
        ['missing', missing],
        ['extra', stray],
      ];
      for (let i = 0; i < N; i++)
        expect(keysOf(found[i])).toEqual(
          expected.filter(([, key]) => shardOfKey(key, N) === i).sort(),
        );
    },
  );

  it('--inventory: each shard compares only the rows and files it owns', async () => {
    const h = await synced();
    const gone = owned(1)[0];
    const wrongSize = owned(2)[0];
    const rows = ALL_KEYS.filter((k) => k !== gone).map((key) => [
      h.bucket,
      key,
      'true',
      'false',
      key === wrongSize ? '7' : String((FILES[key] as { size: number }).size),
      'STANDARD',
    ]);
    rows.push([h.bucket, '2026-11-23/extra.wav', 'true', 'false', '3', 'STANDARD']);
    const csv = rows.map((r) => r.map((v) => `"${v}"`).join(',')).join('\n');
    const dataKey = 'inventory/data/one.csv.gz';
    await h.client.put(h.bucket, dataKey, gzipSync(csv));
    const manifestKey = 'inventory/2026-11-25T01-00Z/manifest.json';
    await h.client.put(
      h.bucket,
      manifestKey,
      JSON.stringify({
        sourceBucket: h.bucket,
        fileFormat: 'CSV',
        fileSchema: 'Bucket, Key, IsLatest, IsDeleteMarker, Size, StorageClass',
        files: [{ key: dataKey, size: 1 }],
      }),
    );
    const expected = [
      ['missing', gone],
      ['size', wrongSize],
      ['extra', '2026-11-23/extra.wav'],
    ];
    let files = 0;
    for (let i = 0; i < N; i++) {
      const job = await h.makeJob({ shard: shardOf(i) });
      const { findings, summary } = await collect(
        await openInventoryCheck(job, { url: `s3://${h.bucket}/${manifestKey}`, now: NOW }),
      );
      expect(summary.shard).toEqual(shardOf(i));
      files += summary.files;
      const mine = findings.filter((f) => !f.key.startsWith('inventory/'));
      expect(keysOf(mine)).toEqual(expected.filter(([, key]) => shardOfKey(key, N) === i).sort());
    }
    expect(files).toBe(ALL_KEYS.length);
  });

  it(
    "--manifest: `latest` is the shard's own manifest; any manifest is " +
      "checked for the shard's share",
    async () => {
      const h = await synced();
      const names = (await readdir(path.join(h.stateDir, 'manifests', 'rec'))).sort();
      expect(names.map((n) => n.replace(/^.*?(\.shard-)/, '$1'))).toEqual(
        [0, 1, 2].map((i) => `.shard-${i}-of-${N}.jsonl`).sort(),
      );
      const corrupt = owned(1)[0];
      await faults.flipByte(h.bucket, corrupt, 5);
      for (let i = 0; i < N; i++) {
        const job = await h.makeJob({ shard: shardOf(i) });
        const { findings, summary } = await collect(
          await openManifestCheck(job, { run: 'latest', level: 'deep' }),
        );
        expect(summary.scope).toContain(`.shard-${i}-of-${N}.jsonl`);
        expect(summary.files).toBe(owned(i).length);
        expect(keysOf(findings)).toEqual(i === 1 ? [['object-corrupt', corrupt]] : []);
      }
      // Another shard's manifest, named: this shard's share of it is nothing.
      const other = names.find((n) => n.includes('.shard-2-of-'))!;
      const job0 = await h.makeJob({ shard: shardOf(0) });
      const { summary } = await collect(await openManifestCheck(job0, { run: other }));
      expect(summary.files).toBe(0);
    },
  );

  it('the checksum cache and the --subset rotation are kept per shard', async () => {
    const h = await synced();
    const head = async (i: number) =>
      (
        await collect(
          await openVerify(await h.makeJob({ shard: shardOf(i) }), {
            now: NOW,
            all: true,
            level: 'head',
          }),
        )
      ).summary;
    const first = await head(0);
    expect(first.readHashes).toBe(owned(0).length);
    await head(1); // shares the state dir and the folders: must not drop shard 0's entries
    const again = await head(0);
    expect(again.readHashes).toBe(0);
    expect(again.cachedHashes).toBe(owned(0).length);
    expect(existsSync(path.join(h.stateDir, 'checksums', `rec.shard-0-of-${N}`))).toBe(true);
    expect(existsSync(path.join(h.stateDir, 'checksums', `rec.shard-1-of-${N}`))).toBe(true);

    const deep = async (i: number) =>
      (
        await collect(
          await openVerify(await h.makeJob({ shard: shardOf(i) }), {
            now: NOW,
            all: true,
            level: 'deep',
            subset: { take: 1, of: 2 },
          }),
        )
      ).summary;
    expect((await deep(0)).subset?.slices).toEqual([0]);
    expect((await deep(1)).subset?.slices).toEqual([0]); // its own rotation, not moved by shard 0
    expect((await deep(0)).subset?.slices).toEqual([1]);
    expect(existsSync(path.join(h.stateDir, `rec.shard-0-of-${N}.verify.json`))).toBe(true);
    expect(existsSync(path.join(h.stateDir, 'rec.verify.json'))).toBe(false);
  });
});
