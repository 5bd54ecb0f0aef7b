/**
 * Rule 6, "stay inside the root", end to end: symlinks out of the source are never read,
 * whether met by the walk or by a pending path whose folder became a symlink later; strategies
 * can refuse entries, and refusals make the run exit 1.
 */
import { mkdtemp, rename, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineStrategy, resolveConfig, syncJob, useStrategy, z } from '@recsync/framework';
import { harness, harnessPerTest } from '../support/harness.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const each = harnessPerTest();

/** A job whose strategy yields one open partition with `entries` (candidates of any kind). */
async function oneListJob(
  h: Awaited<ReturnType<typeof harness>>,
  name: string,
  entries: () => readonly unknown[],
) {
  const strategy = defineStrategy({
    name,
    options: z.strictObject({}),
    cursor: z.null(),
    features: { defaultSettleMs: 0 },
    create: (_o, ctx) => ({
      async *partitions() {
        yield {
          id: 'all',
          dir: ctx.source,
          closed: false,
          async *files() {
            yield* entries() as never[];
          },
        };
      },
      advance: (c) => c,
    }),
  });
  const config = {
    stateDir: h.stateDir,
    jobs: {
      rec: {
        source: h.tree.root,
        target: { bucket: h.bucket, endpoint: h.endpoint, forcePathStyle: true },
        strategy: useStrategy(strategy, {}),
      },
    },
  };
  const [job] = (await resolveConfig(config, { importModule: (s) => import(s) })).jobs;
  return job;
}

describe('containment', () => {
  it('does not follow a symlinked folder or file out of the source', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'recsync-outside-'));
    await writeFile(path.join(outside, 'secret.wav'), 'secret');
    const h = await harness({
      files: { '2026-11-24/a.wav': { content: 'a', mtime: '2026-11-24T10:00:00Z' } },
    });
    each.defer(h.dispose);
    await symlink(outside, h.tree.path('2026-11-24/linked'));
    await symlink(path.join(outside, 'secret.wav'), h.tree.path('2026-11-24/secret.wav'));
    const run = await h.sync({ now: NOW });
    expect(run.stats.exitCode).toBe(0);
    expect(await h.keys()).toEqual(['2026-11-24/a.wav']);
  });

  it('refuses a pending file whose folder became a symlink out of the root (exit 1)', async () => {
    const h = await harness({
      files: {
        '2026-11-25/sub/a.wav': { content: 'young', mtime: new Date(NOW.getTime() - 1000) },
      },
    });
    each.defer(h.dispose);
    const first = await h.sync({ now: NOW });
    expect(first.events[0]).toMatchObject({ path: '2026-11-25/sub/a.wav', outcome: 'deferred' });
    const outside = await mkdtemp(path.join(os.tmpdir(), 'recsync-outside-'));
    await writeFile(path.join(outside, 'a.wav'), 'not yours');
    await utimes(
      path.join(outside, 'a.wav'),
      new Date('2026-11-20T00:00:00Z'),
      new Date('2026-11-20T00:00:00Z'),
    );
    await rename(h.tree.path('2026-11-25/sub'), h.tree.path('2026-11-25/moved'));
    await symlink(outside, h.tree.path('2026-11-25/sub'));
    const planned = (await h.plan({ now: NOW })).filter((i) => i.type === 'file');
    expect(planned).toContainEqual(
      expect.objectContaining({ path: '2026-11-25/sub/a.wav', action: 'refused' }),
    );
    const second = await h.sync({ now: new Date(NOW.getTime() + 3_600_000) });
    expect(second.stats.exitCode).toBe(1);
    expect(second.warnings.join('\n')).toContain(
      'refused 2026-11-25/sub/a.wav: its folder resolves outside the source root',
    );
    expect(await h.keys()).not.toContain('2026-11-25/sub/a.wav');
  });

  it('reports entries a strategy refuses, with its reason, and exits 1', async () => {
    // a source with entries (an empty one is refused)
    const h = await harness({ files: { 'journal.log': { content: 'x' } } });
    each.defer(h.dispose);
    const job = await oneListJob(h, 'refusing', () => [
      {
        kind: 'refused',
        path: 'bad',
        reason: 'line is not valid UTF-8',
        origin: 'written.log:7',
      },
    ]);
    expect(job.filters.settle).toBe(0); // the strategy's default settle time
    const warnings: string[] = [];
    const stats = await syncJob(job, {
      plugins: [
        {
          name: 'w',
          apply: (hooks) => hooks.warning.tap('w', (w) => void warnings.push(w.message)),
        },
      ],
    });
    expect(stats.exitCode).toBe(1);
    expect(warnings).toEqual(['refused bad: line is not valid UTF-8 (written.log:7)']);
  });

  it('fails an entry of a kind it does not know (a strategy bug): pending, exit 1', async () => {
    const h = await harness({ files: { 'journal.log': { content: 'x' } } });
    each.defer(h.dispose);
    const job = await oneListJob(h, 'misspelt', () => [{ kind: 'mising', path: 'later.wav' }]);
    const outcomes: { path: string; outcome: string }[] = [];
    const stats = await syncJob(job, {
      plugins: [
        {
          name: 'o',
          apply: (hooks) => {
            const note = (e: { path: string; outcome: string }) =>
              void outcomes.push({ path: e.path, outcome: e.outcome });
            hooks.uploaded.tap('o', note);
            hooks.skipped.tap('o', note);
            hooks.uploadFailed.tap('o', note);
          },
        },
      ],
    });
    expect(stats.exitCode).toBe(1);
    expect(outcomes).toEqual([{ path: 'later.wav', outcome: 'failed' }]);
    expect(await h.keys()).toEqual([]);
  });

  it('gives each cause of a refusal its own code', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'recsync-outside-'));
    await writeFile(path.join(outside, 'x.wav'), 'not yours');
    const h = await harness({
      files: { 'in/ok.wav': { content: 'ok', mtime: '2026-11-20T00:00:00Z' } },
    });
    each.defer(h.dispose);
    await symlink(outside, h.tree.path('linked'));
    const at = { size: 2, mtimeMs: Date.parse('2026-11-20T00:00:00Z') };
    const job = await oneListJob(h, 'listing', () => [
      { path: 'in/ok.wav', ...at },
      { path: '../etc/passwd', ...at },
      { path: 'in//twice.wav', ...at },
      {
        kind: 'refused',
        path: 'linked/x.wav',
        reason: 'is reached through a symlink out of the source',
        code: 'E_FILE_SYMLINK_OUT',
      },
    ]);
    const warnings: string[] = [];
    const stats = await syncJob(job, {
      plugins: [
        {
          name: 'w',
          apply: (hooks) =>
            hooks.warning.tap('w', (w) => void warnings.push(`${w.code} ${w.path}`)),
        },
      ],
    });
    expect(stats.exitCode).toBe(1);
    expect(warnings.sort()).toEqual([
      'E_FILE_BAD_PATH in//twice.wav',
      'E_FILE_OUTSIDE_ROOT ../etc/passwd',
      'E_FILE_SYMLINK_OUT linked/x.wav',
    ]);
    expect(await h.keys()).toEqual(['in/ok.wav']);
  });

  it(
    'reports a pending file whose folder became a symlink out of the root as ' +
      'E_FILE_SYMLINK_OUT',
    async () => {
      const h = await harness({
        files: {
          '2026-11-25/sub/a.wav': { content: 'young', mtime: new Date(NOW.getTime() - 1000) },
        },
      });
      each.defer(h.dispose);
      await h.sync({ now: NOW });
      const outside = await mkdtemp(path.join(os.tmpdir(), 'recsync-outside-'));
      await writeFile(path.join(outside, 'a.wav'), 'not yours');
      await rename(h.tree.path('2026-11-25/sub'), h.tree.path('2026-11-25/moved'));
      await symlink(outside, h.tree.path('2026-11-25/sub'));
      const codes: string[] = [];
      await h.sync({
        now: new Date(NOW.getTime() + 3_600_000),
        plugins: [
          { name: 'c', apply: (hooks) => hooks.warning.tap('c', (w) => void codes.push(w.code)) },
        ],
      });
      expect(codes).toContain('E_FILE_SYMLINK_OUT');
      expect(codes).not.toContain('E_FILE_OUTSIDE_ROOT');
    },
  );
});
