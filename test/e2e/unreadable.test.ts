/**
 * Permissions as an unprivileged user would meet them. Tests run as root in CI, where
 * `chmod 000` stops nothing, so the binary runs here as `nobody` (uid 65534) when the test runs
 * as root, and as the current user otherwise.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { recentDays, runCli, writeConfig } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());
const asRoot = process.getuid?.() === 0;
const user = asRoot ? { uid: 65534, gid: 65534 } : undefined;

/** Opens every folder of `root` (and `extra`) to other users, as an archive shared read-only would be. */
async function shareTree(root: string, extra: string[]): Promise<void> {
  for (const dir of [root, ...extra]) await chmod(dir, 0o777);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      await chmod(abs, entry.isDirectory() ? 0o755 : 0o644);
      if (entry.isDirectory()) await walk(abs);
    }
  };
  await walk(root);
}

describe('an unreadable subfolder', () => {
  it('never holds back the readable files beside it; it stays pending (exit 1) until it can be read', async () => {
    const [day] = recentDays(1);
    const spec: TreeSpec = {};
    for (let i = 0; i < 200; i++) spec[`${day}/rec-${String(i).padStart(3, '0')}.wav`] = { size: 500 + i, mtime: `${day}T10:00:00Z` };
    for (let i = 0; i < 5; i++) spec[`${day}/locked/hidden-${i}.wav`] = { size: 100 + i, mtime: `${day}T10:00:00Z` };
    const tree = await createTree(spec);
    const bucket = `unr-${randomBytes(5).toString('hex')}`;
    await client.createBucket(bucket);
    const cwd = await writeConfig({ source: tree.root, bucket, endpoint });
    const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-home-'));
    await shareTree(tree.root, [cwd, home]);
    const locked = path.join(tree.root, day, 'locked');
    await chmod(locked, 0o000);
    const env = { HOME: home };

    for (let run = 0; run < 2; run++) {
      const result = await runCli(['sync'], { cwd, env, user });
      expect(result.code).toBe(1);
      expect(result.stderr + result.stdout).toContain(`${day}/locked: folder cannot be read (EACCES)`);
      const keys = await client.keys(bucket);
      expect(keys.filter((k) => k.includes('/rec-'))).toHaveLength(200);
      expect(keys.filter((k) => k.includes('/locked/'))).toEqual([]);
    }
    const state = JSON.parse(await readFile(path.join(cwd, '.recsync', 'rec.state.json'), 'utf8'));
    expect(state.pending[`${day}/locked`]).toMatchObject({ reason: 'failed', code: 'E_FOLDER_UNREADABLE', folder: true });
    const status = await runCli(['status'], { cwd, env, user });
    expect(status.stdout).toContain(`${day}/locked`);

    // fixed: the next run walks the folder, uploads its files and clears the entry
    await chmod(locked, 0o755);
    const fixed = await runCli(['sync'], { cwd, env, user });
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    expect((await client.keys(bucket)).filter((k) => k.includes('/locked/'))).toHaveLength(5);
    const after = JSON.parse(await readFile(path.join(cwd, '.recsync', 'rec.state.json'), 'utf8'));
    expect(after.pending).toEqual({});
    await chmod(locked, 0o755);
    await tree.cleanup();
  });
});
