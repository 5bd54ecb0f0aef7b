import { describe, expect, it } from 'vitest';
import { emptyCounts, type RunStats } from '@recsync/framework';
import { summary } from '../src/render/sync.js';

function stats(extra: Partial<RunStats>): RunStats {
  const counts = emptyCounts();
  counts.uploaded = { files: 3, bytes: 3072 };
  return {
    job: 'rec',
    mode: 'sync',
    startedAt: '2026-11-25T12:00:00.000Z',
    finishedAt: '2026-11-25T12:00:01.000Z',
    counts,
    partitions: { total: 1, complete: 1 },
    cursor: null,
    pending: 0,
    exitCode: 0,
    interrupted: false,
    ...extra,
  };
}

describe('sync summary', () => {
  it('says who verified the checksums', () => {
    const text = summary(
      stats({ verification: { store: 1, recsync: 1, unverified: 1 } }),
      'nothing yet',
    );
    expect(text).toContain(
      'checksums: 1 confirmed by the store, 1 compared by recsync, 1 unverified (the store ' +
        'returned none)',
    );
  });

  it(
    'after a second signal, names the multipart uploads it aborted instead of claiming they ' +
      'finished',
    () => {
      const text = summary(
        stats({
          interrupted: true,
          hardStopped: true,
          exitCode: 130,
          multipart: {
            earlierAborted: 2,
            swept: 0,
            interrupted: [
              { key: 'a/big.wav', uploadId: 'u1', aborted: true },
              { key: 'a/huge.wav', uploadId: 'u2', aborted: false },
            ],
          },
        }),
        'nothing yet',
      );
      expect(text).not.toContain('in-flight uploads finished');
      expect(text).toContain('interrupted: in-flight uploads aborted, state saved');
      expect(text).toContain(
        'multipart uploads aborted: 2 left by an earlier run, 0 abandoned under the prefix',
      );
      expect(text).toContain('    a/big.wav: aborted on the store');
      expect(text).toContain('    a/huge.wav: abort failed: recorded, the next run aborts it');
    },
  );
});
