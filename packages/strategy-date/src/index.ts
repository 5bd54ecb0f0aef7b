/**
 * `@recsync/strategy-date`: partitions for archives laid out in date folders
 * (`RECORDINGS/2026-11-25/…`, `2026/11/25/…`, hourly `2026-11-25/13/…`).
 *
 * The default export is the strategy definition, so data-only configs can name the package:
 * `"strategy": { "use": "@recsync/strategy-date", "with": { "layout": "{yyyy}/{MM}/{dd}" } }`.
 */
import { dateStrategy } from './strategy.js';

export { dateStrategy, dateFolders, STRATEGY_NAME } from './strategy.js';
export type { DateFoldersOptions } from './options.js';

export default dateStrategy;
