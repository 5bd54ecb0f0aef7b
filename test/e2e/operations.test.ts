/**
 * Operating the recsync binary as a user would: logs off a terminal, NDJSON events, status with
 * run history and the lock, the metrics file after a run with failures, a bad --since refused
 * before anything runs, sync --dry-run, init output loaded by plan, help/version/completion/
 * not-found, and the progress line through a pseudo-terminal (util-linux `script`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { z } from 'zod';
import { createTestClient, createTree, type TreeSpec } from '@recsync/framework/testing';
import { BIN, recentDays, runCli } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /;

/** A date-folder job whose uploads of files named `bad*` fail, with a metrics file. */
async function setup(days = 2, perDay = 3) {
  const bucket = `ops-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const spec: TreeSpec = {};
  for (const day of recentDays(days)) {
    for (let i = 0; i < perDay; i++)
      spec[`${day}/rec-${i}.wav`] = { size: 500 + i, mtime: `${day}T10:00:00Z` };
  }
  spec[`${recentDays(1)[0]}/bad-1.wav`] = { size: 300, mtime: `${recentDays(1)[0]}T10:00:00Z` };
  const tree = await createTree(spec);
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-ops-'));
  await writeFile(
    path.join(cwd, 'recsync.config.ts'),
    `import { defineConfig, definePlugin } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

const failBad = definePlugin({
  name: 'fail-bad',
  apply(hooks) {
    hooks.beforeUpload.tapPromise('fail-bad', async (input, file) => {
      if (file.path.includes('/bad')) throw new Error('injected upload failure');
      return input;
    });
  },
});

export default defineConfig({
  metrics: { textfile: 'metrics/recsync.prom' },
  jobs: {
    rec: {
      source: ${JSON.stringify(tree.root)},
      target: {
        bucket: ${JSON.stringify(bucket)},
        endpoint: ${JSON.stringify(endpoint)},
        forcePathStyle: true,
      },
      strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC', lookback: 1 }),
      upload: { concurrency: 2, attempts: 1 },
      plugins: [failBad],
    },
  },
});
`,
  );
  return { bucket, spec, tree, cwd };
}

const eventSchemas = {
  run: z.object({
    event: z.literal('run'),
    time: z.iso.datetime(),
    job: z.string(),
    mode: z.literal('sync'),
    bucket: z.string(),
    startedAt: z.iso.datetime(),
  }),
  file: z.object({
    event: z.literal('file'),
    time: z.iso.datetime(),
    job: z.string(),
    partition: z.string(),
    path: z.string(),
    key: z.string(),
    size: z.number(),
    outcome: z.enum(['uploaded', 'present', 'excluded', 'deferred', 'failed', 'vanished']),
  }),
  partition: z.object({
    event: z.literal('partition'),
    time: z.iso.datetime(),
    id: z.string(),
    complete: z.boolean(),
    counts: z.record(z.string(), z.object({ files: z.number(), bytes: z.number() })),
  }),
  warning: z.object({
    event: z.literal('warning'),
    time: z.iso.datetime(),
    code: z.string(),
    message: z.string(),
  }),
  done: z.object({
    event: z.literal('done'),
    time: z.iso.datetime(),
    exitCode: z.number(),
    pending: z.number(),
    cursor: z.unknown(),
  }),
};

describe('a sync with a failing file, seen as an operator sees it', () => {
  let f: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    f = await setup();
  });

  it('off a terminal: every line timestamped, exit 1, the failure named', async () => {
    const sync = await runCli(['sync'], { cwd: f.cwd });
    expect(sync.code).toBe(1);
    const lines = sync.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(ISO_LINE);
    expect(sync.stderr).toMatch(/^\S+Z failed: .*bad-1\.wav: .*injected upload failure/m);
    // a failed file is pending: its day is done
    expect(sync.stdout).toContain(`cursor: through ${recentDays(1)[0]}`);
    expect(sync.stdout).toContain('exit 1');
    expect(sync.stdout).not.toContain('\u001b['); // no terminal control codes in a log
  });

  it('writes the metrics file atomically, in Prometheus text format, labelled by job', async () => {
    const dir = path.join(f.cwd, 'metrics');
    const text = await readFile(path.join(dir, 'recsync.prom'), 'utf8');
    expect(await readdir(dir)).toEqual(['recsync.prom']); // no temp file left behind
    expect(text).toContain('# HELP recsync_last_run_exit_code ');
    expect(text).toContain('# TYPE recsync_last_run_exit_code gauge');
    const value = (name: string) =>
      Number(new RegExp(`^${name}\\{job="rec"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('recsync_last_run_exit_code')).toBe(1);
    expect(value('recsync_last_run_uploaded_files')).toBe(6);
    expect(value('recsync_last_run_failed_files')).toBe(1);
    expect(value('recsync_pending_files')).toBe(1);
    expect(value('recsync_last_run_end_timestamp_seconds')).toBeGreaterThan(
      value('recsync_last_run_start_timestamp_seconds') - 1,
    );
    expect(text).not.toContain('recsync_last_success_timestamp_seconds{'); // never succeeded yet
    expect(value('recsync_cursor_age_seconds')).toBeGreaterThan(0);
    // Every sample line is `name{labels} value`.
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^recsync_[a-z_]+\{job="rec"\} -?[\d.e+]+$/);
  });

  it('status shows the cursor in words, the lock, the history and the pending file', async () => {
    const status = await runCli(['status'], { cwd: f.cwd });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `cursor: through ${recentDays(1)[0]} (every day up to its end is done)`,
    );
    expect(status.stdout).toContain('lease: free');
    expect(status.stdout).toContain('last success: none recorded');
    expect(status.stdout).toMatch(/START\s+END\s+EXIT\s+OUTCOME/);
    expect(status.stdout).toMatch(/Z\s+1 pending\s+6 \(/);
    expect(status.stdout).toMatch(/failed\s+\S+\/bad-1\.wav/);
    const json = JSON.parse((await runCli(['status', '--json'], { cwd: f.cwd })).stdout);
    expect(json.jobs[0]).toMatchObject({
      job: 'rec',
      lease: null,
      cursorText: expect.stringContaining('through'),
    });
    expect(json.jobs[0].state.history).toHaveLength(1);
    expect(json.jobs[0].state.history[0]).toMatchObject({
      exitCode: 1,
      outcome: 'pending',
      failed: 1,
      uploaded: { files: 6 },
    });
  });

  it('status names the holder of the lease', async () => {
    const lock = path.join(f.cwd, '.recsync', 'rec.lock');
    await writeFile(
      lock,
      JSON.stringify({
        pid: 999_999,
        host: 'other-host',
        startedAt: '2026-11-25T03:00:00.000Z',
        command: 'sync',
      }),
    );
    try {
      const status = await runCli(['status'], { cwd: f.cwd });
      expect(status.stdout).toContain(
        'lease: held by pid 999999 on other-host, started 2026-11-25T03:00:00.000Z (sync)',
      );
      expect(status.stdout).toContain('recsync unlock --job rec if that run is gone');
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(lock));
    }
  });

  it('--log-format json: every line is an event that parses and fits its schema', async () => {
    const run = await runCli(['sync', '--log-format', 'json'], { cwd: f.cwd });
    expect(run.code).toBe(1);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: keyof typeof eventSchemas });
    for (const e of events) eventSchemas[e.event].parse(e);
    expect(events[0].event).toBe('run');
    expect(events.at(-1)).toMatchObject({ event: 'done', exitCode: 1, pending: 1 });
    expect(run.stderr).toBe('');
  });

  it('a bad --since is refused before anything runs and never recorded as a run', async () => {
    const before = await readFile(path.join(f.cwd, '.recsync', 'rec.state.json'), 'utf8');
    const bad = await runCli(['sync', '--since', 'last tuesday'], { cwd: f.cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "last tuesday" is not a date');
    expect(bad.stdout).toBe('');
    expect(await readFile(path.join(f.cwd, '.recsync', 'rec.state.json'), 'utf8')).toBe(before);
    expect(existsSync(path.join(f.cwd, '.recsync', 'rec.lock'))).toBe(false);
  });

  it('a sync stopped by the target (exit 4) is in the history and the metrics file', async () => {
    const denied = await runCli(['sync'], {
      cwd: f.cwd,
      env: { AWS_ACCESS_KEY_ID: 'NOT-A-KEY' },
    });
    expect(denied.code).toBe(4);
    const json = JSON.parse((await runCli(['status', '--json'], { cwd: f.cwd })).stdout);
    expect(json.jobs[0].state.history.at(-1)).toMatchObject({
      exitCode: 4,
      outcome: 'fatal',
      error: { code: 'E_TARGET_AUTH' },
    });
    // nothing else became pending
    expect(json.jobs[0].state.pending).toHaveProperty([`${recentDays(1)[0]}/bad-1.wav`]);
    expect(Object.keys(json.jobs[0].state.pending)).toHaveLength(1);
    const text = await readFile(path.join(f.cwd, 'metrics', 'recsync.prom'), 'utf8');
    expect(text).toMatch(/^recsync_last_run_exit_code\{job="rec"\} 4$/m);
  });

  it('sync --dry-run is plan', async () => {
    const dry = await runCli(['sync', '--dry-run', '--concurrency', '3'], { cwd: f.cwd });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/PARTITION\s+STATE\s+UPLOAD/);
    expect(dry.stdout).toMatch(/total\s+1\s+300B/); // the failed file would be uploaded again
  });
});

describe('config mistakes', () => {
  it('reports every problem in one pass, with the key that was meant', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-typo-'));
    await writeFile(
      path.join(cwd, 'recsync.config.ts'),
      `import { dateFolders } from '@recsync/strategy-date';
export default {
  jobs: {
    rec: {
      source: '.',
      target: { bucket: 'b' },
      uplaod: { concurrency: 2 },
      strategy: dateFolders({ layot: '{yyyy}' } as never),
    },
  },
};
`,
    );
    const plan = await runCli(['plan'], { cwd });
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain('did you mean "upload" for "uplaod"?');
    expect(plan.stderr).toContain('did you mean "layout" for "layot"?');
    expect(plan.stderr).toContain('(2 problems)');
  });
});

describe('recsync init', () => {
  it('writes a config that plan accepts as it is, and never overwrites it', async () => {
    const bucket = `init-${randomBytes(5).toString('hex')}`;
    await client.createBucket(bucket);
    const day = recentDays(1)[0];
    const tree = await createTree({
      [`${day.slice(0, 4)}/${day.slice(5, 7)}/${day.slice(8)}/a.wav`]: {
        size: 10,
        mtime: `${day}T10:00:00Z`,
      },
    });
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-init-'));
    const init = await runCli(
      [
        'init',
        '--source',
        tree.root,
        '--bucket',
        bucket,
        '--endpoint',
        endpoint,
        '--timezone',
        'UTC',
      ],
      { cwd },
    );
    expect(init.code).toBe(0);
    const text = await readFile(path.join(cwd, 'recsync.config.ts'), 'utf8');
    expect(text).toContain('layout: "{yyyy}/{MM}/{dd}"');
    expect(text).toContain('defineConfig(');
    const plan = await runCli(['plan'], { cwd });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`${day.replace(/-/g, '/')}\\s+closed\\s+1\\b`));
    const again = await runCli(['init', '--source', tree.root, '--bucket', bucket], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('asks for what it needs when it cannot prompt', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-init-'));
    const init = await runCli(['init'], { cwd });
    expect(init.code).toBe(2);
    expect(init.stderr).toContain('needs --source and --bucket');
  });
});

describe('command-line conventions', () => {
  const cwd = os.tmpdir();
  it('help, -h, version and completion', async () => {
    const help = await runCli(['help', 'sync'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
    expect((await runCli(['sync', '-h'], { cwd })).stdout).toContain('USAGE');
    expect((await runCli(['version'], { cwd })).stdout).toMatch(/^@recsync\/cli\/\d+\.\d+\.\d+ /);
    const completion = await runCli(['autocomplete', 'bash'], { cwd });
    expect(completion.code).toBe(0);
    expect(completion.stdout).toContain('recsync');
  });

  it('"did you mean" for a misspelt command or flag', async () => {
    const command = await runCli(['snyc'], { cwd });
    expect(command.code).toBe(127);
    expect(command.stderr).toContain('did you mean "recsync sync"?');
    const flag = await runCli(['sync', '--concurency', '3'], { cwd });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('did you mean --concurrency?');
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('progress on a terminal (pseudo-terminal)', () => {
  it('draws the progress line on stderr and clears it; no timestamps', async () => {
    const f = await setup(3, 6);
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} sync`;
    const result = spawnSync('script', ['-qfec', command, '/dev/null'], {
      cwd: f.cwd,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '120', TERM: 'xterm', CI: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const out = result.stdout;
    expect(result.status).toBe(1);
    expect(out).toContain('\x1b[?25l'); // cursor hidden while the line is drawn
    expect(out).toContain('\x1b[?25h'); // and shown again
    expect(out).toMatch(/(listing: \d+ files found|\d+\/\d+ files)/);
    expect(out).toMatch(/rec: uploaded 18 files/);
    expect(out).not.toMatch(ISO_LINE);
  });

  it('init asks on a terminal, offering the layout it guessed', async () => {
    const tree = await createTree({ '2026-11-24/a.wav': 'a', '2026-11-25/b.wav': 'b' });
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-init-tty-'));
    const [node, bin] = [process.execPath, BIN].map((p) => JSON.stringify(p));
    const command = `${node} ${bin} init --timezone UTC`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' },
    });
    // Each answer is typed once its question is on the screen.
    const answers: [RegExp, string][] = [
      [/Folder to back up/, `${tree.root}\r`],
      [/How does recsync find new files\?/, '\r'],
      [/Folder layout/, '\r'],
      [/Bucket/, 'tty-bucket\r'],
      [/Key prefix/, 'calls\r'],
      [/endpoint URL/, '\r'],
    ];
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      const next = answers[0];
      if (next?.[0].test(screen)) {
        answers.shift();
        screen = '';
        child.stdin.write(next[1]);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const text = await readFile(path.join(cwd, 'recsync.config.ts'), 'utf8');
    expect(text).toContain(`source: ${JSON.stringify(tree.root)}`);
    expect(text).toContain('target: { bucket: "tty-bucket", prefix: "calls" }');
    expect(text).toContain(
      'dateFolders({ layout: "{yyyy}-{MM}-{dd}", timezone: "UTC", lookback: 2 })',
    );
  });
});
