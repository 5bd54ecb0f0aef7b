/**
 * `@recsync/strategy-date`: partitions for archives laid out in date folders
 * (`RECORDINGS/2026-11-25/…`, `2026/11/25/…`, hourly `2026-11-25/13/…`).
 *
 * The default export is the strategy definition, so data-only configs can name the package:
 * `"strategy": { "use": "@recsync/strategy-date", "with": { "layout": "{yyyy}/{MM}/{dd}" } }`.
 */
import { dateStrategy } from './strategy.js';

export { dateStrategy, dateFolders, STRATEGY_NAME } from './strategy.js';
export {
  dateOptionsSchema,
  dateCursorSchema,
  DEFAULT_LAYOUT,
  type DateFoldersOptions,
  type ResolvedDateOptions,
  type DateCursor,
} from './options.js';
export {
  parseLayout,
  compileLayout,
  formatPeriod,
  parseFolderPath,
  matchSegment,
  LAYOUT_TOKENS,
  type Layout,
  type LayoutSegment,
  type LayoutPart,
  type LayoutToken,
  type LayoutResult,
} from './layout.js';
export {
  GRANULARITIES,
  makePeriod,
  periodKey,
  parsePeriodKey,
  comparePeriods,
  shiftPeriod,
  nextPeriod,
  periodsBetween,
  periodContaining,
  periodStart,
  periodClosesAt,
  toGranularity,
  lastSubPeriod,
  type Granularity,
  type Period,
  type PeriodFields,
} from './period.js';
export {
  parseDateInput,
  firstCoveredPeriod,
  lastCoveredPeriod,
  DATE_INPUT_FORMS,
} from './input.js';
export {
  cursorSelection,
  firstRunSelection,
  rangeSelection,
  parseRangeBounds,
  type Selection,
  type RangeBounds,
} from './selection.js';
export {
  discoverEarliest,
  type DiscoveryCounts,
  type DiscoveryResult,
  type DiscoverOptions,
} from './discover.js';

export default dateStrategy;
