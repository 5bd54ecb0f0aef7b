/**
 * The journal strategy's definition and its config factory.
 *
 * Identity: only the journal's location gives a saved cursor its meaning (an inode and offset
 * in that file or folder). Chunk size, timeouts, `start` and cleanup change what a run does,
 * not what a saved position means. Remote check default `none`: journal entries are new files,
 * and the ordered offset limits re-uploads after a crash to the partitions in flight.
 */
import path from 'node:path';
import { defineStrategy, formatBytes, useStrategy, type StrategyRef } from '@recsync/framework';
import { STRATEGY_NAME } from './location.js';
import { journalCursorSchema, journalOptionsSchema, type JournalOptions } from './options.js';
import { JournalInstance } from './strategy.js';

export const journalStrategy = defineStrategy({
  name: STRATEGY_NAME,
  options: journalOptionsSchema,
  cursor: journalCursorSchema,
  create: (options, context) => new JournalInstance(options, context),
  features: {
    identity: (options) => ({ path: options.path ?? null, directory: options.directory ?? null }),
    defaultRemoteCheck: 'none',
    // Entries are written when the recorder has closed the file: nothing to wait for.
    defaultSettleMs: 0,
    /** The line reached; the journal file's mtime when it was read is the time it stands for. */
    describeCursor: (cursor) => ({
      text:
        `${cursor.line.toLocaleString('en-US')} line(s) of ${path.basename(cursor.file)} ` +
        `done (byte ${formatBytes(cursor.offset)})`,
      time: new Date(cursor.mtimeMs).toISOString(),
    }),
  },
});

/**
 * The factory for `recsync.config.ts`: `strategy: journal({ path: '/var/lib/recorder/written.log'
 * })`.
 */
export function journal(options: JournalOptions): StrategyRef {
  return useStrategy(journalStrategy, options);
}
