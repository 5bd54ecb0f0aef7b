/**
 * The built `recsync` binary with a journal job: `journal add` from concurrent hooks, and a
 * sync killed with SIGKILL between uploads and the state write.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createTestClient, createTree, tempDirs } from '@recsync/framework/testing';
import { BIN, runCli, startCli, waitFor } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());
const temp = tempDirs('recsync-journal-cli-');
afterEach(temp.cleanup);

/** A folder with the source `RECORDINGS` and a `journal` folder beside it. */
async function archive() {
  const root = await temp.make();
  const source = path.join(root, 'RECORDINGS');
  const journalDir = path.join(root, 'journal');
  await mkdir(source);
  await mkdir(journalDir);
  return { root, source, journalDir };
}

/**
 * A source, a journal and `recsync.config.ts` with a journal job and a date job; uploads can be
 * held by a gate file.
 */
async function project() {
  const dirs = await archive();
  const bucket = `jc-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const journal = path.join(dirs.journalDir, 'written.log');
  await writeFile(
    path.join(dirs.root, 'recsync.config.ts'),
    `import { existsSync } from 'node:fs';
import { defineConfig, definePlugin } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';
import { journal } from '@recsync/strategy-journal';

let passed = 0;
const gate = definePlugin({
  name: 'test-gate',
  apply(hooks) {
    hooks.beforeUpload.tapPromise('test-gate', async (input) => {
      if (!process.env.GATE || passed++ < Number(process.env.GATE_PASS ?? 0)) return input;
      while (!existsSync(process.env.GATE)) await new Promise((r) => setTimeout(r, 20));
      return input;
    });
  },
});
const target = {
  bucket: ${JSON.stringify(bucket)},
  endpoint: ${JSON.stringify(endpoint)},
  forcePathStyle: true,
};
export default defineConfig({
  jobs: {
    calls: {
      source: 'RECORDINGS',
      target,
      strategy: journal({ path: '../journal/written.log', linesPerPartition: 3 }),
      filters: { settle: 0 },
      upload: { concurrency: 2 },
      plugins: [gate],
    },
    dated: { source: 'RECORDINGS', target, strategy: dateFolders({ timezone: 'UTC' }) },
  },
});
`,
  );
  return { ...dirs, bucket, journal, cwd: dirs.root };
}

function addFromStdin(cwd: string, paths: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, 'journal', 'add', '--job', 'calls', '-'], {
    cwd,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  child.stdin.end(`${paths.join('\n')}\n`);
  return new Promise((resolve) => child.on('exit', resolve));
}

describe('recsync journal add', () => {
  it('appends paths inside the source, relative to it', async () => {
    const p = await project();
    const result = await runCli(
      ['journal', 'add', '--fsync', 'RECORDINGS/a.wav', `${p.source}/b/c.wav`, '--json'],
      { cwd: p.cwd },
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      command: 'journal add',
      job: 'calls',
      journal: p.journal,
      appended: 2,
    });
    expect(await readFile(p.journal, 'utf8')).toBe('a.wav\nb/c.wav\n');
  });

  it('refuses a path outside the source (exit 2) and a job without a journal', async () => {
    const p = await project();
    const outside = await runCli(['journal', 'add', 'RECORDINGS/a.wav', '/etc/passwd'], {
      cwd: p.cwd,
    });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(
      `recsync: error E_USAGE: /etc/passwd is outside the source ${p.source}: not added to ` +
        'the journal',
    );
    const dated = await runCli(['journal', 'add', '-j', 'dated', 'RECORDINGS/a.wav'], {
      cwd: p.cwd,
    });
    expect(dated.code).toBe(2);
    expect(dated.stderr).toContain(
      'job "dated" uses the strategy @recsync/strategy-date, not a journal',
    );
    await expect(readFile(p.journal)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps every line whole when two hooks append at once', async () => {
    const p = await project();
    const batch = (tag: string) =>
      Array.from(
        { length: 1500 },
        (_, i) => `${p.source}/${tag}/${String(i).padStart(4, '0')}-${tag.repeat(300)}.wav`,
      );
    expect(
      await Promise.all([addFromStdin(p.cwd, batch('a')), addFromStdin(p.cwd, batch('b'))]),
    ).toEqual([0, 0]);
    const lines = (await readFile(p.journal, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3000);
    for (const line of lines) expect(line).toMatch(/^(a\/\d{4}-a{300}|b\/\d{4}-b{300})\.wav$/);
    expect(lines.filter((l) => l.startsWith('a/'))).toEqual(
      batch('a').map((x) => path.relative(p.source, x)),
    );
  });
});

describe('recsync sync with a journal job', () => {
  it('killed between uploads and the state write, then rerun: nothing lost', async () => {
    const p = await project();
    const files = Array.from(
      { length: 20 },
      (_, i) => `2026-11-25/call-${String(i).padStart(2, '0')}.wav`,
    );
    await createTree(Object.fromEntries(files.map((f) => [f, `content of ${f}`])), {
      root: p.source,
    });
    await writeFile(p.journal, `${files.join('\n')}\n`);
    const run = startCli(['sync', '--job', 'calls', '--json'], {
      cwd: p.cwd,
      env: { GATE: path.join(p.root, 'never'), GATE_PASS: '7' },
    });
    await waitFor(
      () => (run.stdout().match(/"outcome":"uploaded"/g) ?? []).length >= 7,
      'seven uploads',
    );
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect((await client.keys(p.bucket)).length).toBeLessThan(files.length);

    const rerun = await runCli(['sync', '--job', 'calls'], { cwd: p.cwd });
    expect(rerun.code).toBe(0);
    expect(await client.keys(p.bucket)).toEqual(files);
    for (const f of files)
      expect(await client.get(p.bucket, f)).toEqual(await readFile(path.join(p.source, f)));
    const state = JSON.parse(
      await readFile(path.join(p.root, '.recsync', 'calls.state.json'), 'utf8'),
    );
    expect(state.cursor).toMatchObject({ file: 'written.log', line: 20 });
  });
});
