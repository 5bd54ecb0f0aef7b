/**
 * `@recsync/strategy-mtime/internal`: what recsync's own packages (the CLI, the repository's tests
 * and
 * benchmarks) use beyond the public API. Not public: anything here may change or go in any
 * release. It re-exports the public API.
 */
export * from './index.js';
export {
  MtimeCutoff,
  type MtimeSeams,
} from './strategy.js';
export {
  mtimeOptionsSchema,
  mtimeCursorSchema,
  type ResolvedMtimeOptions,
  type MtimeCursor,
} from './options.js';
export {
  parseTimeInput,
  TIME_INPUT_FORMS,
} from './time.js';
export {
  ROOT_PARTITION,
  MAX_REMEMBERED_PER_PARTITION,
  comparePartitionIds,
  partitionOfDir,
  initialState,
  readCursor,
  writeCursor,
  cutoffFor,
  rememberedFor,
  markDone,
  completeRun,
  type CursorState,
  type PartialEntry,
} from './cursor.js';
export {
  openScan,
  CHUNK,
  type ScanFs,
  type ScanTask,
  type ScanChunk,
  type DirInfo,
} from './walk/scan.js';
