import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'vitest';
import { createTree, strategyConformance, tempDirs } from '@recsync/framework/testing';
import { journalStrategy } from '../src/index.js';

const FIRST = ['2026-11-24/a.wav', '2026-11-24/sub/b.wav', '2026-11-25/c.wav', 'loose.wav'];

/**
 * A source with files, and a journal beside it (`../journal`) listing them, absolute and relative.
 */
async function fixture(journalAt: (dir: string) => string) {
  const temp = tempDirs();
  const root = await temp.make('recsync-journal-conf-');
  const tree = await createTree(
    Object.fromEntries(FIRST.map((p, i) => [p, { size: 10 + i, mtime: '2026-11-24T10:00:00Z' }])),
    { root: path.join(root, 'RECORDINGS') },
  );
  const dir = path.join(root, 'journal');
  await mkdir(dir, { recursive: true });
  const lines = FIRST.map((p, i) => (i % 2 ? tree.path(p) : p));
  await appendFile(journalAt(dir), `${lines.join('\n')}\n`);
  return {
    source: tree.root,
    now: new Date(),
    later: new Date(Date.now() + 3_600_000),
    async addFiles() {
      const added = ['2026-11-25/late.wav', '2026-11-26/new.wav'];
      await tree.write(Object.fromEntries(added.map((p) => [p, { size: 3 }])));
      await appendFile(journalAt(dir), `${added.join('\n')}\n`);
      return added;
    },
    cleanup: temp.cleanup,
  };
}

const subjects = [
  {
    name: 'single file',
    options: { path: '../journal/written.log', linesPerPartition: 2 },
    at: (dir: string) => path.join(dir, 'written.log'),
  },
  {
    name: 'segment folder',
    options: { directory: '../journal', linesPerPartition: 3 },
    at: (dir: string) => path.join(dir, '2026-11-25.log'),
  },
];

for (const subject of subjects) {
  describe(`conformance: ${subject.name}`, () => {
    const checks = strategyConformance({
      definition: journalStrategy,
      options: subject.options,
      fixture: () => fixture(subject.at),
    });
    for (const check of checks) it(check.name, check.run);
  });
}
