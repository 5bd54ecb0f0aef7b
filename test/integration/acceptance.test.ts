/**
 * The spine's acceptance case at full size: 60 days x 500 files, a bucket already holding the
 * first 58 days (pre-filled through the server's own store, not 29,000 uploads). One sync
 * uploads exactly the last two days, byte-exact; a second run uploads nothing and lists
 * nothing (every folder is unchanged since its complete check), and with `lookbackCheck: 'list'`
 * no more than the look-back partitions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { seedStore, type TreeSpec } from '@recsync/framework/testing';
import { days, harness } from '../support/harness.js';
import { startRecordingProxy } from '../support/recording-proxy.js';

const DAYS = days('2026-09-26', 60); // through 2026-11-24
const PER_DAY = 500;
const NOW = new Date('2026-11-25T06:00:00Z');

function spec(): TreeSpec {
  const out: TreeSpec = {};
  for (const day of DAYS) {
    for (let i = 0; i < PER_DAY; i++)
      out[`${day}/call-${String(i).padStart(4, '0')}.wav`] = {
        size: 200 + ((i * 7919) % 500),
        mtime: `${day}T12:00:00Z`,
      };
  }
  return out;
}

describe('acceptance: 60 days x 500 files, 58 already in the bucket', async () => {
  const files = spec();
  const proxy = await startRecordingProxy(inject('s3Endpoint'));
  const h = await harness({
    files,
    target: { endpoint: proxy.endpoint },
    strategy: { lookback: 2 },
    job: { upload: { concurrency: 32 } },
  });
  afterAll(async () => {
    await h.dispose();
    await proxy.close();
  });
  const newDays = DAYS.slice(-2);
  const newKeys = Object.keys(files)
    .filter((p) => newDays.some((d) => p.startsWith(`${d}/`)))
    .sort();

  // One case, in steps: each step needs the bucket and state the previous one left.
  it('uploads exactly the last two days, byte-exact; then nothing, with no listing (or only ' +
    'the look-back ones)', async () => {
    const old = Object.keys(files).filter((p) => !newKeys.includes(p));
    const seeded = await seedStore(
      inject('s3Directory'),
      h.bucket,
      old.map((key) => ({ key, body: h.tree.contentOf(key, files[key]) })),
    );
    expect(seeded).toBe(58 * PER_DAY);
    await h.tree.ageFolders(); // folders written an hour ago, not in the last seconds
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.uploadedKeys()).toEqual(newKeys);
    expect(run.stats.counts.present.files).toBe(58 * PER_DAY);
    expect(await h.byteExact(newKeys)).toBe(true);

    // every folder is as it was at its complete check: nothing is read or listed
    const listings = () =>
      proxy.requests.filter(
        (r) => r.query.get('list-type') === '2' && r.query.get('prefix') !== '',
      );
    proxy.requests.length = 0;
    const again = await h.sync({ now: new Date(NOW.getTime() + 3_600_000) });
    expect(again.uploadedKeys()).toEqual([]);
    expect(again.stats.exitCode).toBe(0);
    expect(listings()).toEqual([]);

    // lookbackCheck: 'list' reads and lists the look-back partitions, and no more
    proxy.requests.length = 0;
    const listed = await h.sync(
      { now: new Date(NOW.getTime() + 3_600_000) },
      { job: { lookbackCheck: 'list' } },
    );
    expect(listed.uploadedKeys()).toEqual([]);
    expect([...new Set(listings().map((r) => r.query.get('prefix')))].sort()).toEqual(
      newDays.map((d) => `${d}/`),
    );
  }, 300_000);
});
