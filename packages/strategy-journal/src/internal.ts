/**
 * `@recsync/strategy-journal/internal`: what recsync's own packages (the CLI, the repository's
 * tests and
 * benchmarks) use beyond the public API. Not public: anything here may change or go in any
 * release. It re-exports the public API.
 */
export * from './index.js';
export {
  journalLocation,
  journalJob,
  type JournalLocation,
} from './location.js';
export {
  journalOptionsSchema,
  journalCursorSchema,
  TAIL_BYTES,
  type ResolvedJournalOptions,
  type JournalCursor,
} from './options.js';
