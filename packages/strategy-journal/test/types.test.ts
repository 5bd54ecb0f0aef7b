import { describe, expectTypeOf, it } from 'vitest';
import { defineConfig, type StrategyRef } from '@recsync/framework';
import {
  journal,
  journalStrategy,
  type AppendResult,
  type JournalCursor,
  type JournalOptions,
  appendToJournal,
} from '../src/internal.js';

describe('public types', () => {
  it('journal() takes the options users write and fits in a config', () => {
    expectTypeOf(journal).parameter(0).toEqualTypeOf<JournalOptions>();
    expectTypeOf(journal({ path: '/var/lib/recorder/written.log' })).toEqualTypeOf<StrategyRef>();
    expectTypeOf<{
      directory: string;
      missingTimeout: '7d';
      committedSegments: { moveTo: 'done' };
    }>().toExtend<JournalOptions>();
    // @ts-expect-error unknown option
    journal({ path: 'x', pth: 'y' });
    defineConfig({
      jobs: {
        rec: { source: '/a', target: { bucket: 'b' }, strategy: journal({ directory: '/j' }) },
      },
    });
  });

  it('declares its cursor and the producer API', () => {
    expectTypeOf(journalStrategy.create).returns.toHaveProperty('advance');
    expectTypeOf<JournalCursor>().toHaveProperty('offset').toEqualTypeOf<number>();
    expectTypeOf<JournalCursor>().toHaveProperty('ino').toEqualTypeOf<string>();
    expectTypeOf(appendToJournal).returns.resolves.toEqualTypeOf<AppendResult>();
  });
});
