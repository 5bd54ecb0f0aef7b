/**
 * Built-in filter plugins on the `filter` hook.
 *
 * - include/exclude globs (picomatch, matched against the path relative to the source, `/`
 *   separated, dot files included): a permanent skip (`excluded`). A file is taken when it
 *   matches any include (or there are none) and no exclude. Patterns without a `/` match the
 *   base name at any depth, like rclone's and .gitignore's (`*.tmp` = `**\/*.tmp`).
 * - size limits: permanent skip.
 * - settle time: a file modified less than `settle` ago is *deferred*, never excluded: it goes
 *   to the pending set and is retried first by the next run.
 */
import picomatch from 'picomatch';
import { definePlugin, type Plugin } from '../plugin.js';
import { formatDuration } from '../units.js';

export interface GlobFilterOptions {
  include?: readonly string[];
  exclude?: readonly string[];
  minSize?: number;
  maxSize?: number;
}

export function globFilterPlugin(options: GlobFilterOptions): Plugin {
  const compile = (patterns: readonly string[]) =>
    patterns.map((pattern) => ({
      pattern,
      test: picomatch(pattern, { dot: true, basename: !pattern.includes('/') }),
    }));
  const includes = compile(options.include ?? []);
  const excludes = compile(options.exclude ?? []);
  const includeList = (options.include ?? []).join(', ');
  return definePlugin({
    name: 'recsync:glob-filter',
    apply(hooks) {
      if (
        includes.length === 0 &&
        excludes.length === 0 &&
        options.minSize === undefined &&
        options.maxSize === undefined
      ) {
        return;
      }
      hooks.filter.tapPromise('recsync:glob-filter', async (file) => {
        if (includes.length > 0 && !includes.some((m) => m.test(file.path))) {
          return { outcome: 'excluded', reason: `matches no include pattern (${includeList})` };
        }
        const excludedBy = excludes.find((m) => m.test(file.path));
        if (excludedBy) return { outcome: 'excluded', reason: `exclude ${excludedBy.pattern}` };
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
