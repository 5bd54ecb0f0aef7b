import type { StrategyDefinition, StrategyRef, z } from '@recsync/framework';

export interface CdrOptions {
  /** The SQLite file, relative to the job's source (or absolute). */
  database: string;
  /** Default `cdr`. */
  table?: string;
  /** Default `id`. */
  idColumn?: string;
  /** Default `recording_path`. */
  pathColumn?: string;
  /** Rows per partition, default 1000. */
  batch?: number;
  /** Default `7d`. */
  missingTimeout?: string | number;
}

export declare const cdrStrategy: StrategyDefinition<
  z.ZodType<unknown, CdrOptions>,
  z.ZodType<{ lastId: number }>
>;
export declare function cdrRows(options: CdrOptions): StrategyRef;
export default cdrStrategy;
