import { describe, it } from 'vitest';
import {
  createTree,
  strategyConformance,
  type ConformanceFixture,
} from '@recsync/framework/testing';
import { mtimeStrategy, type MtimeCutoffOptions } from '@recsync/strategy-mtime';
import { sleep } from './helpers.js';

const OLD = '2026-11-20T10:00:00Z';

async function tree() {
  return createTree({
    'cam-1/clip-1.mp4': { size: 100, mtime: OLD },
    'cam-1/2026/clip-2.mp4': { size: 7, mtime: OLD },
    'cam-2/clip-3.mp4': { size: 30, mtime: OLD },
    'notes.txt': { size: 12, mtime: OLD },
  });
}

/**
 * Pinned clocks: the runs happen "a minute after" the fixture was written (its ctimes are older
 * than the first cutoff), and files added later carry mtimes after it.
 */
async function pinnedFixture(): Promise<ConformanceFixture> {
  const t = await tree();
  const now = new Date(Date.now() + 60_000);
  return {
    source: t.root,
    now,
    later: new Date(now.getTime() + 3_600_000),
    async addFiles() {
      const added = ['cam-1/2026/new.mp4', 'cam-3/new.mp4', 'top.txt'];
      await t.write(
        Object.fromEntries(
          added.map((p) => [p, { size: 3, mtime: new Date(now.getTime() + 600_000) }]),
        ),
      );
      return added;
    },
    cleanup: t.cleanup,
  };
}

/**
 * Real clocks, for write-once pruning, which reads the folders' own times: each run's clock is
 * read when the run starts, and files are added after the first run, as in production.
 */
async function realClockFixture(): Promise<ConformanceFixture> {
  const t = await tree();
  await sleep(30);
  let clock = new Date();
  return {
    source: t.root,
    get now() {
      return clock;
    },
    get later() {
      return new Date();
    },
    async addFiles() {
      await sleep(30);
      const added = ['cam-1/2026/new.mp4', 'cam-3/new.mp4', 'top.txt'];
      await t.write(Object.fromEntries(added.map((p) => [p, { size: 3 }])));
      await sleep(30);
      clock = new Date();
      return added;
    },
    cleanup: t.cleanup,
  };
}

const subjects: {
  name: string;
  options: MtimeCutoffOptions;
  fixture: () => Promise<ConformanceFixture>;
}[] = [
  { name: 'defaults (walker threads)', options: {}, fixture: pinnedFixture },
  {
    name: 'mtime only, main thread',
    options: { ctime: false, threads: 0 },
    fixture: pinnedFixture,
  },
  {
    name: 'write-once pruning',
    options: { writeOnce: true, margin: 0 },
    fixture: realClockFixture,
  },
  { name: 'include globs', options: { include: ['cam-*/**', '*.txt'] }, fixture: pinnedFixture },
];

for (const s of subjects) {
  describe(`conformance: ${s.name}`, () => {
    const checks = strategyConformance({
      definition: mtimeStrategy,
      options: s.options,
      fixture: s.fixture,
    });
    for (const check of checks) it(check.name, check.run);
  });
}
