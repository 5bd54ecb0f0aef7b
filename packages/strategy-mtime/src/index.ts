/**
 * `@recsync/strategy-mtime`: back up everything created or changed since the last complete run
 * (`find ROOT -newer MARKER`, plus files and folders copied or moved in with old times), for
 * archives whose layout has no dates.
 *
 * The default export is the strategy definition, so data-only configs can name the package:
 * `"strategy": { "use": "@recsync/strategy-mtime", "with": { "writeOnce": true } }`.
 */
import { mtimeStrategy } from './strategy.js';

export { mtimeStrategy, mtimeCutoff, STRATEGY_NAME } from './strategy.js';
export type { MtimeCutoffOptions } from './options.js';

export default mtimeStrategy;
