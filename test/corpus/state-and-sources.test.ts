/**
 * Bad-input corpus through the `recsync` binary: broken state files, clocks and sources. Each
 * case checks the exit code, that the message says what happened and what to do (never a
 * stack trace), and that nothing is lost: a clean run afterwards backs up every file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { recentDays, runCli, writeConfig } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());
const days = recentDays(2);

function archive(): TreeSpec {
  const spec: TreeSpec = {};
  for (const day of days)
    for (let i = 0; i < 3; i++)
      spec[`${day}/rec-${i}.wav`] = { size: 300 + i, mtime: `${day}T10:00:00Z` };
  return spec;
}

/** A synced archive with its config folder and state file. */
async function synced() {
  const spec = archive();
  const tree = await createTree(spec);
  const bucket = `corp-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const cwd = await writeConfig({ source: tree.root, bucket, endpoint });
  const first = await runCli(['sync'], { cwd });
  expect(first.code).toBe(0);
  const stateFile = path.join(cwd, '.recsync', 'rec.state.json');
  return { spec, tree, bucket, cwd, stateFile };
}

type Fixture = Awaited<ReturnType<typeof synced>>;

function noStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

/** After the problem is fixed, a run backs up every file of the archive (plus `extra`). */
async function nothingLost(f: Fixture, extra: string[] = []): Promise<void> {
  const run = await runCli(['sync'], { cwd: f.cwd });
  expect(run.code).toBe(0);
  expect(await client.keys(f.bucket)).toEqual([...Object.keys(f.spec), ...extra].sort());
}

const STATE_CASES: [string, (f: Fixture) => Promise<void>, RegExp][] = [
  [
    'truncated (a full disk)',
    async (f) => writeFile(f.stateFile, (await readFile(f.stateFile, 'utf8')).slice(0, 40)),
    /not valid JSON .*truncated by a full disk/,
  ],
  ['empty', (f) => writeFile(f.stateFile, ''), /cannot be read: not valid JSON/],
  [
    'not a state file',
    (f) => writeFile(f.stateFile, '{"hello":"world"}'),
    /cannot be read: not a recsync state file/,
  ],
  [
    'written by a newer recsync',
    async (f) => {
      const state = JSON.parse(await readFile(f.stateFile, 'utf8'));
      await writeFile(f.stateFile, JSON.stringify({ ...state, version: 99 }));
    },
    /written by a newer recsync \(state version 99/,
  ],
  [
    'a folder where the file should be',
    async (f) => {
      await rm(f.stateFile);
      await mkdir(f.stateFile);
    },
    /cannot be read: EISDIR/,
  ],
];

describe('state files', () => {
  let shared: Fixture | undefined;
  let good = '';
  it.each(STATE_CASES)(
    'a state file that is %s: exit 2, what to do, and nothing written',
    async (_what, breakIt, message) => {
      if (!shared) {
        shared = await synced();
        good = await readFile(shared.stateFile, 'utf8');
      }
      const f = shared;
      await rm(f.stateFile, { recursive: true, force: true });
      await writeFile(f.stateFile, good);
      await breakIt(f);
      const before = await readFile(f.stateFile, 'utf8').catch(() => 'dir');
      const run = await runCli(['sync'], { cwd: f.cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/→ .*(recsync state reset|upgrade recsync|permissions)/);
      noStack(run.stderr);
      expect(await readFile(f.stateFile, 'utf8').catch(() => 'dir')).toBe(before);
    },
  );

  it('a version 1 state of the first release: the run goes on and rewrites it as 2', async () => {
    const f = await synced();
    const state = JSON.parse(await readFile(f.stateFile, 'utf8'));
    const { source: _source, ...v1 } = state;
    await writeFile(f.stateFile, JSON.stringify({ ...v1, version: 1 }));
    await f.tree.write({ [`${days[1]}/late.wav`]: { size: 10, mtime: `${days[1]}T11:00:00Z` } });
    const run = await runCli(['sync'], { cwd: f.cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(await readFile(f.stateFile, 'utf8')).version).toBe(2);
    expect(await client.keys(f.bucket)).toContain(`${days[1]}/late.wav`);
  });
});

describe('clocks', () => {
  it('a cursor in the future: exit 2 naming the reset; a --since backfill still runs', async () => {
    const f = await synced();
    const state = JSON.parse(await readFile(f.stateFile, 'utf8'));
    await writeFile(f.stateFile, JSON.stringify({ ...state, cursor: { through: '2099-01-01' } }));
    await f.tree.write({ [`${days[1]}/late.wav`]: { size: 10, mtime: `${days[1]}T11:00:00Z` } });
    const run = await runCli(['sync'], { cwd: f.cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('E_CURSOR_FUTURE');
    expect(run.stderr).toContain('recsync state reset --job rec');
    noStack(run.stderr);
    const backfill = await runCli(['sync', '--since', days[0]], { cwd: f.cwd });
    expect(backfill.code).toBe(0);
    expect(await client.keys(f.bucket)).toContain(`${days[1]}/late.wav`);
  });
});

describe('sources', () => {
  it('a source that does not exist: exit 2, "mount it"', async () => {
    const f = await synced();
    await rename(f.tree.root, `${f.tree.root}.away`);
    const run = await runCli(['sync'], { cwd: f.cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('does not exist');
    expect(run.stderr).toContain('mount it');
    noStack(run.stderr);
    await rename(`${f.tree.root}.away`, f.tree.root);
    await nothingLost(f);
  });

  it(
    'an emptied source (the mount point without its mount): exit 2 on plan and sync, the ' +
      'cursor kept',
    async () => {
      const f = await synced();
      await rename(f.tree.root, `${f.tree.root}.away`);
      await mkdir(f.tree.root);
      const before = await readFile(f.stateFile, 'utf8');
      for (const command of ['plan', 'sync']) {
        const run = await runCli([command], { cwd: f.cwd });
        expect(run.code).toBe(2);
        expect(run.stderr).toContain('E_SOURCE_EMPTY');
        expect(run.stderr).toContain('--accept-source-change');
        noStack(run.stderr);
      }
      expect(await readFile(f.stateFile, 'utf8')).toBe(before);
      await rm(f.tree.root, { recursive: true });
      await rename(`${f.tree.root}.away`, f.tree.root);
      await nothingLost(f);
    },
  );

  it('a completed day that lost files: exit 2; --accept-source-change takes it once', async () => {
    const f = await synced();
    await rm(path.join(f.tree.root, days[0], 'rec-0.wav'));
    await rm(path.join(f.tree.root, days[1], 'rec-0.wav'));
    const run = await runCli(['sync'], { cwd: f.cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('E_SOURCE_CHANGED');
    expect(run.stderr).toContain('has 2 entries; an earlier run completed it with 3');
    noStack(run.stderr);
    const accepted = await runCli(['sync', '--accept-source-change'], { cwd: f.cwd });
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toContain('accepted with --accept-source-change');
    expect((await runCli(['sync'], { cwd: f.cwd })).code).toBe(0);
  });

  it('a remount (another device number) only warns', async () => {
    const f = await synced();
    const state = JSON.parse(await readFile(f.stateFile, 'utf8'));
    await writeFile(
      f.stateFile,
      JSON.stringify({ ...state, source: { ...state.source, dev: state.source.dev + 7 } }),
    );
    const run = await runCli(['sync'], { cwd: f.cwd });
    expect(run.code).toBe(0);
    expect(run.stderr + run.stdout).toContain('on another device than at the last run');
  });

  it('a source that is a file: exit 2 naming the config key', async () => {
    const f = await synced();
    await rename(f.tree.root, `${f.tree.root}.away`);
    await writeFile(f.tree.root, 'not a folder');
    const run = await runCli(['sync'], { cwd: f.cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a folder');
    expect(run.stderr).toContain('jobs.rec.source');
    await rm(f.tree.root);
    await rename(`${f.tree.root}.away`, f.tree.root);
    await nothingLost(f);
  });
});
