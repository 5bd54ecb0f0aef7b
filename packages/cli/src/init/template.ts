/** The `recsync.config.ts` that `recsync init` writes: typed with defineConfig, one job. */

export interface InitAnswers {
  readonly name: string;
  readonly source: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string;
  readonly strategy: 'date' | 'mtime' | 'journal';
  /** Date strategy. */
  readonly layout?: string;
  readonly timezone?: string;
  /** Journal strategy: the journal file the recorder appends to. */
  readonly journal?: string;
}

const q = (value: string) => JSON.stringify(value);

const FACTORIES = {
  date: { fn: 'dateFolders', pkg: '@recsync/strategy-date' },
  mtime: { fn: 'mtimeCutoff', pkg: '@recsync/strategy-mtime' },
  journal: { fn: 'journal', pkg: '@recsync/strategy-journal' },
} as const;

function strategyCall(a: InitAnswers): string {
  switch (a.strategy) {
    case 'date':
      return (
        `dateFolders({ layout: ${q(a.layout ?? '{yyyy}-{MM}-{dd}')}, timezone: ` +
        `${q(a.timezone ?? 'UTC')}, lookback: 2 })`
      );
    case 'mtime':
      return 'mtimeCutoff()';
    case 'journal':
      return `journal({ path: ${q(a.journal ?? '')} })`;
  }
}

export function configText(a: InitAnswers): string {
  const factory = FACTORIES[a.strategy];
  const target = [
    `bucket: ${q(a.bucket)}`,
    `prefix: ${q(a.prefix)}`,
    ...(a.endpoint ? [`endpoint: ${q(a.endpoint)}`, 'forcePathStyle: true'] : []),
  ].join(', ');
  const settle = a.strategy === 'journal' ? '' : ", settle: '5m'";
  return `// Written by \`recsync init\`. Reference: docs/config.md in the recsync repository.
// Credentials never go here: the AWS SDK's default chain is used (environment, profile, SSO, role).
import { defineConfig } from '@recsync/framework';
import { ${factory.fn} } from '${factory.pkg}';

export default defineConfig({
  jobs: {
    ${/^[A-Za-z_$][\w$]*$/.test(a.name) ? a.name : q(a.name)}: {
      source: ${q(a.source)},
      target: { ${target} },
      strategy: ${strategyCall(a)},
      filters: { exclude: ['**/*.tmp', '**/*.part']${settle} },
    },
  },
});
`;
}
