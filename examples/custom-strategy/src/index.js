// An example strategy plugin, as a team would publish it: each instrument run writes a
// manifest `batches/<batch>.manifest` listing the files it produced, one relative path per line.
// One partition per manifest, oldest first; the cursor is the last completed batch name.
//
// Use it from recsync.config.ts:   strategy: manifestBatches({ dir: 'batches' })
// or from JSON/YAML: "strategy": { "use": "recsync-strategy-manifest", "with": { "dir": "batches" }
// }
import { readFile, readdir, lstat } from 'node:fs/promises';
import path from 'node:path';
import { defineStrategy, useStrategy, z } from '@recsync/framework';

const options = z.strictObject({
  /** Folder (relative to the source) holding `*.manifest` files. */
  dir: z.string().min(1).default('batches'),
});
const cursor = z.strictObject({ lastBatch: z.string() });

export const manifestStrategy = defineStrategy({
  name: 'recsync-strategy-manifest',
  options,
  cursor,
  create(opts, context) {
    const manifests = path.join(context.source, opts.dir);
    return {
      async *partitions({ cursor: saved, signal }) {
        const names = (await readdir(manifests).catch(() => []))
          .filter((n) => n.endsWith('.manifest'))
          .sort();
        for (const name of names) {
          if (signal.aborted) return;
          const batch = name.slice(0, -'.manifest'.length);
          if (saved && batch <= saved.lastBatch) continue;
          yield {
            id: batch,
            dir: context.source,
            closed: true, // a manifest is written when its batch is complete
            async *files() {
              const lines = (await readFile(path.join(manifests, name), 'utf8'))
                .split('\n')
                .filter(Boolean);
              for (const [i, line] of lines.entries()) {
                const stats = await lstat(path.join(context.source, line)).catch(() => undefined);
                if (stats?.isFile())
                  yield {
                    path: line,
                    size: stats.size,
                    mtimeMs: stats.mtimeMs,
                    origin: `${name}:${i + 1}`,
                  };
                else yield { kind: 'missing', path: line, origin: `${name}:${i + 1}` };
              }
            },
          };
        }
      },
      advance: (current, partition) =>
        !current || partition.id > current.lastBatch ? { lastBatch: partition.id } : current,
      features: { missingTimeoutMs: 7 * 86_400_000 },
    };
  },
});

/** The factory users call in recsync.config.ts. */
export function manifestBatches(opts = {}) {
  return useStrategy(manifestStrategy, opts);
}

export default manifestStrategy;
