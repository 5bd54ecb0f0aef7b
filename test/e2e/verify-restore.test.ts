/**
 * End to end: `recsync verify` and `recsync restore` through the built binary, against the
 * local S3 server with faults injected into its data folder.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { recentDays, runCli, startCli, waitFor, writeConfig } from '../support/cli.js';
import { faults } from '../support/faults.js';
import { startGateProxy } from '../support/gate-proxy.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

async function synced(perDay: number, days: number) {
  const bucket = `e2e-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const spec: TreeSpec = {};
  for (const day of recentDays(days)) {
    for (let i = 0; i < perDay; i++)
      spec[`${day}/rec-${String(i).padStart(3, '0')}.wav`] = {
        size: 3000 + i * 37,
        mtime: `${day}T10:00:00.123456Z`,
      };
  }
  const tree = await createTree(spec);
  const cwd = await writeConfig({ source: tree.root, bucket, endpoint });
  expect((await runCli(['sync'], { cwd })).code).toBe(0);
  const to = await mkdtemp(path.join(os.tmpdir(), 'recsync-to-'));
  return { bucket, tree, cwd, to, spec };
}

const ndjson = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('recsync verify and restore', () => {
  it('verify: clean is exit 0; faults are found at the right level and repaired', async () => {
    const { bucket, cwd, tree } = await synced(5, 2);
    const clean = await runCli(['verify', '--all'], { cwd });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('findings: none');
    const head = await runCli(['verify', '--all', '--head', '--json'], { cwd });
    expect(head.code).toBe(0);
    const events = ndjson(head.stdout);
    expect(events[0]).toMatchObject({ event: 'cost', objects: 10, headRequests: 10 });
    expect(events.at(-1)).toMatchObject({ event: 'summary', exitCode: 0, files: 10 });

    const [day1, day2] = recentDays(2);
    await faults.deleteObject(bucket, `${day1}/rec-000.wav`);
    await faults.flipByte(bucket, `${day2}/rec-001.wav`, 1000);
    const list = await runCli(['verify', '--all'], { cwd });
    expect(list.code).toBe(1);
    expect(list.stdout).toMatch(new RegExp(`missing\\s+${day1}/rec-000.wav`));
    expect(list.stdout).not.toContain('object-corrupt');
    const deep = await runCli(['verify', '--all', '--deep'], { cwd });
    expect(deep.code).toBe(1);
    expect(deep.stderr).toMatch(/cost: 9 objects .* 9 GET requests/);
    expect(deep.stdout).toMatch(new RegExp(`object-corrupt\\s+${day2}/rec-001.wav`));
    const repair = await runCli(['verify', '--all', '--deep', '--repair'], { cwd });
    expect(repair.stdout).toMatch(/repairs: 2 uploaded/);
    expect((await runCli(['verify', '--all', '--deep'], { cwd })).code).toBe(0);
    await tree.cleanup();
  });

  it('restore: byte-exact round trip with mtimes; resumes after SIGKILL', async () => {
    const { bucket, cwd, tree, to } = await synced(15, 2);
    const gate = await startGateProxy(endpoint, 6);
    const gated = await writeConfig({ source: tree.root, bucket, endpoint: gate.endpoint });
    const run = startCli(['restore', '--to', to, '--concurrency', '2'], { cwd: gated });
    const restored = async () =>
      execFileSync('find', [to, '-type', 'f', '-name', '*.wav'])
        .toString()
        .trim()
        .split('\n')
        .filter(Boolean).length;
    await waitFor(async () => (await restored()) >= 4, 'four restored files');
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    const before = await restored();
    expect(before).toBeLessThan(30);
    await gate.close();

    const rerun = await runCli(['restore', '--to', to, '--json'], { cwd });
    expect(rerun.code).toBe(0);
    const summary = ndjson(rerun.stdout).at(-1) as { counts: Record<string, { objects: number }> };
    expect(summary.counts.skipped.objects).toBe(before);
    expect(summary.counts.restored.objects).toBe(30 - before);
    expect(() => execFileSync('diff', ['-r', tree.root, to])).not.toThrow();
    const mtimes = (dir: string) =>
      execFileSync('find', [dir, '-type', 'f', '-printf', '%P %T@\n'])
        .toString()
        .split('\n')
        .sort()
        .join('\n');
    expect(mtimes(to)).toBe(mtimes(tree.root));
    expect(
      (await readdir(to, { recursive: true })).filter((n) => String(n).endsWith('.part')),
    ).toEqual([]);

    const again = await runCli(['restore', '--to', to], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('30 skipped');
    await rm(to, { recursive: true, force: true });
    await tree.cleanup();
  });
});
