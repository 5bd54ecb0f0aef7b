/**
 * `@recsync/strategy-journal`: back up exactly the files a producer (a call recorder, a camera
 * NVR) lists in an append-only journal, read from a saved offset: no directory walk at all.
 *
 * The default export is the strategy definition, so data-only configs can name the package:
 * `"strategy": { "use": "@recsync/strategy-journal", "with": { "path":
 * "/var/lib/recorder/written.log" } }`.
 */
import { journalStrategy } from './definition.js';

export { journalStrategy, journal } from './definition.js';
export { STRATEGY_NAME } from './location.js';
export type { JournalOptions } from './options.js';
export {
  appendToJournal,
  type AppendOptions,
  type AppendResult,
  type JournalEntry,
} from './append.js';

export default journalStrategy;
