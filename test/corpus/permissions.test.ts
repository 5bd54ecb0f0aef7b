/**
 * Bad-input corpus: permissions, as an unprivileged user meets them (../support/users.ts).
 * Each case checks the exit code, a message that says what and where, and that nothing is
 * lost once the permission is fixed.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { recentDays, runCli, startCli, waitFor, writeConfig } from '../support/cli.js';
import {
  canRunUnprivileged,
  shareTree,
  sharedHome,
  unprivileged as user,
} from '../support/users.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());
const [day] = recentDays(1);

async function fixture() {
  const spec: TreeSpec = {};
  for (let i = 0; i < 4; i++)
    spec[`${day}/rec-${i}.wav`] = { size: 200 + i, mtime: `${day}T10:00:00Z` };
  const tree = await createTree(spec);
  const bucket = `perm-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const cwd = await writeConfig({ source: tree.root, bucket, endpoint });
  await shareTree(tree.root, [cwd]);
  const env = { HOME: await sharedHome() };
  const run = (args: string[] = ['sync']) => runCli(args, { cwd, env, user });
  return { spec, tree, bucket, cwd, env, run };
}

// Needs a Node binary the unprivileged user can run (see ../support/users.ts).
describe.runIf(canRunUnprivileged)('permissions (as an unprivileged user)', () => {
  it(
    'an unreadable file: the others upload, it stays pending with E_FILE_READ and its path ' +
      '(exit 1)',
    async () => {
      const f = await fixture();
      const locked = path.join(f.tree.root, day, 'rec-2.wav');
      await chmod(locked, 0o000);
      const first = await f.run();
      expect(first.code).toBe(1);
      expect(first.stderr + first.stdout).toContain(locked);
      expect((await client.keys(f.bucket)).length).toBe(3);
      const state = JSON.parse(
        await readFile(path.join(f.cwd, '.recsync', 'rec.state.json'), 'utf8'),
      );
      expect(state.pending[`${day}/rec-2.wav`]).toMatchObject({
        reason: 'failed',
        code: 'E_FILE_READ',
      });
      await chmod(locked, 0o644);
      expect((await f.run()).code).toBe(0);
      expect((await client.keys(f.bucket)).length).toBe(4);
    },
  );

  it('an unreadable source root: exit 2, "fix the permissions", nothing recorded', async () => {
    const f = await fixture();
    await chmod(f.tree.root, 0o700);
    const run = await f.run();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('E_SOURCE_MISSING');
    expect(run.stderr).toContain('cannot be read');
    expect(run.stderr).toContain('fix the permissions');
    await chmod(f.tree.root, 0o777);
    expect((await f.run()).code).toBe(0);
    expect((await client.keys(f.bucket)).length).toBe(4);
  });

  it(
    'a state folder that cannot be created: exit 2 naming stateDir, before anything is ' +
      'uploaded',
    async () => {
      const f = await fixture();
      await chmod(f.cwd, 0o755); // the config folder (where .recsync would be created) is read-only
      const run = await f.run();
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('E_STATE_DIR');
      expect(run.stderr).toContain('stateDir');
      expect(await client.keys(f.bucket)).toEqual([]);
      await chmod(f.cwd, 0o777);
      expect((await f.run()).code).toBe(0);
      expect((await client.keys(f.bucket)).length).toBe(4);
    },
  );

  it('a read-only state folder: exit 2 (E_STATE_DIR) before anything is uploaded', async () => {
    const f = await fixture();
    expect((await f.run()).code).toBe(0);
    await f.tree.write({ [`${day}/late.wav`]: { size: 10, mtime: `${day}T11:00:00Z` } });
    await shareTree(f.tree.root, [f.cwd]);
    await chmod(path.join(f.cwd, '.recsync'), 0o555);
    const run = await f.run();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot create the lock file in the state folder');
    expect(run.stderr).toContain('stateDir');
    await chmod(path.join(f.cwd, '.recsync'), 0o777);
    expect((await f.run()).code).toBe(0);
    expect((await client.keys(f.bucket)).length).toBe(5);
  });

  it(
    'a state folder that turns read-only mid-run: exit 4 (E_STATE_WRITE); the next run ' +
      'finishes',
    async () => {
      const f = await fixture();
      const gate = path.join(f.cwd, 'gate');
      const started = startCli(['sync'], {
        cwd: f.cwd,
        env: { ...f.env, GATE: gate, GATE_PASS: '1' },
        user,
      });
      await waitFor(async () => (await client.keys(f.bucket)).length === 1, 'the first upload');
      await chmod(path.join(f.cwd, '.recsync'), 0o555);
      await writeFile(gate, '');
      const run = await started.done;
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('cannot write the state file');
      expect(run.stderr).toContain('stateDir');
      await chmod(path.join(f.cwd, '.recsync'), 0o777);
      const next = await f.run();
      expect(next.code).toBe(0);
      expect((await client.keys(f.bucket)).length).toBe(4);
    },
  );

  it('an unreadable config file: exit 2 naming the file', async () => {
    const f = await fixture();
    await chmod(path.join(f.cwd, 'recsync.config.ts'), 0o600);
    const run = await f.run();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('recsync.config.ts');
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
