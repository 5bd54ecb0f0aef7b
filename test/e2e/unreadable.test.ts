/**
 * Permissions as an unprivileged user meets them (see ../support/users.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { recentDays, runCli, writeConfig } from '../support/cli.js';
import { canRunUnprivileged, shareTree, sharedHome, unprivileged } from '../support/users.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());
const user = unprivileged;

// Needs a Node binary the unprivileged user can run (see ../support/users.ts).
describe.runIf(canRunUnprivileged)('an unreadable subfolder', () => {
  it(
    'never holds back the readable files beside it; it stays pending (exit 1) until it can ' +
      'be read',
    async () => {
      const [day] = recentDays(1);
      const spec: TreeSpec = {};
      for (let i = 0; i < 200; i++)
        spec[`${day}/rec-${String(i).padStart(3, '0')}.wav`] = {
          size: 500 + i,
          mtime: `${day}T10:00:00Z`,
        };
      for (let i = 0; i < 5; i++)
        spec[`${day}/locked/hidden-${i}.wav`] = { size: 100 + i, mtime: `${day}T10:00:00Z` };
      const tree = await createTree(spec);
      const bucket = `unr-${randomBytes(5).toString('hex')}`;
      await client.createBucket(bucket);
      const cwd = await writeConfig({ source: tree.root, bucket, endpoint });
      const home = await sharedHome();
      await shareTree(tree.root, [cwd]);
      const locked = path.join(tree.root, day, 'locked');
      await chmod(locked, 0o000);
      const env = { HOME: home };

      for (let run = 0; run < 2; run++) {
        const result = await runCli(['sync'], { cwd, env, user });
        expect(result.code).toBe(1);
        expect(result.stderr + result.stdout).toContain(
          `${day}/locked: folder cannot be read (EACCES)`,
        );
        const keys = await client.keys(bucket);
        expect(keys.filter((k) => k.includes('/rec-'))).toHaveLength(200);
        expect(keys.filter((k) => k.includes('/locked/'))).toEqual([]);
      }
      const state = JSON.parse(
        await readFile(path.join(cwd, '.recsync', 'rec.state.json'), 'utf8'),
      );
      expect(state.pending[`${day}/locked`]).toMatchObject({
        reason: 'failed',
        code: 'E_FOLDER_UNREADABLE',
        folder: true,
      });
      const status = await runCli(['status'], { cwd, env, user });
      expect(status.stdout).toContain(`${day}/locked`);

      // fixed: the next run walks the folder, uploads its files and clears the entry
      await chmod(locked, 0o755);
      const fixed = await runCli(['sync'], { cwd, env, user });
      expect(fixed.stderr).toBe('');
      expect(fixed.code).toBe(0);
      expect((await client.keys(bucket)).filter((k) => k.includes('/locked/'))).toHaveLength(5);
      const after = JSON.parse(
        await readFile(path.join(cwd, '.recsync', 'rec.state.json'), 'utf8'),
      );
      expect(after.pending).toEqual({});
      await chmod(locked, 0o755);
      await tree.cleanup();
    },
  );
});
