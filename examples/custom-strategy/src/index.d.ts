import type { StrategyDefinition, StrategyRef, z } from '@recsync/framework';

export declare const manifestStrategy: StrategyDefinition<
  z.ZodObject<{ dir: z.ZodDefault<z.ZodString> }>,
  z.ZodObject<{ lastBatch: z.ZodString }>
>;
export declare function manifestBatches(options?: { dir?: string }): StrategyRef;
export default manifestStrategy;
