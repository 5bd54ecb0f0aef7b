/**
 * `@recsync/strategy-mtime`: back up everything created or changed since the last complete run
 * (`find ROOT -newer MARKER`, plus files and folders copied or moved in with old times), for
 * archives whose layout has no dates.
 *
 * The default export is the strategy definition, so data-only configs can name the package:
 * `"strategy": { "use": "@recsync/strategy-mtime", "with": { "writeOnce": true } }`.
 */
import { mtimeStrategy } from './strategy.js';

export {
  mtimeStrategy,
  mtimeCutoff,
  MtimeCutoff,
  STRATEGY_NAME,
  type MtimeSeams,
} from './strategy.js';
export {
  mtimeOptionsSchema,
  mtimeCursorSchema,
  type MtimeCutoffOptions,
  type ResolvedMtimeOptions,
  type MtimeCursor,
} from './options.js';
export { parseTimeInput, TIME_INPUT_FORMS } from './time.js';
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

export default mtimeStrategy;
