/**
 * Built-in filter plugins on the `filter` hook.
 *
 * - include/exclude globs (compiled by ../fs/globs.ts, which says what they mean): a permanent
 *   skip (`excluded`).
 * - size limits: permanent skip.
 * - settle time: a file modified less than `settle` ago is *deferred*, never excluded: it goes
 *   to the pending set and is retried first by the next run.
 */
import { compilePathRules } from '../fs/globs.js';
import { definePlugin, type Plugin } from '../plugin.js';
import { formatDuration } from '../units.js';

export interface GlobFilterOptions {
  include?: readonly string[];
  exclude?: readonly string[];
  minSize?: number;
  maxSize?: number;
}

export function globFilterPlugin(options: GlobFilterOptions): Plugin {
  const rules = compilePathRules(options.include ?? [], options.exclude ?? []);
  const globs = (options.include?.length ?? 0) + (options.exclude?.length ?? 0);
  const includeList = (options.include ?? []).join(', ');
  return definePlugin({
    name: 'recsync:glob-filter',
    apply(hooks) {
      if (globs === 0 && options.minSize === undefined && options.maxSize === undefined) {
        return;
      }
      hooks.filter.tapPromise('recsync:glob-filter', async (file) => {
        if (!rules.matchesInclude(file.path)) {
          return { outcome: 'excluded', reason: `matches no include pattern (${includeList})` };
        }
        const excludedBy = rules.excludedBy(file.path);
        if (excludedBy) return { outcome: 'excluded', reason: `exclude ${excludedBy}` };
        if (options.minSize !== undefined && file.size < options.minSize)
          return { outcome: 'excluded', reason: 'below minSize' };
        if (options.maxSize !== undefined && file.size > options.maxSize)
          return { outcome: 'excluded', reason: 'above maxSize' };
        return undefined;
      });
    },
  });
}

/** Defers files modified less than `settleMs` before the run's clock. */
export function settlePlugin(settleMs: number): Plugin {
  return definePlugin({
    name: 'recsync:settle',
    apply(hooks) {
      if (settleMs <= 0) return;
      const reason = `settle ${formatDuration(settleMs)}`;
      hooks.filter.tapPromise({ name: 'recsync:settle', stage: 100 }, async (file, context) =>
        context.now - file.mtimeMs < settleMs ? { outcome: 'deferred', reason } : undefined,
      );
    },
  });
}
