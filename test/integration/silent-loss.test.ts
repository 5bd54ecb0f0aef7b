/**
 * Paths that used to end in exit 0 with files left out of the bucket. Each test here failed
 * before the fix it guards: a missing or emptied source, a partition folder that lost files,
 * names that are not valid UTF-8, a cursor from a clock that ran ahead, and legal names that
 * were refused for good.
 */
import { readFile, rename, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateFilePath } from '@recsync/framework/internal';
import { mtimeCutoff } from '@recsync/strategy-mtime';
import { dayFiles, harnessPerTest, readJobState } from '../support/harness.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const DAY = 86_400_000;
const later = (days: number) => new Date(NOW.getTime() + days * DAY);

const { setup, defer } = harnessPerTest();
const readState = readJobState;

async function writeState(stateDir: string, change: (state: Record<string, unknown>) => void) {
  const state = await readState(stateDir);
  change(state);
  await writeFile(stateFilePath({ stateDir, name: 'rec' }), JSON.stringify(state));
}

describe('a missing or emptied source is an error, never an empty archive', () => {
  it('refuses a source that does not exist (exit 2), and writes no state', async () => {
    const h = await setup({ files: dayFiles('2026-11-24', 2) });
    const missing = path.join(h.tree.root, 'not-mounted');
    const error = await h.sync({ now: NOW }, { job: { source: missing } }).catch((e) => e);
    expect(error).toMatchObject({ code: 'E_SOURCE_MISSING', exitCode: 2 });
    expect(error.message).toContain(`${missing} of job "rec" does not exist`);
    expect(error.hint).toContain('mount it');
    await expect(
      readFile(stateFilePath({ stateDir: h.stateDir, name: 'rec' })),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a source that is a file, with the config key to fix', async () => {
    const h = await setup({ files: { 'a-file': 'x' } });
    const error = await h
      .sync({ now: NOW }, { job: { source: path.join(h.tree.root, 'a-file') } })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'E_SOURCE_MISSING', exitCode: 2 });
    expect(error.message).toContain('is not a folder');
    expect(error.hint).toContain('jobs.rec.source');
  });

  it(
    'refuses an emptied source (an unmounted NAS) and keeps the cursor; ' +
      '--accept-source-change runs once',
    async () => {
      const h = await setup({
        files: { ...dayFiles('2026-11-23', 3), ...dayFiles('2026-11-24', 3) },
      });
      expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
      const cursor = (await readState(h.stateDir)).cursor;
      expect(cursor).toEqual({ through: '2026-11-24' });
      // the mount goes away: the mount point is an empty folder
      const away = `${h.tree.root}-away`;
      await rename(h.tree.root, away);
      await mkdir(h.tree.root);
      defer(() => rm(away, { recursive: true, force: true }));
      for (const days of [1, 2, 5]) {
        const error = await h.sync({ now: later(days) }).catch((e) => e);
        expect(error).toMatchObject({ code: 'E_SOURCE_EMPTY', exitCode: 2 });
        expect(error.hint).toContain('--accept-source-change');
      }
      expect((await readState(h.stateDir)).cursor).toEqual(cursor);
      // mounted again: the days written meanwhile are all there to catch up
      await rm(h.tree.root, { recursive: true });
      await rename(away, h.tree.root);
      await h.tree.write(dayFiles('2026-11-27', 2));
      const back = await h.sync({ now: later(5) });
      expect(back.stats.exitCode).toBe(0);
      expect(back.uploadedKeys()).toEqual(Object.keys(dayFiles('2026-11-27', 2)).sort());
    },
  );

  it('an accepted empty source runs, warns, and records the source as it is now', async () => {
    const h = await setup({ files: dayFiles('2026-11-24', 2) });
    await h.sync({ now: NOW });
    await rm(path.join(h.tree.root, '2026-11-24'), { recursive: true });
    const accepted = await h.sync({ now: later(1), acceptSourceChange: true });
    expect(accepted.stats.exitCode).toBe(0);
    expect(
      accepted.warnings.some((w) => w.includes('is empty (accepted with --accept-source-change)')),
    ).toBe(true);
  });

  it('refuses when the newest completed partition lost entries or vanished (exit 2)', async () => {
    const h = await setup({
      files: { ...dayFiles('2026-11-23', 3), ...dayFiles('2026-11-24', 4) },
    });
    await h.sync({ now: NOW });
    expect((await readState(h.stateDir)).source.partition).toMatchObject({
      id: '2026-11-24',
      entries: 4,
    });
    await rm(path.join(h.tree.root, '2026-11-24', 'call-003.wav'));
    const fewer = await h.sync({ now: later(1) }).catch((e) => e);
    expect(fewer).toMatchObject({ code: 'E_SOURCE_CHANGED', exitCode: 2 });
    expect(fewer.message).toContain('has 3 entries; an earlier run completed it with 4');
    await rm(path.join(h.tree.root, '2026-11-24'), { recursive: true });
    const gone = await h.sync({ now: later(1) }).catch((e) => e);
    expect(gone).toMatchObject({ code: 'E_SOURCE_CHANGED' });
    expect(gone.message).toContain('is missing');
    // a deliberate pruning, accepted once: the next run checks against the new record
    expect((await h.sync({ now: later(1), acceptSourceChange: true })).stats.exitCode).toBe(0);
    expect((await h.sync({ now: later(1) })).stats.exitCode).toBe(0);
  });

  it('a changed device number alone is only a warning', async () => {
    const h = await setup({ files: dayFiles('2026-11-24', 2) });
    await h.sync({ now: NOW });
    await writeState(h.stateDir, (s) => void ((s.source as { dev: number }).dev += 1));
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(run.warnings.some((w) => w.includes('on another device than at the last run'))).toBe(
      true,
    );
  });

  it('the mtime strategy refuses an emptied source, not moving its cutoff over it', async () => {
    const h = await setup({
      files: { 'cam-1/a.mp4': { size: 10, mtime: '2026-11-24T10:00:00Z' } },
    });
    const job = { strategy: mtimeCutoff({}), filters: { settle: '0s' } };
    expect((await h.sync({ now: NOW }, { job })).stats.exitCode).toBe(0);
    await rm(path.join(h.tree.root, 'cam-1'), { recursive: true });
    await expect(h.sync({ now: later(1) }, { job })).rejects.toMatchObject({
      code: 'E_SOURCE_EMPTY',
    });
  });
});

describe('a cursor in the future is refused', () => {
  it('date folders: a cursor at or after the current day (exit 2, names the fix)', async () => {
    const h = await setup({ files: dayFiles('2026-11-24', 2) });
    await h.sync({ now: NOW });
    await writeState(h.stateDir, (s) => void (s.cursor = { through: '2027-01-10' }));
    const error = await h.sync({ now: NOW }).catch((e) => e);
    expect(error).toMatchObject({ code: 'E_CURSOR_FUTURE', exitCode: 2 });
    expect(error.message).toContain(
      'it says 2027-01-10 is complete, but the current day in UTC is 2026-11-25',
    );
    expect(error.hint).toContain('recsync state reset --job rec');
    expect(error.hint).toContain('--since');
    // a range run ignores the cursor, so it may run
    expect((await h.sync({ now: NOW, range: { since: '2026-11-24' } })).stats.exitCode).toBe(0);
  });

  it('mtime: a cutoff later than now', async () => {
    const h = await setup({
      files: { 'cam-1/a.mp4': { size: 10, mtime: '2026-11-24T10:00:00Z' } },
    });
    const job = { strategy: mtimeCutoff({}), filters: { settle: '0s' } };
    await h.sync({ now: NOW }, { job });
    await writeState(h.stateDir, (s) => void (s.cursor = { cutoff: '2027-03-01T00:00:00.000Z' }));
    await expect(h.sync({ now: NOW }, { job })).rejects.toMatchObject({
      code: 'E_CURSOR_FUTURE',
      exitCode: 2,
    });
  });
});

describe('names', () => {
  it(
    'backs up names that are not valid UTF-8 losslessly: U+FFFD plus a hash in the key, raw ' +
      'bytes in metadata',
    async () => {
      const h = await setup({ files: dayFiles('2026-11-24', 1) });
      const day = path.join(h.tree.root, '2026-11-24');
      const rawA = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x77, 0x61, 0x76]); // "bad\xff.wav"
      const rawB = Buffer.from([0x62, 0x61, 0x64, 0xfe, 0x2e, 0x77, 0x61, 0x76]); // "bad\xfe.wav"
      const rawDir = Buffer.from([0x64, 0x69, 0x72, 0xc3]); // "dir\xc3" (a truncated sequence)
      const at = (...parts: Buffer[]) => Buffer.concat([Buffer.from(`${day}/`), ...parts]);
      await writeFile(at(rawA), 'content A');
      await writeFile(at(rawB), 'content B');
      await mkdir(at(rawDir));
      await writeFile(at(rawDir, Buffer.from('/inner.wav')), 'inner');
      const yesterday = new Date('2026-11-24T10:00:00Z');
      for (const file of [at(rawA), at(rawB), at(rawDir, Buffer.from('/inner.wav'))])
        await utimes(file, yesterday, yesterday);
      const run = await h.sync({ now: NOW });
      expect(run.stats.exitCode).toBe(0);
      const odd = run.uploadedKeys().filter((k) => k.includes('\uFFFD'));
      expect(odd).toHaveLength(3);
      expect(new Set(odd).size).toBe(3); // names differing only in invalid bytes get distinct keys
      for (const key of odd)
        expect(key).toMatch(
          /^2026-11-24\/(bad\uFFFD~[0-9a-f]{8}\.wav|dir\uFFFD~[0-9a-f]{8}\/inner\.wav)$/,
        );
      const inner = odd.find((k) => k.endsWith('/inner.wav'))!;
      expect((await h.client.get(h.bucket, inner)).toString()).toBe('inner');
      const meta = (await h.client.head(h.bucket, inner)).metadata['recsync-raw-path'];
      expect(Buffer.from(meta, 'base64')).toEqual(
        Buffer.concat([Buffer.from('2026-11-24/'), rawDir, Buffer.from('/inner.wav')]),
      );
      const contents = await Promise.all(
        odd
          .filter((k) => k !== inner)
          .map(async (k) => (await h.client.get(h.bucket, k)).toString()),
      );
      expect(contents.sort()).toEqual(['content A', 'content B']);
      // the same names are found present by the next run
      const again = await h.sync({ now: NOW });
      expect(again.uploadedKeys()).toEqual([]);
      expect(again.stats.exitCode).toBe(0);
    },
  );

  it(
    'the mtime strategy backs up names that are not valid UTF-8 too (they used to be only ' +
      'counted)',
    async () => {
      const h = await setup({
        files: { 'cam-1/ok.mp4': { size: 10, mtime: '2026-11-24T10:00:00Z' } },
      });
      const raw = Buffer.concat([
        Buffer.from(`${h.tree.root}/cam-1/clip`),
        Buffer.from([0xff]),
        Buffer.from('.mp4'),
      ]);
      await writeFile(raw, 'clip');
      const job = { strategy: mtimeCutoff({}), filters: { settle: '0s' } };
      const run = await h.sync({ now: new Date() }, { job });
      expect(run.stats.exitCode).toBe(0);
      expect(run.uploadedKeys()).toEqual([
        expect.stringMatching(/^cam-1\/clip\uFFFD~[0-9a-f]{8}\.mp4$/),
        'cam-1/ok.mp4',
      ]);
    },
  );

  it('uploads backslashes as they are (legal in S3 keys)', async () => {
    const h = await setup({
      files: { '2026-11-24/a\\b.wav': { content: 'slash', mtime: '2026-11-24T10:00:00Z' } },
    });
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(await h.keys()).toEqual(['2026-11-24/a\\b.wav']);
  });

  it(
    'keeps a key over 1,024 bytes pending with its own code, exit 1 on every run, long after ' +
      'the look-back',
    async () => {
      const segment = 'x'.repeat(210);
      const long = `2026-11-24/${Array.from({ length: 5 }, () => segment).join('/')}/call.wav`;
      const h = await setup({
        files: {
          [long]: { content: 'long', mtime: '2026-11-24T10:00:00Z' },
          ...dayFiles('2026-11-24', 2),
        },
      });
      const first = await h.sync({ now: NOW });
      expect(first.stats.exitCode).toBe(1);
      const failed = first.events.find((e) => e.outcome === 'failed')!;
      expect(failed.error?.code).toBe('E_FILE_BAD_KEY');
      expect(failed.reason).toContain('key longer than 1024 bytes');
      expect(failed.reason).toContain('key hook');
      // one poison file never blocks the cursor
      expect((await readState(h.stateDir)).cursor).toEqual({ through: '2026-11-24' });
      for (const days of [1, 5, 30]) {
        const run = await h.sync({ now: later(days) });
        expect(run.stats.exitCode).toBe(1);
        expect((await readState(h.stateDir)).pending[long]).toMatchObject({
          reason: 'failed',
          code: 'E_FILE_BAD_KEY',
        });
      }
      // someone acts: a key hook shortens it, and the next run uploads it and clears the entry
      const shorten = {
        name: 'short',
        apply: (hooks: import('@recsync/framework').Hooks) =>
          hooks.key.tap('short', (key) => key.replace(/x{210}\//g, 'x/')),
      };
      const fixed = await h.sync({ now: later(31), plugins: [shorten] });
      expect(fixed.stats.exitCode).toBe(0);
      expect((await readState(h.stateDir)).pending).toEqual({});
      expect(await h.keys()).toContain('2026-11-24/x/x/x/x/x/call.wav');
    },
  );
});
