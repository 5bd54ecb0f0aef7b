/**
 * A tool recsync did not write agrees with what it stored: after a sync, `rclone copy
 * --dry-run` finds nothing to copy and no modification time to fix (it reads recsync's
 * `X-Amz-Meta-Mtime` as the modification time, to the nanosecond). rclone comes from Debian
 * (`apt-get install rclone`, done by .ci/run); without it the test is skipped with a message.
 */
import { execFile, execFileSync } from 'node:child_process';
import { utimes } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { harness, harnessPerTest } from '../support/harness.js';

const run = promisify(execFile);
const hasRclone = (() => {
  try {
    execFileSync('rclone', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasRclone)
  console.warn(
    'rclone is not installed (apt-get install rclone): skipping the rclone agreement test',
  );

const NOW = new Date('2026-11-25T12:00:00Z');
const each = harnessPerTest();

describe.skipIf(!hasRclone)('rclone agrees', () => {
  it(
    'rclone copy --dry-run sees nothing to do after a sync (sub-second mtimes, single and ' +
      'multipart)',
    async () => {
      const files = {
        '2026-11-24/a.wav': { content: 'a'.repeat(100), mtime: '2026-11-24T10:00:00Z' },
        '2026-11-24/b.wav': { content: 'b'.repeat(100), mtime: '2026-11-24T10:00:00Z' },
        '2026-11-24/big.wav': { size: 6 * 1024 * 1024, mtime: '2026-11-24T10:00:00Z' },
      };
      const h = await harness({
        files,
        job: { upload: { multipartThreshold: '5MiB', partSize: '5MiB' } },
      });
      each.defer(h.dispose);
      // sub-millisecond parts that a 3-decimal mtime would lose
      await utimes(h.tree.path('2026-11-24/a.wav'), 1_795_514_400.123456, 1_795_514_400.123456);
      await utimes(h.tree.path('2026-11-24/big.wav'), 1_795_514_400.987654, 1_795_514_400.987654);
      expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        RCLONE_CONFIG_T_TYPE: 's3',
        RCLONE_CONFIG_T_PROVIDER: 'Other',
        RCLONE_CONFIG_T_ENDPOINT: h.endpoint,
        RCLONE_CONFIG_T_ACCESS_KEY_ID: 'S3RVER',
        RCLONE_CONFIG_T_SECRET_ACCESS_KEY: 'S3RVER',
        RCLONE_CONFIG_T_FORCE_PATH_STYLE: 'true',
      };
      delete env.AWS_CA_BUNDLE;
      const { stdout, stderr } = await run(
        'rclone',
        ['copy', '--dry-run', '-v', '--config', '/dev/null', h.tree.root, `t:${h.bucket}`],
        { env },
      );
      const output = `${stdout}${stderr}`;
      expect(output).not.toMatch(/Skipped (copy|update modification time)/);
      expect(output).toMatch(/There was nothing to transfer|Unchanged skipping|Transferred:\s+0 B/);
    },
  );
});
