import { describe, it } from 'vitest';
import { createTree, strategyConformance } from '@recsync/framework/testing';
import { dateStrategy } from '../src/index.js';

const layouts = ['{yyyy}-{MM}-{dd}', '{yyyy}/{MM}/{dd}', '{yyyy}-{MM}-{dd}/{HH}'] as const;

function folder(layout: string, day: string, hour = '10'): string {
  const [y, m, d] = day.split('-');
  return layout.replace('{yyyy}', y).replace('{MM}', m).replace('{dd}', d).replace('{HH}', hour);
}

for (const layout of layouts) {
  describe(`conformance: ${layout}`, () => {
    const checks = strategyConformance({
      definition: dateStrategy,
      options: { layout, timezone: 'UTC', lookback: 1, grace: '1h' },
      async fixture() {
        const spec: Record<string, { size: number; mtime: string }> = {};
        for (const day of ['2026-11-22', '2026-11-23', '2026-11-24']) {
          spec[`${folder(layout, day)}/a.wav`] = { size: 100, mtime: `${day}T10:20:00Z` };
          spec[`${folder(layout, day)}/sub/b.wav`] = { size: 7, mtime: `${day}T10:30:00Z` };
        }
        const tree = await createTree(spec);
        return {
          source: tree.root,
          now: new Date('2026-11-24T10:45:00Z'),
          later: new Date('2026-11-25T12:00:00Z'),
          async addFiles() {
            const added = [
              `${folder(layout, '2026-11-24')}/late.wav`,
              `${folder(layout, '2026-11-25')}/new.wav`,
            ];
            await tree.write(
              Object.fromEntries(added.map((p) => [p, { size: 3, mtime: '2026-11-24T10:50:00Z' }])),
            );
            return added;
          },
          cleanup: tree.cleanup,
        };
      },
    });
    for (const check of checks) it(check.name, check.run);
  });
}
