/**
 * `@recsync/strategy-date/internal`: what recsync's own packages (the CLI, the repository's tests
 * and
 * benchmarks) use beyond the public API. Not public: anything here may change or go in any
 * release. It re-exports the public API.
 */
export * from './index.js';
export {
  dateOptionsSchema,
  dateCursorSchema,
  DEFAULT_LAYOUT,
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
