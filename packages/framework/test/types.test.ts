/**
 * The public types (checked by `npm run typecheck`, which compiles the tests): defineConfig,
 * defineStrategy and the hooks say what users may write.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import {
  createHooks,
  defineConfig,
  definePlugin,
  defineStrategy,
  useStrategy,
  z,
  type CandidateFile,
  type RecsyncConfig,
  type SkipDecision,
  type StrategyRef,
} from '../src/index.js';

const strategy = defineStrategy({
  name: 'typed',
  options: z.strictObject({ depth: z.number().default(1) }),
  cursor: z.strictObject({ at: z.string() }),
  create: (options) => {
    expectTypeOf(options).toEqualTypeOf<{ depth: number }>();
    return {
      partitions: async function* () {},
      advance: (cursor) => {
        expectTypeOf(cursor).toEqualTypeOf<{ at: string } | undefined>();
        return cursor;
      },
    };
  },
});

describe('public types', () => {
  it('defineConfig is a typed identity over what users write', () => {
    const config = defineConfig({
      jobs: {
        rec: {
          source: '/a',
          target: { bucket: 'b' },
          strategy: useStrategy(strategy, { depth: 2 }),
          filters: { settle: '5m' },
          upload: { partSize: '8MiB' },
        },
      },
    });
    expectTypeOf(config).toEqualTypeOf<RecsyncConfig>();
    expectTypeOf(useStrategy(strategy, {})).toEqualTypeOf<StrategyRef>();
    defineConfig({
      // @ts-expect-error: a misspelt key is a type error as well as a runtime error
      jobs: { rec: { source: '/a', target: { bukcet: 'b' }, strategy: useStrategy(strategy, {}) } },
    });
    // @ts-expect-error: strategy options are typed by the strategy's schema
    useStrategy(strategy, { depth: 'deep' });
  });

  it('hooks declare their arguments and results', () => {
    const hooks = createHooks();
    hooks.filter.tapPromise('t', async (file, context) => {
      expectTypeOf(file).toEqualTypeOf<CandidateFile>();
      expectTypeOf(context.now).toEqualTypeOf<number>();
      return undefined;
    });
    expectTypeOf(hooks.filter.promise).returns.resolves.toEqualTypeOf<SkipDecision | undefined>();
    hooks.key.tap('t', (key) => `${key}`);
    hooks.beforeUpload.tapPromise('t', async (input) => {
      expectTypeOf(input).toEqualTypeOf<PutObjectCommandInput>();
      return input;
    });
    definePlugin({ name: 'p', apply: (h) => expectTypeOf(h).toEqualTypeOf(hooks) });
  });
});
